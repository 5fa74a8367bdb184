import { IsBoolean, IsEnum, IsUUID, Length, Matches } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { ImportFormat } from './document';

/** Identifier types are an open vocabulary of short names (uid, eppn, employeeNumber, ...). */
const IDENTIFIER_TYPE = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

@InputType({ description: 'A file to import into an organisation (the request body limit applies: FERRY_MAX_BODY_BYTES).' })
export class ImportInput {
  @Field(() => ID)
  @IsUUID()
  organizationId: string;

  @Field(() => ImportFormat)
  @IsEnum(ImportFormat)
  format: ImportFormat;

  @Field({ description: 'The file, as text (UTF-8).' })
  @Length(1)
  document: string;

  @Field({ defaultValue: 'uid', description: 'The identifier type people are matched by (and that member lists refer to).' })
  @Matches(IDENTIFIER_TYPE)
  matchBy: string = 'uid';

  @Field({ defaultValue: false, description: 'Only report what would change and what it would provision.' })
  @IsBoolean()
  dryRun: boolean = false;

  @Field({ defaultValue: false, description: 'People missing from the file become DELETED; members and owners missing from a listed group are removed.' })
  @IsBoolean()
  removeMissing: boolean = false;

  @Field({ defaultValue: false, description: 'Apply nothing if any record is refused (default: apply every valid record, list the refused ones).' })
  @IsBoolean()
  allOrNothing: boolean = false;
}
