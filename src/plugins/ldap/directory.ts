import { Attribute, Change, DN, EqualityFilter, type Client, type Control } from 'ldapts';
import type { DesiredEntry } from './attributes';
import { AssertionControl, PostReadControl } from './controls';
import { attributeFor } from './encoding';
import { isChildOf, type EntryName } from './dn';
import { ASSERTION_FAILED, ENTRY_ALREADY_EXISTS, NO_SUCH_OBJECT, provisioningError, resultCode } from './errors';
import { PermanentProvisioningError } from '../plugin';
import { tracedClient } from './traced-client';

/** Who made an entry, and its permanent identity (RFC 4530 entryUUID), as the directory says. */
export interface EntryIdentity {
  dn: string;
  uuid: string | null;
  creatorsName: string | null;
  createTimestamp: Date | null;
}

/**
 * What a write guarded by an entryUUID found: done, no entry at the DN, or an entry that is not
 * the one with that entryUUID (the write was not applied).
 */
export type GuardedOutcome = 'done' | 'missing' | 'foreign';

const IDENTITY_ATTRIBUTES = ['entryUUID', 'creatorsName', 'createTimestamp'];

/** GeneralizedTime as OpenLDAP writes it (`20261206073337Z`, maybe with a fraction); null otherwise. */
export function parseGeneralizedTime(value: string | null): Date | null {
  const match = value?.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,]\d+)?Z$/);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match;
  return new Date(Date.UTC(+year, +month - 1, +day, +hour, +minute, +(second ?? 0)));
}

const first = (value: unknown): string | null => {
  const item = Array.isArray(value) ? value[0] : value;
  if (item === undefined || item === null) return null;
  return Buffer.isBuffer(item) ? item.toString('utf8') : String(item);
};

/** Controls that make a write apply only to the entry with this entryUUID (none when unknown). */
const guard = (uuid: string | null): Control[] => (uuid ? [AssertionControl.entryUuid(uuid)] : []);

/**
 * The handful of LDAP operations the plugin needs, each reporting failures as the plugin
 * contract's errors, naming the operation and the DN. Writes to an existing entry take the
 * entryUUID Ferry recorded for it and carry it in an Assertion control, so the directory itself
 * refuses them, atomically, when another entry has taken that DN.
 */
export class Directory {
  private readonly client: Client;

  constructor(
    client: Client,
    private readonly url: string,
  ) {
    this.client = tracedClient(client, url);
  }

  /** Adds the entry; returns its entryUUID (Post-Read control), null if the directory has none. */
  async add(entry: DesiredEntry): Promise<string | null> {
    const attributes = [new Attribute({ type: 'objectClass', values: entry.objectClasses })];
    for (const [type, values] of entry.attributes) attributes.push(await attributeFor(type, values));
    const read = new PostReadControl(['entryUUID']);
    await this.run(`add of ${entry.name.dn}`, () => this.client.add(entry.name.dn, attributes, [read]));
    return read.value('entryUUID');
  }

  /**
   * Replaces every managed attribute (an empty replace deletes it) of the entry with this
   * entryUUID. Without one (an entry recorded before Ferry kept them) the entry at the DN is
   * modified and its entryUUID learnt.
   */
  async replace(entry: DesiredEntry, uuid: string | null): Promise<{ outcome: GuardedOutcome; uuid: string | null }> {
    const changes = [new Change({ operation: 'replace', modification: new Attribute({ type: 'objectClass', values: entry.objectClasses }) })];
    for (const type of entry.managed) {
      changes.push(new Change({ operation: 'replace', modification: await attributeFor(type, entry.attributes.get(type) ?? []) }));
    }
    const read = uuid ? null : new PostReadControl(['entryUUID']);
    const outcome = await this.guarded(`modify of ${entry.name.dn}`, () =>
      this.client.modify(entry.name.dn, changes, [...guard(uuid), ...(read ? [read] : [])]),
    );
    return { outcome, uuid: uuid ?? read?.value('entryUUID') ?? null };
  }

  /** Deletes the entry at `dn`, if it is the one with this entryUUID. */
  async remove(dn: string, uuid: string | null): Promise<GuardedOutcome> {
    return this.guarded(`delete of ${dn}`, () => this.client.del(dn, guard(uuid)));
  }

  /**
   * modrdn of `fromDn` to `to` (deleteoldrdn), if the entry there is the one with this entryUUID.
   * "unmovable" when the entry must change parent and ldapts cannot express the move.
   */
  async rename(fromDn: string, to: EntryName, uuid: string | null): Promise<GuardedOutcome | 'unmovable'> {
    const operation = `rename of ${fromDn} to ${to.dn}`;
    try {
      if (isChildOf(fromDn, to.parentDn)) {
        // A DN object keeps ldapts from looking for the parent in the escaped RDN.
        await this.client.modifyDN(fromDn, new DN({ [to.rdnAttribute]: to.rdnValue }), guard(uuid));
      } else {
        const target = `${to.rdn},${to.parentDn}`;
        // ldapts splits a string target at its first comma not preceded by a backslash, which is
        // wrong for RDN values it quotes (leading or trailing spaces) or that end in a backslash.
        if (target.search(/[^\\],/) !== to.rdn.length - 1) return 'unmovable';
        await this.client.modifyDN(fromDn, target, guard(uuid));
      }
      return 'done';
    } catch (error) {
      if (resultCode(error) === NO_SUCH_OBJECT) return 'missing';
      if (resultCode(error) === ASSERTION_FAILED) return 'foreign';
      if (resultCode(error) === ENTRY_ALREADY_EXISTS) {
        throw new PermanentProvisioningError(`LDAP ${operation} failed: ${to.dn} already exists (an entry Ferry did not write for this subject: left alone)`, {
          cause: error,
        });
      }
      throw provisioningError(error, operation, this.url);
    }
  }

  /** The entry's identity, or null when there is no entry at `dn`. */
  async identify(dn: string): Promise<EntryIdentity | null> {
    try {
      const { searchEntries } = await this.client.search(dn, { scope: 'base', attributes: IDENTITY_ATTRIBUTES });
      const entry = searchEntries[0];
      if (!entry) return null;
      return {
        dn: entry.dn,
        uuid: first(entry.entryUUID),
        creatorsName: first(entry.creatorsName),
        createTimestamp: parseGeneralizedTime(first(entry.createTimestamp)),
      };
    } catch (error) {
      if (resultCode(error) === NO_SUCH_OBJECT) return null;
      throw provisioningError(error, `read of ${dn}`, this.url);
    }
  }

  /** The DN of the entry with this entryUUID under `baseDn` (it may have been renamed), or null. */
  async findByUuid(baseDn: string, uuid: string): Promise<string | null> {
    try {
      const { searchEntries } = await this.client.search(baseDn, {
        scope: 'sub',
        filter: new EqualityFilter({ attribute: 'entryUUID', value: uuid }),
        attributes: ['1.1'],
        sizeLimit: 2,
      });
      return searchEntries[0]?.dn ?? null;
    } catch (error) {
      if (resultCode(error) === NO_SUCH_OBJECT) return null;
      throw provisioningError(error, `search for entryUUID ${uuid} under ${baseDn}`, this.url);
    }
  }

  private async guarded(operation: string, call: () => Promise<void>): Promise<GuardedOutcome> {
    try {
      await call();
      return 'done';
    } catch (error) {
      if (resultCode(error) === NO_SUCH_OBJECT) return 'missing';
      if (resultCode(error) === ASSERTION_FAILED) return 'foreign';
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
