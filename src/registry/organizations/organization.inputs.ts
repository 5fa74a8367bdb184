import { IsEnum, IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsFreeText, IsLabel, NotNullWhenGiven } from '../../common/validation';
import { RecordStatus } from '../enums';

@InputType()
export class CreateOrganizationInput {
  @Field()
  @IsLabel()
  name: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;

  @Field(() => RecordStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus;
}

@InputType()
export class UpdateOrganizationInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel()
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;

  @Field(() => RecordStatus, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(RecordStatus)
  status?: RecordStatus;
}

@InputType()
export class CreateCouInput {
  @Field(() => ID)
  @IsUUID()
  organizationId: string;

  @Field()
  @IsLabel()
  name: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;

  @Field(() => ID, { nullable: true, description: 'The parent unit, of the same organisation; left out or null: a top-level unit.' })
  @IsOptional()
  @IsUUID()
  parentId?: string | null;
}

@InputType()
export class UpdateCouInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel()
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;

  @Field(() => ID, { nullable: true, description: 'null makes it a top-level unit.' })
  @IsOptional()
  @IsUUID()
  parentId?: string | null;
}
