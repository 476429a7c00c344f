/**
 * The rules of retrying and rescheduling jobs (src/jobs/policy.ts), as
 * tables: how long a failed job waits, when it gives up, when recurring work
 * runs next.
 */
import { describe, expect, it } from 'vitest';
import { afterFailure, backoffMs, nextRecurringRun, type RetryPolicy } from '../src/jobs/policy.js';

const policy: RetryPolicy = { maxAttempts: 4, baseMs: 1_000, maxMs: 10_000, jitter: 0.2 };
const noJitter: RetryPolicy = { ...policy, jitter: 0 };

describe('backoff', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [5, 10_000], // capped
    [40, 10_000], // still capped, no overflow
    [0, 1_000], // before any failure counts as the first
  ])('after %i failed attempt(s) waits %i ms (no jitter)', (attempt, wait) => {
    expect(backoffMs(attempt, noJitter)).toBe(wait);
  });

  it.each([
    [0, 800], // random 0: the shortest, 20% under
    [0.5, 1_000], // the middle: exactly the backoff
    [0.999999, 1_200], // just under 1: the longest, 20% over
  ])('spreads the wait by the jitter (random %f → %i ms after the first failure)', (random, wait) => {
    expect(backoffMs(1, policy, random)).toBe(wait);
  });

  it('spreads a capped wait around the cap', () => {
    expect(backoffMs(10, policy, 0)).toBe(8_000);
    expect(backoffMs(10, policy, 0.999999)).toBe(12_000);
  });
});

describe('after a failure', () => {
  it.each([
    ['a retryable failure, attempts left', 1, { retryable: true }, { retry: true, waitMs: 1_000 }],
    ['a retryable failure on the last-but-one attempt', 3, { retryable: true }, { retry: true, waitMs: 4_000 }],
    ['a retryable failure on the last attempt', 4, { retryable: true }, { retry: false }],
    ['past the last attempt', 5, { retryable: true }, { retry: false }],
    ['a refusal, on the first attempt', 1, { retryable: false }, { retry: false }],
    ['a service that asked to wait 30 s', 1, { retryable: true, retryAfterMs: 30_000 }, { retry: true, waitMs: 10_000 }],
    ['a service that asked to wait 3 s', 2, { retryable: true, retryAfterMs: 3_000 }, { retry: true, waitMs: 3_000 }],
    ['a service that asked to wait 0 s', 2, { retryable: true, retryAfterMs: 0 }, { retry: true, waitMs: 0 }],
    ['a nonsense negative wait', 2, { retryable: true, retryAfterMs: -5 }, { retry: true, waitMs: 0 }],
    ['a refusal that also asked to wait', 1, { retryable: false, retryAfterMs: 3_000 }, { retry: false }],
  ] as const)('%s', (_what, attempt, failure, expected) => {
    expect(afterFailure(attempt, failure, noJitter)).toEqual(expected);
  });
});

describe('recurring work', () => {
  it.each([
    ['on time: one interval after it was due', 1_000, 1_000, 5_000, 6_000],
    ['a little late: still one interval after it was due', 1_000, 3_000, 5_000, 6_000],
    ['late by exactly one interval: one interval from now', 1_000, 6_000, 5_000, 11_000],
    ['hours late (the bot was down): once, one interval from now, no burst', 1_000, 3_601_000, 5_000, 3_606_000],
  ])('%s', (_what, dueAt, now, interval, next) => {
    expect(nextRecurringRun(dueAt, now, interval)).toBe(next);
  });
});
