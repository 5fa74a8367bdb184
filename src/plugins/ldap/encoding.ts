import { Attribute, BerWriter, ProtocolOperation } from 'ldapts';
import { forEachInChunks, ITEMS_PER_CHUNK } from '../../common/chunks';

/**
 * An attribute whose values were BER-encoded before the operation is sent. ldapts encodes a whole
 * operation in one go when it sends it (and logs it as JSON), which for a group of 20,000 members
 * holds the event loop for tens of milliseconds; `attributeFor` encodes a long list of values a
 * chunk at a time instead, with ldapts' own BerWriter, so the operation's bytes are the ones
 * Attribute.write produces and the entry is written by the same single operation.
 */
export class PreEncodedAttribute extends Attribute {
  constructor(
    type: string,
    /** The content of the attribute's SET OF values: each value as an OCTET STRING. */
    private readonly encodedValues: Buffer,
    private readonly valueCount: number,
  ) {
    super({ type });
  }

  override write(writer: BerWriter): void {
    writer.startSequence();
    writer.writeString(this.type);
    writer.writeBuffer(this.encodedValues, ProtocolOperation.LBER_SET);
    writer.endSequence();
  }

  /** ldapts logs every message it sends as JSON (whether or not debugging is on): not the values again. */
  toJSON(): { type: string; values: string } {
    return { type: this.type, values: `${this.valueCount} values, encoded` };
  }
}

/**
 * The attribute for an add or modify: as given for a short list of values; for a long one (a huge
 * group's member DNs) encoded now, a chunk at a time, with turns of the event loop between chunks.
 */
export async function attributeFor(type: string, values: string[]): Promise<Attribute> {
  if (values.length <= ITEMS_PER_CHUNK) return new Attribute({ type, values });
  const writer = new BerWriter();
  await forEachInChunks(values, (value) => writer.writeString(value));
  return new PreEncodedAttribute(type, writer.buffer, values.length);
}
