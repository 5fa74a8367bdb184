import type { EntityManager } from '@mikro-orm/postgresql';
import { SubjectType } from './actions';
import { PayloadLoader, type PayloadLoaderOptions } from './loading/payload-loader';
import type { SubjectPayload } from './payload';

export { isValidAt, PROVISIONABLE_PERSON_STATUSES, skeletonPerson } from './loading/mappers';

/**
 * Builds the payloads every plugin receives, from the registry as it is now (so queued work that
 * runs later pushes the latest data). It delegates to the set-based PayloadLoader (one statement
 * per kind of record per batch, plain rows, pure mappers that hold the status and validity rules):
 * one subject is a batch of one (`one`), many of one type a batch (`many`).
 */
export class Marshaller {
  readonly loader: PayloadLoader;

  constructor(clock: () => Date = () => new Date(), options: PayloadLoaderOptions = {}) {
    this.loader = new PayloadLoader(clock, options);
  }

  /** One subject's payload (a batch of one), or null when it is no longer in the registry. */
  async one(em: EntityManager, subjectType: SubjectType, subjectId: string): Promise<SubjectPayload | null> {
    return (await this.many(em, subjectType, [subjectId])).get(subjectId) ?? null;
  }

  /**
   * The payloads of a batch of work, by subject id: a delete carries its snapshot (the subject is
   * gone from the registry), the others are loaded set-based, one call per subject type. Subjects
   * no longer in the registry have no entry.
   */
  async forWork(em: EntityManager, work: readonly { subjectType: SubjectType; subjectId: string; snapshot: SubjectPayload | null }[]): Promise<Map<string, SubjectPayload>> {
    const subjects = new Map<string, SubjectPayload>();
    for (const w of work) if (w.snapshot) subjects.set(w.subjectId, w.snapshot);
    for (const type of [SubjectType.PERSON, SubjectType.GROUP, SubjectType.SERVICE, SubjectType.EMAIL_LIST]) {
      const ids = [...new Set(work.filter((w) => w.subjectType === type && !w.snapshot).map((w) => w.subjectId))];
      if (ids.length === 0) continue;
      for (const [id, payload] of await this.many(em, type, ids)) subjects.set(id, payload);
    }
    return subjects;
  }

  /** The payloads of many subjects of one type, by id; ids no longer in the registry have no entry. */
  many(em: EntityManager, subjectType: SubjectType, ids: readonly string[]): Promise<Map<string, SubjectPayload>> {
    if (subjectType === SubjectType.PERSON) return this.loader.people(em, ids);
    if (subjectType === SubjectType.GROUP) return this.loader.groups(em, ids);
    if (subjectType === SubjectType.EMAIL_LIST) return this.loader.emailLists(em, ids);
    return this.loader.services(em, ids);
  }
}
