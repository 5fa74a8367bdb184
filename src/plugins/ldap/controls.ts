import { Ber, BerWriter, Control, EqualityFilter, type BerReader } from 'ldapts';

/**
 * LDAP Assertion control (RFC 4528): the server applies the operation only when the entry matches
 * the filter, atomically, and answers assertionFailed (122) otherwise. Ferry sends it with
 * `(entryUUID=<the value it stored>)` on every modify, rename and delete of an entry it wrote, so
 * an entry someone else put at the same DN is never changed or removed.
 */
export class AssertionControl extends Control {
  static readonly type = '1.3.6.1.1.12';

  constructor(private readonly filter: EqualityFilter) {
    super(AssertionControl.type, { critical: true });
  }

  static entryUuid(uuid: string): AssertionControl {
    return new AssertionControl(new EqualityFilter({ attribute: 'entryUUID', value: uuid }));
  }

  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    this.filter.write(value);
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }
}

/**
 * LDAP Post-Read control (RFC 4527): the server returns the named attributes of the entry as the
 * operation left it, in the same response. Ferry asks for `entryUUID` when it adds (or first
 * modifies) an entry, so it learns the entry's permanent identity without another round trip.
 *
 * ldapts hands a response control of the same type back to the request's instance, so each
 * operation needs its own instance; `attributes` holds what the server returned.
 */
export class PostReadControl extends Control {
  static readonly type = '1.3.6.1.1.13.2';

  /** Attribute values the server returned (names lower-cased), once the operation answered. */
  attributes: Map<string, string[]> | null = null;

  constructor(private readonly requested: string[]) {
    super(PostReadControl.type, { critical: false });
  }

  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    for (const attribute of this.requested) value.writeString(attribute);
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }

  /** The value is a SearchResultEntry: [APPLICATION 4] { objectName, attributes }. */
  protected override parseControl(reader: BerReader): void {
    if (reader.readSequence(0x64) === null) return;
    reader.readString();
    const attributes = new Map<string, string[]>();
    if (reader.readSequence() === null) return;
    const end = reader.offset + reader.length;
    while (reader.offset < end) {
      reader.readSequence();
      const type = (reader.readString() ?? '').toLowerCase();
      const values: string[] = [];
      if (reader.readSequence(0x31) !== null) {
        const valuesEnd = reader.offset + reader.length;
        while (reader.offset < valuesEnd) values.push(reader.readString() ?? '');
      }
      attributes.set(type, values);
    }
    this.attributes = attributes;
  }

  value(attribute: string): string | null {
    return this.attributes?.get(attribute.toLowerCase())?.[0] ?? null;
  }
}
