import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from '../../src/provisioning/retry-backoff';

/** The retry wait: doubled per failed attempt, capped, jittered upwards, never before Retry-After. */
describe('retry backoff', () => {
  const none = () => 0;
  const most = () => 1;

  it('doubles the target interval per failed attempt, up to the cap', () => {
    const policy = { maxIntervalSeconds: 600, jitter: 0.2 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelayMs(30, attempt, policy, null, none) / 1000),
      [30, 60, 120, 240, 480, 600, 600],
    );
  });

  it('keeps the interval as the first wait and as the floor when it is above the cap', () => {
    assert.equal(retryDelayMs(900, 1, DEFAULT_RETRY_POLICY, null, none), 900_000);
    assert.equal(retryDelayMs(7200, 5, DEFAULT_RETRY_POLICY, null, none), 7_200_000);
  });

  it('never waits less than the target asked (Retry-After)', () => {
    assert.equal(retryDelayMs(1, 1, DEFAULT_RETRY_POLICY, 45_000, none), 45_000);
  });

  it('stays between the backoff and the jitter above it, for any interval, attempt and draw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (interval, attempt, draw) => {
        const low = retryDelayMs(interval, attempt, DEFAULT_RETRY_POLICY, null, none);
        const high = retryDelayMs(interval, attempt, DEFAULT_RETRY_POLICY, null, most);
        const delay = retryDelayMs(interval, attempt, DEFAULT_RETRY_POLICY, null, () => draw);
        assert.ok(Number.isFinite(delay) && delay >= low && delay <= high, `${delay} within [${low}, ${high}]`);
        assert.ok(low >= interval * 1000 && low <= Math.max(interval, DEFAULT_RETRY_POLICY.maxIntervalSeconds) * 1000);
        assert.ok(high <= low * (1 + DEFAULT_RETRY_POLICY.jitter) + 1);
      }),
    );
  });

  it('spreads the retries of subjects that failed together', () => {
    const draws = [0.05, 0.35, 0.65, 0.95];
    const waits = new Set(draws.map((draw) => retryDelayMs(60, 3, DEFAULT_RETRY_POLICY, null, () => draw)));
    assert.equal(waits.size, draws.length);
  });
});
