import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyDataFilters, GroupRuleKind, type DataFilter } from '../../src/data-filters/filters';
import { decide, FolderScope, parseRegexExpression, RegexExpressionError, type FolderRule, type TargetRules } from '../../src/provisionability/rules';
import type { GroupPayload } from '../../src/provisioning/payload';
import { safeRegex, UnsafePatternError, wholeValueRegex } from '../../src/security/safe-regex';

/**
 * Admin-supplied patterns run in bounded time: known catastrophic-backtracking patterns against
 * inputs built to trigger it, through the module and through the rule evaluator and the data
 * filter Ferry actually uses. Each evaluation gets BOUND_MS; on a backtracking engine a single one
 * of these takes seconds to forever (31 "a"s and a "!" took 17 s on `(a+)+$`).
 */
const BOUND_MS = 50;

const CATASTROPHIC = ['(a+)+$', '(a|aa)+$', '(a|a?)+$', '(.*a){12}', '^(\\w+\\s?)*$', '(x+x+)+y', '(a*)*b', '([a-z]+)*[0-9]', '(\\w|\\d)+!x'];

/** Long runs of what the patterns eat, then something that makes the match fail at the very end. */
const adversarial: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('a', 'x', 'aa', 'a ', 'ab '),
    fc.integer({ min: 1, max: 3000 }),
    fc.constantFrom('!', '', 'y!', '\u0000', ' !', '1!'),
  )
  .map(([unit, length, tail]) => unit.repeat(Math.ceil(length / unit.length)) + tail);

function timed<T>(evaluate: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = evaluate();
  return { value, ms: performance.now() - start };
}

function assertBounded(what: string, evaluate: () => unknown): void {
  const { ms } = timed(evaluate);
  assert.ok(ms <= BOUND_MS, `${what} took ${ms.toFixed(1)} ms (bound ${BOUND_MS} ms)`);
}

const TARGET: TargetRules = { onlyPolicyGroups: false, provisionableRegex: null, allowPolicyGroupOverride: true, allowRegexOverride: true };

function folderRule(provisionableRegex: string): FolderRule {
  return {
    assignmentId: 'assignment',
    folderId: 'folder',
    folderFullName: 'f',
    provision: true,
    scope: FolderScope.SUB,
    metadata: null,
    onlyPolicyGroups: null,
    provisionableRegex,
  };
}

function groupPayload(name: string): GroupPayload {
  return {
    subjectType: 'GROUP',
    id: 'g',
    organizationId: 'o',
    name,
    extension: name.slice(name.lastIndexOf(':') + 1),
    description: null,
    status: 'Active' as GroupPayload['status'],
    groupType: 'Standard' as GroupPayload['groupType'],
    identifiers: [],
    members: [],
  };
}

describe('admin-supplied regular expressions run in bounded time (RE2)', () => {
  it('the reported case: groupExtension matches (a+)+$ against 31 "a"s and "!" answers at once, and correctly', () => {
    const name = `f:${'a'.repeat(31)}!`;
    const folders = new Map([['f', folderRule('groupExtension matches (a+)+$')]]);
    const { value: decision, ms } = timed(() => decide({ id: 'g', fullName: name, policy: false }, null, folders, TARGET));
    assert.ok(ms <= BOUND_MS, `took ${ms.toFixed(1)} ms`);
    assert.equal(decision.provisionable, false);
    assert.equal(decision.failedFilter, 'REGEX');
    const passes = decide({ id: 'g2', fullName: `f:${'a'.repeat(31)}`, policy: false }, null, folders, TARGET);
    assert.equal(passes.provisionable, true, 'a name the pattern matches still passes');
  });

  it('property: every catastrophic pattern on every adversarial input, through the module, the rule evaluator and the data filter', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATASTROPHIC), adversarial, fc.constantFrom('matches', 'not matches'), (pattern, input, verb) => {
        assertBounded(`safeRegex(${pattern}) on ${input.length} chars`, () => safeRegex(pattern).test(input));
        assertBounded(`wholeValueRegex(${pattern}) on ${input.length} chars`, () => wholeValueRegex(pattern).test(input));

        const expression = `groupExtension ${verb} ${pattern}`;
        assertBounded(`parseRegexExpression("${expression}")`, () => parseRegexExpression(expression).matches(`f:${input}`));
        const folders = new Map([['f', folderRule(expression)]]);
        const target: TargetRules = { ...TARGET, provisionableRegex: `groupName ${verb} ${pattern}` };
        assertBounded(`decide() with "${expression}"`, () => decide({ id: 'g', fullName: `f:${input}`, policy: false }, null, folders, target));
        assertBounded(`decide() with the target's "${target.provisionableRegex}"`, () =>
          decide({ id: 'g', fullName: `f:${input}`, policy: false }, null, new Map([['f', folderRule('')]]), target),
        );

        const filters: DataFilter[] = [{ kind: 'GROUP_FILTER', rules: [{ pattern, rule: GroupRuleKind.OPTIONAL }, { pattern: '.*', rule: GroupRuleKind.NOT_PERMITTED }] }];
        assertBounded(`data filter with ${pattern}`, () => applyDataFilters(filters, groupPayload(input)));
      }),
      { numRuns: 300 },
    );
  });

  it('whole-value semantics are kept: the pattern must match the whole value', () => {
    assert.equal(wholeValueRegex('keep').test('keep'), true);
    assert.equal(wholeValueRegex('keep').test('keeper'), false);
    assert.equal(wholeValueRegex('a|b').test('ab'), false);
    assert.equal(parseRegexExpression('groupExtension not matches .*_includes|.*_excludes').matches('x:team_includes'), false);
    assert.equal(parseRegexExpression('groupExtension not matches .*_includes|.*_excludes').matches('x:team'), true);
  });

  it('refuses what RE2 cannot run (backreferences, lookaround) instead of falling back to a backtracking engine', () => {
    for (const pattern of ['(a)\\1', '(?=a)a', '(?!b).*', '(?<=x)y', '(?<!x)y', '(']) {
      assert.throws(() => safeRegex(pattern), UnsafePatternError, pattern);
      assert.throws(() => safeRegex(pattern), UnsafePatternError, `${pattern}, cached refusal`);
      assert.throws(() => parseRegexExpression(`groupName matches ${pattern}`), (error: unknown) => {
        assert.ok(error instanceof RegexExpressionError);
        assert.match(error.message, /RE2/);
        return true;
      });
    }
  });

  it('a stored expression RE2 refuses fails closed, whatever its verb, and says why', () => {
    for (const verb of ['matches', 'not matches']) {
      const folders = new Map([['f', folderRule(`groupExtension ${verb} (a)\\1`)]]);
      const decision = decide({ id: 'g', fullName: 'f:aa', policy: false }, null, folders, TARGET);
      assert.equal(decision.provisionable, false, verb);
      assert.equal(decision.failedFilter, 'REGEX');
      assert.match(decision.explanation, /cannot be evaluated .*RE2.*no group passes it until it is corrected/);
    }
  });

  it('a stored data-filter pattern RE2 refuses throws (the target fails for the subject) rather than running on RegExp', () => {
    const filters: DataFilter[] = [{ kind: 'GROUP_FILTER', rules: [{ pattern: '(a)\\1', rule: GroupRuleKind.OPTIONAL }] }];
    assert.throws(() => applyDataFilters(filters, groupPayload('aa')), /group pattern "\(a\)\\1": .*RE2/);
  });
});
