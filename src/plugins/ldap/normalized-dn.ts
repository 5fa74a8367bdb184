import { DN as ParsedDn } from '@ldapjs/dn';

/** A DN in one spelling for comparisons (RFC 4514 form, lower case); the text as it is when it is not a DN. */
export function normalizedDn(dn: string): string {
  try {
    return ParsedDn.fromString(dn).toString().toLowerCase();
  } catch {
    return dn.trim().toLowerCase();
  }
}
