import { registerEnumType } from 'type-graphql';
import { UnsafePatternError, wholeValueRegex, type SafeRegex } from '../security/safe-regex';

/**
 * Which groups a folder tree makes provisionable on a target: the current Grouper model
 * (spec grouper-provisionability.md, section 0 and 2). Only direct assignments are stored;
 * inheritance is computed here, by name, every time, so renames and moves count at once (R12).
 * This module is pure: the service feeds it what it read and stores what it answers.
 */

export enum FolderScope {
  /** The folder's direct child groups only. */
  ONE = 'ONE',
  /** Every group below the folder, at any depth. */
  SUB = 'SUB',
}
registerEnumType(FolderScope, { name: 'FolderScope', description: 'How far down a folder assignment reaches.' });

export enum DecisionSource {
  /** The group's own assignment decided (R1). */
  GROUP_ASSIGNMENT = 'GROUP_ASSIGNMENT',
  /** The nearest applicable folder decided (R2). */
  FOLDER = 'FOLDER',
  /** No assignment applies: not provisionable. */
  NONE = 'NONE',
  /** The group is deleted (R9). */
  DELETED = 'DELETED',
}
registerEnumType(DecisionSource, { name: 'ProvisionabilityDecisionSource' });

export enum FailedFilter {
  POLICY = 'POLICY',
  REGEX = 'REGEX',
}
registerEnumType(FailedFilter, { name: 'ProvisionabilityFilter' });

/** A direct assignment on a folder, keyed by the folder's current full name. */
export interface FolderRule {
  assignmentId: string;
  folderId: string;
  folderFullName: string;
  provision: boolean;
  scope: FolderScope;
  metadata: Record<string, unknown> | null;
  /** Override of the target's "only policy groups"; null: not overridden. */
  onlyPolicyGroups: boolean | null;
  /** Override of the target's regex expression; null: not overridden. */
  provisionableRegex: string | null;
}

export interface GroupRule {
  assignmentId: string;
  provision: boolean;
  metadata: Record<string, unknown> | null;
}

export interface TargetRules {
  onlyPolicyGroups: boolean;
  provisionableRegex: string | null;
  allowPolicyGroupOverride: boolean;
  allowRegexOverride: boolean;
}

export interface GroupFacts {
  id: string;
  /** Full name, e.g. "a:b:staff". */
  fullName: string;
  policy: boolean;
  deleted?: boolean;
}

export interface Decision {
  provisionable: boolean;
  source: DecisionSource;
  assignmentId: string | null;
  /** The deciding folder (FOLDER), or null. */
  folderId: string | null;
  folderFullName: string | null;
  /** 1 = the group's parent folder. */
  depth: number | null;
  failedFilter: FailedFilter | null;
  metadata: Record<string, unknown> | null;
  /** ONE folders passed over on the way up, deeper than their reach (R3). */
  skippedFolders: string[];
  explanation: string;
}

const SEPARATOR = ':';
const parentName = (name: string): string | null => {
  const at = name.lastIndexOf(SEPARATOR);
  return at < 0 ? null : name.slice(0, at);
};
const lastSegment = (name: string): string => name.slice(name.lastIndexOf(SEPARATOR) + 1);

export function decide(group: GroupFacts, groupRule: GroupRule | null, folders: ReadonlyMap<string, FolderRule>, target: TargetRules): Decision {
  const base = { assignmentId: null, folderId: null, folderFullName: null, depth: null, failedFilter: null, metadata: null, skippedFolders: [] as string[] };
  if (group.deleted) return { ...base, provisionable: false, source: DecisionSource.DELETED, explanation: 'the group is deleted' };
  if (groupRule) {
    // R1: the group's own assignment wins both ways, without filters.
    return {
      ...base,
      provisionable: groupRule.provision,
      source: DecisionSource.GROUP_ASSIGNMENT,
      assignmentId: groupRule.assignmentId,
      metadata: groupRule.provision ? groupRule.metadata : null,
      explanation: groupRule.provision
        ? "the group's own assignment provisions it"
        : "the group's own assignment says not to provision it",
    };
  }
  const skipped: string[] = [];
  let depth = 0;
  for (let name = parentName(group.fullName); name !== null; name = parentName(name)) {
    depth += 1;
    const folder = folders.get(name);
    if (!folder) continue;
    if (depth > 1 && folder.scope !== FolderScope.SUB) {
      skipped.push(name); // R3: a ONE folder does not reach this deep, neither granting nor blocking
      continue;
    }
    const decided = { ...base, source: DecisionSource.FOLDER, assignmentId: folder.assignmentId, folderId: folder.folderId, folderFullName: name, depth, skippedFolders: skipped };
    const where = `folder ${name} (${folder.scope}, depth ${depth})`;
    if (!folder.provision) return { ...decided, provisionable: false, explanation: `${where} says not to provision its groups` }; // R5
    // R6: filters of the deciding folder; a failure ends the walk.
    if (onlyPolicy(folder, target) && !group.policy) {
      return { ...decided, provisionable: false, failedFilter: FailedFilter.POLICY, explanation: `${where} provisions policy groups only, and this is not one` };
    }
    const expression = regexOf(folder, target);
    if (expression) {
      const matcher = compiled(expression);
      if (matcher instanceof RegexExpressionError) {
        // Stored before expressions were checked against RE2: it is never run on a backtracking
        // engine. The filter fails closed (no group is granted by a rule nobody can evaluate),
        // whatever its verb, and says why, until an admin saves it again.
        return {
          ...decided,
          provisionable: false,
          failedFilter: FailedFilter.REGEX,
          explanation: `${where}: the regex expression "${expression}" cannot be evaluated (${matcher.message}); no group passes it until it is corrected`,
        };
      }
      if (!matcher.matches(group.fullName)) {
        return { ...decided, provisionable: false, failedFilter: FailedFilter.REGEX, explanation: `${where}: the name fails "${expression}"` };
      }
    }
    return { ...decided, provisionable: true, metadata: folder.metadata, explanation: `${where} provisions it` }; // R8
  }
  const passed = skipped.length ? ` (passed over ${skipped.join(', ')}: ONE folders reach their direct children only)` : '';
  return { ...base, skippedFolders: skipped, provisionable: false, source: DecisionSource.NONE, explanation: `no folder above it is marked for this target${passed}` };
}

function onlyPolicy(folder: FolderRule, target: TargetRules): boolean {
  return target.allowPolicyGroupOverride && folder.onlyPolicyGroups !== null ? folder.onlyPolicyGroups : target.onlyPolicyGroups;
}

function regexOf(folder: FolderRule, target: TargetRules): string | null {
  return target.allowRegexOverride && folder.provisionableRegex ? folder.provisionableRegex : target.provisionableRegex;
}

export class RegexExpressionError extends Error {}

type Matcher = ReturnType<typeof parseRegexExpression>;
const compiledExpressions = new Map<string, Matcher | RegexExpressionError>();
/** The parsed expression, or why it cannot be used; both cached, so a bad one is not reparsed per group. */
function compiled(expression: string): Matcher | RegexExpressionError {
  let matcher = compiledExpressions.get(expression);
  if (!matcher) {
    try {
      matcher = parseRegexExpression(expression);
    } catch (error) {
      if (!(error instanceof RegexExpressionError)) throw error;
      matcher = error;
    }
    if (compiledExpressions.size > 1000) compiledExpressions.clear();
    compiledExpressions.set(expression, matcher);
  }
  return matcher;
}

const GRAMMAR = /^\s*(folderExtension|folderName|groupExtension|groupName)\s+(matches|not\s+matches)\s+(.+)$/;

/**
 * R7: `groupExtension|groupName|folderExtension|folderName  matches|not matches  <regex>`, the
 * regex matching the whole value (as Java's Pattern.matches does). The regex runs on RE2
 * (linear time; no backreferences or lookaround); one RE2 refuses is a RegexExpressionError.
 */
export function parseRegexExpression(expression: string): { matches(groupFullName: string): boolean } {
  const parsed = GRAMMAR.exec(expression);
  if (!parsed) {
    throw new RegexExpressionError(
      'expected "<groupExtension|groupName|folderExtension|folderName> <matches|not matches> <regex>", e.g. "groupExtension not matches .*_excludes"',
    );
  }
  const [, component, verb, pattern] = parsed;
  let regex: SafeRegex;
  try {
    regex = wholeValueRegex(pattern.trim());
  } catch (error) {
    if (error instanceof UnsafePatternError) throw new RegexExpressionError(error.message);
    throw error;
  }
  const negate = verb !== 'matches';
  const valueOf = (groupFullName: string): string => {
    const folder = parentName(groupFullName) ?? '';
    if (component === 'groupName') return groupFullName;
    if (component === 'groupExtension') return lastSegment(groupFullName);
    if (component === 'folderName') return folder;
    return lastSegment(folder);
  };
  return { matches: (groupFullName) => regex.test(valueOf(groupFullName)) !== negate };
}
