import {
  CheckConstraintViolationException,
  ForeignKeyConstraintViolationException,
  NotNullConstraintViolationException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { FerryError, ErrorCode } from './errors';

/** What a person should read when a database constraint rejects a write, by constraint name. */
const CONSTRAINT_MESSAGES: Record<string, string> = {
  organization_name_unique: 'An organisation with this name already exists.',
  identifier_active_type_value_unique:
    'This identifier (type and value) is already in use by an active identifier of this organisation.',
  name_one_primary_per_person: 'This person already has a primary name.',
  folder_organization_id_full_name_unique: 'A folder with this full name already exists.',
  group_organization_id_full_name_unique: 'A group with this full name already exists.',
  group_membership_direct_unique: 'This person is already a direct member of this group.',
  group_nesting_group_id_nested_group_id_unique: 'This group is already nested in that group.',
  cou_organization_id_name_unique: 'An organisational unit with this name already exists.',
  org_identity_link_source_id_source_key_unique: 'This source record is already linked to a person.',
  terms_agreement_person_id_terms_id_unique: 'This person has already agreed to these terms.',
  org_identity_source_organization_id_name_unique: 'An identity source with this name already exists in this organisation.',
  service_organization_id_name_unique: 'A service with this name already exists in this organisation.',
  terms_and_conditions_organization_id_name_unique: 'Terms and conditions with this name already exist in this organisation.',
  department_organization_id_name_unique: 'A department with this name already exists in this organisation.',
  email_list_organization_id_name_unique: 'An email list with this name already exists in this organisation.',
  provisioning_target_organization_id_name_unique: 'A provisioning target with this name already exists in this organisation.',
};

const constraintOf = (error: Error): string | undefined =>
  (error as { constraint?: string }).constraint ??
  /constraint "([^"]+)"/.exec(error.message)?.[1];

/**
 * Turns a database error into a client error, or returns null when it is not one: MikroORM's
 * exceptions, and the same errors from plain statements (by their SQLSTATE).
 */
export function translateDatabaseError(error: unknown): FerryError | null {
  if (!(error instanceof Error)) return null;
  const constraint = constraintOf(error);
  const sqlState = (error as { code?: string }).code;
  if (error instanceof UniqueConstraintViolationException || sqlState === '23505') {
    return new FerryError(
      ErrorCode.Conflict,
      (constraint && CONSTRAINT_MESSAGES[constraint]) ?? 'A record with these values already exists.',
      constraint ? { constraint } : {},
    );
  }
  if (error instanceof ForeignKeyConstraintViolationException || sqlState === '23503') {
    return new FerryError(
      ErrorCode.Conflict,
      'This record is still referenced by other records; remove those first.',
      constraint ? { constraint } : {},
    );
  }
  // Values the database cannot hold (a year 0 date, a number out of range, bytes it cannot
  // encode): the client's input, not Ferry's fault.
  const code = (error as { code?: string }).code;
  if (code && ['22008', '22007', '22003', '22P05', '22021'].includes(code)) {
    return new FerryError(ErrorCode.BadUserInput, `A value is outside what can be stored: ${error.message.split('\n')[0].replace(/^.* - /, '')}.`, { sqlState: code });
  }
  // 23001: a RESTRICT foreign key (e.g. a unit that still has child units); MikroORM has no class for it.
  if ((error as { code?: string }).code === '23001') {
    return new FerryError(
      ErrorCode.Conflict,
      'This record is still referenced by other records; remove those first.',
      constraint ? { constraint } : {},
    );
  }
  if (error instanceof CheckConstraintViolationException || error instanceof NotNullConstraintViolationException || sqlState === '23514' || sqlState === '23502') {
    return new FerryError(ErrorCode.BadUserInput, 'The values given are not a valid combination.', constraint ? { constraint } : {});
  }
  return null;
}
