import { ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../auth/actor';
import type { JobsService } from '../provisioning/jobs.service';
import { badInput, forbidden, notFound } from '../common/errors';
import { paginate, type Page, type PageArgs } from '../common/pagination';
import { inWriteTransaction, type WriteResult } from '../db/transaction';
import type { JobInfo } from '../jobs/job-queue';
import { ProvisionedState } from '../provisioning/provisioned-state.entity';
import { GroupSelection, ProvisioningTarget } from '../provisioning/provisioning-target.entity';
import { Folder } from '../registry/groups/folder.entity';
import { Group } from '../registry/groups/group.entity';
import { findReadable, findWritable } from '../registry/records';
import { SubjectType } from '../provisioning/actions';
import type { FullRecalculation } from './full-recalculation';
import { GroupProvisionability } from './group-provisionability.entity';
import type { SetFolderProvisioningInput, SetGroupProvisioningInput } from './provisionability.inputs';
import { ProvisioningAssignment } from './provisioning-assignment.entity';
import type { ProvisionabilityEngine } from './provisionability.engine';
import { assertRegexExpression, type Decision } from './rules';

const MAX_METADATA_BYTES = 16 * 1024;

function assertMetadata(metadata: Record<string, unknown> | null | undefined): void {
  if (metadata && Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    throw badInput(`metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON.`, 'metadata');
  }
}

/** The folder-rules API: assignments, decisions, the stored answers and full recalculations. */
export class ProvisionabilityService {
  constructor(
    private readonly service: ProvisionabilityEngine,
    private readonly recalculation: () => FullRecalculation | null,
    private readonly jobs: JobsService,
  ) {}

  setFolder(actor: Actor, input: SetFolderProvisioningInput): Promise<WriteResult<ProvisioningAssignment>> {
    assertRegexExpression(input.provisionableRegex, 'provisionableRegex');
    assertMetadata(input.metadata);
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const target = await findWritable(em, actor.principal, ProvisioningTarget, input.targetId, 'ProvisioningTarget');
      const folder = await this.sameOrganization(actor, em, Folder, input.folderId, target);
      const assignment = (await em.findOne(ProvisioningAssignment, { target: target.id, folder: folder.id })) ?? this.create(em, target);
      assignment.folder = ref(folder);
      assignment.provision = input.provision;
      assignment.scope = input.scope;
      assignment.metadata = input.metadata ?? null;
      assignment.onlyPolicyGroups = input.onlyPolicyGroups ?? null;
      assignment.provisionableRegex = input.provisionableRegex ?? null;
      return assignment;
    });
  }

  setGroup(actor: Actor, input: SetGroupProvisioningInput): Promise<WriteResult<ProvisioningAssignment>> {
    assertMetadata(input.metadata);
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const target = await findWritable(em, actor.principal, ProvisioningTarget, input.targetId, 'ProvisioningTarget');
      const group = await this.sameOrganization(actor, em, Group, input.groupId, target);
      const assignment = (await em.findOne(ProvisioningAssignment, { target: target.id, group: group.id })) ?? this.create(em, target);
      assignment.group = ref(group);
      assignment.provision = input.provision;
      assignment.metadata = input.metadata ?? null;
      return assignment;
    });
  }

  /** Removes an assignment: a group falls back to its folders, a folder's groups to higher ones. */
  remove(actor: Actor, id: string): Promise<WriteResult<ProvisioningAssignment>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const assignment = await findWritable(em, actor.principal, ProvisioningAssignment, id, 'ProvisioningAssignment');
      em.remove(assignment);
      return assignment;
    });
  }

  async list(actor: Actor, targetId: string, page: PageArgs): Promise<Page<ProvisioningAssignment>> {
    const target = await findReadable(actor.em, actor.principal, ProvisioningTarget, targetId, 'ProvisioningTarget');
    return paginate(actor.em, ProvisioningAssignment, { target: target.id }, page);
  }

  /** The decision for a group on a target, computed now, with what decided it. */
  async decide(actor: Actor, groupId: string, targetId: string): Promise<{ decision: Decision; group: Group; target: ProvisioningTarget }> {
    const target = await findReadable(actor.em, actor.principal, ProvisioningTarget, targetId, 'ProvisioningTarget');
    const group = await this.sameOrganization(actor, actor.em, Group, groupId, target);
    return { decision: await this.service.decisionFor(actor.em, target, group), group, target };
  }

  /** The stored answers of a target, with whether each group is on the target now. */
  async provisionableGroups(actor: Actor, targetId: string, provisionable: boolean | null | undefined, page: PageArgs) {
    const target = await findReadable(actor.em, actor.principal, ProvisioningTarget, targetId, 'ProvisioningTarget');
    const result = await paginate(
      actor.em,
      GroupProvisionability,
      { targetId: target.id, ...(provisionable === null || provisionable === undefined ? {} : { provisionable }) },
      page,
    );
    const states = await actor.em.find(ProvisionedState, {
      target: target.id,
      subjectType: SubjectType.GROUP,
      subjectId: { $in: result.nodes.map((row) => row.groupId) },
      remoteId: { $ne: null },
    });
    const inTarget = new Set(states.map((state) => state.subjectId));
    return { ...result, nodes: result.nodes.map((row) => Object.assign(row, { inTarget: inTarget.has(row.groupId) })) };
  }

  async recalculate(actor: Actor, targetId: string): Promise<JobInfo> {
    const target = await findWritable(actor.em, actor.principal, ProvisioningTarget, targetId, 'ProvisioningTarget');
    if (target.groupSelection !== GroupSelection.FOLDER_RULES) {
      throw badInput(`Target ${target.name} takes all groups; set groupSelection to FOLDER_RULES to use folder rules.`, 'targetId');
    }
    const runner = this.recalculation();
    if (!runner) throw forbidden('This Ferry runs without a job queue.');
    const { jobId } = await runner.request(target);
    return this.jobs.get(actor, jobId);
  }

  private create(em: EntityManager, target: ProvisioningTarget): ProvisioningAssignment {
    const assignment = new ProvisioningAssignment();
    assignment.organization = target.organization;
    assignment.target = ref(target);
    em.persist(assignment);
    return assignment;
  }

  private async sameOrganization<T extends Folder | Group>(
    actor: Actor,
    em: EntityManager,
    entity: new () => T,
    id: string,
    target: ProvisioningTarget,
  ): Promise<T> {
    const record = await findReadable(em, actor.principal, entity, id);
    if (record.organization.id !== target.organization.id) throw notFound(entity.name, id);
    return record;
  }
}
