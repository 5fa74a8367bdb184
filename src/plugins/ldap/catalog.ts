/**
 * The attributes the LDAP plugin knows how to compute (COmanage's `supportedAttributes()`), grouped
 * by the object class that carries them. "Managed" attributes are replaced on every modify; which
 * ones are managed depends on the enabled object classes and the unconfigured-attribute mode.
 */
export interface AttributeSpec {
  /** Canonical spelling, as written to the directory. */
  readonly name: string;
  /** The object classes that allow it in Ferry's entries; managed when one of them is enabled. */
  readonly objectClasses: readonly string[];
  /** A MUST attribute of its object class: always written when that class is on the entry. */
  readonly required?: boolean;
  /** Case-sensitive matching rule: values differing only in case are different values. */
  readonly caseExact?: boolean;
  /** SINGLE-VALUE in the schema (or by definition): only the first value is written. */
  readonly singleValue?: boolean;
  /**
   * An operational attribute the directory server itself also maintains (COmanage's
   * `serverInternal`, e.g. ppolicy's pwdAccountLockedTime): managed only when exported, never
   * removed by the "remove" unconfigured-attribute mode, and read back by name (a search for `*`
   * does not return operational attributes).
   */
  readonly serverInternal?: boolean;
}

export const PERSON_BASE_OBJECT_CLASSES = ['person', 'organizationalPerson', 'inetOrgPerson'] as const;

export const PERSON_OPTIONAL_OBJECT_CLASSES = ['eduPerson', 'eduMember', 'voPerson', 'posixAccount', 'ldapPublicKey'] as const;
export type PersonOptionalObjectClass = (typeof PERSON_OPTIONAL_OBJECT_CLASSES)[number];

export const GROUP_OBJECT_CLASSES = ['groupOfNames', 'posixGroup', 'eduMember'] as const;
export type GroupObjectClass = (typeof GROUP_OBJECT_CLASSES)[number];

const attr = (name: string, objectClass: string | string[], flags: Omit<AttributeSpec, 'name' | 'objectClasses'> = {}): AttributeSpec => ({
  name,
  objectClasses: Array.isArray(objectClass) ? objectClass : [objectClass],
  ...flags,
});

export const PERSON_ATTRIBUTES: readonly AttributeSpec[] = [
  attr('sn', 'person', { required: true }),
  attr('cn', 'person', { required: true }),
  // ppolicy (spec 3.4): 000001010000Z locks the account for good while the person is Expired or Suspended.
  attr('pwdAccountLockedTime', 'person', { singleValue: true, serverInternal: true }),
  attr('title', 'organizationalPerson'),
  attr('ou', 'organizationalPerson'),
  attr('telephoneNumber', 'organizationalPerson'),
  attr('facsimileTelephoneNumber', 'organizationalPerson'),
  attr('street', 'organizationalPerson'),
  attr('l', 'organizationalPerson'),
  attr('st', 'organizationalPerson'),
  attr('postalCode', 'organizationalPerson'),
  attr('givenName', 'inetOrgPerson'),
  attr('displayName', 'inetOrgPerson', { singleValue: true }),
  attr('o', 'inetOrgPerson'),
  attr('employeeType', 'inetOrgPerson'),
  attr('labeledURI', 'inetOrgPerson', { caseExact: true }),
  attr('mail', 'inetOrgPerson'),
  attr('mobile', 'inetOrgPerson'),
  attr('employeeNumber', 'inetOrgPerson', { singleValue: true }),
  attr('roomNumber', 'inetOrgPerson'),
  attr('uid', 'inetOrgPerson'),
  attr('eduPersonAffiliation', 'eduPerson'),
  attr('eduPersonScopedAffiliation', 'eduPerson'),
  attr('eduPersonEntitlement', 'eduPerson', { caseExact: true }),
  attr('eduPersonNickname', 'eduPerson'),
  attr('eduPersonOrcid', 'eduPerson'),
  attr('eduPersonPrincipalName', 'eduPerson', { singleValue: true }),
  attr('eduPersonUniqueId', 'eduPerson', { singleValue: true }),
  attr('isMemberOf', 'eduMember', { caseExact: true }),
  attr('voPersonID', 'voPerson'),
  attr('voPersonSoRID', 'voPerson'),
  attr('voPersonStatus', 'voPerson', { singleValue: true }),
  attr('voPersonPolicyAgreement', 'voPerson'),
  attr('uidNumber', 'posixAccount', { required: true, singleValue: true }),
  attr('gidNumber', 'posixAccount', { required: true, singleValue: true }),
  attr('homeDirectory', 'posixAccount', { required: true, singleValue: true, caseExact: true }),
  attr('loginShell', 'posixAccount', { singleValue: true, caseExact: true }),
  attr('sshPublicKey', 'ldapPublicKey', { required: true, caseExact: true }),
];

export const GROUP_ATTRIBUTES: readonly AttributeSpec[] = [
  attr('cn', ['groupOfNames', 'posixGroup'], { required: true }),
  attr('description', ['groupOfNames', 'posixGroup']),
  attr('member', 'groupOfNames', { required: true }),
  attr('owner', 'groupOfNames'),
  attr('hasMember', 'eduMember', { caseExact: true }),
  attr('gidNumber', 'posixGroup', { required: true, singleValue: true }),
  attr('memberUid', 'posixGroup', { caseExact: true }),
];

/**
 * Attributes an object class needs although Ferry files them under another class (posixAccount
 * MUSTs uid, which inetOrgPerson carries): without a value the optional class is left off.
 */
export const ALSO_REQUIRED: Readonly<Record<string, readonly string[]>> = {
  posixAccount: ['uid'],
};

/** The value of pwdAccountLockedTime that ppolicy reads as "locked until an administrator unlocks it". */
export const PERMANENTLY_LOCKED = '000001010000Z';

/** Server-internal attributes this target exports (read back by name: `*` leaves them out). */
export function exportedServerInternalAttributes(exported: readonly string[]): string[] {
  return PERSON_ATTRIBUTES.filter((spec) => spec.serverInternal && exported.includes(spec.name)).map((spec) => spec.name);
}

/** Canonical spellings of every supported attribute, keyed by lower case. */
export const SUPPORTED_ATTRIBUTE_NAMES: ReadonlyMap<string, string> = new Map(
  [...PERSON_ATTRIBUTES, ...GROUP_ATTRIBUTES].map((spec) => [spec.name.toLowerCase(), spec.name]),
);

export const DEFAULT_EXPORTED_ATTRIBUTES: readonly string[] = [
  'cn',
  'sn',
  'givenName',
  'displayName',
  'mail',
  'uid',
  'employeeNumber',
  'title',
  'ou',
  'o',
  'telephoneNumber',
  'employeeType',
  'eduPersonAffiliation',
  'eduPersonPrincipalName',
  'eduPersonEntitlement',
  'eduPersonOrcid',
  'isMemberOf',
  'voPersonID',
  'voPersonStatus',
  'voPersonPolicyAgreement',
  'loginShell',
  'description',
  'member',
  'owner',
  'hasMember',
  'memberUid',
];
