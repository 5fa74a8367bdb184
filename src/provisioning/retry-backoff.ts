/** How long a failed provisioning waits before its next attempt (Queue On Error, Queue retries). */
export interface RetryPolicy {
  /** The longest wait, whatever the attempt (FERRY_RETRY_MAX_INTERVAL_SECONDS); never below the target's interval. */
  maxIntervalSeconds: number;
  /** The random part added on top, as a share of the wait (0.2: up to 20 % longer). */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxIntervalSeconds: 3600, jitter: 0.2 };

/**
 * The wait after failed attempt `failedAttempt` (1 = the first attempt): the target's interval
 * doubled for each attempt that failed before it (interval, 2x, 4x, ...), capped at the policy's
 * maximum (or the interval, if that is longer), then up to `jitter` longer at random, so the
 * retries of many subjects that failed together spread out instead of arriving together. Never
 * sooner than the target asked (an HTTP 429's Retry-After). A target failing for hours is thus
 * retried about once per maximum interval, not once per interval.
 */
export function retryDelayMs(
  intervalSeconds: number,
  failedAttempt: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number {
  const ceilingMs = Math.max(intervalSeconds, policy.maxIntervalSeconds) * 1000;
  const doublings = Math.min(Math.max(0, failedAttempt - 1), 52);
  const backoffMs = Math.min(ceilingMs, intervalSeconds * 1000 * 2 ** doublings);
  const jittered = backoffMs * (1 + policy.jitter * Math.min(1, Math.max(0, random())));
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}
