import type { Actor } from '../auth/actor';
import { paginate, SEQ_ORDER, sequenceCodec, type Page, type PageArgs } from '../common/pagination';
import { findReadableOrganization } from '../registry/records';
import { ChangeLogEntry } from './change-log-entry.entity';

export class ChangeLogService {
  /**
   * Entries in sequence (= commit) order, one page; the cursor is the entry's seq. Organisation
   * tokens must name their organisation; platform admins may read across organisations.
   */
  async read(actor: Actor, organizationId: string | null | undefined, page: PageArgs): Promise<Page<ChangeLogEntry>> {
    const where: Record<string, unknown> = {};
    if (organizationId) {
      const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
      where.organizationId = organization.id;
    } else {
      actor.principal.assertPlatformAdmin();
    }
    return paginate(actor.em, ChangeLogEntry, where, page, { sort: SEQ_ORDER, codec: sequenceCodec<ChangeLogEntry>('seq') });
  }
}
