import type { ImportedGroup, ImportedName, ImportedPerson, ParseOptions, PopulationDocument, RefusedRecord, SourceRef } from '../document';

/**
 * The text of a file: a string as it is, a Buffer decoded as UTF-8 (a leading BOM dropped). A
 * Buffer that is not valid UTF-8 is refused as a whole (ENCODING): guessing another encoding would
 * import names garbled.
 */
export function decodeUtf8(input: string | Buffer, source: SourceRef): string | RefusedRecord {
  if (typeof input === 'string') return input.replace(/^\uFEFF/, '');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(input);
  } catch {
    return { source, code: 'ENCODING', reason: 'not valid UTF-8: save the file as UTF-8 and import it again' };
  }
}

/**
 * Collects a document's people, giving each its key (the value of its `matchBy` identifier):
 * a person without one is refused (NO_KEY), a second person with a key already taken too
 * (DUPLICATE_KEY). Parsers add people as they read them, then groups.
 */
export class DocumentBuilder {
  private readonly people = new Map<string, ImportedPerson>();

  constructor(
    private readonly options: ParseOptions,
    private readonly refused: RefusedRecord[],
  ) {}

  /** The person's key, or null when it was refused. */
  addPerson(person: ImportedPerson): string | null {
    const key = person.identifiers.find((identifier) => identifier.type === this.options.matchBy)?.value;
    if (!key) {
      this.refused.push({ source: person.source, code: 'NO_KEY', reason: `no identifier of type ${this.options.matchBy} (the import matches people by it)` });
      return null;
    }
    const first = this.people.get(key);
    if (first) {
      this.refused.push({ source: person.source, code: 'DUPLICATE_KEY', reason: `${this.options.matchBy} ${key} is already ${first.source}'s` });
      return null;
    }
    this.people.set(key, { ...person, key });
    return key;
  }

  document(groups: ImportedGroup[]): PopulationDocument {
    return { people: [...this.people.values()], groups, refused: this.refused };
  }
}

/**
 * A name from a whole one ("Ada Lovelace", an LDAP cn or a SCIM displayName): the family name is
 * `family` when the name ends with it, else the last word, and the given name the words before it
 * ("Grace Brewster Hopper": Grace Brewster, Hopper); one word is a given name only (with `family`
 * when known).
 */
export function splitFullName(full: string, family?: string): ImportedName {
  const name = full.trim().replace(/\s+/g, ' ');
  if (family !== undefined && name.toLowerCase().endsWith(` ${family.toLowerCase()}`)) {
    return { given: name.slice(0, name.length - family.length - 1), family };
  }
  const space = name.lastIndexOf(' ');
  const given = space < 0 ? name : name.slice(0, space);
  const last = family ?? (space < 0 ? undefined : name.slice(space + 1));
  return last === undefined ? { given } : { given, family: last };
}
