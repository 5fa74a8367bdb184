import { parse, type CsvError } from 'csv-parse/sync';
import { Affiliation, EmailType, PersonStatus } from '../../registry/enums';
import { MAX_VALUE_LENGTH, type ImportedGroup, type ImportedPerson, type ParseOptions, type PopulationDocument, type RefusedRecord } from '../document';
import { decodeUtf8, DocumentBuilder } from './common';

/**
 * CSV, as a spreadsheet exports it (RFC 4180: a header row, quoted fields may hold commas and
 * line breaks, UTF-8 with or without a BOM). A file holds one of two kinds of rows, told apart
 * by its header (column names are case-insensitive):
 *
 * - **People**: `given` (or `givenName`, required), `family` (or `sn`, `familyName`), `middle`,
 *   `honorific`, `suffix`, `email` (several addresses separated by `;`, the first OFFICIAL),
 *   `status` (a PersonStatus, e.g. ACTIVE or SUSPENDED), `affiliation` (faculty, student, staff,
 *   alum, member, affiliate, employee, library-walk-in), `title`, and identifiers: a column
 *   `identifier:<type>` (or `id:<type>`) per identifier type, plus the shortcuts `uid`, `eppn` and
 *   `employeeNumber`. The `matchBy` identifier is the person's key; an empty cell leaves the
 *   identifier out.
 * - **Memberships**: `group` (the group's full name, folders created as needed; a name without `:` is a group at the root) and `person` (the
 *   member's key: the value of their `matchBy` identifier, a person of the organisation or of an
 *   import before), and optionally `role` (`member`, the default, or `owner`). The groups of such a
 *   file list their members completely (what Ferry has beyond them is left alone, or removed with
 *   `removeMissing`).
 *
 * A row that cannot be read (wrong number of fields, an unclosed quote, a value longer than
 * MAX_VALUE_LENGTH, an unknown status) is refused with its line and the reason; the other rows
 * are read.
 */
export function parseCsv(input: string | Buffer, options: ParseOptions): PopulationDocument {
  const decoded = decodeUtf8(input, 'the file');
  if (typeof decoded !== 'string') return { people: [], groups: [], refused: [decoded] };
  const refused: RefusedRecord[] = [];
  const rows = readRows(decoded, refused);
  if (rows.length === 0) return { people: [], groups: [], refused };
  const names = rows[0].fields.map((name) => name.trim());
  const header = names.map((name) => name.toLowerCase());
  const body = rows.slice(1);
  if (header.includes('group') && header.includes('person')) return { people: [], groups: membershipGroups(header, body, refused), refused };
  const builder = new DocumentBuilder(options, refused);
  for (const row of body) {
    const person = personOf(names, row, options, refused);
    if (person) builder.addPerson(person);
  }
  return builder.document([]);
}

interface Row {
  line: number;
  fields: string[];
}

/**
 * Every row with the line it starts on. Records csv-parse cannot read are skipped and reported;
 * a record past MAX_VALUE_LENGTH stops the reader (it cannot resynchronise), and the rest of the
 * file is refused from that line.
 */
function readRows(text: string, refused: RefusedRecord[]): Row[] {
  const rows: Row[] = [];
  try {
    const records = parse(text, {
      bom: true,
      info: true,
      relax_column_count: false,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_VALUE_LENGTH,
      on_skip: (error: CsvError | undefined) => {
        if (error) refused.push({ source: `line ${error.lines ?? '?'}`, code: 'MALFORMED', reason: error.message });
      },
    }) as unknown as { record: string[]; info: { lines: number } }[];
    for (const { record, info } of records) rows.push({ line: info.lines, fields: record });
  } catch (error) {
    const csvError = error as CsvError;
    const tooLong = csvError.code === 'CSV_MAX_RECORD_SIZE';
    refused.push({
      source: `line ${csvError.lines ?? '?'}`,
      code: tooLong ? 'TOO_LONG' : 'MALFORMED',
      reason: `${tooLong ? `a record longer than ${MAX_VALUE_LENGTH} characters` : csvError.message}; the rest of the file was not read`,
    });
  }
  return rows;
}

const NAME_COLUMNS: Record<string, 'given' | 'family' | 'middle' | 'honorific' | 'suffix'> = {
  given: 'given',
  givenname: 'given',
  family: 'family',
  familyname: 'family',
  sn: 'family',
  middle: 'middle',
  honorific: 'honorific',
  suffix: 'suffix',
};

const IDENTIFIER_SHORTCUTS: Record<string, string> = { uid: 'uid', eppn: 'eppn', employeenumber: 'employeeNumber' };

const AFFILIATIONS: Record<string, Affiliation> = {
  faculty: Affiliation.FACULTY,
  student: Affiliation.STUDENT,
  staff: Affiliation.STAFF,
  alum: Affiliation.ALUM,
  member: Affiliation.MEMBER,
  affiliate: Affiliation.AFFILIATE,
  employee: Affiliation.EMPLOYEE,
  'library-walk-in': Affiliation.LIBRARY_WALK_IN,
};

function personOf(names: string[], row: Row, options: ParseOptions, refused: RefusedRecord[]): ImportedPerson | null {
  const source = `line ${row.line}`;
  const refuse = (reason: string) => {
    refused.push({ source, code: 'INVALID_VALUE', reason });
    return null;
  };
  const name: Partial<Record<'given' | 'family' | 'middle' | 'honorific' | 'suffix', string>> = {};
  const person: ImportedPerson = { source, key: '', names: [], emailAddresses: [], identifiers: [] };
  for (const [i, written] of names.entries()) {
    const column = written.toLowerCase();
    const value = row.fields[i].trim();
    if (value === '') continue;
    const identifierType = IDENTIFIER_SHORTCUTS[column] ?? /^(?:identifier|id):(.+)$/i.exec(written)?.[1];
    if (NAME_COLUMNS[column]) name[NAME_COLUMNS[column]] = value;
    else if (identifierType) {
      // The matchBy type whatever the case it is written in; other types as written.
      const type = identifierType.toLowerCase() === options.matchBy.toLowerCase() ? options.matchBy : identifierType;
      person.identifiers.push({ type, value, login: type === 'uid' });
    } else if (column === 'email' || column === 'mail') {
      value
        .split(';')
        .map((mail) => mail.trim())
        .filter(Boolean)
        .forEach((mail, n) => person.emailAddresses.push(n === 0 ? { mail, type: EmailType.OFFICIAL } : { mail }));
    } else if (column === 'status') {
      const status = value.toUpperCase().replace(/[\s-]/g, '_');
      if (!(status in PersonStatus)) return refuse(`unknown status "${value}"`);
      person.status = status as PersonStatus;
    } else if (column === 'affiliation') {
      const affiliation = AFFILIATIONS[value.toLowerCase()];
      if (!affiliation) return refuse(`unknown affiliation "${value}"`);
      person.affiliation = affiliation;
    } else if (column === 'title') person.title = value;
  }
  if (!name.given) return refuse('no given name');
  person.names.push({ given: name.given, family: name.family ?? null, middle: name.middle ?? null, honorific: name.honorific ?? null, suffix: name.suffix ?? null });
  return person;
}

function membershipGroups(header: string[], rows: Row[], refused: RefusedRecord[]): ImportedGroup[] {
  const [groupColumn, personColumn, roleColumn] = ['group', 'person', 'role'].map((name) => header.indexOf(name));
  const groups = new Map<string, ImportedGroup>();
  for (const row of rows) {
    const fullName = row.fields[groupColumn].trim();
    const key = row.fields[personColumn].trim();
    const role = roleColumn >= 0 ? row.fields[roleColumn].trim().toLowerCase() || 'member' : 'member';
    if (!fullName || !key) {
      refused.push({ source: `line ${row.line}`, code: 'INVALID_VALUE', reason: 'a membership row needs a group and a person' });
      continue;
    }
    if (role !== 'member' && role !== 'owner') {
      refused.push({ source: `line ${row.line}`, code: 'INVALID_VALUE', reason: `unknown role "${role}" (member or owner)` });
      continue;
    }
    let group = groups.get(fullName);
    if (!group) {
      group = { source: `line ${row.line}`, fullName, members: [], owners: [] };
      groups.set(fullName, group);
    }
    (role === 'owner' ? group.owners! : group.members!).push(key);
  }
  return [...groups.values()];
}
