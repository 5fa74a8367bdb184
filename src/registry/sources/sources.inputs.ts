import { IsDate, IsEnum, IsOptional, IsUUID } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsFreeText, IsLabel, NotNullWhenGiven } from '../../common/validation';
import { RecordStatus } from '../enums';

@InputType()
export class OrgIdentitySourceFilter {
  @Field(() => RecordStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus | null;
}

@InputType()
export class CreateOrgIdentitySourceInput {
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

  @Field({ description: 'Kind of source, e.g. ldap, sql, orcid, env.' })
  @IsLabel(64)
  kind: string;

  @Field(() => RecordStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus;
}

@InputType()
export class UpdateOrgIdentitySourceInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel()
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;

  @Field({ nullable: true, description: 'Kind of source, e.g. ldap, sql, orcid, env.' })
  @NotNullWhenGiven()
  @IsLabel(64)
  kind?: string;

  @Field(() => RecordStatus, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(RecordStatus)
  status?: RecordStatus;
}

@InputType({ description: 'All given criteria must match.' })
export class OrgIdentityLinkFilter {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  personId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  sourceId?: string | null;
}

@InputType()
export class LinkOrgIdentityInput {
  @Field(() => ID)
  @IsUUID()
  personId: string;

  @Field(() => ID, { description: 'A source of the same organisation as the person.' })
  @IsUUID()
  sourceId: string;

  @Field({ description: "The record's key in the source system; unique per source." })
  @IsLabel(512)
  sourceKey: string;

  @Field(() => Date, { nullable: true })
  @IsOptional()
  @IsDate()
  validFrom?: Date | null;

  @Field(() => Date, { nullable: true })
  @IsOptional()
  @IsDate()
  validThrough?: Date | null;
}

@InputType()
export class UpdateOrgIdentityLinkInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel(512)
  sourceKey?: string;

  @Field(() => Date, { nullable: true })
  @IsOptional()
  @IsDate()
  validFrom?: Date | null;

  @Field(() => Date, { nullable: true })
  @IsOptional()
  @IsDate()
  validThrough?: Date | null;
}
