import { registerEnumType } from 'type-graphql';
import { badInput } from '../common/errors';
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
  return new Decider(folders, target).decide(group, groupRule);
}

/** The folder that decides for the groups of one folder, found by walking up from it (R2, R3). */
interface Walk {
  /** The deciding folder's name and rule, or null when none applies. */
  name: string | null;
  folder: FolderRule | null;
  depth: number;
  /** ONE folders passed over on the way up, deeper than their reach (R3). */
  skipped: string[];
}

/** How the deciding folder's rule and filters judged a group (all a folder decision depends on besides the walk). */
type Verdict = 'NONE' | 'BLOCKED' | 'POLICY' | 'REGEX_INVALID' | 'REGEX' | 'GRANTED';

/**
 * `decide` for any number of groups under the same rules. Everything in a decision but the
 * filters' verdict depends only on the group's parent folder, so the walk up the folders is made
 * once per folder and each (folder, verdict) decision built once: the decisions are shared
 * between groups and must not be changed. A full calculation decides 100,000 groups this way.
 */
export class Decider {
  private readonly byFolder = new Map<string, { walk: Walk; decisions: Partial<Record<Verdict, Decision>> }>();

  constructor(
    private readonly folders: ReadonlyMap<string, FolderRule>,
    private readonly target: TargetRules,
  ) {}

  decide(group: GroupFacts, groupRule: GroupRule | null): Decision {
    if (group.deleted) return { ...NO_FOLDER, provisionable: false, source: DecisionSource.DELETED, explanation: 'the group is deleted' };
    if (groupRule) {
      // R1: the group's own assignment wins both ways, without filters.
      return {
        ...NO_FOLDER,
        provisionable: groupRule.provision,
        source: DecisionSource.GROUP_ASSIGNMENT,
        assignmentId: groupRule.assignmentId,
        metadata: groupRule.provision ? groupRule.metadata : null,
        explanation: groupRule.provision ? "the group's own assignment provisions it" : "the group's own assignment says not to provision it",
      };
    }
    const parent = parentName(group.fullName);
    // A group at the root (no folder) has no folder above it: only its own assignment decides.
    if (parent === null) return AT_ROOT;
    const key = parent;
    let known = this.byFolder.get(key);
    if (!known) this.byFolder.set(key, (known = { walk: walkUp(parent, this.folders), decisions: {} }));
    const verdict = verdictOf(known.walk, group, this.target);
    return (known.decisions[verdict] ??= decisionOf(known.walk, verdict, this.target));
  }
}

const NO_FOLDER = { assignmentId: null, folderId: null, folderFullName: null, depth: null, failedFilter: null, metadata: null, skippedFolders: [] as string[] };

/** Shared by every group at the root without an assignment of its own; must not be changed. */
const AT_ROOT: Decision = {
  ...NO_FOLDER,
  provisionable: false,
  source: DecisionSource.NONE,
  explanation: 'the group is at the root: no folder is above it, so only its own assignment can provision it',
};

function walkUp(parent: string | null, folders: ReadonlyMap<string, FolderRule>): Walk {
  const skipped: string[] = [];
  let depth = 0;
  for (let name = parent; name !== null; name = parentName(name)) {
    depth += 1;
    const folder = folders.get(name);
    if (!folder) continue;
    if (depth > 1 && folder.scope !== FolderScope.SUB) {
      skipped.push(name); // R3: a ONE folder does not reach this deep, neither granting nor blocking
      continue;
    }
    return { name, folder, depth, skipped };
  }
  return { name: null, folder: null, depth, skipped };
}

function verdictOf({ folder }: Walk, group: GroupFacts, target: TargetRules): Verdict {
  if (!folder) return 'NONE';
  if (!folder.provision) return 'BLOCKED'; // R5
  // R6: filters of the deciding folder; a failure ends the walk.
  if (onlyPolicy(folder, target) && !group.policy) return 'POLICY';
  const expression = regexOf(folder, target);
  if (expression) {
    const matcher = compiled(expression);
    if (matcher instanceof RegexExpressionError) return 'REGEX_INVALID';
    if (!matcher.matches(group.fullName)) return 'REGEX';
  }
  return 'GRANTED';
}

function decisionOf(walk: Walk, verdict: Verdict, target: TargetRules): Decision {
  const { name, folder, depth, skipped } = walk;
  if (!folder || !name || verdict === 'NONE') {
    const passed = skipped.length ? ` (passed over ${skipped.join(', ')}: ONE folders reach their direct children only)` : '';
    return { ...NO_FOLDER, skippedFolders: skipped, provisionable: false, source: DecisionSource.NONE, explanation: `no folder above it is marked for this target${passed}` };
  }
  const decided = { ...NO_FOLDER, source: DecisionSource.FOLDER, assignmentId: folder.assignmentId, folderId: folder.folderId, folderFullName: name, depth, skippedFolders: skipped };
  const where = `folder ${name} (${folder.scope}, depth ${depth})`;
  const expression = regexOf(folder, target);
  switch (verdict) {
    case 'BLOCKED':
      return { ...decided, provisionable: false, explanation: `${where} says not to provision its groups` };
    case 'POLICY':
      return { ...decided, provisionable: false, failedFilter: FailedFilter.POLICY, explanation: `${where} provisions policy groups only, and this is not one` };
    case 'REGEX_INVALID': {
      // Stored before expressions were checked against RE2: it is never run on a backtracking
      // engine. The filter fails closed (no group is granted by a rule nobody can evaluate),
      // whatever its verb, and says why, until an admin saves it again.
      const error = compiled(expression!) as RegexExpressionError;
      return {
        ...decided,
        provisionable: false,
        failedFilter: FailedFilter.REGEX,
        explanation: `${where}: the regex expression "${expression}" cannot be evaluated (${error.message}); no group passes it until it is corrected`,
      };
    }
    case 'REGEX':
      return { ...decided, provisionable: false, failedFilter: FailedFilter.REGEX, explanation: `${where}: the name fails "${expression}"` };
    case 'GRANTED':
      return { ...decided, provisionable: true, metadata: folder.metadata, explanation: `${where} provisions it` }; // R8
  }
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

/** Checks a regex expression (R7) and says what is wrong with it in a BAD_USER_INPUT error. */
export function assertRegexExpression(expression: string | null | undefined, field: string): void {
  if (!expression) return;
  try {
    parseRegexExpression(expression);
  } catch (error) {
    if (error instanceof RegexExpressionError) throw badInput(`${field}: ${error.message}.`, field);
    throw error;
  }
}
