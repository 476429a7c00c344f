/**
 * When a failed job runs again, and when it gives up: pure rules, shared by
 * every kind of job.
 *
 * A job that fails with a retryable error waits `base · 2^(attempt-1)`, at
 * most `max`, spread by ±`jitter` so replicas do not retry in step; a service
 * that said how long to wait (Retry-After) is waited out instead, within the
 * same cap. After `maxAttempts` attempts, or at once on an error that will
 * not go away by waiting (a refusal, bad input), the job gives up.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included (≥ 1). */
  maxAttempts: number;
  /** Wait after the first failure. */
  baseMs: number;
  /** Longest wait between two attempts. */
  maxMs: number;
  /** Spread of the wait, as a fraction of it (0 to 1). */
  jitter: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseMs: 2_000, maxMs: 5 * 60_000, jitter: 0.2 };

/** What a failure says about trying again. */
export interface FailureClass {
  retryable: boolean;
  /** The service asked to wait this long (HTTP Retry-After, Slack's rate limit). */
  retryAfterMs?: number;
}

/**
 * The wait before attempt `attempt + 1`, after `attempt` failed attempts
 * (attempt ≥ 1). `random` is a number in [0, 1) (0.5: no jitter).
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random = 0.5): number {
  const n = Math.max(1, Math.floor(attempt));
  const exponential = policy.baseMs * 2 ** Math.min(n - 1, 30);
  const capped = Math.min(exponential, policy.maxMs);
  const spread = 1 + policy.jitter * (2 * random - 1);
  return Math.max(0, Math.round(capped * spread));
}

/** What to do after attempt number `attempt` failed: try again after `waitMs`, or give up. */
export function afterFailure(attempt: number, failure: FailureClass, policy: RetryPolicy, random = 0.5): { retry: true; waitMs: number } | { retry: false } {
  if (!failure.retryable || attempt >= policy.maxAttempts) return { retry: false };
  const waitMs = failure.retryAfterMs !== undefined ? Math.min(Math.max(0, failure.retryAfterMs), policy.maxMs) : backoffMs(attempt, policy, random);
  return { retry: true, waitMs };
}

/**
 * The next run of recurring work that runs every `intervalMs`: one interval
 * after it was due, or, when the runner came late (a replica was down, Cloud
 * Run sent no request), one interval from now: missed runs are not made up
 * in a burst.
 */
export function nextRecurringRun(dueAt: number, now: number, intervalMs: number): number {
  const next = dueAt + intervalMs;
  return next > now ? next : now + intervalMs;
}
