import { z } from 'zod';
import { registerEnumType } from 'type-graphql';
import type { GroupPayload, MembershipPayload, PersonPayload, SubjectPayload } from '../provisioning/payload';
import { UnsafePatternError, wholeValuePatternProblem, wholeValueRegex } from '../security/safe-regex';

/**
 * Data filters (COmanage section 4): per target, in order, after the provisioning-group and
 * identity-source decisions and before the plugin. Each takes the marshalled payload and returns
 * one of the same shape, or excludes the subject from the target. Pure functions over plain data.
 */

export enum GroupRuleKind {
  /** The group passes; a person must be in at least one group matching a REQUIRED rule. */
  REQUIRED = 'REQUIRED',
  /** The group passes. */
  OPTIONAL = 'OPTIONAL',
  /** The group is left out. */
  NOT_PERMITTED = 'NOT_PERMITTED',
}
registerEnumType(GroupRuleKind, { name: 'GroupFilterRuleKind' });

export enum ValuePick {
  ALL = 'ALL',
  /** The first value in type preference order. */
  FIRST = 'FIRST',
}
registerEnumType(ValuePick, { name: 'AttributeValuePick' });

/** Patterns run on RE2 (src/security/safe-regex.ts); one RE2 refuses is refused on save. */
const patternSchema = z.string().min(1).max(1024).superRefine((pattern, ctx) => {
  const problem = wholeValuePatternProblem(pattern);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});

const valueRuleSchema = z.object({
  /** Types to keep, in order of preference; empty keeps every type. */
  types: z.array(z.string().min(1).max(64)).max(50).default([]),
  pick: z.nativeEnum(ValuePick).default(ValuePick.ALL),
});

export const ATTRIBUTE_KINDS = ['names', 'emailAddresses', 'identifiers', 'urls', 'addresses', 'telephoneNumbers'] as const;
export type AttributeKind = (typeof ATTRIBUTE_KINDS)[number];

export const dataFilterSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('GROUP_FILTER'),
    rules: z.array(z.object({ pattern: patternSchema, rule: z.nativeEnum(GroupRuleKind) })).min(1).max(100),
  }),
  z.object({ kind: z.literal('GROUP_NAME'), identifierType: z.string().min(1).max(64) }),
  z.object({
    kind: z.literal('ATTRIBUTES'),
    ...Object.fromEntries(ATTRIBUTE_KINDS.map((kind) => [kind, valueRuleSchema.optional()])),
  } as Record<'kind', z.ZodLiteral<'ATTRIBUTES'>> & Record<AttributeKind, z.ZodOptional<typeof valueRuleSchema>>),
]);
export type DataFilter = z.infer<typeof dataFilterSchema>;
export const dataFiltersSchema = z.array(dataFilterSchema).max(20);

export type FilterOutcome = { subject: SubjectPayload; excluded: null } | { subject: SubjectPayload; excluded: string };

/** Applies the target's filters in order. The first exclusion ends it, with the reason. */
export function applyDataFilters(filters: readonly DataFilter[], subject: SubjectPayload): FilterOutcome {
  let current = subject;
  for (const [index, filter] of filters.entries()) {
    const result = applyOne(filter, current);
    if (typeof result === 'string') return { subject: current, excluded: `data filter ${index + 1} (${filter.kind}): ${result}` };
    current = result;
  }
  return { subject: current, excluded: null };
}

function applyOne(filter: DataFilter, subject: SubjectPayload): SubjectPayload | string {
  if (subject.subjectType === 'SERVICE' || subject.subjectType === 'EMAIL_LIST') return subject;
  switch (filter.kind) {
    case 'GROUP_FILTER':
      return groupFilter(filter.rules, subject);
    case 'GROUP_NAME':
      return groupName(filter.identifierType, subject);
    case 'ATTRIBUTES':
      return subject.subjectType === 'PERSON' ? attributes(filter, subject) : subject;
  }
}

type Rule = { pattern: string; rule: GroupRuleKind };

/**
 * The first rule whose pattern matches the whole group name decides; no match leaves it out.
 * Patterns run on RE2; a stored one RE2 refuses (saved before patterns were checked against it)
 * throws, which fails the target for this subject with the reason (nothing is sent) rather than
 * guessing which rule would have applied.
 */
function ruleFor(rules: readonly Rule[], groupName: string): Rule | null {
  return rules.find((rule) => compiledPattern(rule.pattern).test(groupName)) ?? null;
}

function compiledPattern(pattern: string) {
  try {
    return wholeValueRegex(pattern);
  } catch (error) {
    if (error instanceof UnsafePatternError) throw new Error(`group pattern "${pattern}": ${error.message}; save the filter again with a pattern RE2 accepts`);
    throw error;
  }
}

function groupFilter(rules: readonly Rule[], subject: GroupPayload | PersonPayload): SubjectPayload | string {
  const passes = (name: string) => {
    const rule = ruleFor(rules, name);
    return rule !== null && rule.rule !== GroupRuleKind.NOT_PERMITTED;
  };
  if (subject.subjectType === 'GROUP') {
    const rule = ruleFor(rules, subject.name);
    if (!rule) return `${subject.name} matches no rule`;
    if (rule.rule === GroupRuleKind.NOT_PERMITTED) return `${subject.name} is not permitted (${rule.pattern})`;
    return subject;
  }
  if (subject.skeleton) return subject;
  const required = rules.filter((rule) => rule.rule === GroupRuleKind.REQUIRED);
  if (required.length > 0 && !subject.memberships.some((m) => ruleFor(rules, m.groupName)?.rule === GroupRuleKind.REQUIRED)) {
    return 'the person is in no group matching a REQUIRED rule';
  }
  return { ...subject, memberships: subject.memberships.filter((m) => passes(m.groupName)) };
}

/** Sends a group's identifier of the chosen type as its name (groups without one keep theirs). */
function groupName(identifierType: string, subject: GroupPayload | PersonPayload): SubjectPayload {
  const renamed = (name: string, identifiers: { type: string; value: string }[]) =>
    identifiers.find((identifier) => identifier.type === identifierType)?.value ?? name;
  if (subject.subjectType === 'GROUP') return { ...subject, name: renamed(subject.name, subject.identifiers) };
  return {
    ...subject,
    memberships: subject.memberships.map((m): MembershipPayload => ({ ...m, groupName: renamed(m.groupName, m.groupIdentifiers) })),
  };
}

function pick<T extends { type: string }>(values: T[], rule: z.infer<typeof valueRuleSchema> | undefined): T[] {
  if (!rule) return values;
  const order = (value: T) => (rule.types.length ? rule.types.indexOf(value.type) : 0);
  const kept = values.filter((value) => order(value) >= 0);
  // Stable: values of one type keep their registry order.
  const sorted = kept.map((value, index) => ({ value, index })).sort((a, b) => order(a.value) - order(b.value) || a.index - b.index);
  const result = sorted.map(({ value }) => value);
  return rule.pick === ValuePick.FIRST ? result.slice(0, 1) : result;
}

function attributes(filter: Extract<DataFilter, { kind: 'ATTRIBUTES' }>, person: PersonPayload): PersonPayload {
  if (person.skeleton) return person;
  const names = pick(person.names, filter.names);
  const primaryName = names.find((name) => name.primary) ?? names[0] ?? null;
  return {
    ...person,
    names,
    primaryName,
    emailAddresses: pick(person.emailAddresses, filter.emailAddresses),
    identifiers: pick(person.identifiers, filter.identifiers),
    urls: pick(person.urls, filter.urls),
    roles: person.roles.map((role) => ({
      ...role,
      addresses: pick(role.addresses, filter.addresses),
      telephoneNumbers: pick(role.telephoneNumbers, filter.telephoneNumbers),
    })),
  };
}
