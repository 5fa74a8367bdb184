import { ArrayMaxSize, IsArray, IsBoolean, IsEnum, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';
import { IsLabel, NotNullWhenGiven } from '../common/validation';
import { ProvisioningMode } from './actions';
import { GroupSelection } from './provisioning-target.entity';
import { DataFilterSpec } from '../data-filters/data-filter.types';

/** A week: a longer pause would leave a target silently out of date. */
export const MAX_RETRY_INTERVAL_SECONDS = 7 * 24 * 3600;
export const MAX_RETRIES = 100;
export const MAX_CONCURRENCY = 64;
export const MAX_ORDER = 1_000_000;

@InputType()
export class ProvisioningTargetFilter {
  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  plugin?: string;

  @Field(() => ProvisioningMode, { nullable: true })
  @IsOptional()
  @IsEnum(ProvisioningMode)
  mode?: ProvisioningMode;
}

@InputType()
export class CreateProvisioningTargetInput {
  @Field(() => ID)
  @IsUUID()
  organizationId: string;

  @Field()
  @IsLabel()
  name: string;

  @Field({ description: 'The plugin, e.g. "ldap" (see provisioningPlugins). Cannot change later.' })
  @IsString()
  @Length(1, 32)
  plugin: string;

  @Field(() => GraphQLJSONObject, { description: "The plugin's configuration, secrets included." })
  @IsObject()
  config: Record<string, unknown>;

  @Field(() => ProvisioningMode, { nullable: true, description: 'AUTOMATIC when left out.' })
  @IsOptional()
  @IsEnum(ProvisioningMode)
  mode?: ProvisioningMode;

  @Field(() => Int, { nullable: true, description: 'After every other target of the organisation when left out.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ORDER)
  order?: number;

  @Field(() => ID, { nullable: true, description: 'Only members and owners of this group are provisioned (the others get a delete); everyone when left out.' })
  @IsOptional()
  @IsUUID()
  provisioningGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: 'People linked to this identity source are not provisioned here (they get a delete); none when left out.' })
  @IsOptional()
  @IsUUID()
  skipIfFromSourceId?: string | null;

  @Field(() => Int, { nullable: true, description: '900 when left out; 0 never retries.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_RETRY_INTERVAL_SECONDS)
  retryIntervalSeconds?: number;

  @Field(() => Int, { nullable: true, description: '3 when left out.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_RETRIES)
  maxRetries?: number;

  @Field(() => Int, { nullable: true, description: "Subjects provisioned at once on this target (1-64); the plugin's default when left out." })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_CONCURRENCY)
  concurrency?: number | null;

  @Field(() => GroupSelection, { nullable: true, description: 'ALL_GROUPS when left out; FOLDER_RULES takes the groups the folder rules make provisionable.' })
  @IsOptional()
  @IsEnum(GroupSelection)
  groupSelection?: GroupSelection;

  @Field(() => Boolean, { nullable: true, description: 'Folder rules: provision policy groups only (false when left out).' })
  @IsOptional()
  @IsBoolean()
  onlyPolicyGroups?: boolean;

  @Field(() => String, { nullable: true, description: 'Folder rules: inherited groups must pass it. Grammar: "<groupExtension|groupName|folderExtension|folderName> <matches|not matches> <regex>" (whole-value match; RE2 syntax: no backreferences or lookaround).' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  provisionableRegex?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether folders may override onlyPolicyGroups (true when left out).' })
  @IsOptional()
  @IsBoolean()
  allowPolicyGroupOverride?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Whether folders may override provisionableRegex (true when left out).' })
  @IsOptional()
  @IsBoolean()
  allowRegexOverride?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Folder rules: leave groups that stop being provisionable on the target (false when left out).' })
  @IsOptional()
  @IsBoolean()
  keepUnprovisionableGroups?: boolean;

  @Field(() => [DataFilterSpec], { nullable: true, description: 'Data filters, applied in this order (none when left out).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  dataFilters?: DataFilterSpec[];

  @Field(() => Int, { nullable: true, description: 'Percent of the objects on the target a reconciliation may delete without confirmation (20 when left out).' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  deletionThresholdPercent?: number;

  @Field(() => Boolean, { nullable: true, description: 'Whether reconciliation removes orphans in the managed scope (false when left out).' })
  @IsOptional()
  @IsBoolean()
  reconcileDeletesOrphans?: boolean;

  @Field(() => String, { nullable: true, description: 'Cron expression (UTC) of scheduled reconciliations, e.g. "0 3 * * *"; null: none.' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  reconcileSchedule?: string | null;
}

/** There is deliberately no `plugin`: a target's plugin cannot change (its config would not fit). */
@InputType()
export class UpdateProvisioningTargetInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel()
  name?: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description:
      'Merged into the stored configuration by top-level key: a key left out keeps its value (secrets included), ' +
      'a key set to null is cleared, a nested object given replaces the stored one.',
  })
  @NotNullWhenGiven()
  @IsObject()
  config?: Record<string, unknown>;

  @Field(() => ProvisioningMode, { nullable: true, description: 'How the target takes its work (see ProvisioningMode).' })
  @NotNullWhenGiven()
  @IsEnum(ProvisioningMode)
  mode?: ProvisioningMode;

  @Field(() => Int, { nullable: true, description: 'Where the target runs among the organisation\'s targets (lower first).' })
  @NotNullWhenGiven()
  @IsInt()
  @Min(0)
  @Max(MAX_ORDER)
  order?: number;

  @Field(() => ID, { nullable: true, description: 'null provisions everyone again.' })
  @IsOptional()
  @IsUUID()
  provisioningGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: 'null stops skipping.' })
  @IsOptional()
  @IsUUID()
  skipIfFromSourceId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Seconds before the first retry; 0 never retries.' })
  @NotNullWhenGiven()
  @IsInt()
  @Min(0)
  @Max(MAX_RETRY_INTERVAL_SECONDS)
  retryIntervalSeconds?: number;

  @Field(() => Int, { nullable: true, description: 'Retries of failed work before it ends FAILED.' })
  @NotNullWhenGiven()
  @IsInt()
  @Min(0)
  @Max(MAX_RETRIES)
  maxRetries?: number;

  @Field(() => Int, { nullable: true, description: "Subjects provisioned at once on this target (1-64); null: the plugin's default." })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_CONCURRENCY)
  concurrency?: number | null;

  @Field(() => GroupSelection, { nullable: true, description: 'FOLDER_RULES takes the groups the folder rules make provisionable.' })
  @NotNullWhenGiven()
  @IsEnum(GroupSelection)
  groupSelection?: GroupSelection;

  @Field(() => Boolean, { nullable: true, description: 'Folder rules: provision policy groups only .' })
  @NotNullWhenGiven()
  @IsBoolean()
  onlyPolicyGroups?: boolean;

  @Field(() => String, { nullable: true, description: 'Folder rules: inherited groups must pass it. Grammar: "<groupExtension|groupName|folderExtension|folderName> <matches|not matches> <regex>" (whole-value match; RE2 syntax: no backreferences or lookaround).' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  provisionableRegex?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether folders may override onlyPolicyGroups .' })
  @NotNullWhenGiven()
  @IsBoolean()
  allowPolicyGroupOverride?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Whether folders may override provisionableRegex .' })
  @NotNullWhenGiven()
  @IsBoolean()
  allowRegexOverride?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Folder rules: leave groups that stop being provisionable on the target .' })
  @NotNullWhenGiven()
  @IsBoolean()
  keepUnprovisionableGroups?: boolean;

  @Field(() => [DataFilterSpec], { nullable: true, description: 'Data filters, applied in this order (replaces the list).' })
  @NotNullWhenGiven()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  dataFilters?: DataFilterSpec[];

  @Field(() => Int, { nullable: true, description: 'Percent of the objects on the target a reconciliation may delete without confirmation.' })
  @NotNullWhenGiven()
  @IsInt()
  @Min(0)
  @Max(100)
  deletionThresholdPercent?: number;

  @Field(() => Boolean, { nullable: true, description: 'Whether reconciliation removes orphans in the managed scope.' })
  @NotNullWhenGiven()
  @IsBoolean()
  reconcileDeletesOrphans?: boolean;

  @Field(() => String, { nullable: true, description: 'Cron expression (UTC) of scheduled reconciliations, e.g. "0 3 * * *"; null: none.' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  reconcileSchedule?: string | null;
}
