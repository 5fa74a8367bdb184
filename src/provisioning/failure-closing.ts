import type { EntityManager } from '@mikro-orm/postgresql';
import { DELETE_ACTIONS, type SubjectType } from './actions';
import { FailureNotification } from './failure-notification.entity';

export const SUBJECT_DELETED = 'subject deleted';

/**
 * Closes the open failure notifications of subjects that no longer exist: nothing will retry
 * them, and no later attempt can succeed to resolve them. A notification of a failed delete stays
 * open: the subject may still be on that target, and the next delete attempt resolves it. The
 * delete's own provisioning opens a new notification should it fail.
 */
export async function closeFailuresOfDeletedSubjects(
  em: EntityManager,
  subjects: { subjectType: SubjectType; subjectId: string }[],
  options: { targetId?: string; lastEventSeq?: string } = {},
): Promise<number> {
  let closed = 0;
  const byType = new Map<SubjectType, string[]>();
  for (const { subjectType, subjectId } of subjects) byType.set(subjectType, [...(byType.get(subjectType) ?? []), subjectId]);
  for (const [subjectType, ids] of byType) {
    closed += await em.nativeUpdate(
      FailureNotification,
      {
        resolvedAt: null,
        subjectType,
        subjectId: { $in: ids },
        action: { $nin: [...DELETE_ACTIONS] },
        ...(options.targetId ? { target: options.targetId } : {}),
      },
      {
        resolvedAt: new Date(),
        willRetry: false,
        closedReason: SUBJECT_DELETED,
        ...(options.lastEventSeq ? { lastEventSeq: options.lastEventSeq } : {}),
      },
    );
  }
  return closed;
}
