import { IsEnum, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { SubjectType } from './actions';

@InputType()
export class ProvisionInput {
  @Field(() => ID)
  @IsUUID()
  targetId: string;

  @Field(() => SubjectType)
  @IsEnum(SubjectType)
  subjectType: SubjectType;

  @Field(() => ID)
  @IsUUID()
  subjectId: string;
}
