import fc from 'fast-check';

/**
 * Hostile values for the property tests of test/security: pieces that mean something to LDAP
 * (RFC 4514 DNs, RFC 4515 filters), to SCIM filters (RFC 7644 3.4.2.2), to PostgreSQL (NUL) or to
 * whatever reads Unicode carelessly; and the registry's documented input rules as an oracle.
 */

export const LDAP_FRAGMENTS = [
  '*', '(', ')', '\\', ',', '+', '"', '<', '>', ';', '=', '#', ' ', '\u0000',
  'a)(uid=*', '*)(|(uid=*', ')(objectClass=*)', 'x,ou=people', 'a+cn=b', '#3041', '\\2a', '\\,', '\\00', 'uid=admin', 'cn=*',
];

export const SCIM_FRAGMENTS = [
  '"', '\\"', '\\', "'", ' eq ', ' or ', ' and ', ' pr', 'not ', '[', ']', '(', ')',
  '" or userName pr or userName eq "', '") or (userName eq "', 'emails[type eq "work"]', '\\u0022', 'userName eq "x"',
];

export const CONTROL_CHARACTERS = [...'\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u001f\u007f\u0080\u0085\u009f'];

export const UNICODE_TRAPS = [
  '\u00a0', '\u2028', '\ufeff', '\u200b', '\u202e', 'e\u0301', '\u0131', '\u0130', '\u00df', '\ufb03', '\uff21', '\u{1f600}',
  '\u{1f469}\u200d\u{1f469}\u200d\u{1f467}', '\ufffd', '\uffff', '\u{10ffff}',
];

/**
 * Halves of surrogate pairs: JSON can carry them, UTF-8 (PostgreSQL, LDAP) cannot. Kept out of
 * the other generators so that this one class of value has its own property.
 */
export const LONE_SURROGATES = ['\ud800', '\udfff', 'a\udc00b', '\ud83d'];

/** Pieces that are harmless everywhere, so a value is not all metacharacters. */
const PLAIN = ['a', 'Z', '0', '9', '-', '.', '_', '@', ':', '/', 'x y', 'Ada', 'Lovelace'];

export const hostileFragment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...LDAP_FRAGMENTS) },
  { weight: 3, arbitrary: fc.constantFrom(...SCIM_FRAGMENTS) },
  { weight: 1, arbitrary: fc.constantFrom(...CONTROL_CHARACTERS) },
  { weight: 2, arbitrary: fc.constantFrom(...UNICODE_TRAPS) },
  { weight: 3, arbitrary: fc.constantFrom(...PLAIN) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);

/**
 * Mostly short strings of hostile pieces; now and then one longer than any label the registry
 * takes (512), which must be refused. Values near the limits have a property of their own.
 */
export const hostileText = (maxFragments = 8): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 9, arbitrary: fc.array(hostileFragment, { maxLength: maxFragments }).map((parts) => parts.join('')) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...LDAP_FRAGMENTS, ...SCIM_FRAGMENTS, 'x'), fc.integer({ min: 513, max: 6000 }))
        .map(([piece, times]) => piece.repeat(Math.ceil(times / piece.length))),
    },
  );

/** Where `fresh` puts a marker that is new on every execution (shrinking replays values). */
export const MARK = '{{m}}';

/**
 * A hostile value around a marker, so that values of different runs never collide in the
 * registry, in slapd (which compares uid case- and space-insensitively) or in SCIM, while the
 * metacharacters still sit at the start and at the end where DN escaping is subtle.
 */
export const hostileAround = (maxFragments = 4): fc.Arbitrary<string> =>
  fc.tuple(hostileText(maxFragments), hostileText(maxFragments)).map(([before, after]) => `${before}${MARK}${after}`);

/**
 * Mostly values the registry's label rules allow (so that most runs reach the targets), and now
 * and then whatever `values` makes (so that refusals are exercised too).
 */
export const mostlyLabels = (max: number, values: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: values.filter((value) => isValidLabel(value.split(MARK).join('x0000q'), max)) },
    { weight: 1, arbitrary: values },
  );

/** Replaces each MARK with a marker never used before. */
export function freshener(prefix: string): (value: string) => string {
  let next = 0;
  return (value) => value.split(MARK).join(`${prefix}${(next++).toString(36).padStart(4, '0')}q`);
}

// ---------------------------------------------------------------------------------------------
// The registry's documented input rules (schema descriptions and README "Errors")

const CONTROL = /\p{Cc}/u;
/** A UTF-16 string with half a surrogate pair cannot be stored in PostgreSQL (UTF-8) unchanged. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Labels (names, identifier values, group and folder names): 1..max characters, no control
 * characters, no white space at either end. A value that could only be stored altered (a lone
 * surrogate) must be refused too: the registry stores what it was given or nothing.
 */
export function isValidLabel(value: string, max: number): boolean {
  if (value.length === 0 || value.trim() !== value) return false;
  if (CONTROL.test(value) || LONE_SURROGATE.test(value)) return false;
  return [...value].length <= max;
}

/** Free text (descriptions): up to max characters; tabs and line breaks are the only control characters allowed. */
export function isValidFreeText(value: string, max: number): boolean {
  if (/[^\t\n\r\P{Cc}]/u.test(value) || LONE_SURROGATE.test(value)) return false;
  return [...value].length <= max;
}

/** COmanage's LDAP value clean-up, which Ferry documents: line breaks become "$", ends are trimmed. */
export function ldapCleaned(value: string): string {
  return value.replace(/\r?\n/g, '$').trim();
}

/** YYYY-MM-DD naming a day of the proleptic Gregorian calendar. */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

// ---------------------------------------------------------------------------------------------
// DNs as slapd spells them

export interface AttributeValueAssertion {
  attribute: string;
  value: string;
}

/**
 * The first RDN of a DN, unescaped per RFC 4514 (and the LDAPv2 quoted form of RFC 1779 that
 * slapd also accepts): `\XX` hex pairs are UTF-8 bytes, `\c` is c. Several assertions mean a
 * multi-valued RDN, i.e. an unescaped "+".
 */
export function firstRdn(dn: string): { assertions: AttributeValueAssertion[]; rest: string } {
  const assertions: AttributeValueAssertion[] = [];
  let i = 0;
  for (;;) {
    const equals = dn.indexOf('=', i);
    if (equals < 0) throw new Error(`no "=" in RDN of ${JSON.stringify(dn)}`);
    const attribute = dn.slice(i, equals).trim();
    i = equals + 1;
    const bytes: number[] = [];
    const push = (text: string) => bytes.push(...Buffer.from(text, 'utf8'));
    if (dn[i] === '"') {
      i += 1;
      while (i < dn.length && dn[i] !== '"') {
        if (dn[i] === '\\') i += 1;
        push(dn[i]);
        i += 1;
      }
      i += 1;
    } else {
      while (i < dn.length && dn[i] !== ',' && dn[i] !== '+') {
        if (dn[i] === '\\') {
          const pair = dn.slice(i + 1, i + 3);
          if (/^[0-9a-fA-F]{2}$/.test(pair)) {
            bytes.push(parseInt(pair, 16));
            i += 3;
            continue;
          }
          i += 1;
        }
        // Whole code points, so a surrogate pair is not split into two replacement characters.
        const char = String.fromCodePoint(dn.codePointAt(i)!);
        push(char);
        i += char.length;
      }
    }
    assertions.push({ attribute, value: Buffer.from(bytes).toString('utf8') });
    if (dn[i] === '+') {
      i += 1;
      continue;
    }
    return { assertions, rest: dn.slice(i + 1) };
  }
}

/** Mixed-case spellings of a string: the same uid for slapd and for a SCIM userName. */
export const caseVariant = (value: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: value.length, maxLength: value.length })
    .map((flips) => [...value].map((char, index) => (flips[index] ? char.toUpperCase() : char.toLowerCase())).join(''))
    .filter((variant) => variant !== value);
