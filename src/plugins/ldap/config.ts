import { z } from 'zod';
import { DEFAULT_EXPORTED_ATTRIBUTES, SUPPORTED_ATTRIBUTE_NAMES } from './catalog';
import { normalizedDn } from './normalized-dn';

const nonBlank = (what: string) => z.string().trim().min(1, `${what} must not be empty`);

const distinguishedName = (what: string) =>
  nonBlank(what).refine((value) => /^[A-Za-z0-9.-]+\s*=/.test(value), `${what} must be a DN such as ou=people,dc=example,dc=org`);

const attributeName = (what: string) =>
  nonBlank(what).regex(/^[A-Za-z][A-Za-z0-9-]*$/, `${what} must be an LDAP attribute name such as uid`);

const objectClassList = z.array(attributeName('an object class')).default([]);

/** An identifier type of the registry (open vocabulary, compared case-insensitively). */
const identifierType = (fallback: string) => nonBlank('an identifier type').default(fallback);

function isLdapUrl(value: string): boolean {
  if (!/^ldaps?:\/\/\S+$/i.test(value)) return false;
  try {
    const url = new URL(value);
    return url.hostname.length > 0 && (url.pathname === '' || url.pathname === '/');
  } catch {
    return false;
  }
}

export const ldapConfigSchema = z
  .object({
    url: nonBlank('url').refine(isLdapUrl, 'url must be an ldap:// or ldaps:// URL with a host, e.g. ldaps://ldap.example.org:636'),
    bindDn: distinguishedName('bindDn'),
    bindPassword: z.string().min(1, 'bindPassword must not be empty'),
    /** PEM certificate(s) to trust for ldaps:// besides the system store. */
    tlsCaCertificate: z.string().trim().min(1).nullable().default(null),
    tlsRejectUnauthorized: z.boolean().default(true),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),

    peopleBaseDn: distinguishedName('peopleBaseDn'),
    /** Without it, group actions succeed without doing anything (as COmanage does). */
    groupBaseDn: distinguishedName('groupBaseDn').nullable().default(null),
    /**
     * Where email lists are written (groupOfNames with mail, README "The LDAP target"). Without
     * it the target does not provision email lists: they are skipped, never sent to the plugin.
     */
    emailListBaseDn: distinguishedName('emailListBaseDn').nullable().default(null),
    /**
     * How groups are named (cn, the RDN, and isMemberOf values): "fullName" (app:staff) or "name",
     * the group's own name (staff), as COmanage's flat groups; automatic groups keep their full
     * names (CO:members:all) under both. Two groups with the same name on the target do not share
     * an entry: the second one fails (the entry is another subject's).
     */
    groupNaming: z.enum(['fullName', 'name']).default('fullName'),
    dnAttribute: attributeName('dnAttribute').default('uid'),
    /** The first active identifier of this type is the person's RDN value. */
    dnIdentifierType: identifierType('uid'),

    personObjectClasses: z
      .object({
        eduPerson: z.boolean().default(false),
        /** isMemberOf on people. */
        eduMember: z.boolean().default(false),
        voPerson: z.boolean().default(false),
        posixAccount: z.boolean().default(false),
        ldapPublicKey: z.boolean().default(false),
      })
      .strict()
      .default({}),
    groupObjectClasses: z
      .object({
        groupOfNames: z.boolean().default(true),
        /** hasMember on groups. */
        eduMember: z.boolean().default(false),
        posixGroup: z.boolean().default(false),
      })
      .strict()
      .default({}),
    extraPersonObjectClasses: objectClassList,
    extraGroupObjectClasses: objectClassList,

    /**
     * Optional attributes to write. MUST attributes of the object classes on an entry (sn, cn,
     * member, gidNumber, ...) are always written.
     */
    exportedAttributes: z.array(nonBlank('an attribute name')).default([...DEFAULT_EXPORTED_ATTRIBUTES]),
    /** "remove": managed attributes Ferry does not export are deleted; "ignore": left alone. */
    unconfiguredAttributeMode: z.enum(['remove', 'ignore']).default('remove'),

    /** Email type for mail; null takes every address. */
    mailType: nonBlank('mailType').nullable().default(null),
    /** Name type for displayName; the primary name when the person has none of that type. */
    displayNameType: nonBlank('displayNameType').default('PREFERRED'),
    /** Name type whose given name is eduPersonNickname. */
    nicknameType: nonBlank('nicknameType').default('PREFERRED'),
    /** Telephone type for telephoneNumber; null takes every type except FAX and MOBILE. */
    telephoneNumberType: nonBlank('telephoneNumberType').nullable().default(null),
    /** Address type for street, l, st, postalCode and roomNumber; null takes every address. */
    addressType: nonBlank('addressType').nullable().default(null),
    /** Identifier types feeding identifier-valued attributes. */
    identifierTypes: z
      .object({
        uid: identifierType('uid'),
        employeeNumber: identifierType('enterprise'),
        eduPersonPrincipalName: identifierType('eppn'),
        eduPersonUniqueId: identifierType('enterprise'),
        eduPersonOrcid: identifierType('orcid'),
        voPersonID: identifierType('enterprise'),
        voPersonSoRID: identifierType('sorid'),
        uidNumber: identifierType('uidnumber'),
        gidNumber: identifierType('gidnumber'),
      })
      .strict()
      .default({}),
    /** Appended as @scope to eduPersonScopedAffiliation and eduPersonUniqueId. */
    scope: nonBlank('scope').nullable().default(null),
    /** posixAccount homeDirectory; {uid} is the person's first uid value. */
    homeDirectoryTemplate: nonBlank('homeDirectoryTemplate').default('/home/{uid}'),
    loginShell: nonBlank('loginShell').default('/bin/bash'),
    /** Role ad hoc attributes with this tag are sshPublicKey values. */
    sshPublicKeyTag: nonBlank('sshPublicKeyTag').default('sshPublicKey'),

    /** Identifier type of members for hasMember (eduMember) and memberUid (posixGroup). */
    memberIdentifierType: identifierType('uid'),
    /**
     * groupOfNames needs a member. "delete": the entry is removed while the group has no members
     * and created again with the first one; "placeholder": placeholderMemberDn stands in.
     */
    emptyGroupPolicy: z.enum(['delete', 'placeholder']).default('delete'),
    /**
     * An entry already at a subject's DN that Ferry did not write for it (no stored DN) is left
     * alone and the attempt fails, unless this is on (e.g. when taking over a directory that
     * another provisioner filled): then it is brought up to date and becomes the subject's.
     */
    adoptExistingEntries: z.boolean().default(false),
    placeholderMemberDn: distinguishedName('placeholderMemberDn').nullable().default(null),
  })
  .strict()
  .transform((config, ctx) => {
    const exported: string[] = [];
    for (const name of config.exportedAttributes) {
      const canonical = SUPPORTED_ATTRIBUTE_NAMES.get(name.toLowerCase());
      if (!canonical) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['exportedAttributes'],
          message: `exportedAttributes: "${name}" is not an attribute Ferry can provision; supported: ${[...SUPPORTED_ATTRIBUTE_NAMES.values()].join(', ')}`,
        });
      } else if (!exported.includes(canonical)) {
        exported.push(canonical);
      }
    }
    return { ...config, exportedAttributes: exported };
  })
  .superRefine((config, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    const groups = config.groupObjectClasses;
    if (groups.groupOfNames && groups.posixGroup) {
      issue('groupObjectClasses', 'groupOfNames and posixGroup cannot both be enabled: both are STRUCTURAL object classes');
    }
    if (config.groupBaseDn && !groups.groupOfNames && !groups.posixGroup) {
      issue('groupObjectClasses', 'groupBaseDn is set but neither groupOfNames nor posixGroup is enabled: group entries need a STRUCTURAL object class');
    }
    const scoped = ['eduPersonScopedAffiliation', 'eduPersonUniqueId'].filter((name) => config.exportedAttributes.includes(name));
    if (config.personObjectClasses.eduPerson && scoped.length > 0 && !config.scope) {
      issue('scope', `scope is required when ${scoped.join(' and ')} ${scoped.length > 1 ? 'are' : 'is'} exported`);
    }
    if (config.emptyGroupPolicy === 'placeholder' && !config.placeholderMemberDn) {
      issue('placeholderMemberDn', 'placeholderMemberDn is required when emptyGroupPolicy is "placeholder"');
    }
    if (config.emailListBaseDn) {
      const same = (a: string | null) => a !== null && normalizedDn(a) === normalizedDn(config.emailListBaseDn!);
      if (same(config.peopleBaseDn) || same(config.groupBaseDn)) {
        issue('emailListBaseDn', 'emailListBaseDn must be a DN of its own, not peopleBaseDn or groupBaseDn: list entries are groupOfNames, and under a shared DN they could not be told from groups');
      }
    }
    if (config.tlsCaCertificate && !/^ldaps:/i.test(config.url)) {
      issue('tlsCaCertificate', 'tlsCaCertificate only applies to an ldaps:// url');
    }
  });

export type LdapConfig = z.output<typeof ldapConfigSchema>;

export const LDAP_SECRET_FIELDS = ['bindPassword'] as const;
