import { z } from 'zod';

const nonBlank = (what: string) => z.string().trim().min(1, `${what} must not be empty`);

/**
 * The User attributes Ferry can send besides the ones it always sends (userName, externalId,
 * active). `enterprise` is the EnterpriseUser extension (employeeNumber, organization, department).
 */
export const USER_ATTRIBUTE_CATALOGUE = [
  'name',
  'displayName',
  'nickName',
  'emails',
  'phoneNumbers',
  'addresses',
  'title',
  'userType',
  'enterprise',
] as const;
export type UserAttribute = (typeof USER_ATTRIBUTE_CATALOGUE)[number];

/** What most SCIM services require or show; addresses and the extension are opt-in. */
export const DEFAULT_USER_ATTRIBUTES: readonly UserAttribute[] = ['name', 'displayName', 'emails', 'phoneNumbers', 'title'];

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0 && !url.search && !url.hash;
  } catch {
    return false;
  }
}

export const scimConfigSchema = z
  .object({
    /** The SCIM service root, e.g. https://app.example.org/scim/v2 (Users, Groups and ServiceProviderConfig live below it). */
    baseUrl: nonBlank('baseUrl')
      .refine(isHttpUrl, 'baseUrl must be an http:// or https:// URL without query or fragment, e.g. https://app.example.org/scim/v2')
      .transform((value) => value.replace(/\/+$/, '')),
    bearerToken: z.string().min(1, 'bearerToken must not be empty'),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),

    userAttributes: z
      .array(z.enum(USER_ATTRIBUTE_CATALOGUE, { errorMap: () => ({ message: `must be one of ${USER_ATTRIBUTE_CATALOGUE.join(', ')}` }) }))
      .default([...DEFAULT_USER_ATTRIBUTES])
      .transform((attributes) => [...new Set(attributes)]),
    /** The first active identifier of this type is the User's userName. */
    userNameIdentifierType: nonBlank('userNameIdentifierType').default('uid'),
    /** Identifier type of the enterprise extension's employeeNumber. */
    employeeNumberIdentifierType: nonBlank('employeeNumberIdentifierType').default('enterprise'),
    /** How an existing User is recognised before one is created: by Ferry's person id or by userName. */
    userMatchAttribute: z.enum(['externalId', 'userName']).default('externalId'),
    /** How an existing Group is recognised before one is created: by Ferry's group id or by displayName. */
    groupMatchAttribute: z.enum(['externalId', 'displayName']).default('externalId'),
    /**
     * A Group's displayName: "fullName" (app:staff) or "name", the group's own name (staff);
     * automatic groups keep their full names (CO:members:all) under both.
     */
    groupNaming: z.enum(['fullName', 'name']).default('fullName'),
    /** What happens to the User of a person who is deleted or no longer provisionable. */
    deprovision: z.enum(['DELETE', 'DEACTIVATE']).default('DELETE'),
    /** Member values per request: PATCH operations are sent in chunks of this many; a PUT may not carry more. */
    membershipChunkSize: z.number().int().min(1).max(10_000).default(100),
    /**
     * Whether the server shows a Group's members when it is read: "auto" learns it from the reads
     * (a Group written with members that reads back with none hides them), "hidden" is for
     * services documented to answer with an empty member list (AWS IAM Identity Center), "shown"
     * always believes the reads. Where members are hidden, Ferry works out whom to add and remove
     * from its own record of the members it wrote.
     */
    groupMembersInReads: z.enum(['auto', 'shown', 'hidden']).default('auto'),
    /** Send only the person's primary e-mail address (the official one, else the first): for services that take one address per User. */
    primaryEmailOnly: z.boolean().default(false),
    /** A 429 whose Retry-After is at most this long is waited out inline; a longer one is left to the retry queue. */
    maxInlineRetryAfterSeconds: z.number().int().min(0).max(60).default(2),
  })
  .strict();

export type ScimConfig = z.output<typeof scimConfigSchema>;

export const SCIM_SECRET_FIELDS = ['bearerToken'] as const;
