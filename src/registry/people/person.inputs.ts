import {
  ArrayMaxSize,
  IsBoolean,
  IsEmail,
  IsEnum,
  IsISO8601,
  IsOptional,
  IsString,
  IsTimeZone,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsFreeText, IsLabel, NotNullWhenGiven } from '../../common/validation';
import { EmailType, NameType, PersonStatus, RecordStatus, UrlType } from '../enums';

/** Open vocabulary like COmanage's extended types, but safe as an LDAP attribute or SCIM key. */
export const IDENTIFIER_TYPE = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

/** A BCP 47 language tag such as "en", "pt-BR" or "zh-Hant-TW". */
const LANGUAGE_TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

/** Nested inputs are bounded so one request cannot create an unbounded number of rows. */
const MAX_NESTED = 50;

export const IsCalendarDate = () => (target: object, key: string | symbol) => {
  Matches(/^\d{4}-\d{2}-\d{2}$/, { message: '$property must be a date written YYYY-MM-DD' })(target, key);
  IsISO8601({ strict: true, strictSeparator: true }, { message: '$property must be a valid calendar date' })(target, key);
};

export const IsLanguageTag = () => (target: object, key: string | symbol) => {
  IsString()(target, key);
  MaxLength(16)(target, key);
  Matches(LANGUAGE_TAG, { message: '$property must be a BCP 47 language tag such as "en" or "pt-BR"' })(target, key);
};

const IsIdentifierType = () => (target: object, key: string | symbol) => {
  IsString()(target, key);
  Matches(IDENTIFIER_TYPE, {
    message: '$property must start with a letter and contain only letters, digits, ".", "_" or "-" (at most 64 characters)',
  })(target, key);
};

const IsMail = () => (target: object, key: string | symbol) => {
  IsString()(target, key);
  MaxLength(320)(target, key);
  IsEmail({}, { message: '$property must be an email address' })(target, key);
};

// ---- Names -------------------------------------------------------------------------------------

@InputType({ description: 'A name of a person, as given when the person is created.' })
export class NameInput {
  @Field(() => NameType, { nullable: true, defaultValue: NameType.OFFICIAL })
  @IsOptional()
  @IsEnum(NameType)
  type?: NameType;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(64)
  honorific?: string | null;

  @Field()
  @IsLabel(128)
  given: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(128)
  middle?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(128)
  family?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(64)
  suffix?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLanguageTag()
  language?: string | null;

  @Field({ nullable: true, description: "Make this the person's primary name. The first name of a person always is." })
  @IsOptional()
  @IsBoolean()
  primary?: boolean;
}

@InputType()
export class AddNameInput extends NameInput {
  @Field(() => ID)
  @IsUUID()
  personId: string;
}

@InputType()
export class UpdateNameInput {
  @Field(() => NameType, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(NameType)
  type?: NameType;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(64)
  honorific?: string | null;

  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel(128)
  given?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(128)
  middle?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(128)
  family?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(64)
  suffix?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLanguageTag()
  language?: string | null;

  @Field({
    nullable: true,
    description: 'true moves the primary flag to this name. A primary name cannot be unset; make another name primary instead.',
  })
  @NotNullWhenGiven()
  @IsBoolean()
  primary?: boolean;
}

// ---- Email addresses ---------------------------------------------------------------------------

@InputType()
export class EmailAddressInput {
  @Field()
  @IsMail()
  mail: string;

  @Field(() => EmailType, { nullable: true, defaultValue: EmailType.OFFICIAL })
  @IsOptional()
  @IsEnum(EmailType)
  type?: EmailType;

  @Field({ nullable: true, defaultValue: false })
  @IsOptional()
  @IsBoolean()
  verified?: boolean;
}

@InputType()
export class AddEmailAddressInput extends EmailAddressInput {
  @Field(() => ID)
  @IsUUID()
  personId: string;
}

@InputType()
export class UpdateEmailAddressInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsMail()
  mail?: string;

  @Field(() => EmailType, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(EmailType)
  type?: EmailType;

  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsBoolean()
  verified?: boolean;
}

// ---- URLs --------------------------------------------------------------------------------------

const IsWebUrl = () => (target: object, key: string | symbol) => {
  IsString()(target, key);
  MaxLength(2048)(target, key);
  // Intranet hosts without a top-level domain are common for people's pages.
  IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_valid_protocol: true, require_tld: false },
    { message: '$property must be an http:// or https:// URL' },
  )(target, key);
};

@InputType()
export class AddUrlInput {
  @Field(() => ID)
  @IsUUID()
  personId: string;

  @Field()
  @IsWebUrl()
  url: string;

  @Field(() => UrlType, { nullable: true, defaultValue: UrlType.OFFICIAL })
  @IsOptional()
  @IsEnum(UrlType)
  type?: UrlType;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText(256)
  description?: string | null;
}

@InputType()
export class UpdateUrlInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsWebUrl()
  url?: string;

  @Field(() => UrlType, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(UrlType)
  type?: UrlType;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText(256)
  description?: string | null;
}

// ---- Identifiers -------------------------------------------------------------------------------

@InputType({ description: 'An identifier given when a person is created.' })
export class IdentifierInput {
  @Field({ description: 'e.g. uid, eppn, orcid, gidNumber: letters, digits, ".", "_", "-", starting with a letter.' })
  @IsIdentifierType()
  type: string;

  @Field()
  @IsLabel(512)
  value: string;

  @Field(() => RecordStatus, { nullable: true, defaultValue: RecordStatus.ACTIVE })
  @IsOptional()
  @IsEnum(RecordStatus)
  status?: RecordStatus;

  @Field({ nullable: true, defaultValue: false, description: 'Whether this identifier may be used to log in.' })
  @IsOptional()
  @IsBoolean()
  login?: boolean;
}

@InputType({ description: 'Give exactly one of personId and groupId.' })
export class AddIdentifierInput extends IdentifierInput {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  personId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  groupId?: string | null;
}

@InputType()
export class UpdateIdentifierInput {
  @Field({ nullable: true, description: 'e.g. uid, eppn, orcid, gidNumber: letters, digits, ".", "_", "-", starting with a letter.' })
  @NotNullWhenGiven()
  @IsIdentifierType()
  type?: string;

  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel(512)
  value?: string;

  @Field(() => RecordStatus, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(RecordStatus)
  status?: RecordStatus;

  @Field({ nullable: true, description: 'Whether this identifier may be used to log in.' })
  @NotNullWhenGiven()
  @IsBoolean()
  login?: boolean;
}

// ---- People ------------------------------------------------------------------------------------

@InputType()
export class CreatePersonInput {
  @Field(() => ID)
  @IsUUID()
  organizationId: string;

  @Field(() => PersonStatus, { nullable: true, defaultValue: PersonStatus.ACTIVE })
  @IsOptional()
  @IsEnum(PersonStatus)
  status?: PersonStatus;

  @Field(() => String, { nullable: true, description: 'ISO date (YYYY-MM-DD).' })
  @IsOptional()
  @IsCalendarDate()
  dateOfBirth?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. Europe/Paris.' })
  @IsOptional()
  @Length(1, 64)
  @IsTimeZone()
  timezone?: string | null;

  @Field(() => [NameInput], { nullable: true, description: 'The first name becomes primary unless another says primary: true.' })
  @IsOptional()
  @ArrayMaxSize(MAX_NESTED)
  @ValidateNested({ each: true })
  names?: NameInput[] | null;

  @Field(() => [EmailAddressInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(MAX_NESTED)
  @ValidateNested({ each: true })
  emailAddresses?: EmailAddressInput[] | null;

  @Field(() => [IdentifierInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(MAX_NESTED)
  @ValidateNested({ each: true })
  identifiers?: IdentifierInput[] | null;
}

@InputType()
export class UpdatePersonInput {
  @Field(() => PersonStatus, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(PersonStatus)
  status?: PersonStatus;

  @Field(() => String, { nullable: true, description: 'ISO date (YYYY-MM-DD); null clears it.' })
  @IsOptional()
  @IsCalendarDate()
  dateOfBirth?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone; null clears it.' })
  @IsOptional()
  @Length(1, 64)
  @IsTimeZone()
  timezone?: string | null;
}

@InputType()
export class PersonFilter {
  @Field(() => [PersonStatus], { nullable: true, description: 'People with any of these statuses.' })
  @IsOptional()
  @IsEnum(PersonStatus, { each: true })
  status?: PersonStatus[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'Case-insensitive substring of a given or family name, an email address or an identifier value.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  search?: string | null;

  @Field(() => ID, { nullable: true, description: 'People with a membership (direct or through nesting) in this group.' })
  @IsOptional()
  @IsUUID()
  groupId?: string | null;

  @Field(() => ID, { nullable: true, description: 'People with a role in this organisational unit.' })
  @IsOptional()
  @IsUUID()
  couId?: string | null;
}
