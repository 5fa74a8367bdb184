import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Kind, valueFromASTUntyped, type OperationDefinitionNode } from 'graphql';
import type { Principal } from '../auth/principal';
import { ChangeLogEntry } from '../changelog/change-log-entry.entity';
import { forbidden } from '../common/errors';
import { paginate, type Page, type PageArgs } from '../common/pagination';
import { findReadableOrganization } from '../registry/records';
import type { Logger } from '../observability/logger';
import { AuditEntry } from './audit-entry.entity';
import { LONE_SURROGATE } from '../common/text';

const SECRET_KEY = /(secret|password|token|authorization)$/i;

/** Secret values never reach the audit log, whatever the plugin calls them. */
export function redact(value: unknown, secretFields: ReadonlySet<string>): unknown {
  // jsonb cannot hold NUL or half surrogates: the audit line keeps a visible replacement.
  if (typeof value === 'string') return value.replace(/\u0000/g, '\ufffd').replace(new RegExp(LONE_SURROGATE, 'g'), '\ufffd');
  if (Array.isArray(value)) return value.map((item) => redact(item, secretFields));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        (SECRET_KEY.test(key) || secretFields.has(key)) && item !== null && item !== undefined ? '[redacted]' : redact(item, secretFields),
      ]),
    );
  }
  return value;
}

function findOrganizationId(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'organizationId' && typeof item === 'string') return item;
    const nested = findOrganizationId(item);
    if (nested) return nested;
  }
  return null;
}

export interface AuditedRequest {
  principal: Principal;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
  changes: ChangeLogEntry[];
  errorCode: string | null;
}

/** The audit log: written after every mutation, read by organisation and platform admins. */
export class AuditLog {
  constructor(
    private readonly orm: MikroORM,
    private readonly secretFields: () => ReadonlySet<string>,
    private readonly logger: Logger,
  ) {}

  async record(request: AuditedRequest): Promise<void> {
    const { principal, operation, variables, changes, errorCode } = request;
    const entries: AuditEntry[] = [];
    for (const selection of operation.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) continue;
      const args = Object.fromEntries((selection.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value, variables)]));
      const entry = new AuditEntry();
      Object.assign(entry, {
        tokenId: principal.tokenId,
        role: principal.role,
        organizationId: changes[0]?.organizationId ?? findOrganizationId(args) ?? principal.organizationId,
        operation: selection.name.value,
        arguments: redact(args, this.secretFields()) as Record<string, unknown>,
        outcome: errorCode ?? 'OK',
        changeSeqs: changes.map((change) => change.seq),
      });
      entries.push(entry);
    }
    await this.save(entries);
  }

  /** An action taken outside GraphQL (an import file uploaded over HTTP), as one audit entry. */
  async recordAction(principal: Principal, operation: string, args: Record<string, unknown>, organizationId: string | null, errorCode: string | null): Promise<void> {
    const entry = Object.assign(new AuditEntry(), {
      tokenId: principal.tokenId,
      role: principal.role,
      organizationId: organizationId ?? principal.organizationId,
      operation,
      arguments: redact(args, this.secretFields()) as Record<string, unknown>,
      outcome: errorCode ?? 'OK',
      changeSeqs: [],
    });
    await this.save([entry]);
  }

  private async save(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      // One insert outside a transaction of its own (the unit of work would wrap it in BEGIN/COMMIT).
      await this.orm.em.fork().insertMany(AuditEntry, entries);
    } catch (error) {
      // The action itself is done; a lost audit line is logged loudly rather than failing it.
      this.logger.error({ err: error, operation: entries.map((e) => e.operation) }, 'could not write the audit log');
    }
  }

  async list(em: EntityManager, principal: Principal, organizationId: string | null | undefined, page: PageArgs): Promise<Page<AuditEntry>> {
    if (!principal.isPlatformAdmin && principal.role !== 'ORG_ADMIN') throw forbidden('Only admins read the audit log.');
    let scope: string | null = organizationId ?? null;
    if (scope) scope = (await findReadableOrganization(em, principal, scope)).id;
    else if (!principal.isPlatformAdmin) scope = principal.organizationId;
    return paginate(em, AuditEntry, scope ? { organizationId: scope } : {}, page);
  }

  changes(em: EntityManager, entry: AuditEntry): Promise<ChangeLogEntry[]> {
    if (entry.changeSeqs.length === 0) return Promise.resolve([]);
    return em.find(ChangeLogEntry, { seq: { $in: entry.changeSeqs } }, { orderBy: { seq: 'asc' } });
  }
}
