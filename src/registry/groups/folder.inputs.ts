import { IsDefined, IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsFreeText, IsNameSegment, NotNullWhenGiven } from '../../common/validation';

/**
 * type-graphql validates with skipMissingProperties, which skips every validator on a null value
 * except IsDefined; this keeps NotNullWhenGiven's promise that null is rejected.
 */
const REQUIRED_WHEN_GIVEN = { message: '$property cannot be null; leave it out to keep the current value' };

@InputType({ description: 'All given criteria must match.' })
export class FolderFilter {
  @Field(() => ID, {
    nullable: true,
    description: 'Folders directly in this folder; null for the top-level folders; left out for all.',
  })
  @IsOptional()
  @IsUUID()
  parentId?: string | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive part of the full name.' })
  @IsOptional()
  @IsFreeText(1024)
  search?: string | null;
}

@InputType()
export class CreateFolderInput {
  @Field(() => ID)
  @IsUUID()
  organizationId: string;

  @Field(() => ID, { nullable: true, description: 'Left out or null: a top-level folder.' })
  @IsOptional()
  @IsUUID()
  parentId?: string | null;

  @Field({ description: 'One name segment: no ":".' })
  @IsNameSegment()
  name: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;
}

@InputType()
export class UpdateFolderInput {
  @Field({ nullable: true, description: 'Renames the folder; the full names of everything below follow.' })
  @NotNullWhenGiven()
  @IsDefined(REQUIRED_WHEN_GIVEN)
  @IsNameSegment()
  name?: string;

  @Field(() => ID, {
    nullable: true,
    description: 'Moves the folder (null: to the top level); the full names of everything below follow.',
  })
  @IsOptional()
  @IsUUID()
  parentId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;
}
