import { Attribute, Change, DN, type Client } from 'ldapts';
import type { DesiredEntry } from './attributes';
import { isChildOf, type EntryName } from './dn';
import { ENTRY_ALREADY_EXISTS, NO_SUCH_OBJECT, provisioningError, resultCode } from './errors';
import { PermanentProvisioningError } from '../plugin';

/**
 * The handful of LDAP operations the plugin needs, each reporting failures as the plugin
 * contract's errors, naming the operation and the DN.
 */
export class Directory {
  constructor(
    private readonly client: Client,
    private readonly url: string,
  ) {}

  async add(entry: DesiredEntry): Promise<void> {
    const attributes = [
      new Attribute({ type: 'objectClass', values: entry.objectClasses }),
      ...[...entry.attributes].map(([type, values]) => new Attribute({ type, values })),
    ];
    await this.run(`add of ${entry.name.dn}`, () => this.client.add(entry.name.dn, attributes));
  }

  /**
   * Replaces every managed attribute (an empty replace deletes it). Returns false when the entry
   * does not exist, so the caller can add it instead.
   */
  async replace(entry: DesiredEntry): Promise<boolean> {
    const changes = [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'objectClass', values: entry.objectClasses }) }),
      ...entry.managed.map(
        (type) => new Change({ operation: 'replace', modification: new Attribute({ type, values: entry.attributes.get(type) ?? [] }) }),
      ),
    ];
    return this.unlessMissing(`modify of ${entry.name.dn}`, () => this.client.modify(entry.name.dn, changes));
  }

  /** Deletes the entry; false when there was none. */
  async remove(dn: string): Promise<boolean> {
    return this.unlessMissing(`delete of ${dn}`, () => this.client.del(dn));
  }

  /**
   * modrdn of `fromDn` to `to` (deleteoldrdn). "missing" when `fromDn` does not exist any more (an
   * earlier attempt may have renamed it already); "unmovable" when the entry must change parent
   * and ldapts cannot express the move (see `move`).
   */
  async rename(fromDn: string, to: EntryName): Promise<'renamed' | 'missing' | 'unmovable'> {
    const operation = `rename of ${fromDn} to ${to.dn}`;
    try {
      if (isChildOf(fromDn, to.parentDn)) {
        // A DN object keeps ldapts from looking for the parent in the escaped RDN.
        await this.client.modifyDN(fromDn, new DN({ [to.rdnAttribute]: to.rdnValue }));
      } else {
        const target = `${to.rdn},${to.parentDn}`;
        // ldapts splits a string target at its first comma not preceded by a backslash, which is
        // wrong for RDN values it quotes (leading or trailing spaces) or that end in a backslash.
        if (target.search(/[^\\],/) !== to.rdn.length - 1) return 'unmovable';
        await this.client.modifyDN(fromDn, target);
      }
      return 'renamed';
    } catch (error) {
      if (resultCode(error) === NO_SUCH_OBJECT) return 'missing';
      if (resultCode(error) === ENTRY_ALREADY_EXISTS) {
        throw new PermanentProvisioningError(`LDAP ${operation} failed: ${to.dn} already exists`, { cause: error });
      }
      throw provisioningError(error, operation, this.url);
    }
  }

  async exists(dn: string): Promise<boolean> {
    try {
      await this.client.search(dn, { scope: 'base', attributes: ['1.1'] });
      return true;
    } catch (error) {
      if (resultCode(error) === NO_SUCH_OBJECT) return false;
      throw provisioningError(error, `read of ${dn}`, this.url);
    }
  }

  private async unlessMissing(operation: string, call: () => Promise<void>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (error) {
      if (resultCode(error) === NO_SUCH_OBJECT) return false;
      throw provisioningError(error, operation, this.url);
    }
  }

  private async run(operation: string, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      throw provisioningError(error, operation, this.url);
    }
  }
}
