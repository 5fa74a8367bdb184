import { IsEnum, IsOptional, IsUrl, IsUUID, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsLabel, NotNullWhenGiven } from '../../common/validation';
import { RecordStatus } from '../enums';

const HTTP_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

@InputType({ description: 'All given criteria must match.' })
export class TermsAndConditionsFilter {
  @Field(() => RecordStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  couId?: string | null;
}

@InputType()
export class CreateTermsAndConditionsInput {
  @Field(() => ID)
  @IsUUID()
  organizationId: string;

  @Field()
  @IsLabel()
  name: string;

  @Field({ description: 'Where the text of the terms is published (http or https).' })
  @MaxLength(2048)
  @IsUrl(HTTP_URL, { message: '$property must be an http or https URL' })
  url: string;

  @Field(() => RecordStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus;

  @Field(() => ID, { nullable: true, description: 'A unit of the same organisation; none means everyone.' })
  @IsOptional()
  @IsUUID()
  couId?: string | null;
}

@InputType()
export class UpdateTermsAndConditionsInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel()
  name?: string;

  @Field({ nullable: true, description: 'Where the text of the terms is published (http or https).' })
  @NotNullWhenGiven()
  @MaxLength(2048)
  @IsUrl(HTTP_URL, { message: '$property must be an http or https URL' })
  url?: string;

  @Field(() => RecordStatus, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(RecordStatus)
  status?: RecordStatus;

  @Field(() => ID, { nullable: true, description: 'null makes the terms apply to everyone.' })
  @IsOptional()
  @IsUUID()
  couId?: string | null;
}

@InputType({ description: 'All given criteria must match.' })
export class TermsAgreementFilter {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  personId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  termsId?: string | null;
}

@InputType()
export class RecordTermsAgreementInput {
  @Field(() => ID)
  @IsUUID()
  personId: string;

  @Field(() => ID, { description: 'Active terms of the same organisation as the person.' })
  @IsUUID()
  termsId: string;
}
