import { Type } from '@mikro-orm/core';
import { isSealed, open, seal } from './secret-box';

type Secrets = Record<string, string>;

/**
 * A JSON object stored encrypted (target secrets). Values written before encryption existed
 * (plain JSON) are still read, and sealed on their next write.
 */
export class EncryptedJsonType extends Type<Secrets, string> {
  convertToDatabaseValue(value: Secrets | string | null | undefined): string {
    if (typeof value === 'string') return value;
    return seal(JSON.stringify(value ?? {}));
  }

  convertToJSValue(value: string | Secrets | null | undefined): Secrets {
    if (value === null || value === undefined) return {};
    if (typeof value === 'object') return value;
    return JSON.parse(isSealed(value) ? open(value) : value) as Secrets;
  }

  /** Two seals of one value differ (random IV): compare what they hold. */
  compareValues(a: string, b: string): boolean {
    return JSON.stringify(this.convertToJSValue(a)) === JSON.stringify(this.convertToJSValue(b));
  }

  getColumnType(): string {
    return 'text';
  }
}
