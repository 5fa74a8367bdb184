import { DN } from 'ldapts';
import { groupNameOnTarget, type GroupNaming, type GroupPayload, type IdentifierPayload, type PersonPayload } from '../../provisioning/payload';
import type { LdapConfig } from './config';

/**
 * DNs are built with ldapts' RDN escaping (`,` `+` `=` `"` `\` `#` `;` `<` `>` and leading or
 * trailing spaces), never by pasting values into strings; only the configured base DN, which is
 * already a DN, is appended.
 */
export interface EntryName {
  dn: string;
  /** The single RDN, escaped, e.g. `cn=research:a\,b`. */
  rdn: string;
  rdnAttribute: string;
  /** The RDN value as given (not trimmed): the entry must carry exactly this value. */
  rdnValue: string;
  parentDn: string;
}

/**
 * What OpenLDAP's back-mdb can index for one RDN value: about 240 bytes once normalised, where
 * each character DN escaping turns into a hex pair takes three. Longer names make slapd answer
 * "other (80)"; Ferry says why instead.
 */
export const MAX_RDN_VALUE_BYTES = 240;

export function rdnValueBytes(value: string): number {
  let bytes = 0;
  for (const char of value) bytes += /[,+"\\<>;=]/.test(char) ? 3 : Buffer.byteLength(char, 'utf8');
  return bytes;
}

export class NameTooLongError extends Error {}

export function entryName(rdnAttribute: string, rdnValue: string, parentDn: string): EntryName {
  const bytes = rdnValueBytes(rdnValue);
  if (bytes > MAX_RDN_VALUE_BYTES) {
    throw new NameTooLongError(
      `the entry name ${rdnAttribute}=… is too long for the directory: its value takes ${bytes} bytes once escaped, and OpenLDAP accepts about ${MAX_RDN_VALUE_BYTES}`,
    );
  }
  const rdn = new DN({ [rdnAttribute]: rdnValue }).toString();
  return { dn: `${rdn},${parentDn}`, rdn, rdnAttribute, rdnValue, parentDn };
}

export function identifiersOfType(identifiers: readonly IdentifierPayload[], type: string): string[] {
  const wanted = type.toLowerCase();
  return identifiers.filter((identifier) => identifier.type.toLowerCase() === wanted).map((identifier) => identifier.value);
}

/** Null when the person has no active identifier of the DN identifier type (yet). */
export function personEntryName(config: LdapConfig, person: PersonPayload): EntryName | null {
  const value = identifiersOfType(person.identifiers, config.dnIdentifierType).find((candidate) => candidate.trim() !== '');
  return value === undefined ? null : entryName(config.dnAttribute, value, config.peopleBaseDn);
}

/**
 * `cn=<name>,<groupBaseDn>`, the name by the target's `groupNaming` (the full name when not given).
 * The group's entry is always built with the target's naming (buildGroupEntry names it again).
 */
export function groupEntryName(groupBaseDn: string, group: GroupPayload, naming: GroupNaming = 'fullName'): EntryName {
  return entryName('cn', groupNameOnTarget(naming, group.name, group.groupType), groupBaseDn);
}

/** Whether `dn` sits directly under `parentDn` as Ferry wrote it (same base DN spelling). */
export function isChildOf(dn: string, parentDn: string): boolean {
  return dn.toLowerCase().endsWith(`,${parentDn.toLowerCase()}`);
}

export { normalizedDn } from './normalized-dn';
