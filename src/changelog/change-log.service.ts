import type { RequestContext } from '../api/context';
import { badInput, isSequence } from '../common/errors';
import { findReadableOrganization } from '../registry/records';
import { ChangeLogEntry } from './change-log-entry.entity';

export interface ChangeLogPage {
  entries: ChangeLogEntry[];
  /** Pass as `after` to continue; unchanged when nothing new was committed. */
  cursor: string;
  hasMore: boolean;
}

export class ChangeLogService {
  /**
   * Entries after `after`, in sequence (= commit) order. Organisation tokens must name their
   * organisation; platform admins may read across organisations.
   */
  async read(ctx: RequestContext, organizationId: string | null | undefined, after: string | null | undefined, first: number): Promise<ChangeLogPage> {
    const cursor = after ?? '0';
    if (!isSequence(cursor)) throw badInput('after must be a change-log sequence number.', 'after');
    const where: Record<string, unknown> = { seq: { $gt: cursor } };
    if (organizationId) {
      const organization = await findReadableOrganization(ctx.em, ctx.principal, organizationId);
      where.organizationId = organization.id;
    } else {
      ctx.principal.assertPlatformAdmin();
    }
    const rows = await ctx.em.find(ChangeLogEntry, where, { orderBy: { seq: 'asc' }, limit: first + 1 });
    const entries = rows.slice(0, first);
    return {
      entries,
      cursor: entries.length > 0 ? entries[entries.length - 1].seq : cursor,
      hasMore: rows.length > first,
    };
  }
}
