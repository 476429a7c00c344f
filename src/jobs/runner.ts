/**
 * The job runner: carries out due jobs (src/jobs/model.ts), each by the
 * handler registered for its kind.
 *
 * - Claim: a transition that moves the job's `runAt` to the end of a lease
 *   and counts an attempt. One runner wins a job; if it dies, the job is due
 *   again when the lease ends, on any replica.
 * - Done: the handler's outcome is committed in one transaction with the
 *   job's completion (the state it changed, its audit entries, the jobs it
 *   implies), and only if this runner still holds the job.
 * - Failure: retried with backoff (src/jobs/policy.ts) while the error is
 *   retryable; then the kind's `onGiveUp` records the failure where people
 *   see it, the job is marked failed and the audit log says so.
 * - Recurring work is a job that asks to run `again` at its next time.
 *
 * Triggers: `kick()` after something was enqueued, a poll timer where the
 * process keeps its CPU (`start(pollMs)`), and `runDue()` from
 * `POST /tasks/run` on Cloud Run, each run bounded by a time budget.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { expiresIn, type ListOptions, type Store, type StoreTx, type VersionedDoc } from '../ports/store.js';
import { toCodedError } from '../errors.js';
import { foregroundIdle } from '../foreground.js';
import { JOBS, KEEP_FINISHED_MS, enqueue, freshJob, type JobDoc, type JobPayload, type JobSpec } from './model.js';
import { DEFAULT_RETRY, afterFailure, type FailureClass, type RetryPolicy } from './policy.js';

/** What a handler is given. */
export interface JobContext<P extends JobPayload = JobPayload> {
  key: string;
  kind: string;
  payload: P;
  /** 1 on the first attempt. */
  attempt: number;
  /** When the job was due (epoch ms): for recurring work, the scheduled time. */
  dueAt: number;
  /** When the job was enqueued (epoch ms). */
  createdAt: number;
  /**
   * This go was put back (DeferJob) and is run again: when the go it was put back from was due (of several put-backs
   * in a row, the first). It is that go's attempt, later (`dueAt` is the time it was put back to); absent otherwise.
   */
  putBackFrom?: number;
  now(): Date;
  logger: Logger;
}

/** Writes committed with the job's completion, atomically. `enqueue` adds follow-up jobs. */
export type JobCommit = (tx: StoreTx, enqueue: (spec: JobSpec) => Promise<void>) => Promise<void> | void;

export interface JobOutcome {
  commit?: JobCommit;
  /** Run again at this time (recurring work, polling); attempts start over. */
  again?: Date;
}

export type JobHandler<P extends JobPayload = JobPayload> = (ctx: JobContext<P>) => Promise<JobOutcome | void>;

/** A failure as the handler's `onGiveUp` sees it: safe to show. */
export interface JobFailure {
  code: string;
  message: string;
}

export interface JobKind<P extends JobPayload = JobPayload> {
  handler: JobHandler<P>;
  /** Records a failure people will see (the card says so, someone is told); committed with the job's failed state. */
  onGiveUp?: (ctx: JobContext<P>, failure: JobFailure) => JobCommit | undefined;
  retry?: Partial<RetryPolicy>;
  /** Recurring work: after giving up, it is not failed for good but runs again at this time (none: failed). */
  resumeAt?: (ctx: JobContext<P>, failure: JobFailure) => Date | undefined;
}

/** A job kind with a typed payload, for a registration list. */
export function defineJob<P extends JobPayload>(spec: JobKind<P>): JobKind {
  return spec as unknown as JobKind;
}

export interface RunSummary {
  ran: number;
  done: number;
  retried: number;
  failed: number;
  /** Whether due jobs were left when the budget ran out. */
  more: boolean;
  ms: number;
}

export interface JobRunnerOptions {
  store: Store;
  logger: Logger;
  /** Who this runner is (claims). */
  holder?: string;
  /** How long a claim holds without renewal: a dead runner's jobs are due again after this long. */
  leaseMs?: number;
  /** Jobs run at once by this runner. */
  concurrency?: number;
  now?: () => Date;
  /** Random numbers for retry jitter (tests fix it). */
  random?: () => number;
}

/** An error that says whether waiting will help (adapters set `retryable`, `retryAfterMs`). */
export function classify(err: unknown): FailureClass {
  const e = err as { retryable?: unknown; retryAfterMs?: unknown } | null;
  const retryable = typeof e?.retryable === 'boolean' ? e.retryable : true;
  const retryAfterMs = typeof e?.retryAfterMs === 'number' ? e.retryAfterMs : undefined;
  return retryAfterMs !== undefined ? { retryable, retryAfterMs } : { retryable };
}

/**
 * A handler throws this to be run again later without it counting as a
 * failed attempt (Slack's posting rate in a channel is used up until then).
 */
export class DeferJob extends Error {
  constructor(readonly untilMs: number) {
    super(`deferred until ${new Date(untilMs).toISOString()}`);
  }
}

/** An error a handler throws to give up at once, with a message people may see. */
export class PermanentJobError extends Error {
  readonly code: string = 'job_refused';
  readonly retryable = false;
}

/** A job claimed more often than it may be tried, ended by the runner: its message is the runner's, not the handler's. */
export class JobNeverFinishedError extends PermanentJobError {
  override readonly code = 'job_never_finished';
}

/** Due jobs read per listing. */
const LIST_BATCH = 50;

/** How often a long run lists due jobs from the start again, where no poll interval says (Cloud Run's `/tasks/run`). */
const RESCAN_MS = 10_000;

/** How long a due job of a kind no runner knows waits for one (a rolling deploy) before it ends as failed. */
export const UNKNOWN_KIND_GRACE_MS = 60 * 60_000;

/**
 * Meanwhile it is set aside, due again after as long as it has waited so far, within these bounds: a run does not
 * read it again (a billed read on Firestore, at every poll of every replica), and a runner that knows its kind
 * still finds it due soon after it comes up.
 */
export const UNKNOWN_KIND_SET_ASIDE_MS = { min: 30_000, max: 10 * 60_000 } as const;

export class JobRunner {
  readonly holder: string;
  private readonly kinds = new Map<string, JobKind<JobPayload>>();
  /** Jobs of kinds this runner has no handler for, warned about once each. */
  private readonly warnedUnknown = new Set<string>();
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly now: () => Date;
  private readonly random: () => number;
  private pollTimer: NodeJS.Timeout | undefined;
  /** The poll interval `start` was given: a long run lists from the start again this often. */
  private pollMs: number | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private draining: Promise<RunSummary> | undefined;
  /** While a run is under way: has its workers with nothing to do list again (something may have fallen due). */
  private wakeDrain: (() => void) | undefined;
  private next: Promise<RunSummary> | undefined;
  /** A kick came while `next` waited (it relies on that run). */
  private kickedWhileWaiting = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly waiters = new Set<() => void>();
  private readonly stopListeners = new Set<() => void>();

  constructor(opts: JobRunnerOptions) {
    this.store = opts.store;
    this.logger = opts.logger.child({ component: 'jobs' });
    this.holder = opts.holder ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = opts.leaseMs ?? 120_000;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.now = opts.now ?? (() => new Date());
    this.random = opts.random ?? Math.random;
  }

  /** Registers the handler of a kind of job. */
  register<P extends JobPayload>(kind: string, spec: JobKind<P>): void {
    if (this.kinds.has(kind)) throw new Error(`job kind ${kind} is registered twice`);
    this.kinds.set(kind, spec as unknown as JobKind<JobPayload>);
  }

  /** Whether a kind has a handler. */
  handles(kind: string): boolean {
    return this.kinds.has(kind);
  }

  /**
   * Schedules recurring work at start-up (fixed keys: once across replicas); the trigger runs it when due.
   * Work already scheduled keeps its time, unless this start-up asks for it sooner (its interval was
   * lowered: a check a day away under the old interval is not waited for). Work that ended (its interval
   * was set to 0, then back) starts again: the finished job would otherwise hold its key, and nothing ran,
   * until it expired a week later.
   */
  async enqueue(...specs: JobSpec[]): Promise<void> {
    const at = this.now().getTime();
    await this.store.runTransaction(async (tx) => {
      for (const spec of specs) {
        const existing = await tx.get<JobDoc>(JOBS, spec.key);
        const fresh = freshJob(spec, at);
        if (!existing || existing.data.state !== 'pending') tx.put<JobDoc>(JOBS, spec.key, fresh);
        else if (existing.data.holder === null && existing.data.runAt !== null && fresh.runAt !== null && fresh.runAt < existing.data.runAt) {
          tx.put<JobDoc>(JOBS, spec.key, { ...existing.data, runAt: fresh.runAt });
        }
      }
    });
  }

  /**
   * Runs due jobs until none is left or `budgetMs` has passed (then lets the
   * running ones finish). One run at a time per process: a call while one is
   * under way waits for it and then runs once more (callers arriving
   * meanwhile share that run), so whatever was due when it was called runs.
   * The budget counts from the call: time spent waiting for the run under way
   * is taken from it (a `/tasks/run` must answer within its scheduler deadline).
   */
  runDue(options: { budgetMs?: number } = {}): Promise<RunSummary> {
    const budgetMs = options.budgetMs ?? 30_000;
    const deadline = Date.now() + budgetMs;
    if (!this.draining) {
      this.draining = this.drain(budgetMs).finally(() => {
        this.draining = undefined;
      });
      this.track(this.draining.catch(() => undefined));
      return this.draining;
    }
    this.next ??= this.draining
      .catch(() => undefined)
      .then(async () => {
        this.next = undefined;
        const kicked = this.kickedWhileWaiting;
        this.kickedWhileWaiting = false;
        const summary = await this.runDue({ budgetMs: Math.max(0, deadline - Date.now()) });
        // Work kicked while this run waited counted on it; cut short by its budget (the run under way took it),
        // it may not have reached that work: a run of its own does, instead of the next scheduler call.
        if (kicked && summary.more) this.kick();
        return summary;
      });
    return this.next;
  }

  /**
   * Runs due jobs soon, in the background (after something was enqueued).
   * While a run is under way and another already waits to follow it, a kick
   * adds nothing: that run starts after this one and finds what is due (and if
   * its budget ends before it has looked, a run of its own follows). Under
   * steady load a run lasts its whole budget, and a wait per kick held up to
   * 1,864 promises at once (in the ack-charts benchmark).
   */
  kick(): void {
    // Enqueued from outside the run (a click, a command): the run under way takes it, if one of its workers is free,
    // not only the run after it, once its slowest job ends.
    if (!this.stopped) this.wakeDrain?.();
    this.kickAfterJob();
  }

  /** A job's end kicks the run after this one (what the job enqueued), as any kick does, without waking this one. */
  private kickAfterJob(): void {
    if (this.stopped || this.kickTimer) return;
    if (this.next) {
      this.kickedWhileWaiting = true;
      return;
    }
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      if (this.next) {
        this.kickedWhileWaiting = true;
        return;
      }
      this.track(this.runDue().catch((err: unknown) => this.logger.error('job run failed', { err: toCodedError(err) })));
    }, 0);
  }

  /** Polls for due jobs every `pollMs` (where the process keeps its CPU between requests). */
  start(pollMs: number): void {
    this.stopped = false;
    if (this.pollTimer || pollMs <= 0) return;
    this.pollMs = pollMs;
    const tick = () => {
      this.pollTimer = setTimeout(() => {
        // While a run is under way, its free workers look too (a job put back until now is due), not only the next run.
        this.wakeDrain?.();
        const run = this.runDue()
          .catch((err: unknown) => this.logger.error('job run failed', { err: toCodedError(err) }))
          .finally(() => {
            if (!this.stopped) tick();
          });
        this.track(run);
      }, pollMs);
      this.pollTimer.unref?.();
    };
    tick();
  }

  /** Whether no run is under way, waiting to follow one, or kicked (a test moves its clock only then). */
  get idle(): boolean {
    return !this.draining && !this.next && !this.kickTimer;
  }

  /** Whether a poll timer is running (the Cloud Run mode has none). */
  get polling(): boolean {
    return this.pollTimer !== undefined;
  }

  /**
   * Stops the timers and waits (up to `graceMs`) for running jobs. Their claims are renewed meanwhile (and after, while
   * the process lives): what is left when the process exits is due again after its lease, not during the grace.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    for (const listener of this.stopListeners) listener();
    this.stopListeners.clear();
    clearTimeout(this.pollTimer);
    clearTimeout(this.kickTimer);
    this.pollTimer = undefined;
    this.kickTimer = undefined;
    for (const wake of this.waiters) wake();
    const all = Promise.allSettled([...this.inFlight]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref?.())]);
  }

  /** Calls `listener` when the runner is told to stop (at once if it has been); returns what unsubscribes it. */
  onStop(listener: () => void): () => void {
    if (this.stopped) {
      listener();
      return () => {};
    }
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  /**
   * After a restart of a single-process store, no other runner can hold a
   * claim: makes every claimed job due now instead of after its lease.
   */
  async releaseAbandonedClaims(): Promise<number> {
    const now = this.now().getTime();
    const pending = await this.store.list<JobDoc>(JOBS, { where: { field: 'runAt', op: '>', value: now } });
    let released = 0;
    for (const job of pending) {
      if (job.data.state !== 'pending' || job.data.holder === null || job.data.holder === this.holder) continue;
      const res = await this.store.transition<JobDoc>(JOBS, job.id, (j) => j.state === 'pending' && j.holder === job.data.holder, () => ({ runAt: now, holder: null }));
      if (res.ok) released++;
    }
    if (released) this.logger.info('released the claims of a previous process', { jobs: released });
    return released;
  }

  /**
   * Makes due now the jobs an older runner set aside because it had no handler for their kind, where this
   * runner has one (a rolling deploy that added the kind): they would otherwise wait out the set-aside, up to
   * ten minutes. Their first due time stays their `dueAt`.
   */
  async resumeSetAside(): Promise<number> {
    const now = this.now().getTime();
    const setAside = await this.store.list<JobDoc>(JOBS, { where: { field: 'unknownKindSince', op: '>', value: 0 } });
    let resumed = 0;
    for (const job of setAside) {
      if (!this.kinds.has(job.data.kind)) continue;
      const res = await this.store.transition<JobDoc>(
        JOBS,
        job.id,
        (j) => j.state === 'pending' && j.holder === null && j.unknownKindSince != null && j.kind === job.data.kind && j.runAt !== null && j.runAt > now,
        () => ({ runAt: now }),
      );
      if (res.ok) resumed++;
    }
    if (resumed) this.logger.info('resumed jobs set aside by a runner that did not know their kind', { jobs: resumed });
    return resumed;
  }

  /** The stored job, or null. */
  async job(key: string): Promise<JobDoc | null> {
    return (await this.store.get<JobDoc>(JOBS, key))?.data ?? null;
  }

  /**
   * Waits until the job `key` has finished (done or failed) or `timeoutMs`
   * passed, kicking the runner meanwhile. For a listener that wants to say
   * what came of it (a rerun message's link).
   */
  async settled(key: string, timeoutMs: number): Promise<JobDoc | null> {
    const deadline = Date.now() + timeoutMs;
    this.kick();
    for (;;) {
      const job = await this.job(key);
      if (!job || job.state !== 'pending' || Date.now() >= deadline || this.stopped) return job;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(50, Math.max(1, deadline - Date.now())));
        this.waiters.add(wake);
      });
    }
  }

  // ---- the run ----

  private track<T>(p: Promise<T>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async drain(budgetMs: number): Promise<RunSummary> {
    const started = Date.now();
    const deadline = started + budgetMs;
    const summary: RunSummary = { ran: 0, done: 0, retried: 0, failed: 0, more: false, ms: 0 };
    // Each listing goes on after the last job the one before it read: the jobs this run could not take (another
    // version's kind, a claim lost to another replica) are read once, not again by every listing, and a
    // listing's worth of them, due first, does not hide the due jobs behind them. What falls due meanwhile (a
    // lease that ended, a job run again now) falls due after them. What does not (a job committed late, due
    // before the last one read) is found when the run lists from the start again, at least once a poll interval:
    // a run under steady load lasts its whole budget. That listing reads again only the due jobs the run could not
    // take (jobs of a kind it has no handler for are set aside), and those it had listed but not yet started.
    const rescanMs = Math.max(this.pollMs ?? RESCAN_MS, 1_000);
    let after: ListOptions['startAfter'];
    let fromStart = 0;
    const rescanDue = () => this.now().getTime() - fromStart >= rescanMs;
    // Listed and not yet started, each with the time it was listed at; the jobs this run is running.
    let queue: Array<{ doc: VersionedDoc<JobDoc>; now: number }> = [];
    const running = new Set<string>();
    // The listing found nothing due; `exhaustedAt`: how many jobs had ended when it began. A job ended since may
    // have made more due (an alert the check found, a job asked for again): the next worker lists once more.
    let exhausted = false;
    let exhaustedAt = -1;
    let ended = 0;
    // One listing at a time, shared by the workers that wait for it; the others go on with their jobs, so a slow
    // job (a vendor taking its time) holds up only its own worker, never the next listing.
    let listing: Promise<void> | null = null;
    let kicked = false;
    // Wakes of idle workers (see below), counted: one that comes while a listing is out may be for a job that
    // listing did not see (enqueued after it was read), so an empty listing then does not put them back to sleep.
    let wakes = 0;
    const list = async (): Promise<void> => {
      const now = this.now().getTime();
      const endedBefore = ended;
      const wakesBefore = wakes;
      // Woken by a kick or a poll: from the start, for a job enqueued now may sort before the last one read.
      const restart = after === undefined || rescanDue() || kicked;
      kicked = false;
      const listed = await this.store.list<JobDoc>(JOBS, { where: { field: 'runAt', op: '<=', value: now }, orderBy: { field: 'runAt' }, limit: LIST_BATCH, ...(restart ? {} : { startAfter: after }) });
      // Counted from when the listing came back: each listing's first jobs are started, however slow the store.
      if (restart) fromStart = this.now().getTime();
      const last = listed.at(-1);
      // From the start, the listing holds again what was queued (it is still due): it replaces the queue.
      queue = [...(restart ? [] : queue), ...listed.filter((d) => !running.has(d.id)).map((doc) => ({ doc, now }))];
      exhausted = !last;
      if (!last && wakes === wakesBefore) exhaustedAt = endedBefore;
      if (last) after = { value: last.data.runAt ?? now, id: last.id };
    };
    const refill = (): Promise<void> => {
      listing ??= list().finally(() => {
        listing = null;
      });
      return listing;
    };
    // Workers with nothing due while others still run a job: woken by a kick or a poll (this.wakeDrain), or by a
    // job's end, to list again. Ended instead, they left what fell due meanwhile (a card a click enqueued, a run put
    // back for its channel's turn) until the slowest job had ended: the next run waits for this one.
    // While they wait, they also look again every rescan interval (as polls would): a job put back a few seconds (its
    // channel's turn), or a retry's backoff, falls due with nothing to wake them.
    let idle: Array<() => void> = [];
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const wakeIdle = () => {
      const woken = idle;
      idle = [];
      for (const wake of woken) wake();
    };
    const lookAgain = (fromStart: boolean) => {
      wakes++;
      if (fromStart) kicked = true;
      exhaustedAt = -1;
      wakeIdle();
    };
    const waitIdle = () =>
      new Promise<void>((resolve) => {
        idle.push(resolve);
        if (idleTimer) return;
        idleTimer = setTimeout(() => {
          idleTimer = undefined;
          lookAgain(false);
        }, rescanMs);
        idleTimer.unref?.();
      });
    this.wakeDrain = () => lookAgain(true);
    // The run has ended (or failed: a listing the store refused): its workers stop, even those it left waiting.
    let over = false;
    const worker = async (): Promise<void> => {
      while (!over && !this.stopped && Date.now() < deadline) {
        if (!queue.length || rescanDue()) {
          if (!queue.length && exhausted && exhaustedAt === ended) {
            if (running.size === 0) return;
            await waitIdle();
            continue;
          }
          await refill();
          continue;
        }
        const next = queue.shift()!;
        running.add(next.doc.id);
        let result: Awaited<ReturnType<JobRunner['runOne']>>;
        try {
          result = await this.runOne(next.doc, next.now);
        } catch (err) {
          // The store failed this job's claim or bookkeeping: it is due again (after its lease, if it was
          // claimed), and the run goes on with the others instead of failing with it.
          this.logger.error('could not run a job; it is due again later', { job: next.doc.id, err: toCodedError(err) });
          result = 'not_claimed';
        } finally {
          running.delete(next.doc.id);
          ended++;
          wakeIdle();
        }
        if (result === 'not_claimed') continue;
        summary.ran++;
        summary[result]++;
      }
    };
    try {
      if (!this.stopped) {
        await refill();
        if (!exhausted || queue.length) await Promise.all(Array.from({ length: this.concurrency }, worker));
        // Unless the last listing found nothing due and no job ended since, due jobs may be left (the budget ran
        // out): the caller runs again.
        if (!this.stopped && !(exhausted && exhaustedAt === ended && !queue.length)) summary.more = true;
      }
    } finally {
      // Also when a listing failed (the store unreachable): a kick then wakes no worker of this run.
      over = true;
      this.wakeDrain = undefined;
      clearTimeout(idleTimer);
      wakeIdle();
    }
    summary.ms = Date.now() - started;
    for (const wake of this.waiters) wake();
    if (summary.ran) this.logger.debug('jobs ran', { ...summary });
    return summary;
  }

  /** Claims and runs one job (as listed: the claim re-checks it). */
  private async runOne(peek: VersionedDoc<JobDoc>, now: number): Promise<'done' | 'retried' | 'failed' | 'not_claimed'> {
    const key = peek.id;
    const kind = this.kinds.get(peek.data.kind);
    if (!kind) {
      // Another version's job (a rolling deploy) is left to a runner that knows it, set aside meanwhile so that
      // every run does not read it again; one no version has taken for an hour (a kind renamed or removed) ends.
      const since = peek.data.unknownKindSince ?? peek.data.runAt ?? now;
      if (now - since >= UNKNOWN_KIND_GRACE_MS) return this.retireUnknown(peek, since, now);
      if (!this.warnedUnknown.has(key)) {
        this.warnedUnknown.add(key);
        this.logger.warn('no handler for a due job; left for a runner that has one', { key, kind: peek.data.kind });
      }
      const wait = Math.min(Math.max(now - since, UNKNOWN_KIND_SET_ASIDE_MS.min), UNKNOWN_KIND_SET_ASIDE_MS.max);
      // A store write all the same: acks first.
      await foregroundIdle();
      if (this.stopped) return 'not_claimed';
      await this.store.transition<JobDoc>(
        JOBS,
        key,
        (j) => j.state === 'pending' && j.kind === peek.data.kind && j.runAt === peek.data.runAt,
        () => ({ runAt: Math.min(now + wait, since + UNKNOWN_KIND_GRACE_MS), unknownKindSince: since }),
      );
      return 'not_claimed';
    }
    // Acks first: a job is work after an ack, and waits (briefly) while a Slack request is being answered.
    await foregroundIdle();
    if (this.stopped) return 'not_claimed';
    const leaseMs = Math.max(this.leaseMs, 1_000);
    // Read as the claim finds it, and cleared by it: a go that ends any other way (a failure, a lease that lapses) is no put-back.
    let putBackFrom = null as number | null;
    const claim = await this.store.transition<JobDoc>(
      JOBS,
      key,
      (j) => j.state === 'pending' && j.runAt !== null && j.runAt <= now,
      (j) => {
        putBackFrom = j.putBackFrom ?? null;
        return { attempts: j.attempts + 1, holder: this.holder, claimedAt: now, runAt: this.now().getTime() + leaseMs, ...(j.unknownKindSince != null ? { unknownKindSince: null } : {}), ...(j.putBackFrom != null ? { putBackFrom: null } : {}) };
      },
    );
    if (!claim.ok) return 'not_claimed';
    const job = claim.doc.data;
    const ctx: JobContext = {
      key,
      kind: job.kind,
      payload: job.payload,
      attempt: job.attempts,
      // Set aside by a runner that did not know its kind: due when it was first found so.
      dueAt: peek.data.unknownKindSince ?? peek.data.runAt ?? now,
      createdAt: job.createdAt,
      ...(putBackFrom !== null ? { putBackFrom } : {}),
      now: this.now,
      logger: this.logger.child({ job: key, kind: job.kind, attempt: job.attempts }),
    };
    const policy: RetryPolicy = { ...DEFAULT_RETRY, ...kind.retry };
    // Claimed more often than it may be tried: earlier attempts ended with no outcome and no failure
    // recorded (the process died in the handler, or the outcome could not be committed). Run it again
    // and it may kill the next process too: it ends here, visibly, as a failure would.
    if (job.attempts > policy.maxAttempts) {
      const last = job.lastError ? ` The last error: ${job.lastError}` : '';
      return this.failed(ctx, kind, policy, new JobNeverFinishedError(`It was started ${job.attempts - 1} times and never finished: the process stopped while it ran, or its outcome could not be recorded.${last}`));
    }
    // While the handler runs, the claim is renewed: a live runner keeps its job, a dead one's lapses within one lease.
    // Stopped too: a job still running in the shutdown's grace is this process's until it ends or the process exits.
    const renew = setInterval(() => {
      this.track(
        this.store
          .transition<JobDoc>(JOBS, key, (j) => j.state === 'pending' && j.holder === this.holder && j.attempts === job.attempts, () => ({ runAt: this.now().getTime() + leaseMs }))
          .catch((err: unknown) => ctx.logger.warn('could not renew a job claim', { err: toCodedError(err) })),
      );
    }, Math.max(250, Math.floor(leaseMs / 3)));
    renew.unref?.();
    let outcome: JobOutcome | void;
    try {
      outcome = await kind.handler(ctx);
    } catch (err) {
      clearInterval(renew);
      return this.failed(ctx, kind, policy, err);
    }
    clearInterval(renew);
    try {
      const finished = await this.finish(ctx, outcome ?? {});
      if (!finished) return 'not_claimed';
      for (const wake of this.waiters) wake();
      return 'done';
    } catch (err) {
      // The outcome could not be recorded: the job is due again after its lease, and runs again (handlers
      // are idempotent), up to its attempts (the claim counts them). The reason is kept for the give-up.
      const coded = toCodedError(err);
      this.logger.error('could not record a job outcome; it will run again', { err: coded, job: key });
      await this.store
        .transition<JobDoc>(JOBS, key, (j) => j.state === 'pending' && j.holder === this.holder && j.attempts === job.attempts, () => ({ lastError: safeSummary(`its outcome could not be recorded: ${coded.message}`) }))
        .catch(() => undefined);
      return 'retried';
    }
  }

  /** Ends a job of a kind no runner has taken since it fell due (`since`) an hour ago: failed, with an audit entry. */
  private async retireUnknown(peek: VersionedDoc<JobDoc>, since: number, now: number): Promise<'failed' | 'not_claimed'> {
    const message = `No runner has a handler for jobs of kind "${peek.data.kind}" (renamed or removed?); it was due at ${new Date(since).toISOString()}.`;
    const ok = await this.store.runTransaction(async (tx) => {
      const current = await tx.get<JobDoc>(JOBS, peek.id);
      if (!current || current.data.state !== 'pending' || current.data.runAt !== peek.data.runAt) return false;
      tx.put<JobDoc>(JOBS, peek.id, { ...current.data, state: 'failed', runAt: null, holder: null, finishedAt: now, lastError: message, expiresAt: expiresIn(4 * KEEP_FINISHED_MS) });
      tx.audit({ actor: 'bot', action: 'job.failed', subject: peek.id, after: { kind: peek.data.kind, attempts: current.data.attempts, error: message } });
      return true;
    });
    if (ok) this.logger.error('job ended: no handler for its kind', { key: peek.id, kind: peek.data.kind });
    return ok ? 'failed' : 'not_claimed';
  }

  /** Commits the outcome with the job's completion, if the job is still ours. */
  private async finish(ctx: JobContext, outcome: JobOutcome): Promise<boolean> {
    const at = this.now().getTime();
    return this.store.runTransaction(async (tx) => {
      const current = await tx.get<JobDoc>(JOBS, ctx.key);
      if (!current || current.data.state !== 'pending' || current.data.holder !== this.holder || current.data.attempts !== ctx.attempt) {
        this.logger.warn('a job was taken over before it finished; its outcome is left to the new holder', { job: ctx.key });
        return false;
      }
      const follow: JobSpec[] = [];
      await outcome.commit?.(tx, async (spec) => {
        follow.push(spec);
        await enqueue(tx, spec, at);
      });
      const job = current.data;
      // A job that enqueued its own key asks to run once more, now.
      const selfRequeued = follow.some((s) => s.key === ctx.key);
      if (selfRequeued) {
        tx.put<JobDoc>(JOBS, ctx.key, { ...job, runAt: at, attempts: 0, holder: null, claimedAt: null, again: false });
      } else if (outcome.again) {
        // Woken while it ran (what it waits for has happened, see `wake`): it runs again now, not at its own time.
        tx.put<JobDoc>(JOBS, ctx.key, { ...job, runAt: job.again ? at : outcome.again.getTime(), attempts: 0, holder: null, claimedAt: null, lastError: null, again: false });
      } else if (job.again) {
        tx.put<JobDoc>(JOBS, ctx.key, { ...job, runAt: at, attempts: 0, holder: null, claimedAt: null, again: false });
      } else {
        tx.put<JobDoc>(JOBS, ctx.key, { ...job, state: 'done', runAt: null, holder: null, finishedAt: at, lastError: null, expiresAt: expiresIn(KEEP_FINISHED_MS) });
      }
      return true;
    }).then((ok) => {
      if (ok) this.kickAfterJob();
      return ok;
    });
  }

  private async failed(ctx: JobContext, kind: JobKind<JobPayload>, policy: RetryPolicy, err: unknown): Promise<'retried' | 'failed' | 'not_claimed'> {
    if (err instanceof DeferJob) {
      const res = await this.store.transition<JobDoc>(
        JOBS,
        ctx.key,
        (j) => j.state === 'pending' && j.holder === this.holder && j.attempts === ctx.attempt,
        (j) => ({ runAt: err.untilMs, holder: null, attempts: Math.max(0, j.attempts - 1), putBackFrom: ctx.putBackFrom ?? ctx.dueAt }),
      );
      return res.ok ? 'retried' : 'not_claimed';
    }
    const coded = toCodedError(err);
    // A refusal keeps its own code (its message is written for people), not the `unexpected` of an error without one.
    const failure: JobFailure = { code: err instanceof PermanentJobError ? err.code : coded.code, message: safeSummary(coded.message) };
    const decision = afterFailure(ctx.attempt, classify(err), policy, this.random());
    const at = this.now().getTime();
    if (decision.retry) {
      ctx.logger.warn('job failed; will retry', { err: coded, waitMs: decision.waitMs });
      const res = await this.store.transition<JobDoc>(
        JOBS,
        ctx.key,
        (j) => j.state === 'pending' && j.holder === this.holder && j.attempts === ctx.attempt,
        () => ({ runAt: at + decision.waitMs, holder: null, lastError: failure.message }),
      );
      return res.ok ? 'retried' : 'not_claimed';
    }
    ctx.logger.error('job gave up', { err: coded, attempts: ctx.attempt });
    const giveUp = (withRecord: boolean, lastError: string) =>
      this.store.runTransaction(async (tx) => {
        const current = await tx.get<JobDoc>(JOBS, ctx.key);
        if (!current || current.data.state !== 'pending' || current.data.holder !== this.holder || current.data.attempts !== ctx.attempt) return false;
        if (withRecord) {
          let record: JobCommit | undefined;
          try {
            record = kind.onGiveUp?.(ctx, failure);
          } catch (e) {
            ctx.logger.error('onGiveUp failed', { err: toCodedError(e) });
          }
          try {
            await record?.(tx, async (spec) => {
              await enqueue(tx, spec, at);
            });
          } catch (e) {
            // The record itself threw (a payload of an older shape): not the store's trouble, which propagates.
            throw new RecordFailed(e);
          }
        }
        // Asked for again while it ran (the state it brings up to date changed): that run still happens, now, as it
        // would had it been asked for after the give-up; the failure is recorded all the same. Not for a job that
        // kept stopping its process (claimed more often than it may be tried): started over, it would do so again.
        const resume = current.data.again && ctx.attempt <= policy.maxAttempts ? new Date(at) : kind.resumeAt?.(ctx, failure);
        if (resume) {
          tx.put<JobDoc>(JOBS, ctx.key, { ...current.data, runAt: resume.getTime(), attempts: 0, holder: null, claimedAt: null, again: false, lastError });
        } else {
          tx.put<JobDoc>(JOBS, ctx.key, { ...current.data, state: 'failed', runAt: null, holder: null, finishedAt: at, lastError, expiresAt: expiresIn(4 * KEEP_FINISHED_MS) });
        }
        tx.audit({ actor: 'bot', action: 'job.failed', subject: ctx.key, after: { kind: ctx.kind, attempts: ctx.attempt, error: lastError } });
        return true;
      });
    let ok: boolean;
    try {
      ok = await giveUp(true, failure.message);
    } catch (e) {
      // The store failed (a timeout, a lost race): the job stays claimed and is given up again, with its record,
      // after its lease. A record lost for good would leave a request "approved" or a rerun "running" forever.
      const cause = findRecordFailed(e);
      if (!cause) throw e;
      // What the kind records of a failure threw (a payload an older version wrote): the job still ends, with
      // its audit entry, instead of being claimed, failing here and failing the whole run again after every lease.
      const recordError = toCodedError(cause.cause);
      ctx.logger.error('could not record what a failed job leaves behind; ending it without that', { err: recordError });
      ok = await giveUp(false, safeSummary(`${failure.message} (and its failure could not be recorded: ${recordError.message})`));
    }
    if (ok) this.kickAfterJob();
    return ok ? 'failed' : 'not_claimed';
  }
}

/** What a kind's give-up record threw, carried out of the give-up transaction. */
class RecordFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('the give-up record threw');
  }
}

/** The RecordFailed in an error's cause chain (a store adapter may wrap what its transaction body threw). */
function findRecordFailed(err: unknown): RecordFailed | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof RecordFailed) return e;
  }
  return undefined;
}

/** A failure message cut to a short line: what the logs already hold in full stays out of the store. */
function safeSummary(message: string): string {
  const line = message.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}
