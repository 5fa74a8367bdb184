import { forbidden, notFound } from '../common/errors';
import { Role } from './api-token.entity';

/** Who is calling: the API token's id, role and (for organisation roles) its organisation. */
export class Principal {
  constructor(
    readonly tokenId: string,
    readonly role: Role,
    readonly organizationId: string | null,
  ) {}

  get isPlatformAdmin(): boolean {
    return this.role === Role.PLATFORM_ADMIN;
  }

  canRead(organizationId: string): boolean {
    return this.isPlatformAdmin || this.organizationId === organizationId;
  }

  canWrite(organizationId: string): boolean {
    return this.isPlatformAdmin || (this.organizationId === organizationId && this.role === Role.ORG_ADMIN);
  }

  /**
   * Records of an organisation the token cannot see are reported exactly like records that do not
   * exist, so a token never learns what another organisation holds.
   */
  assertCanRead(organizationId: string, kind: string, id: string): void {
    if (!this.canRead(organizationId)) throw notFound(kind, id);
  }

  assertCanWrite(organizationId: string, kind: string, id: string): void {
    this.assertCanRead(organizationId, kind, id);
    if (!this.canWrite(organizationId)) {
      throw forbidden('This token may read this organisation but not change it (role ORG_READER).');
    }
  }

  assertPlatformAdmin(): void {
    if (!this.isPlatformAdmin) throw forbidden('Only a platform-admin token may do this.');
  }
}
