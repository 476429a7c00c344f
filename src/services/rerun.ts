/**
 * Reruns: BizOps rerun a source's pipeline from `/pipeline rerun <source>` or
 * an alert's Rerun button. Membership of BIZOPS_USERGROUP is asked of Slack on
 * every request. A lock per source in the store makes a rerun of a source
 * already running say so and start nothing, under double clicks, repeated
 * deliveries and several replicas.
 *
 * A rerun is a record and three jobs: start the run, poll it until it ends,
 * then check freshness. Each step stores its result with the notice that
 * edits the one message following the rerun, so a crash at any point
 * resumes where it was: the message never says "running" forever, and a run
 * is never started twice.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { expiresIn, type Store, type StoreDoc, type StoreTx } from '../ports/store.js';
import type { PipelineRuns, RunHandle, RunStatus, StartResult } from '../ports/pipeline-runs.js';
import type { Directory, Membership } from '../ports/directory.js';
import type { RerunTarget, Source, SourceCatalog } from '../sources/catalog.js';
import { PipelineError, toCodedError } from '../errors.js';
import { noticeJob, type Notice } from '../ports/notices.js';
import { enqueue, jobKey, type JobSpec } from '../jobs/model.js';
import { defineJob, type JobContext, type JobKind, type JobOutcome } from '../jobs/runner.js';
import { backoffMs } from '../jobs/policy.js';
import { RERUN_LOCKS, type ActiveRerun, type DataState, type FreshnessService } from './freshness.js';
import type { FreshnessAlerts, RerunOutcome } from './freshness-alerts.js';
import { headOf, trimText } from '../format.js';

/** Longest source text accepted from a command. */
export const MAX_SOURCE_TEXT = 100;
/** Store collection of reruns, one document per rerun. */
export const RERUNS = 'reruns';
const REQUESTS = 'rerun_requests';
/** Someone asking BizOps for the same rerun again within this long is told they already asked. */
const REQUEST_DEDUP_MS = 30 * 60_000;

/** The document of a person's ask of BizOps to rerun a source: its half hour's hold, and its thread. */
const askKey = (sourceId: string, userId: string): string => `${sourceId}:${userId}`;

/**
 * An ask to BizOps (made at `at`) that Slack would not post: its half hour's hold is let go, so that the person
 * told it went nowhere can ask again. Only that ask's hold (a later ask's stays). Returns the thread its attempts
 * posted it in (null: the channel), when one chose it.
 */
export async function forgetAsk(tx: StoreTx, sourceId: string, userId: string, at: string): Promise<{ threadTs?: string | null }> {
  const key = askKey(sourceId, userId);
  const seen = (await tx.get<{ at?: string; threadTs?: string | null }>(REQUESTS, key))?.data;
  if (seen?.at !== at) return {};
  tx.delete(REQUESTS, key);
  return seen.threadTs === undefined ? {} : { threadTs: seen.threadTs };
}

export const RERUN_JOBS = { start: 'rerun.start', poll: 'rerun.poll', after: 'rerun.after' } as const;

export type RerunPhase = 'starting' | 'running' | 'rescheduled' | 'succeeded' | 'failed' | 'timed_out';

/** The longest wait between two status asks the service did not answer (unless it asked for longer). */
const STATUS_BACKOFF_MAX_MS = 5 * 60_000;

/** A rerun, as stored. Times are ISO strings unless named …Ms. */
export interface RerunDoc extends StoreDoc {
  runKey: string;
  sourceId: string;
  /** The source's name and pipeline when it began (absent in reruns stored before): its message is still edited to its end if the source is taken out of the sources file. */
  source?: { name: string; rerun: RerunTarget | null };
  requestedBy: string;
  force: boolean;
  /** The alert thread its message goes in (null: the channel), chosen before its first post; absent until then. */
  threadTs?: string | null;
  /** The alert episode whose card that thread is (absent in reruns stored before it was kept, and with no thread). */
  threadEpisode?: number;
  phase: RerunPhase;
  startedAt: string;
  finishedAt: string | null;
  /** The failure, in the service's words (already cut to a safe summary by the adapter). */
  error: string | null;
  /** The service said a sync is already running: offer Force rerun. */
  offerForce: boolean;
  rescheduledFor: string | null;
  /** Rescheduled, and the service will not run it then by itself (RunStatus.onlyIfAsked); absent in reruns stored before it. */
  rescheduledOnlyIfAsked?: boolean;
  /** The message following the rerun, once posted. */
  channel: string | null;
  ts: string | null;
  link: string | null;
  /** The run at the service, once started. */
  run: RunHandle | null;
  /** When a start was first attempted: after a crash, a run started since then is adopted, not started again. */
  startAttemptedAt: string | null;
  /** Give up following at this time (epoch ms). */
  deadlineMs: number;
  /** Status asks in a row the service did not answer (a 429, an outage): each waits longer; absent is 0. */
  statusFailures?: number;
  /** The freshness check after the run. */
  after: { dataState: DataState; lastUpdated: string | null; problem: string | null } | null;
}

interface LockDoc extends StoreDoc {
  runKey: string;
  requestedBy: string;
  startedAt: string;
  link: string | null;
  expiresAt: number;
}

export type RerunAnswer =
  | { kind: 'unknown_source'; text: string }
  | { kind: 'not_rerunnable'; source: Source }
  | { kind: 'not_allowed'; source: Source }
  | { kind: 'membership_unknown' }
  | { kind: 'not_configured' }
  | { kind: 'already_running'; source: Source; rerun: ActiveRerun }
  /** A button from before the source recovered: nothing started (typed, the command reruns it all the same). */
  | { kind: 'fresh'; source: Source; lastUpdated: Date }
  | { kind: 'started'; source: Source; link: string | null };

export type RerunRequestAnswer =
  | { kind: 'posted'; source: Source }
  | { kind: 'already_asked'; source: Source }
  | { kind: 'unknown_source' }
  | { kind: 'not_rerunnable'; source: Source }
  | { kind: 'already_running'; source: Source; rerun: ActiveRerun }
  | { kind: 'fresh'; source: Source; lastUpdated: Date }
  | { kind: 'not_configured' };

export interface RerunServiceOptions {
  store: Store;
  directory: Directory;
  catalog: SourceCatalog;
  runs: PipelineRuns;
  freshness: FreshnessService;
  alerts: FreshnessAlerts;
  logger: Logger;
  channel: string | undefined;
  bizopsUsergroup: string | undefined;
  timeoutMs: number;
  pollMs: number;
  kick: () => void;
  now?: () => Date;
}

export class RerunService {
  private readonly now: () => Date;

  constructor(private readonly opts: RerunServiceOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  get catalog(): SourceCatalog {
    return this.opts.catalog;
  }

  get bizopsUsergroup(): string | null {
    return this.opts.bizopsUsergroup ?? null;
  }

  get channel(): string | null {
    return this.opts.channel ?? null;
  }

  /** Where runs go, in words: Fivetran, BigQuery Data Transfer, or simulated. */
  runnerName(source: Pick<Source, 'rerun'>): string {
    if (this.opts.runs.kind === 'embedded') return 'simulated on the demo warehouse';
    return source.rerun?.kind === 'fivetran' ? 'Fivetran' : 'BigQuery Data Transfer';
  }

  /** A source from what someone typed (ID or name), or undefined. */
  find(text: string): Source | undefined {
    // Quotes and trailing punctuation are the sentence's, not the name's (`/pipeline rerun HubSpot!`, `'hubspot'`).
    const t = trimText(text).replace(/^['"“‘`]+|['"”’`.!?,;:]+$/g, '');
    return t && t.length <= MAX_SOURCE_TEXT ? this.opts.catalog.get(t) : undefined;
  }

  /** Whether the user is in BIZOPS_USERGROUP, asked of Slack now. */
  membership(userId: string): Promise<Membership> {
    return this.opts.directory.membership(this.opts.bizopsUsergroup, userId);
  }

  /** A stored rerun, or null. */
  async get(runKey: string): Promise<RerunDoc | null> {
    return (await this.opts.store.get<RerunDoc>(RERUNS, runKey))?.data ?? null;
  }

  /**
   * Starts a rerun if the user may and none is running: records it with its
   * message and start job, then waits briefly for the message's link.
   * `force` restarts a sync already running (only after the user confirmed).
   */
  async rerun(input: { source: string; userId: string; force: boolean; unlessFresh?: boolean; linkWaitMs?: number }): Promise<RerunAnswer> {
    const source = this.find(input.source);
    if (!source) return { kind: 'unknown_source', text: headOf(input.source.trim(), MAX_SOURCE_TEXT) };
    if (!source.rerun) return { kind: 'not_rerunnable', source };
    const member = await this.membership(input.userId);
    if (member === 'unknown') return { kind: 'membership_unknown' };
    if (member !== 'member') return { kind: 'not_allowed', source };
    if (!this.opts.channel) return { kind: 'not_configured' };
    // A Rerun button from before the source recovered (an old alert or /pipeline status) would start a sync nobody needs.
    const fresh = input.unlessFresh ? await this.freshSince(source) : null;
    if (fresh) return { kind: 'fresh', source, lastUpdated: fresh };

    const now = this.now();
    const runKey = randomUUID();
    const lockTtl = this.opts.timeoutMs + 15 * 60_000;
    const doc: RerunDoc = {
      runKey, sourceId: source.id, source: { name: source.name, rerun: source.rerun }, requestedBy: input.userId, force: input.force, phase: 'starting', startedAt: now.toISOString(),
      finishedAt: null, error: null, offerForce: false, rescheduledFor: null, channel: null, ts: null, link: null,
      run: null, startAttemptedAt: null, deadlineMs: now.getTime() + this.opts.timeoutMs, after: null,
    };
    const won = await this.opts.store.runTransaction(async (tx): Promise<ActiveRerun | null> => {
      const lock = (await tx.get<LockDoc>(RERUN_LOCKS, source.id))?.data;
      if (lock && lock.expiresAt > Date.now()) return { requestedBy: lock.requestedBy, startedAt: lock.startedAt, link: lock.link };
      tx.put<LockDoc>(RERUN_LOCKS, source.id, { runKey, requestedBy: input.userId, startedAt: doc.startedAt, link: null, expiresAt: expiresIn(lockTtl) });
      tx.put(RERUNS, runKey, doc);
      tx.audit({ actor: input.userId, action: 'pipeline.rerun_requested', subject: source.id, after: { force: input.force, runKey } });
      await this.enqueueAll(tx, [noticeJob({ type: 'rerun.message', runKey }), { key: jobKey(RERUN_JOBS.start, runKey), kind: RERUN_JOBS.start, payload: { runKey } }]);
      return null;
    });
    if (won) return { kind: 'already_running', source, rerun: won };
    this.opts.kick();
    const link = await this.waitForLink(runKey, input.linkWaitMs ?? 2_500);
    return { kind: 'started', source, link };
  }

  /**
   * Someone outside BizOps asks them, in the channel (the alert's thread when
   * one is open), once per half hour; not for a source that is fresh now.
   */
  async requestFromBizops(sourceId: string, userId: string): Promise<RerunRequestAnswer> {
    const source = this.opts.catalog.sources.find((s) => s.id === sourceId);
    if (!source) return { kind: 'unknown_source' };
    // BizOps would be asked for a rerun nobody can start (the button is offered only where one can).
    if (!source.rerun) return { kind: 'not_rerunnable', source };
    if (!this.opts.channel) return { kind: 'not_configured' };
    // A button from before the source recovered (an old alert or /pipeline status): there is nothing to rerun.
    const fresh = await this.freshSince(source);
    if (fresh) return { kind: 'fresh', source, lastUpdated: fresh };
    const at = this.now();
    const asked = await this.opts.store.runTransaction(async (tx): Promise<boolean | ActiveRerun> => {
      // A button from before a rerun started: that rerun is the answer, BizOps have nothing to do.
      const lock = (await tx.get<LockDoc>(RERUN_LOCKS, source.id))?.data;
      if (lock && lock.expiresAt > Date.now()) return { requestedBy: lock.requestedBy, startedAt: lock.startedAt, link: lock.link };
      const key = askKey(source.id, userId);
      const seen = (await tx.get(REQUESTS, key))?.data;
      if (seen && typeof seen['expiresAt'] === 'number' && seen['expiresAt'] > Date.now()) return false;
      tx.put(REQUESTS, key, { at: at.toISOString(), expiresAt: expiresIn(REQUEST_DEDUP_MS) });
      tx.audit({ actor: userId, action: 'pipeline.rerun_asked', subject: source.id });
      await this.enqueueAll(tx, [noticeJob({ type: 'rerun.asked', sourceId: source.id, userId, at: at.toISOString() })]);
      return true;
    });
    if (typeof asked === 'object') return { kind: 'already_running', source, rerun: asked };
    if (!asked) return { kind: 'already_asked', source };
    this.opts.kick();
    return { kind: 'posted', source };
  }

  /**
   * When a source fresh now was last updated; null when it is stale, cannot be measured, or a rerun is under
   * way (that rerun is the answer, given where the lock is taken).
   */
  private async freshSince(source: Source): Promise<Date | null> {
    const reading = await this.opts.freshness.checkSource(source);
    return reading.dataState === 'fresh' && reading.lastUpdated && !reading.rerun ? reading.lastUpdated : null;
  }

  /**
   * The thread the rerun's message goes in: chosen once, and stored before its
   * first post, so a retry after a lost answer looks where that post went,
   * whatever the alert has done since.
   */
  async threadOf(runKey: string, choose: () => Promise<{ ts: string; episode: number } | null>): Promise<string | null> {
    const doc = await this.get(runKey);
    if (doc && doc.threadTs !== undefined) return doc.threadTs;
    const chosen = await choose();
    const res = await this.opts.store.transition<RerunDoc>(RERUNS, runKey, (d) => d.threadTs === undefined, () => (chosen ? { threadTs: chosen.ts, threadEpisode: chosen.episode } : { threadTs: null }));
    if (res.ok) return chosen?.ts ?? null;
    return res.reason === 'precondition_failed' ? (res.current.data.threadTs ?? null) : (chosen?.ts ?? null);
  }

  /**
   * The thread an ask of BizOps (`sourceId`, by `userId`, made `at`) goes in: chosen once and kept with the ask,
   * as {@link threadOf} keeps a rerun's, so a retry after a lost answer looks where the first try posted. An ask
   * no longer kept (its half hour over) is chosen again.
   */
  async askThreadOf(sourceId: string, userId: string, at: string, choose: () => Promise<string | null>): Promise<string | null> {
    const key = askKey(sourceId, userId);
    const kept = (await this.opts.store.get<{ at?: string; threadTs?: string | null }>(REQUESTS, key))?.data;
    if (kept?.at === at && kept.threadTs !== undefined) return kept.threadTs;
    const chosen = await choose();
    const res = await this.opts.store.transition<{ at?: string; threadTs?: string | null }>(REQUESTS, key, (d) => d.at === at && d.threadTs === undefined, () => ({ threadTs: chosen }));
    if (!res.ok && res.reason === 'precondition_failed' && res.current.data.at === at) return res.current.data.threadTs ?? null;
    return chosen;
  }

  /** Records where the rerun's message is, and links the source's open alert to it, with the job that posted it. */
  async recordMessage(tx: StoreTx, runKey: string, where: { channel: string; ts: string; link: string | null }): Promise<void> {
    const current = (await tx.get<RerunDoc>(RERUNS, runKey))?.data;
    if (!current) return;
    tx.put(RERUNS, runKey, { ...current, channel: where.channel, ts: where.ts, link: where.link });
    const lock = (await tx.get<LockDoc>(RERUN_LOCKS, current.sourceId))?.data;
    if (lock?.runKey === runKey) tx.put(RERUN_LOCKS, current.sourceId, { ...lock, link: where.link });
    await this.opts.alerts.linkRerun(tx, current.sourceId, where.link, current.requestedBy, current.threadTs, current.threadEpisode, outcomeOf(current));
  }

  /** The job kinds this use case runs. */
  jobKinds(): Record<string, JobKind> {
    type ByKey = { runKey: string };
    return {
      [RERUN_JOBS.start]: defineJob<ByKey>({ handler: (ctx) => this.runStart(ctx), onGiveUp: (ctx, f) => this.finishCommit(ctx.payload.runKey, { phase: 'failed', error: f.message }), retry: { maxAttempts: 4 } }),
      [RERUN_JOBS.poll]: defineJob<ByKey>({ handler: (ctx) => this.runPoll(ctx), onGiveUp: (ctx, f) => this.finishCommit(ctx.payload.runKey, { phase: 'timed_out', error: f.message }) }),
      [RERUN_JOBS.after]: defineJob<ByKey>({ handler: (ctx) => this.runAfter(ctx), retry: { maxAttempts: 3 } }),
    };
  }

  // ---- jobs ----

  private async runStart(ctx: JobContext<{ runKey: string }>): Promise<JobOutcome> {
    const runKey = ctx.payload.runKey;
    let doc = await this.get(runKey);
    if (!doc || doc.phase !== 'starting') return {};
    const source = this.opts.catalog.sources.find((s) => s.id === doc!.sourceId);
    const gone = { phase: 'failed', error: 'This source has no pipeline to rerun any more.' } as const;
    // Taken out of the sources file since a start was tried (a deploy that killed the process that tried it): the run
    // that start may have begun is still looked for, with the pipeline the rerun kept, and followed to its end.
    const target = source?.rerun ?? (doc.startAttemptedAt ? doc.source?.rerun ?? null : null);
    if (!target) return this.finish(runKey, gone);
    let started: StartResult | null = null;
    if (doc.startAttemptedAt) {
      // A start may have reached the service before a crash: adopt that run rather than starting a second one.
      const adopted = await this.opts.runs.recentRun(target, new Date(doc.startAttemptedAt));
      if (adopted) {
        ctx.logger.info('adopted a run started before a restart', { source: doc.sourceId, run: adopted.runId });
        started = { ok: true, run: adopted };
      }
      // None found: nothing is started for a source no longer listed.
      if (!started && !source?.rerun) return this.finish(runKey, gone);
    } else {
      const marked = await this.opts.store.transition<RerunDoc>(RERUNS, runKey, (d) => d.phase === 'starting' && !d.startAttemptedAt, () => ({ startAttemptedAt: this.now().toISOString() }));
      if (!marked.ok) return {};
      doc = marked.doc.data;
    }
    started ??= await this.opts.runs.start(target, { force: doc.force });
    // Not a failure yet, so the runner waits (Retry-After, or its backoff) and tries again, holding no worker
    // meanwhile; after its last attempt onGiveUp reports the failure. Either the run may exist (a 5xx, a lost
    // answer: the next attempt adopts it through recentRun above, or starts one when the service shows none), or
    // nothing was started and asking again may work (rate limited; the service or a proxy in front of it did not answer).
    if (!started.ok && (started.maybeStarted ? started.retryable !== false : started.retryable === true)) {
      const reason = started.reason === 'rate_limited' ? 'rate_limited' : 'unavailable';
      throw new PipelineError(started.message, { reason, retryable: true, ...(started.retryAfterMs !== undefined ? { retryAfterMs: started.retryAfterMs } : {}) });
    }
    if (!started.ok) {
      // Said in the log too, as a refused status is: the operator who set a wrong key reads the log, not the channel.
      // (A connection already syncing is an everyday answer, not a fault.)
      ctx.logger[started.reason === 'already_syncing' ? 'info' : 'warn']('rerun start refused; the rerun ends', { source: doc.sourceId, reason: started.reason, error: started.message });
      const wait = started.retryAfterMs !== undefined ? ` Try again in ${Math.ceil(started.retryAfterMs / 1000)} s.` : '';
      const offerForce = started.reason === 'already_syncing' && target.kind === 'fivetran' && Boolean(source?.rerun) && !doc.force;
      return this.finish(runKey, { phase: 'failed', error: started.message + wait, offerForce });
    }
    const run = started.run;
    return {
      commit: async (tx, enq) => {
        const cur = (await tx.get<RerunDoc>(RERUNS, runKey))?.data;
        if (!cur || cur.phase !== 'starting') return;
        tx.put(RERUNS, runKey, { ...cur, phase: 'running', run });
        await enq(noticeJob({ type: 'rerun.message', runKey }));
        await enq({ key: jobKey(RERUN_JOBS.poll, runKey), kind: RERUN_JOBS.poll, payload: { runKey }, runAt: this.now().getTime() + this.opts.pollMs });
      },
    };
  }

  /** Asks the service where the run is; polls again until it ends or the deadline passes. */
  private async runPoll(ctx: JobContext<{ runKey: string }>): Promise<JobOutcome> {
    const runKey = ctx.payload.runKey;
    const doc = await this.get(runKey);
    if (!doc || !doc.run || (doc.phase !== 'running' && doc.phase !== 'rescheduled')) return {};
    const now = this.now().getTime();
    const again = new Date(now + this.opts.pollMs);
    let status: RunStatus;
    try {
      status = await this.opts.runs.status(doc.run);
    } catch (err) {
      const coded = toCodedError(err);
      // The vendor's own refusal of our credentials (the API key was revoked, or lost its rights to the connection;
      // the adapters tell it from a proxy's page, which is only no answer): say so now, not "timed out" an hour later.
      if ((err as { retryable?: unknown }).retryable === false && (err as { reason?: unknown }).reason === 'forbidden') {
        ctx.logger.warn('rerun status refused; the rerun ends', { source: doc.sourceId, code: coded.code, err: coded });
        return this.finish(runKey, { phase: 'failed', error: coded.message });
      }
      if (now >= doc.deadlineMs) return this.finish(runKey, { phase: 'timed_out' });
      // Asked again later each time it fails in a row (a rate limit without Retry-After is not hammered every
      // poll), within five minutes, and never past the deadline; a Retry-After longer than that is waited out.
      const failures = (doc.statusFailures ?? 0) + 1;
      const backoff = backoffMs(failures, { maxAttempts: 1, baseMs: this.opts.pollMs, maxMs: Math.max(this.opts.pollMs, STATUS_BACKOFF_MAX_MS), jitter: 0 });
      const retryAfter = (err as { retryAfterMs?: unknown }).retryAfterMs;
      const waitMs = Math.max(typeof retryAfter === 'number' ? retryAfter : 0, Math.min(backoff, Math.max(this.opts.pollMs, doc.deadlineMs - now)));
      ctx.logger.warn('rerun status unavailable; will poll again', { source: doc.sourceId, failures, waitMs, code: coded.code, err: coded });
      return {
        again: new Date(now + waitMs),
        commit: async (tx) => {
          const cur = (await tx.get<RerunDoc>(RERUNS, runKey))?.data;
          if (!cur || cur.finishedAt) return;
          tx.put(RERUNS, runKey, { ...cur, statusFailures: failures });
        },
      };
    }
    if (status.state === 'succeeded' || status.state === 'failed') {
      return this.finish(runKey, { phase: status.state, ...(status.state === 'failed' && status.message ? { error: status.message } : {}) });
    }
    // Nothing runs it unless asked: say so now, and free the source for the rerun that will.
    if (status.state === 'rescheduled' && status.onlyIfAsked) {
      return this.finish(runKey, { phase: 'rescheduled', patch: { rescheduledFor: status.rescheduledFor ?? null, rescheduledOnlyIfAsked: true } });
    }
    // A rescheduled sync is followed a little longer, never for the full timeout; one that runs again
    // (Fivetran resumed it at rescheduled_for) gets the full timeout back, counted from the rerun's start.
    const fullDeadlineMs = Date.parse(doc.startedAt) + this.opts.timeoutMs;
    const currentDeadlineMs = status.state === 'running' && doc.phase === 'rescheduled' && Number.isFinite(fullDeadlineMs) ? Math.max(doc.deadlineMs, fullDeadlineMs) : doc.deadlineMs;
    if (now >= currentDeadlineMs) return this.finish(runKey, { phase: doc.phase === 'rescheduled' && status.state === 'rescheduled' ? 'rescheduled' : 'timed_out' });
    // An answer after failed asks: the next one is at the usual interval.
    const answered = async (tx: StoreTx): Promise<RerunDoc | undefined> => {
      const cur = (await tx.get<RerunDoc>(RERUNS, runKey))?.data;
      return cur && !cur.finishedAt ? cur : undefined;
    };
    if (status.state === doc.phase) {
      if (!doc.statusFailures) return { again };
      return {
        again,
        commit: async (tx) => {
          const cur = await answered(tx);
          if (cur) tx.put(RERUNS, runKey, { ...cur, statusFailures: 0 });
        },
      };
    }
    const deadlineMs = status.state === 'rescheduled' ? Math.min(doc.deadlineMs, now + Math.min(10 * 60_000, this.opts.timeoutMs / 4)) : currentDeadlineMs;
    return {
      again,
      commit: async (tx, enq) => {
        const cur = await answered(tx);
        if (!cur) return;
        tx.put(RERUNS, runKey, { ...cur, phase: status.state as RerunPhase, rescheduledFor: status.rescheduledFor ?? null, deadlineMs, statusFailures: 0 });
        await enq(noticeJob({ type: 'rerun.message', runKey }));
      },
    };
  }

  /** The freshness check after the run; the alert recovers now rather than at the next check. */
  private async runAfter(ctx: JobContext<{ runKey: string }>): Promise<JobOutcome> {
    const runKey = ctx.payload.runKey;
    const doc = await this.get(runKey);
    const source = doc ? this.opts.catalog.sources.find((s) => s.id === doc.sourceId) : undefined;
    if (!doc || !source || doc.after) return {};
    const after = await this.opts.freshness.checkSource(source);
    await this.opts.alerts.reconcile([after]);
    return {
      commit: async (tx, enq) => {
        const cur = (await tx.get<RerunDoc>(RERUNS, runKey))?.data;
        if (!cur || cur.after) return;
        tx.put(RERUNS, runKey, { ...cur, after: { dataState: after.dataState, lastUpdated: after.lastUpdated?.toISOString() ?? null, problem: after.problem ?? null } });
        await enq(noticeJob({ type: 'rerun.message', runKey }));
      },
    };
  }

  private finish(runKey: string, end: RerunEnd): JobOutcome {
    return { commit: this.finishCommit(runKey, end) };
  }

  /** The end of a rerun: its outcome, the lock released, the audit entry, the message edited, the freshness check queued. */
  private finishCommit(runKey: string, end: RerunEnd) {
    return async (tx: StoreTx, enq: (spec: JobSpec) => Promise<void>) => {
      const cur = (await tx.get<RerunDoc>(RERUNS, runKey))?.data;
      if (!cur || cur.finishedAt) return;
      const done: RerunDoc = { ...cur, ...end.patch, phase: end.phase, error: end.error ?? cur.error, offerForce: end.offerForce ?? false, finishedAt: this.now().toISOString() };
      tx.put(RERUNS, runKey, done);
      const lock = (await tx.get<LockDoc>(RERUN_LOCKS, cur.sourceId))?.data;
      if (lock?.runKey === runKey) tx.delete(RERUN_LOCKS, cur.sourceId);
      tx.audit({ actor: 'bot', action: 'pipeline.rerun_finished', subject: cur.sourceId, after: { outcome: done.phase, error: done.error } });
      // Its alert's card says how it ended, not "rerun requested" any more.
      const outcome = outcomeOf(done);
      if (outcome) await this.opts.alerts.rerunEnded(tx, cur.sourceId, cur.link, outcome);
      await enq(noticeJob({ type: 'rerun.message', runKey }));
      // A run that never started leaves the data as it was: no check to report.
      if (cur.run) await enq({ key: jobKey(RERUN_JOBS.after, runKey), kind: RERUN_JOBS.after, payload: { runKey } });
    };
  }

  private async waitForLink(runKey: string, timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const doc = await this.get(runKey);
      if (doc?.link || Date.now() >= deadline) return doc?.link ?? null;
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  private async enqueueAll(tx: StoreTx, specs: JobSpec[]): Promise<void> {
    const at = this.now().getTime();
    for (const spec of specs) await enqueue(tx, spec, at);
  }
}

/** How a rerun ended: its phase, the failure, and what else to store with it. */
interface RerunEnd {
  phase: RerunPhase;
  error?: string;
  offerForce?: boolean;
  patch?: Pick<Partial<RerunDoc>, 'rescheduledFor' | 'rescheduledOnlyIfAsked'>;
}

/** How a rerun ended, once it has: what its alert's card says of it. */
function outcomeOf(doc: Pick<RerunDoc, 'finishedAt' | 'phase'>): RerunOutcome | null {
  return doc.finishedAt && doc.phase !== 'starting' && doc.phase !== 'running' ? doc.phase : null;
}

/** The notice a rerun's message needs, for callers outside this module. */
export function rerunMessageNotice(runKey: string): Notice {
  return { type: 'rerun.message', runKey };
}
