import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProvisioningAction as A, ProvisioningMode as M, SubjectType } from '../../src/provisioning/actions';
import { route, type RoutingTarget } from '../../src/provisioning/dispatch/router';
import type { WorkItem } from '../../src/provisioning/planner';

/** The dispatcher's routing, without PostgreSQL: which targets, in which walk, in which phase. */
describe('routing planned work to targets', () => {
  const targets: RoutingTarget[] = [
    { id: 't3', organizationId: 'o1', mode: M.QUEUE, order: 3 },
    { id: 't1', organizationId: 'o1', mode: M.AUTOMATIC, order: 1 },
    { id: 't2', organizationId: 'o1', mode: M.QUEUE_ON_ERROR, order: 2 },
    { id: 'manual', organizationId: 'o1', mode: M.MANUAL, order: 0 },
    { id: 'enrol', organizationId: 'o1', mode: M.ENROLLMENT, order: 4 },
    { id: 'elsewhere', organizationId: 'o2', mode: M.AUTOMATIC, order: 1 },
  ];
  const item = (subjectType: SubjectType, subjectId: string, action: A, extra: Partial<WorkItem> = {}): WorkItem => ({
    subjectType,
    subjectId,
    organizationId: 'o1',
    action,
    changeSeq: '7',
    ...extra,
  });
  const walk = (rows: ReturnType<typeof route>, subjectId: string) =>
    rows.filter((row) => row.subjectId === subjectId).sort((a, b) => a.rank - b.rank).map((row) => row.targetId);

  it('sends a change to the automatic targets of its organisation, in ascending order', () => {
    const rows = route('c7', [item(SubjectType.PERSON, 'p', A.PERSON_UPDATED)], targets, new Map([['p', 'ACTIVE']]));
    assert.deepEqual(walk(rows, 'p'), ['t1', 't2', 't3']);
    assert.ok(rows.every((row) => row.changeKey === 'c7' && row.changeSeq === '7' && row.phase === 0));
  });

  it('walks the targets backwards for deletes and for people and groups on their way out', () => {
    const status = new Map([
      ['gone', 'PENDING'],
      ['staying', 'GRACE_PERIOD'],
      ['g', 'SUSPENDED'],
    ]);
    const rows = route(
      'c7',
      [
        item(SubjectType.PERSON, 'deleted', A.PERSON_DELETED, { snapshot: { subjectType: 'PERSON', id: 'deleted', status: 'DELETED' } as never }),
        item(SubjectType.PERSON, 'gone', A.PERSON_UPDATED),
        item(SubjectType.PERSON, 'staying', A.PERSON_UPDATED),
        item(SubjectType.GROUP, 'g', A.GROUP_UPDATED),
      ],
      targets,
      status,
    );
    assert.deepEqual(walk(rows, 'deleted'), ['t3', 't2', 't1']);
    assert.deepEqual(walk(rows, 'gone'), ['t3', 't2', 't1']);
    assert.deepEqual(walk(rows, 'staying'), ['t1', 't2', 't3']);
    assert.deepEqual(walk(rows, 'g'), ['t3', 't2', 't1']);
    assert.equal(rows.find((row) => row.subjectId === 'deleted')!.snapshot!.id, 'deleted', 'a delete carries its snapshot');
  });

  it('puts the people and the groups of a change in phases, in plan order', () => {
    const rows = route(
      'c7',
      [item(SubjectType.GROUP, 'g', A.GROUP_UPDATED), item(SubjectType.PERSON, 'a', A.PERSON_UPDATED), item(SubjectType.PERSON, 'b', A.PERSON_UPDATED)],
      targets,
      new Map(),
    );
    assert.deepEqual(
      [...new Set(rows.map((row) => `${row.subjectId}:${row.phase}`))],
      ['g:0', 'a:1', 'b:1'],
    );
  });

  it('adds Enrollment targets for a finished enrollment, and keeps to the targets an item names', () => {
    const enrolled = route('c7', [item(SubjectType.PERSON, 'p', A.PERSON_ENROLLMENT_FINISHED, { enrollment: true })], targets, new Map());
    assert.deepEqual(walk(enrolled, 'p'), ['t1', 't2', 't3', 'enrol']);
    const flipped = route('c7', [item(SubjectType.GROUP, 'g', A.GROUP_UPDATED, { targetIds: ['t2'] })], targets, new Map());
    assert.deepEqual(walk(flipped, 'g'), ['t2']);
    assert.deepEqual(route('c7', [item(SubjectType.PERSON, 'p', A.PERSON_UPDATED, { organizationId: 'o3' })], targets, new Map()), [], 'no target, no row');
  });
});
