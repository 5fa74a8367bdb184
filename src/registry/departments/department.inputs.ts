import { IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsFreeText, IsLabel, NotNullWhenGiven } from '../../common/validation';

@InputType({ description: 'All given criteria must match.' })
export class DepartmentFilter {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  couId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(64)
  kind?: string | null;
}

@InputType()
export class CreateDepartmentInput {
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

  @Field(() => String, { nullable: true, description: 'Kind of department, e.g. research-institute.' })
  @IsOptional()
  @IsLabel(64)
  kind?: string | null;

  @Field(() => ID, { nullable: true, description: 'A unit of the same organisation.' })
  @IsOptional()
  @IsUUID()
  couId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation.' })
  @IsOptional()
  @IsUUID()
  leadershipGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation.' })
  @IsOptional()
  @IsUUID()
  administrativeGroupId?: string | null;
}

@InputType()
export class UpdateDepartmentInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel()
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Kind of department, e.g. research-institute.' })
  @IsOptional()
  @IsLabel(64)
  kind?: string | null;

  @Field(() => ID, { nullable: true, description: 'A unit of the same organisation.' })
  @IsOptional()
  @IsUUID()
  couId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation.' })
  @IsOptional()
  @IsUUID()
  leadershipGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation.' })
  @IsOptional()
  @IsUUID()
  administrativeGroupId?: string | null;
}
