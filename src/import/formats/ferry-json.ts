import { z } from 'zod';
import { Affiliation, EmailType, NameType, PersonStatus, UrlType } from '../../registry/enums';
import { MAX_VALUE_LENGTH, type ImportedGroup, type ImportedPerson, type ParseOptions, type PopulationDocument, type RefusedRecord } from '../document';
import { decodeUtf8, DocumentBuilder } from './common';

/** The format's name and version, the document's first field. */
export const FERRY_POPULATION_FORMAT = 'ferry.population/v1';

const text = z.string().max(MAX_VALUE_LENGTH);
const optionalText = text.nullish();

const personSchema = z.object({
  status: z.nativeEnum(PersonStatus).optional(),
  names: z.array(z.object({
    given: text.min(1),
    family: optionalText,
    middle: optionalText,
    honorific: optionalText,
    suffix: optionalText,
    type: z.nativeEnum(NameType).optional(),
  })),
  emailAddresses: z.array(z.object({ mail: text.min(1), type: z.nativeEnum(EmailType).optional(), verified: z.boolean().optional() })).default([]),
  identifiers: z.array(z.object({ type: text.min(1).max(64), value: text.min(1).max(512), login: z.boolean().optional() })),
  affiliation: z.nativeEnum(Affiliation).optional(),
  title: optionalText,
  urls: z.array(z.object({ url: text.min(1), type: z.nativeEnum(UrlType).optional(), description: optionalText })).optional(),
});

const groupSchema = z.object({
  fullName: text.min(1).max(1024),
  description: optionalText,
  members: z.array(text).optional(),
  owners: z.array(text).optional(),
});

const documentSchema = z.object({
  format: z.literal(FERRY_POPULATION_FORMAT),
  /** The identifier type the document's member lists refer to people by. */
  matchBy: text.min(1).max(64),
  people: z.array(z.unknown()),
  groups: z.array(z.unknown()),
});

export type FerryPopulation = z.input<typeof documentSchema> & {
  people: z.input<typeof personSchema>[];
  groups: z.input<typeof groupSchema>[];
};

/**
 * Ferry's own format: an organisation's people (status, names, e-mail addresses, identifiers, URLs,
 * the first role's affiliation and title) and its groups (full name, description, members and
 * owners), without ids or timestamps, in a stable order, so that exporting, importing into an
 * empty organisation and exporting again gives the same document. Members and owners are listed
 * by the value of each person's `matchBy` identifier (the document says which type); importing
 * with another `matchBy` translates them.
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
  // The document's own keys (its matchBy) to the import's keys.
  const keyOf = new Map<string, string>();
  document.data.people.forEach((value, i) => {
    const source = `people[${i}]`;
    const parsed = personSchema.safeParse(value);
    if (!parsed.success) {
      refused.push({ source, code: tooLong(parsed.error) ? 'TOO_LONG' : 'INVALID_VALUE', reason: issues(parsed.error) });
      return;
    }
    const person: ImportedPerson = { source, key: '', ...parsed.data };
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
    groups.push({ source, ...parsed.data, members: translate(parsed.data.members), owners: translate(parsed.data.owners) });
  });
  return builder.document(groups);
}

/** The document of a population (see parseFerryJson), people by key and groups by name, as formatted JSON. */
export function formatFerryJson(matchBy: string, people: ImportedPerson[], groups: ImportedGroup[]): string {
  const document: FerryPopulation = {
    format: FERRY_POPULATION_FORMAT,
    matchBy,
    people: [...people]
      .sort((a, b) => compare(a.key, b.key))
      .map(({ source: _source, key: _key, ...person }) => person),
    groups: [...groups]
      .sort((a, b) => compare(a.fullName, b.fullName))
      .map(({ source: _source, ...group }) => ({ ...group, members: [...(group.members ?? [])].sort(compare), owners: [...(group.owners ?? [])].sort(compare) })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const issues = (error: z.ZodError) => error.issues.map((issue) => `${issue.path.join('.') || '(document)'}: ${issue.message}`).join('; ');

const tooLong = (error: z.ZodError) => error.issues.some((issue) => issue.code === 'too_big' && issue.type === 'string');
