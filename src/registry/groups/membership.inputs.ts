import { IsBoolean, IsDate, IsDefined, IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { NotNullWhenGiven } from '../../common/validation';

/**
 * type-graphql validates with skipMissingProperties, which skips every validator on a null value
 * except IsDefined; this keeps NotNullWhenGiven's promise that null is rejected.
 */
const REQUIRED_WHEN_GIVEN = { message: '$property cannot be null; leave it out to keep the current value' };

@InputType()
export class AddGroupMemberInput {
  @Field(() => ID)
  @IsUUID()
  groupId: string;

  @Field(() => ID, { description: 'A person of the group\'s organisation.' })
  @IsUUID()
  personId: string;

  @Field({ defaultValue: true })
  @IsBoolean()
  member: boolean = true;

  @Field({ defaultValue: false })
  @IsBoolean()
  owner: boolean = false;

  @Field(() => Date, { nullable: true, description: 'Not a member before this time; left out: no lower bound.' })
  @IsOptional()
  @IsDate()
  validFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Not a member after this time; left out: no upper bound.' })
  @IsOptional()
  @IsDate()
  validThrough?: Date | null;
}

@InputType()
export class UpdateGroupMembershipInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsDefined(REQUIRED_WHEN_GIVEN)
  @IsBoolean()
  member?: boolean;

  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsDefined(REQUIRED_WHEN_GIVEN)
  @IsBoolean()
  owner?: boolean;

  @Field(() => Date, { nullable: true, description: 'null removes the lower bound.' })
  @IsOptional()
  @IsDate()
  validFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'null removes the upper bound.' })
  @IsOptional()
  @IsDate()
  validThrough?: Date | null;
}

@InputType()
export class NestGroupInput {
  @Field(() => ID, { description: 'The group that receives the members.' })
  @IsUUID()
  groupId: string;

  @Field(() => ID, { description: 'The group whose members become members of groupId.' })
  @IsUUID()
  nestedGroupId: string;
}
