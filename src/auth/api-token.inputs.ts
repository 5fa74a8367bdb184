import { IsEnum, IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsLabel } from '../common/validation';
import { Role } from './api-token.entity';

@InputType()
export class CreateApiTokenInput {
  @Field()
  @IsLabel()
  name: string;

  @Field(() => Role)
  @IsEnum(Role)
  role: Role;

  @Field(() => ID, { nullable: true, description: 'Required for ORG_ADMIN and ORG_READER tokens.' })
  @IsOptional()
  @IsUUID()
  organizationId?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the token stops working (in the future); null: never.' })
  @IsOptional()
  expiresAt?: Date | null;
}
