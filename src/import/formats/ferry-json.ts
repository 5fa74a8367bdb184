import { z } from 'zod';
import { AddressType, Affiliation, EmailType, NameType, PersonStatus, TelephoneType, UrlType } from '../../registry/enums';
import { MAX_VALUE_LENGTH, type ImportedGroup, type ImportedPerson, type ImportedUnit, type ParseOptions, type PopulationDocument, type RefusedRecord } from '../document';
import { decodeUtf8, DocumentBuilder } from './common';

/** The format's name and version, the document's first field. */
export const FERRY_POPULATION_FORMAT = 'ferry.population/v1';

const text = z.string().max(MAX_VALUE_LENGTH);
const optionalText = text.nullish();

/** Text of at most `length` characters (the column's), null when left out. */
const field = (length: number) => z.string().max(length).nullish().transform((value) => value ?? null);
/** An ISO 8601 instant, kept as given when valid; null when left out. */
const instant = z.string().datetime({ offset: true }).nullish().transform((value) => (value ? new Date(value).toISOString() : null));

/** A validity window whose end is not before its start (instants in one format compare as text). */
const inOrder = (window: { validFrom: string | null; validThrough: string | null }) => !window.validFrom || !window.validThrough || window.validFrom <= window.validThrough;
const WINDOW_REVERSED = { message: 'validFrom must not be after validThrough', path: ['validThrough'] };

const nameSchema = z.object({
  given: text.min(1),
  family: optionalText,
  middle: optionalText,
  honorific: optionalText,
  suffix: optionalText,
  type: z.nativeEnum(NameType).optional(),
  language: z.string().max(16).nullish(),
});

const roleSchema = z.object({
  unit: field(128),
  status: z.nativeEnum(PersonStatus).default(PersonStatus.ACTIVE),
  affiliation: z.nativeEnum(Affiliation).default(Affiliation.MEMBER),
  title: field(256),
  o: field(256),
  ou: field(256),
  validFrom: instant,
  validThrough: instant,
  addresses: z.array(z.object({
    type: z.nativeEnum(AddressType).default(AddressType.OFFICE),
    street: field(512),
    room: field(64),
    locality: field(128),
    state: field(128),
    postalCode: field(32),
    country: field(128),
    language: field(16),
  })).default([]),
  telephoneNumbers: z.array(z.object({
    type: z.nativeEnum(TelephoneType).default(TelephoneType.OFFICE),
    countryCode: field(8),
    areaCode: field(16),
    number: z.string().min(1).max(64),
    extension: field(16),
  })).default([]),
  attributes: z.array(z.object({ tag: z.string().min(1).max(128), value: field(1024) })).default([]),
}).refine(inOrder, WINDOW_REVERSED);

const unitSchema = z.object({
  name: z.string().min(1).max(128),
  description: optionalText.transform((value) => value ?? null),
  parent: field(128),
});

const personSchema = z.object({
  status: z.nativeEnum(PersonStatus).optional(),
  names: z.array(nameSchema),
  emailAddresses: z.array(z.object({ mail: text.min(1), type: z.nativeEnum(EmailType).optional(), verified: z.boolean().optional() })).default([]),
  identifiers: z.array(z.object({ type: text.min(1).max(64), value: text.min(1).max(512), login: z.boolean().optional() })),
  affiliation: z.nativeEnum(Affiliation).optional(),
  title: optionalText,
  urls: z.array(z.object({ url: text.min(1), type: z.nativeEnum(UrlType).optional(), description: optionalText })).optional(),
  roles: z.array(roleSchema).optional(),
  dateOfBirth: z.string().date().nullish(),
  timezone: z.string().max(64).nullish(),
});

const groupSchema = z.object({
  fullName: text.min(1).max(1024),
  description: optionalText,
  members: z.array(text).optional(),
  owners: z.array(text).optional(),
  nestedGroups: z.array(text.min(1).max(1024)).optional(),
  validity: z.array(z.object({ person: text.min(1), validFrom: instant, validThrough: instant })
    .refine(inOrder, WINDOW_REVERSED))
    .optional(),
});

const documentSchema = z.object({
  format: z.literal(FERRY_POPULATION_FORMAT),
  /** The identifier type the document's member lists refer to people by. */
  matchBy: text.min(1).max(64),
  units: z.array(z.unknown()).optional(),
  people: z.array(z.unknown()),
  groups: z.array(z.unknown()),
});

export type FerryPopulation = z.input<typeof documentSchema> & {
  units?: z.input<typeof unitSchema>[];
  people: z.input<typeof personSchema>[];
  groups: z.input<typeof groupSchema>[];
};

/**
 * Ferry's own format: a whole organisation's population without ids or timestamps, in a stable
 * order, so that exporting, importing into an empty organisation and exporting again gives the
 * same document:
 * - its units (COUs: name, description, parent by name);
 * - its people: status, every name (the first is the primary one), e-mail addresses,
 *   identifiers, URLs, date of birth, time zone, and every role (unit by name, status,
 *   affiliation, title, o, ou, validity) with its addresses, telephone numbers and ad hoc
 *   attributes;
 * - its groups: full name, description, members and owners, and the groups nested in them.
 * Members and owners are listed by the value of each person's `matchBy` identifier (the document
 * says which type); importing with another `matchBy` translates them. What a person's entry
 * carries is all of it: a role or a name the document does not list is removed. A hand-written
 * document may give a person `affiliation` and `title` instead of `roles` (then only the first
 * role is touched, as in the other formats), and may leave out `units`, a person's `roles` or a
 * group's lists (then those are left alone).
 */
export function parseFerryJson(input: string | Buffer, options: ParseOptions): PopulationDocument {
  const decoded = decodeUtf8(input, 'the file');
  if (typeof decoded !== 'string') return { people: [], groups: [], refused: [decoded] };
  let raw: unknown;
  try {
    raw = JSON.parse(decoded);
  } catch (error) {
    return { people: [], groups: [], refused: [{ source: 'the file', code: 'MALFORMED', reason: `not JSON: ${(error as Error).message}` }] };
  }
  const document = documentSchema.safeParse(raw);
  if (!document.success) {
    return { people: [], groups: [], refused: [{ source: 'the file', code: 'MALFORMED', reason: `not a ${FERRY_POPULATION_FORMAT} document: ${issues(document.error)}` }] };
  }
  const refused: RefusedRecord[] = [];
  const builder = new DocumentBuilder(options, refused);
  const units = document.data.units && parseUnits(document.data.units, refused);
  // The document's own keys (its matchBy) to the import's keys.
  const keyOf = new Map<string, string>();
  document.data.people.forEach((value, i) => {
    const source = `people[${i}]`;
    const parsed = personSchema.safeParse(value);
    if (!parsed.success) {
      refused.push({ source, code: tooLong(parsed.error) ? 'TOO_LONG' : 'INVALID_VALUE', reason: issues(parsed.error) });
      return;
    }
    const { names, roles, affiliation, title, ...rest } = parsed.data;
    if (roles && (affiliation !== undefined || title !== undefined)) {
      refused.push({ source, code: 'INVALID_VALUE', reason: 'give roles, or affiliation and title (the first role\'s), not both' });
      return;
    }
    const person: ImportedPerson = {
      source,
      key: '',
      ...rest,
      names: names.slice(0, 1),
      otherNames: names.slice(1),
      ...(roles ? { roles } : { affiliation, title }),
    };
    const key = builder.addPerson(person);
    const documentKey = person.identifiers.find((identifier) => identifier.type === document.data.matchBy)?.value;
    if (key && documentKey) keyOf.set(documentKey, key);
  });
  const groups: ImportedGroup[] = [];
  document.data.groups.forEach((value, i) => {
    const source = `groups[${i}]`;
    const parsed = groupSchema.safeParse(value);
    if (!parsed.success) {
      refused.push({ source, code: tooLong(parsed.error) ? 'TOO_LONG' : 'INVALID_VALUE', reason: issues(parsed.error) });
      return;
    }
    // A key the document does not hold may be a person already in the organisation: kept as it is.
    const translate = (keys: string[] | undefined) => keys?.map((key) => keyOf.get(key) ?? key);
    const { validity, ...group } = parsed.data;
    groups.push({
      source,
      ...group,
      members: translate(group.members),
      owners: translate(group.owners),
      ...(validity ? { validity: validity.map(({ person, ...window }) => ({ key: keyOf.get(person) ?? person, ...window })) } : {}),
    });
  });
  return { ...builder.document(groups), ...(units ? { units } : {}) };
}

function parseUnits(values: unknown[], refused: RefusedRecord[]): ImportedUnit[] {
  const units = new Map<string, ImportedUnit>();
  values.forEach((value, i) => {
    const source = `units[${i}]`;
    const parsed = unitSchema.safeParse(value);
    if (!parsed.success) refused.push({ source, code: tooLong(parsed.error) ? 'TOO_LONG' : 'INVALID_VALUE', reason: issues(parsed.error) });
    else if (units.has(parsed.data.name)) refused.push({ source, code: 'DUPLICATE_KEY', reason: `unit ${parsed.data.name} is already ${units.get(parsed.data.name)!.source}` });
    else units.set(parsed.data.name, { source, ...parsed.data });
  });
  return [...units.values()];
}

/** The document of a population (see parseFerryJson), units and groups by name, people by key, as formatted JSON. */
export function formatFerryJson(matchBy: string, population: Required<Pick<PopulationDocument, 'units' | 'people' | 'groups'>>): string {
  const document: FerryPopulation = {
    format: FERRY_POPULATION_FORMAT,
    matchBy,
    units: [...population.units].sort((a, b) => compare(a.name, b.name)).map(({ source: _source, ...unit }) => unit),
    people: [...population.people]
      .sort((a, b) => compare(a.key, b.key))
      .map(({ status, names, otherNames, emailAddresses, identifiers, urls, roles, dateOfBirth, timezone }) => ({
        status, names: [...names, ...(otherNames ?? [])], emailAddresses, identifiers, urls, roles, dateOfBirth, timezone,
      })),
    groups: [...population.groups]
      .sort((a, b) => compare(a.fullName, b.fullName))
      .map(({ source: _source, ...group }) => ({
        ...group,
        members: [...(group.members ?? [])].sort(compare),
        owners: [...(group.owners ?? [])].sort(compare),
        nestedGroups: [...(group.nestedGroups ?? [])].sort(compare),
        validity: [...(group.validity ?? [])].sort((a, b) => compare(a.key, b.key)).map(({ key, ...window }) => ({ person: key, ...window })),
      })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const issues = (error: z.ZodError) => error.issues.map((issue) => `${issue.path.join('.') || '(document)'}: ${issue.message}`).join('; ');

const tooLong = (error: z.ZodError) => error.issues.some((issue) => issue.code === 'too_big' && issue.type === 'string');
