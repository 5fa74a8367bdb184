import { IsDate, IsEnum, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { IsFreeText, IsLabel, NotNullWhenGiven } from '../../common/validation';
import { AddressType, Affiliation, PersonStatus, TelephoneType } from '../enums';
import { IsLanguageTag } from './person.inputs';

const MAX_ORDER = 1_000_000;

// ---- Roles -------------------------------------------------------------------------------------

@InputType()
export class AddPersonRoleInput {
  @Field(() => ID)
  @IsUUID()
  personId: string;

  @Field(() => ID, { nullable: true, description: 'An organisational unit of the same organisation.' })
  @IsOptional()
  @IsUUID()
  couId?: string | null;

  @Field(() => PersonStatus, { nullable: true, defaultValue: PersonStatus.ACTIVE })
  @IsOptional()
  @IsEnum(PersonStatus)
  status?: PersonStatus;

  @Field(() => Affiliation, { nullable: true, defaultValue: Affiliation.MEMBER })
  @IsOptional()
  @IsEnum(Affiliation)
  affiliation?: Affiliation;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(256)
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'Organisation name (LDAP o).' })
  @IsOptional()
  @IsLabel(256)
  o?: string | null;

  @Field(() => String, { nullable: true, description: 'Organisational unit name (LDAP ou).' })
  @IsOptional()
  @IsLabel(256)
  ou?: string | null;

  @Field(() => Date, { nullable: true })
  @IsOptional()
  @IsDate()
  validFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Not before validFrom.' })
  @IsOptional()
  @IsDate()
  validThrough?: Date | null;

  @Field(() => Int, { nullable: true, defaultValue: 0, description: 'Display order among the person\'s roles.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ORDER)
  order?: number;
}

@InputType()
export class UpdatePersonRoleInput {
  @Field(() => ID, { nullable: true, description: 'null takes the role out of its unit.' })
  @IsOptional()
  @IsUUID()
  couId?: string | null;

  @Field(() => PersonStatus, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(PersonStatus)
  status?: PersonStatus;

  @Field(() => Affiliation, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(Affiliation)
  affiliation?: Affiliation;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(256)
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'Organisation name (LDAP o).' })
  @IsOptional()
  @IsLabel(256)
  o?: string | null;

  @Field(() => String, { nullable: true, description: 'Organisational unit name (LDAP ou).' })
  @IsOptional()
  @IsLabel(256)
  ou?: string | null;

  @Field(() => Date, { nullable: true })
  @IsOptional()
  @IsDate()
  validFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Not before validFrom.' })
  @IsOptional()
  @IsDate()
  validThrough?: Date | null;

  @Field(() => Int, { nullable: true, description: 'Display order among the person\'s roles.' })
  @NotNullWhenGiven()
  @IsInt()
  @Min(0)
  @Max(MAX_ORDER)
  order?: number;
}

// ---- Addresses ---------------------------------------------------------------------------------

@InputType()
export class AddAddressInput {
  @Field(() => ID)
  @IsUUID()
  roleId: string;

  @Field(() => AddressType, { nullable: true, defaultValue: AddressType.OFFICE })
  @IsOptional()
  @IsEnum(AddressType)
  type?: AddressType;

  @Field(() => String, { nullable: true, description: 'May span several lines.' })
  @IsOptional()
  @IsFreeText(512)
  street?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(64)
  room?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(128)
  locality?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(128)
  state?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(32)
  postalCode?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(128)
  country?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLanguageTag()
  language?: string | null;
}

@InputType()
export class UpdateAddressInput {
  @Field(() => AddressType, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(AddressType)
  type?: AddressType;

  @Field(() => String, { nullable: true, description: 'May span several lines.' })
  @IsOptional()
  @IsFreeText(512)
  street?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(64)
  room?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(128)
  locality?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(128)
  state?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(32)
  postalCode?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLabel(128)
  country?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsLanguageTag()
  language?: string | null;
}

// ---- Telephone numbers -------------------------------------------------------------------------

const PHONE_NUMBER = /^\+?[0-9][0-9 ()./-]{0,62}$/;
const DIGITS_16 = /^[0-9]{1,16}$/;
const COUNTRY_CODE = /^\+?[0-9]{1,4}$/;

@InputType()
export class AddTelephoneNumberInput {
  @Field(() => ID)
  @IsUUID()
  roleId: string;

  @Field(() => TelephoneType, { nullable: true, defaultValue: TelephoneType.OFFICE })
  @IsOptional()
  @IsEnum(TelephoneType)
  type?: TelephoneType;

  @Field(() => String, { nullable: true, description: 'e.g. "+44" or "44".' })
  @IsOptional()
  @IsString()
  @Matches(COUNTRY_CODE, { message: '$property must be 1 to 4 digits, optionally after a "+"' })
  countryCode?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @Matches(DIGITS_16, { message: '$property must be 1 to 16 digits' })
  areaCode?: string | null;

  @Field({ description: 'Digits, optionally grouped with spaces, dots, dashes, slashes or parentheses.' })
  @IsString()
  @MaxLength(64)
  @Matches(PHONE_NUMBER, { message: '$property must be digits (optionally after a "+"), grouped with spaces, ".", "-", "/" or parentheses' })
  number: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @Matches(DIGITS_16, { message: '$property must be 1 to 16 digits' })
  extension?: string | null;
}

@InputType()
export class UpdateTelephoneNumberInput {
  @Field(() => TelephoneType, { nullable: true })
  @NotNullWhenGiven()
  @IsEnum(TelephoneType)
  type?: TelephoneType;

  @Field(() => String, { nullable: true, description: 'e.g. "+44" or "44".' })
  @IsOptional()
  @IsString()
  @Matches(COUNTRY_CODE, { message: '$property must be 1 to 4 digits, optionally after a "+"' })
  countryCode?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @Matches(DIGITS_16, { message: '$property must be 1 to 16 digits' })
  areaCode?: string | null;

  @Field({ nullable: true, description: 'Digits, optionally grouped with spaces, dots, dashes, slashes or parentheses.' })
  @NotNullWhenGiven()
  @IsString()
  @MaxLength(64)
  @Matches(PHONE_NUMBER, { message: '$property must be digits (optionally after a "+"), grouped with spaces, ".", "-", "/" or parentheses' })
  number?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @Matches(DIGITS_16, { message: '$property must be 1 to 16 digits' })
  extension?: string | null;
}

// ---- Ad hoc attributes -------------------------------------------------------------------------

@InputType()
export class AddAdHocAttributeInput {
  @Field(() => ID)
  @IsUUID()
  roleId: string;

  @Field()
  @IsLabel(128)
  tag: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText(1024)
  value?: string | null;
}

@InputType()
export class UpdateAdHocAttributeInput {
  @Field({ nullable: true })
  @NotNullWhenGiven()
  @IsLabel(128)
  tag?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsFreeText(1024)
  value?: string | null;
}
