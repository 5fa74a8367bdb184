import { IsDefined, IsNotEmpty, IsString, Length, Matches, ValidateIf } from 'class-validator';

/** No C0/C1 control characters: they break LDAP/SCIM consumers and log lines alike. */
export const NO_CONTROL_CHARACTERS = /^[^\p{Cc}]*$/u;

const compose =
  (...decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => {
    for (const decorator of decorators) decorator(target, key);
  };

/**
 * For update inputs: the field may be left out (unchanged) but not set to null, because the
 * column it updates is required.
 */
export const NotNullWhenGiven = () =>
  compose(
    ValidateIf((_object, value) => value !== undefined),
    // IsDefined is the one validator type-graphql's skipMissingProperties does not skip for null.
    IsDefined({ message: '$property cannot be null; leave it out to keep the current value' }),
  );

/** A label such as a name or title: 1..max characters, trimmed, no control characters. */
export const IsLabel = (max = 128) =>
  compose(
    IsString(),
    IsNotEmpty(),
    Length(1, max),
    Matches(NO_CONTROL_CHARACTERS, { message: '$property must not contain control characters' }),
    Matches(/^\S(.*\S)?$/su, { message: '$property must not start or end with white space' }),
  );

/** Free text (descriptions): up to max characters, no control characters but newlines and tabs. */
export const IsFreeText = (max = 4000) =>
  compose(
    IsString(),
    Length(0, max),
    Matches(/^(?:[\t\n\r]|[^\p{Cc}])*$/u, { message: '$property must not contain control characters' }),
  );

/** A path segment of a folder or group name: no ":" (the separator) and no control characters. */
export const IsNameSegment = () =>
  compose(
    IsLabel(255),
    Matches(/^[^:]*$/u, { message: '$property must not contain ":" (the name separator)' }),
  );

/** Copies the fields an update input sets (undefined means "leave unchanged"). */
export function applyDefined<T extends object>(target: T, input: object): T {
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
  return target;
}
