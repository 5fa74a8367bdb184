import { IsDefined, IsEnum, IsOptional, IsUUID, IsBoolean } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsFreeText, IsNameSegment, NotNullWhenGiven } from '../../common/validation';
import { GroupType, RecordStatus } from '../enums';

/**
 * type-graphql validates with skipMissingProperties, which skips every validator on a null value
 * except IsDefined; this keeps NotNullWhenGiven's promise that null is rejected.
 */
const REQUIRED_WHEN_GIVEN = { message: '$property cannot be null; leave it out to keep the current value' };

@InputType({ description: 'All given criteria must match.' })
export class GroupFilter {
  @Field(() => ID, { nullable: true, description: 'Groups directly in this folder.' })
  @IsOptional()
  @IsUUID()
  folderId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only the groups at the root (no folder); false: only groups in a folder; left out: both.' })
  @IsOptional()
  @IsBoolean()
  topLevel?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive part of the full name.' })
  @IsOptional()
  @IsFreeText(1024)
  search?: string | null;

  @Field(() => GroupType, { nullable: true })
  @IsOptional()
  @IsEnum(GroupType)
  type?: GroupType | null;

  @Field(() => RecordStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Groups this person is currently a member of, directly or through a nested group.',
  })
  @IsOptional()
  @IsUUID()
  memberPersonId?: string | null;
}

@InputType({ description: 'folderId, or organizationId alone for a group at the root (COmanage\'s flat groups): its full name is then its name.' })
export class CreateGroupInput {
  @Field(() => ID, { nullable: true, description: 'The folder the group is created in; its organisation is the group\'s. Left out or null: the group is at the root of organizationId.' })
  @IsOptional()
  @IsUUID()
  folderId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Required for a group at the root; with folderId it must be the folder\'s organisation.' })
  @IsOptional()
  @IsUUID()
  organizationId?: string | null;

  @Field({ description: 'The extension, one name segment: no ":".' })
  @IsNameSegment()
  name: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;

  @Field(() => RecordStatus, { nullable: true, description: 'ACTIVE when left out.' })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus;

  @Field(() => Boolean, { nullable: true, description: 'Marks a policy group (false when left out).' })
  @IsOptional()
  @IsBoolean()
  policy?: boolean;
}

@InputType({ description: 'Automatic groups accept a description only.' })
export class UpdateGroupInput {
  @Field({ nullable: true, description: 'Renames the group; its full name follows.' })
  @NotNullWhenGiven()
  @IsDefined(REQUIRED_WHEN_GIVEN)
  @IsNameSegment()
  name?: string;

  @Field(() => ID, { nullable: true, description: 'Moves the group to another folder; its full name follows. To the root: moveToRoot.' })
  @NotNullWhenGiven()
  @IsDefined(REQUIRED_WHEN_GIVEN)
  @IsUUID()
  folderId?: string;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true moves the group out of its folder to the root, where its full name is its name (not with folderId).',
  })
  @IsOptional()
  @IsBoolean()
  moveToRoot?: boolean | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;

  @Field(() => RecordStatus, { nullable: true, description: 'While SUSPENDED, its members lose it on the targets.' })
  @NotNullWhenGiven()
  @IsDefined(REQUIRED_WHEN_GIVEN)
  @IsEnum(RecordStatus)
  status?: RecordStatus;

  @Field(() => Boolean, { nullable: true, description: 'Marks or unmarks a policy group.' })
  @NotNullWhenGiven()
  @IsBoolean()
  policy?: boolean;
}
