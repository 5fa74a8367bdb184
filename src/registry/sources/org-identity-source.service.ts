import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../auth/actor';
import { applyDefined } from '../../common/validation';
import type { RecordStatus } from '../enums';
import { OrgScopedCrud } from '../org-scoped-crud';
import { OrgIdentityLink } from './org-identity-link.entity';
import { OrgIdentitySource } from './org-identity-source.entity';

export interface OrgIdentitySourceInput {
  name?: string;
  description?: string | null;
  kind?: string;
  status?: RecordStatus;
}

export interface OrgIdentitySourceFilterInput {
  status?: RecordStatus | null;
}

export class OrgIdentitySourceService extends OrgScopedCrud<OrgIdentitySource, OrgIdentitySourceInput, OrgIdentitySourceFilterInput> {
  protected readonly entity = OrgIdentitySource;

  protected where(filter: OrgIdentitySourceFilterInput): FilterQuery<OrgIdentitySource> {
    return filter.status ? { status: filter.status } : {};
  }

  protected assign(_ctx: Actor, _em: EntityManager, source: OrgIdentitySource, input: OrgIdentitySourceInput): OrgIdentitySource {
    return applyDefined(source, input);
  }

  /** The links to the source go with it. */
  protected dependents(em: EntityManager, source: OrgIdentitySource): Promise<object[]> {
    return em.find(OrgIdentityLink, { source: source.id });
  }
}
