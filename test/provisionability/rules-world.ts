import assert from 'node:assert/strict';
import {
  CreateFolderDocument,
  CreateGroupDocument,
  CreateProvisioningTargetDocument,
  ProvisionableDocument,
  ProvisionableGroupsDocument,
  ProvisioningJobDocument,
  RecalculateProvisionabilityDocument,
  SetFolderProvisioningDocument,
  SetGroupProvisioningDocument,
  UpdateProvisioningTargetDocument,
  type FolderScope,
  type GroupSelection,
  type ProvisioningMode,
  type ProvisionableGroupsQuery,
} from '../../src/client/generated/graphql';
import type { GraphQLTestClient } from '../support/client';
import { createOrganization, uniqueName } from '../support/fixtures';
import type { TestFerry } from '../support/ferry';

export interface FolderMark {
  provision: boolean;
  scope: FolderScope;
  metadata?: Record<string, unknown> | null;
  onlyPolicyGroups?: boolean | null;
  provisionableRegex?: string | null;
}

/** An organisation with a folder tree built from group names, and helpers to mark and ask. */
export class RulesWorld {
  readonly folders = new Map<string, string>();
  readonly groups = new Map<string, string>();

  private constructor(
    readonly admin: GraphQLTestClient,
    readonly organizationId: string,
  ) {}

  static async create(t: TestFerry, groupNames: string[] = [], policyGroups: string[] = []): Promise<RulesWorld> {
    const organization = await createOrganization(t.admin);
    const world = new RulesWorld(t.admin, organization.id);
    for (const name of groupNames) await world.group(name, policyGroups.includes(name));
    return world;
  }

  async folder(path: string): Promise<string> {
    const known = this.folders.get(path);
    if (known) return known;
    const at = path.lastIndexOf(':');
    const parentId = at < 0 ? null : await this.folder(path.slice(0, at));
    const created = await this.admin.ok(CreateFolderDocument, { input: { organizationId: this.organizationId, name: path.slice(at + 1), parentId } });
    this.folders.set(path, created.createFolder.folder.id);
    return created.createFolder.folder.id;
  }

  async group(fullName: string, policy = false): Promise<string> {
    const at = fullName.lastIndexOf(':');
    const folderId = await this.folder(fullName.slice(0, at));
    const created = await this.admin.ok(CreateGroupDocument, { input: { folderId, name: fullName.slice(at + 1), policy } });
    this.groups.set(fullName, created.createGroup.group.id);
    return created.createGroup.group.id;
  }

  async target(
    options: { selection?: GroupSelection; mode?: ProvisioningMode; plugin?: string; config?: Record<string, unknown> } & Record<string, unknown> = {},
  ): Promise<string> {
    const { selection = 'FOLDER_RULES', mode = 'MANUAL', plugin = 'recorder', config = {}, ...settings } = options;
    const created = await this.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId: this.organizationId, name: uniqueName('rules'), plugin, mode, config, groupSelection: selection, ...settings },
    });
    return created.createProvisioningTarget.target.id;
  }

  async markFolder(targetId: string, path: string, mark: FolderMark) {
    return this.admin.ok(SetFolderProvisioningDocument, { input: { targetId, folderId: await this.folder(path), ...mark } });
  }

  async markGroup(targetId: string, fullName: string, provision: boolean, metadata?: Record<string, unknown>) {
    return this.admin.ok(SetGroupProvisioningDocument, { input: { targetId, groupId: this.groups.get(fullName)!, provision, metadata } });
  }

  /** The stored answers: names of the groups provisionable on the target, sorted. */
  async provisionableNames(targetId: string): Promise<string[]> {
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const result: ProvisionableGroupsQuery = await this.admin.ok(ProvisionableGroupsDocument, { targetId, first: 500, after });
      const page = result.provisionableGroups;
      names.push(...page.nodes.map((row) => row.groupName));
      if (!page.pageInfo.hasNextPage) return names.sort();
      after = page.pageInfo.endCursor ?? null;
    }
  }

  async decision(fullName: string, targetId: string) {
    return (await this.admin.ok(ProvisionableDocument, { groupId: this.groups.get(fullName)!, targetId })).provisionable;
  }

  /** Runs the on-demand full recalculation and waits for it; returns the finished job. */
  async fullRecalculation(targetId: string) {
    const started = (await this.admin.ok(RecalculateProvisionabilityDocument, { targetId })).recalculateProvisionability;
    const deadline = Date.now() + 30000;
    for (;;) {
      const job = (await this.admin.ok(ProvisioningJobDocument, { id: started.id })).provisioningJob;
      if (job.state === 'COMPLETED') return job;
      assert.notEqual(job.state, 'FAILED', `the recalculation failed: ${job.failReason}`);
      if (Date.now() > deadline) assert.fail('the full recalculation did not finish');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * The check every rule gets: the marks applied to a folder-rules target as they come
   * (incremental recalculation), and to a target that switches to folder rules afterwards (a full
   * recalculation) give the expected groups; an on-demand full recalculation then changes nothing.
   * Returns the incremental target.
   */
  async expectProvisionable(marks: (targetId: string) => Promise<void>, expected: string[], settings: Record<string, unknown> = {}): Promise<string> {
    const incremental = await this.target(settings);
    await marks(incremental);
    const full = await this.target({ ...settings, selection: 'ALL_GROUPS' });
    await marks(full);
    await this.admin.ok(UpdateProvisioningTargetDocument, { id: full, input: { groupSelection: 'FOLDER_RULES' } });
    assert.deepEqual(await this.provisionableNames(incremental), [...expected].sort(), 'incremental recalculation');
    assert.deepEqual(await this.provisionableNames(full), [...expected].sort(), 'full recalculation');
    const job = await this.fullRecalculation(incremental);
    assert.equal(job.details.flipped, 0, 'a full recalculation after the incremental ones flips nothing');
    assert.deepEqual(await this.provisionableNames(incremental), [...expected].sort());
    return incremental;
  }
}
