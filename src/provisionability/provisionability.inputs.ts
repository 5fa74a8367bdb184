import { IsBoolean, IsEnum, IsObject, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { PageArgs } from '../common/pagination';
import { FolderScope } from './rules';

const REGEX_HELP = 'Grammar: "<groupExtension|groupName|folderExtension|folderName> <matches|not matches> <regex>"; the regex must match the whole value and runs on RE2 (linear time; no backreferences or lookaround).';

@InputType()
export class SetFolderProvisioningInput {
  @Field(() => ID)
  @IsUUID()
  folderId: string;

  @Field(() => ID)
  @IsUUID()
  targetId: string;

  @Field({ description: 'true: provision the groups in scope; false: block them (the nearest folder decides).' })
  @IsBoolean()
  provision: boolean;

  @Field(() => FolderScope, { description: 'ONE: the direct child groups; SUB: every group below.' })
  @IsEnum(FolderScope)
  scope: FolderScope;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Inherited by the groups this folder provisions.' })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown> | null;

  @Field(() => Boolean, { nullable: true, description: "Overrides the target's onlyPolicyGroups (if the target allows); null: no override." })
  @IsOptional()
  @IsBoolean()
  onlyPolicyGroups?: boolean | null;

  @Field(() => String, { nullable: true, description: `Overrides the target's provisionableRegex (if the target allows). ${REGEX_HELP}` })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  provisionableRegex?: string | null;
}

@InputType()
export class SetGroupProvisioningInput {
  @Field(() => ID)
  @IsUUID()
  groupId: string;

  @Field(() => ID)
  @IsUUID()
  targetId: string;

  @Field({ description: 'Decides for this group whatever its folders say (no filters apply).' })
  @IsBoolean()
  provision: boolean;

  @Field(() => GraphQLJSONObject, { nullable: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown> | null;
}

@ArgsType()
export class AssignmentListArgs extends PageArgs {
  @Field(() => ID)
  @IsUUID()
  targetId: string;
}

@ArgsType()
export class ProvisionableGroupsArgs extends PageArgs {
  @Field(() => ID)
  @IsUUID()
  targetId: string;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'true: provisionable now; false: no longer; null: both.' })
  @IsOptional()
  @IsBoolean()
  provisionable?: boolean | null = true;
}

export { REGEX_HELP };
