import { IsEmail, IsEnum, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsFreeText, IsLabel, NotNullWhenGiven } from '../../common/validation';
import { RecordStatus } from '../enums';

const IsListAddress = () => (target: object, key: string | symbol) => {
  IsOptional()(target, key);
  IsString()(target, key);
  MaxLength(320)(target, key);
  IsEmail({}, { message: '$property must be an email address' })(target, key);
};

@InputType({ description: 'All given criteria must match.' })
export class EmailListFilter {
  @Field(() => RecordStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus | null;

  @Field(() => ID, { nullable: true, description: 'Lists using this group for members, admins or moderators.' })
  @IsOptional()
  @IsUUID()
  groupId?: string | null;
}

@InputType()
export class CreateEmailListInput {
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

  @Field(() => String, { nullable: true, description: "The list's own address, e.g. staff@lists.example.org." })
  @IsListAddress()
  address?: string | null;

  @Field(() => RecordStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation.' })
  @IsOptional()
  @IsUUID()
  membersGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation.' })
  @IsOptional()
  @IsUUID()
  adminsGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation.' })
  @IsOptional()
  @IsUUID()
  moderatorsGroupId?: string | null;
}

@InputType()
export class UpdateEmailListInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel()
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;

  @Field(() => String, { nullable: true, description: "The list's own address, e.g. staff@lists.example.org." })
  @IsListAddress()
  address?: string | null;

  @Field(() => RecordStatus, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(RecordStatus)
  status?: RecordStatus;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation.' })
  @IsOptional()
  @IsUUID()
  membersGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation.' })
  @IsOptional()
  @IsUUID()
  adminsGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation.' })
  @IsOptional()
  @IsUUID()
  moderatorsGroupId?: string | null;
}
