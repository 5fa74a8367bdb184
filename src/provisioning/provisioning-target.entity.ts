import { Entity, Enum, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { OrgScopedEntity } from '../common/base-entity';
import type { Group } from '../registry/groups/group.entity';
import type { OrgIdentitySource } from '../registry/sources/org-identity-source.entity';
import { ProvisioningMode } from './actions';
import { EncryptedJsonType } from '../security/encrypted-json.type';
import type { DataFilter } from '../data-filters/filters';
import { Node } from '../common/node';
import { ChangeLogged } from '../changelog/change-logged';

export enum GroupSelection {
  /** Every group of the organisation (subject to the provisioning group). */
  ALL_GROUPS = 'ALL_GROUPS',
  /** Only the groups the folder rules make provisionable on this target (the Grouper model). */
  FOLDER_RULES = 'FOLDER_RULES',
}
registerEnumType(GroupSelection, { name: 'GroupSelection' });

/** A downstream service Ferry provisions into, with its plugin configuration. */
@ObjectType({ implements: Node })
@Entity()
@Unique({ properties: ['organization', 'name'] })
@ChangeLogged()
export class ProvisioningTarget extends OrgScopedEntity {
  @Field()
  @Property({ type: 'string', length: 128 })
  name: string;

  @Field({ description: 'Plugin name, e.g. "ldap". Cannot change after creation.' })
  @Property({ type: 'string', length: 32 })
  plugin: string;

  /** Validated plugin configuration without its secrets. */
  @Property({ type: 'jsonb' })
  config: Record<string, unknown> = {};

  /** The plugin's secret configuration values: write-only through the API, encrypted at rest (AES-256-GCM). */
  @Property({ type: EncryptedJsonType, hidden: true, lazy: true })
  secrets: Record<string, string> = {};

  @Field(() => ProvisioningMode)
  @Enum({ items: () => ProvisioningMode, nativeEnumName: 'provisioning_mode' })
  mode: ProvisioningMode = ProvisioningMode.AUTOMATIC;

  @Field(() => Int, { description: 'Targets run in ascending order (descending for deletes).' })
  @Property({ type: 'integer' })
  order: number;

  @ManyToOne({ entity: 'Group', ref: true, nullable: true, deleteRule: 'restrict' })
  provisioningGroup: Ref<Group> | null = null;

  @Field(() => ID, { nullable: true, description: 'Only members of this group are provisioned (others are deleted).' })
  get provisioningGroupId(): string | null {
    return this.provisioningGroup?.id ?? null;
  }

  @ManyToOne({ entity: 'OrgIdentitySource', ref: true, nullable: true, deleteRule: 'set null' })
  skipIfFromSource: Ref<OrgIdentitySource> | null = null;

  @Field(() => ID, { nullable: true, description: 'People linked to this identity source are not provisioned (deleted).' })
  get skipIfFromSourceId(): string | null {
    return this.skipIfFromSource?.id ?? null;
  }

  @Field(() => Int, { description: 'Seconds between retries of queued work; 0 never retries.' })
  @Property({ type: 'integer' })
  retryIntervalSeconds: number = 900;

  @Field(() => Int, { description: 'How many times a transiently failed attempt is retried (0: never); attempts in all are 1 + maxRetries.' })
  @Property({ type: 'integer' })
  maxRetries: number = 3;

  @Field(() => Int, {
    nullable: true,
    description: "How many subjects Ferry provisions on this target at once (its lane's concurrency); null: the plugin's default (LDAP 8, SCIM 4, webhook 4). Calls for one subject never overlap.",
  })
  @Property({ type: 'integer', nullable: true })
  concurrency: number | null = null;

  @Field(() => GroupSelection, { description: 'Which groups the target takes.' })
  @Enum({ items: () => GroupSelection, nativeEnumName: 'group_selection' })
  groupSelection: GroupSelection = GroupSelection.ALL_GROUPS;

  @Field({ description: 'Folder rules: folders provision policy groups only (a folder may override this if allowed).' })
  @Property({ type: 'boolean' })
  onlyPolicyGroups: boolean = false;

  @Field(() => String, { nullable: true, description: 'Folder rules: e.g. "groupExtension not matches .*_excludes"; inherited groups must pass it.' })
  @Property({ type: 'string', length: 1024, nullable: true })
  provisionableRegex: string | null = null;

  @Field({ description: 'Whether a folder may override onlyPolicyGroups.' })
  @Property({ type: 'boolean' })
  allowPolicyGroupOverride: boolean = true;

  @Field({ description: 'Whether a folder may override provisionableRegex.' })
  @Property({ type: 'boolean' })
  allowRegexOverride: boolean = true;

  /** Data filters, in order (validated by dataFiltersSchema); exposed through the target resolver. */
  @Property({ type: 'jsonb', defaultRaw: `'[]'` })
  dataFilters: DataFilter[] = [];

  @Field({ description: 'Folder rules: leave groups that stop being provisionable on the target (deleting a group still removes it).' })
  @Property({ type: 'boolean' })
  keepUnprovisionableGroups: boolean = false;

  @Field(() => Int, { description: 'A reconciliation that would delete more than this share (percent) of the objects on the target stops unless confirmed.' })
  @Property({ type: 'integer', default: 20 })
  deletionThresholdPercent: number = 20;

  @Field({ description: 'Whether reconciliation removes objects in the managed scope that no subject accounts for (otherwise they are reported).' })
  @Property({ type: 'boolean', default: false })
  reconcileDeletesOrphans: boolean = false;

  @Field(() => String, { nullable: true, description: 'Cron expression (UTC) of scheduled reconciliations that apply fixes, e.g. "0 3 * * *".' })
  @Property({ type: 'string', length: 128, nullable: true })
  reconcileSchedule: string | null = null;
}
