import { IsEnum, IsOptional, IsUrl, IsUUID, Matches, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsFreeText, IsLabel, NotNullWhenGiven } from '../../common/validation';
import { RecordStatus } from '../enums';

/** RFC 3986 absolute URI: entitlements are often URNs (urn:mace:...), not only URLs. */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s\p{Cc}]+$/u;
const HTTP_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
/** Short labels become LDAP attribute options, which allow only these characters. */
const ATTRIBUTE_OPTION = /^[A-Za-z0-9-]+$/;

@InputType({ description: 'All given criteria must match.' })
export class ServiceFilter {
  @Field(() => RecordStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus | null;

  @Field(() => ID, { nullable: true, description: 'Services whose entitlement goes to this group.' })
  @IsOptional()
  @IsUUID()
  groupId?: string | null;
}

@InputType()
export class CreateServiceInput {
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

  @Field(() => String, { nullable: true, description: 'Letters, digits and "-" (an LDAP attribute option).' })
  @IsOptional()
  @IsLabel(64)
  @Matches(ATTRIBUTE_OPTION, { message: '$property may contain only letters, digits and "-"' })
  shortLabel?: string | null;

  @Field(() => String, { nullable: true, description: 'An absolute URI, e.g. urn:mace:example.org:wiki.' })
  @IsOptional()
  @MaxLength(1024)
  @Matches(ABSOLUTE_URI, { message: '$property must be an absolute URI such as urn:mace:example.org:service' })
  entitlementUri?: string | null;

  @Field(() => String, { nullable: true, description: 'An http(s) URL.' })
  @IsOptional()
  @MaxLength(2048)
  @IsUrl(HTTP_URL, { message: '$property must be an http or https URL' })
  serviceUrl?: string | null;

  @Field(() => ID, { nullable: true, description: 'A group of the same organisation; none means everyone.' })
  @IsOptional()
  @IsUUID()
  groupId?: string | null;

  @Field(() => RecordStatus, { nullable: true })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus;
}

@InputType()
export class UpdateServiceInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel()
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText()
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Letters, digits and "-" (an LDAP attribute option).' })
  @IsOptional()
  @IsLabel(64)
  @Matches(ATTRIBUTE_OPTION, { message: '$property may contain only letters, digits and "-"' })
  shortLabel?: string | null;

  @Field(() => String, { nullable: true, description: 'An absolute URI, e.g. urn:mace:example.org:wiki.' })
  @IsOptional()
  @MaxLength(1024)
  @Matches(ABSOLUTE_URI, { message: '$property must be an absolute URI such as urn:mace:example.org:service' })
  entitlementUri?: string | null;

  @Field(() => String, { nullable: true, description: 'An http(s) URL.' })
  @IsOptional()
  @MaxLength(2048)
  @IsUrl(HTTP_URL, { message: '$property must be an http or https URL' })
  serviceUrl?: string | null;

  @Field(() => ID, { nullable: true, description: 'null makes the entitlement go to everyone.' })
  @IsOptional()
  @IsUUID()
  groupId?: string | null;

  @Field(() => RecordStatus, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(RecordStatus)
  status?: RecordStatus;
}
