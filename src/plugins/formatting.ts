import type { NamePayload, TelephonePayload } from '../provisioning/payload';

/* How registry values are written as text on targets, the same on LDAP and SCIM. */

const EASTERN_ORDER_LANGUAGES = new Set(['hu', 'ja', 'ko', 'zh']);

/** "given middle family suffix", or "family given middle suffix" for hu/ja/ko/zh names. */
export function formatName(name: NamePayload): string {
  const language = (name.language ?? '').toLowerCase().split(/[-_]/)[0];
  const parts = EASTERN_ORDER_LANGUAGES.has(language)
    ? [name.family, name.given, name.middle, name.suffix]
    : [name.given, name.middle, name.family, name.suffix];
  return parts
    .map((part) => part?.trim() ?? '')
    .filter((part) => part !== '')
    .join(' ');
}

/** "+cc area number x ext". */
export function formatTelephone(phone: TelephonePayload): string {
  const countryCode = phone.countryCode?.trim().replace(/^\+/, '');
  const main = [countryCode ? `+${countryCode}` : null, phone.areaCode?.trim(), phone.number.trim()]
    .filter((part): part is string => !!part)
    .join(' ');
  const extension = phone.extension?.trim();
  return extension ? `${main} x ${extension}` : main;
}

/** eduPersonAffiliation vocabulary: FACULTY -> faculty, LIBRARY_WALK_IN -> library-walk-in. */
export function affiliationValue(affiliation: string): string {
  return affiliation.trim().toLowerCase().replace(/_/g, '-');
}
