/**
 * Jobs: what must happen after a decision (post or edit a message, DM
 * someone, grant in Looker, follow a rerun) and recurring work (freshness
 * checks, expiry sweeps), stored in the `jobs` collection in the same
 * transaction as the decision, and carried out by the runner
 * (src/jobs/runner.ts), once, even across crashes and replicas.
 *
 * A job's key is its identity: enqueueing a key that exists does nothing
 * (a repeated delivery, a double click, a retried transaction), unless the
 * job asks to be coalesced (see JobSpec.coalesce).
 */
import type { StoreDoc, StoreTx } from '../ports/store.js';

export const JOBS = 'jobs';

/** How long a finished job is kept (then its `expiresAt` lets a TTL policy delete it). */
export const KEEP_FINISHED_MS = 7 * 86_400_000;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type JobPayload = { [k: string]: JsonValue };

/** A job to enqueue. */
export interface JobSpec {
  /** Identity: one job per key (e.g. `looker.grant:la_123`). At most 500 characters; no `/`. */
  key: string;
  /** Names the handler. */
  kind: string;
  payload: JobPayload;
  /** Epoch ms when it becomes due; default now. */
  runAt?: number;
  /**
   * For jobs that bring something up to date (edit a card to the request's
   * current state): enqueueing it again while it waits does nothing (but bring
   * it forward, should it wait for later than asked), while it runs makes it
   * run once more afterwards, and after it finished runs it anew.
   */
  coalesce?: boolean;
}

export type JobState = 'pending' | 'done' | 'failed';

/** A stored job. */
export interface JobDoc extends StoreDoc {
  kind: string;
  payload: JobPayload;
  state: JobState;
  /** Pending: when it is due (a runner that claims it moves this to the end of its lease). Finished: null. */
  runAt: number | null;
  /** Attempts so far (a claim counts one). */
  attempts: number;
  coalesce: boolean;
  /** Run once more after the current run (a coalesced job enqueued while running). */
  again: boolean;
  /** The runner that claimed it last. */
  holder: string | null;
  claimedAt: number | null;
  createdAt: number;
  finishedAt: number | null;
  /** A short, safe description of the last failure. */
  lastError: string | null;
  /**
   * Due, but a runner that read it had no handler for its kind (another version's, in a rolling deploy), since
   * then (epoch ms): it is set aside (`runAt` later, by the time it has waited) until a runner that knows the kind
   * takes it, or an hour has passed. Its claim clears it.
   */
  unknownKindSince?: number | null;
  /**
   * Put back (DeferJob: its channel's turn, a look Slack rate-limited) and due again, from a go that was due then (of
   * several put-backs in a row, the first): the same attempt, run later (JobContext.putBackFrom). Its claim clears it.
   */
  putBackFrom?: number | null;
  expiresAt?: number;
}

/** A job key from parts: joined with `:`, slashes replaced (Firestore IDs may not hold them), at most 500 characters. */
export function jobKey(...parts: Array<string | number>): string {
  return parts.map((p) => String(p).replace(/\//g, '_')).join(':').slice(0, 500);
}

/**
 * Enqueues a job inside a transaction (with the decision that implies it).
 * Returns whether anything was written.
 */
export async function enqueue(tx: StoreTx, spec: JobSpec, now: number = Date.now()): Promise<boolean> {
  const existing = await tx.get<JobDoc>(JOBS, spec.key);
  const fresh = freshJob(spec, now);
  if (!existing) {
    tx.put(JOBS, spec.key, fresh);
    return true;
  }
  const job = existing.data;
  // Set aside by a runner that did not know its kind: asked for again, it is due again (a newer runner takes it).
  if (job.state === 'pending' && job.holder === null && job.unknownKindSince != null && job.runAt !== null && fresh.runAt !== null && fresh.runAt < job.runAt) {
    tx.put(JOBS, spec.key, { ...job, runAt: fresh.runAt });
    return true;
  }
  if (!spec.coalesce) return false;
  if (job.state !== 'pending') {
    tx.put(JOBS, spec.key, fresh);
    return true;
  }
  if (job.holder !== null && !job.again) {
    tx.put(JOBS, spec.key, { ...job, again: true, payload: spec.payload });
    return true;
  }
  // Waiting for later (a retry's pause, or a card tried again hours after it gave up): asked for sooner, it runs then.
  if (job.holder === null && job.runAt !== null && fresh.runAt !== null && fresh.runAt < job.runAt) {
    tx.put(JOBS, spec.key, { ...job, runAt: fresh.runAt, payload: spec.payload });
    return true;
  }
  return false;
}

/** The stored form of a job just enqueued. */
export function freshJob(spec: JobSpec, now: number): JobDoc {
  return {
    kind: spec.kind,
    payload: spec.payload,
    state: 'pending',
    runAt: spec.runAt ?? now,
    attempts: 0,
    coalesce: spec.coalesce ?? false,
    again: false,
    holder: null,
    claimedAt: null,
    createdAt: now,
    finishedAt: null,
    lastError: null,
  };
}

/** Makes a pending job that waits for later due at `at` (what it waited for has happened); true if it did. */
export async function bringForward(tx: StoreTx, key: string, at: number): Promise<boolean> {
  const job = (await tx.get<JobDoc>(JOBS, key))?.data;
  if (!job || job.state !== 'pending' || job.holder !== null || job.runAt === null || job.runAt <= at) return false;
  tx.put(JOBS, key, { ...job, runAt: at });
  return true;
}

/**
 * What a pending job waited for has happened (a run it follows has ended): one waiting for later is due at `at`;
 * one running now runs once more when it ends, however it meant to wait. False when no such job is pending.
 */
export async function wake(tx: StoreTx, key: string, at: number): Promise<boolean> {
  const job = (await tx.get<JobDoc>(JOBS, key))?.data;
  if (!job || job.state !== 'pending') return false;
  if (job.holder !== null) {
    if (!job.again) tx.put(JOBS, key, { ...job, again: true });
  } else if (job.runAt !== null && job.runAt > at) {
    tx.put(JOBS, key, { ...job, runAt: at });
  }
  return true;
}

/** Enqueues several jobs in one transaction. */
export async function enqueueAll(tx: StoreTx, specs: readonly JobSpec[], now: number = Date.now()): Promise<void> {
  for (const spec of specs) await enqueue(tx, spec, now);
}
