/**
 * Reruns: BizOps rerun a source's pipeline from `/pipeline rerun <source>` or
 * an alert's Rerun button. Membership of BIZOPS_USERGROUP is asked of Slack on
 * every request. A lock per source in the store (createOnce) makes a rerun of
 * a source already running say so and start nothing, under double clicks,
 * repeated deliveries and several replicas. One message per rerun, edited in
 * place until the freshness check after it.
 */
import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import type { Store, StoreDoc } from '../ports/store.js';
import type { Pipelines, RunHandle, RunStatus, StartResult } from '../ports/pipelines.js';
import type { Source, SourceCatalog } from '../sources/catalog.js';
import { PipelineError, toCodedError } from '../errors.js';
import { RERUN_LOCKS, type ActiveRerun, type FreshnessService } from './freshness.js';
import type { FreshnessAlerts } from './freshness-alerts.js';
import { usergroupMembership } from './roles.js';
import { rerunMessage, type RerunPhase, type RerunView } from '../../views/rerun.js';
import { rerunRequestPost } from '../../views/freshness.js';

/** Longest source text accepted from a command. */
export const MAX_SOURCE_TEXT = 100;
const REQUESTS = 'rerun_requests';
/** Someone asking BizOps for the same rerun again within this long is told they already asked. */
const REQUEST_DEDUP_MS = 30 * 60_000;

export type RerunAnswer =
  | { kind: 'unknown_source'; text: string }
  | { kind: 'not_rerunnable'; source: Source }
  | { kind: 'not_allowed'; source: Source }
  | { kind: 'membership_unknown' }
  | { kind: 'not_configured' }
  | { kind: 'already_running'; source: Source; rerun: ActiveRerun }
  | { kind: 'started'; source: Source; link: string | null };

export type RerunRequestAnswer =
  | { kind: 'posted'; source: Source }
  | { kind: 'already_asked'; source: Source }
  | { kind: 'unknown_source' }
  | { kind: 'not_configured' };

interface LockDoc extends StoreDoc {
  runKey: string;
  requestedBy: string;
  startedAt: string;
  holder: string;
  force: boolean;
  channel: string | null;
  ts: string | null;
  link: string | null;
  /** Wall-clock ms of the follower's last sign of life; a lock silent for `staleAfterMs` is taken over (its replica died). */
  heartbeatAt: number;
  staleAfterMs: number;
}

/** Whether a lock's follower stopped beating (crashed or was stopped mid-run). */
export function lockIsStale(lock: StoreDoc, at: number = Date.now()): boolean {
  return typeof lock['heartbeatAt'] === 'number' && typeof lock['staleAfterMs'] === 'number' && at - lock['heartbeatAt'] > lock['staleAfterMs'];
}

export interface RerunServiceOptions {
  store: Store;
  slack: WebClient;
  catalog: SourceCatalog;
  pipelines: Pipelines;
  freshness: FreshnessService;
  alerts: FreshnessAlerts;
  logger: Logger;
  channel: string | undefined;
  bizopsUsergroup: string | undefined;
  timeoutMs: number;
  pollMs: number;
  holder: string;
  now?: () => Date;
}

export class RerunService {
  private readonly now: () => Date;
  private readonly following = new Set<Promise<void>>();
  private stopped = false;
  private readonly wakers = new Set<() => void>();

  constructor(private readonly opts: RerunServiceOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** A source from what someone typed (ID or name), or undefined. */
  find(text: string): Source | undefined {
    const t = text.trim();
    return t && t.length <= MAX_SOURCE_TEXT ? this.opts.catalog.get(t) : undefined;
  }

  /** Whether the user is in BIZOPS_USERGROUP, asked of Slack now. */
  membership(userId: string) {
    return usergroupMembership(this.opts.slack, this.opts.bizopsUsergroup, userId, this.opts.logger);
  }

  /**
   * Starts a rerun if the user may and none is running; the run is then
   * followed in the background. `force` restarts a sync already running (only
   * sent after the user confirmed the dialog).
   */
  async rerun(input: { source: string; userId: string; force: boolean }): Promise<RerunAnswer> {
    const source = this.find(input.source);
    if (!source) return { kind: 'unknown_source', text: input.source.trim().slice(0, MAX_SOURCE_TEXT) };
    if (!source.rerun) return { kind: 'not_rerunnable', source };
    const member = await this.membership(input.userId);
    if (member === 'unknown') return { kind: 'membership_unknown' };
    if (member !== 'member') return { kind: 'not_allowed', source };
    const channel = this.opts.channel;
    if (!channel) return { kind: 'not_configured' };

    const startedAt = this.now();
    const lock: LockDoc = {
      runKey: randomUUID(), requestedBy: input.userId, startedAt: startedAt.toISOString(), holder: this.opts.holder,
      force: input.force, channel: null, ts: null, link: null,
      heartbeatAt: Date.now(), staleAfterMs: Math.max(4 * this.opts.pollMs, 2 * 60_000),
    };
    let won = await this.opts.store.createOnce(RERUN_LOCKS, source.id, lock, { ttlMs: this.opts.timeoutMs + 5 * 60_000 });
    if (!won) {
      // A lock whose follower went silent (its replica died mid-run) is taken over, by exactly one caller.
      const held = await this.opts.store.get<LockDoc>(RERUN_LOCKS, source.id);
      if (held && lockIsStale(held.data)) {
        const res = await this.opts.store.transition<LockDoc>(RERUN_LOCKS, source.id, (x) => x.runKey === held.data.runKey && lockIsStale(x), () => ({ ...lock, expiresAt: Date.now() + this.opts.timeoutMs + 5 * 60_000 }));
        won = res.ok;
        if (won) this.opts.logger.warn('took over a silent rerun lock', { source: source.id, previous: held.data.holder });
      }
    }
    if (!won) {
      const active = await this.opts.freshness.activeRerun(source.id);
      return { kind: 'already_running', source, rerun: active ?? { requestedBy: '', startedAt: '', link: null } };
    }
    await this.opts.store.audit({ actor: input.userId, action: 'pipeline.rerun_requested', subject: source.id, after: { force: input.force } });

    const view: RerunView = { source, requestedBy: input.userId, force: input.force, phase: 'starting', startedAt, runner: this.runnerName(source) };
    let ts: string;
    let link: string | null = null;
    try {
      const alert = await this.opts.alerts.get(source.id);
      const thread = alert?.state === 'open' && alert.channel === channel && alert.ts ? { thread_ts: alert.ts } : {};
      const posted = await this.opts.slack.chat.postMessage({ channel, ...thread, ...rerunMessage(view) });
      ts = String(posted.ts);
      link = await this.opts.slack.chat.getPermalink({ channel, message_ts: ts }).then((r) => r.permalink ?? null, () => null);
    } catch (err) {
      await this.release(source.id, lock.runKey);
      throw err;
    }
    await this.opts.store.transition<LockDoc>(RERUN_LOCKS, source.id, (x) => x.runKey === lock.runKey, () => ({ channel, ts, link }));
    await this.opts.alerts.linkRerun(source.id, link, input.userId).catch((err) => this.opts.logger.warn('alert link failed', { err }));

    const run = this.follow(source, view, channel, ts, lock.runKey).catch((err) => {
      const coded = toCodedError(err);
      this.opts.logger.error('rerun follow failed', { source: source.id, code: coded.code, err: coded });
    });
    this.following.add(run);
    void run.finally(() => this.following.delete(run));
    return { kind: 'started', source, link };
  }

  /** Someone outside BizOps asks them, in the channel (the alert's thread when one is open), once per half hour. */
  async requestFromBizops(sourceId: string, userId: string): Promise<RerunRequestAnswer> {
    const source = this.opts.catalog.sources.find((s) => s.id === sourceId);
    if (!source) return { kind: 'unknown_source' };
    const channel = this.opts.channel;
    if (!channel) return { kind: 'not_configured' };
    const first = await this.opts.store.createOnce(REQUESTS, `${source.id}:${userId}`, { at: this.now().toISOString() }, { ttlMs: REQUEST_DEDUP_MS });
    if (!first) return { kind: 'already_asked', source };
    const [alert, freshness] = await Promise.all([this.opts.alerts.get(source.id), this.opts.freshness.checkSource(source).catch(() => undefined)]);
    const thread = alert?.state === 'open' && alert.channel === channel && alert.ts ? { thread_ts: alert.ts } : {};
    await this.opts.slack.chat.postMessage({ channel, ...thread, ...rerunRequestPost(source, userId, this.opts.bizopsUsergroup, freshness) });
    await this.opts.store.audit({ actor: userId, action: 'pipeline.rerun_asked', subject: source.id });
    return { kind: 'posted', source };
  }

  /** Stops following runs (shutdown); their locks expire on their own. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wakers) wake();
    await Promise.allSettled([...this.following]);
  }

  private runnerName(source: Source): string {
    if (this.opts.pipelines.kind === 'embedded') return 'simulated on the demo warehouse';
    return source.rerun?.kind === 'fivetran' ? 'Fivetran' : 'BigQuery Data Transfer';
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private async follow(source: Source, view: RerunView, channel: string, ts: string, runKey: string): Promise<void> {
    const { slack, pipelines, logger } = this.opts;
    const show = async (change: Partial<RerunView>) => {
      Object.assign(view, change);
      await slack.chat.update({ channel, ts, ...rerunMessage(view) }).catch((err) => logger.warn('rerun message update failed', { source: source.id, err }));
    };
    let outcome: RerunPhase = 'failed';
    try {
      let started: StartResult;
      try {
        started = await pipelines.start(source.rerun!, { force: view.force });
      } catch (err) {
        started = { ok: false, reason: 'failed', message: toCodedError(err).message };
      }
      if (!started.ok) {
        const wait = started.retryAfterMs !== undefined ? ` Try again in ${Math.ceil(started.retryAfterMs / 1000)} s.` : '';
        await show({ phase: 'failed', finishedAt: this.now(), error: started.message + wait, offerForce: started.reason === 'already_syncing' && source.rerun!.kind === 'fivetran' && !view.force });
        return;
      }
      await show({ phase: 'running' });
      outcome = await this.poll(started.run, view, runKey, show);
    } finally {
      await this.release(source.id, runKey);
      await this.opts.store.audit({ actor: 'bot', action: 'pipeline.rerun_finished', subject: source.id, after: { outcome: view.phase, error: view.error ?? null } }).catch(() => undefined);
    }
    if (this.stopped) return;
    // The freshness check after the run; the alert recovers now rather than at the next tick.
    try {
      const after = await this.opts.freshness.checkSource(source);
      await show({ after });
      await this.opts.alerts.reconcile([after]);
    } catch (err) {
      logger.warn('freshness check after rerun failed', { source: source.id, err, outcome });
    }
  }

  /** Polls the run until it ends, times out, or the bot stops. */
  private async poll(run: RunHandle, view: RerunView, runKey: string, show: (c: Partial<RerunView>) => Promise<void>): Promise<RerunPhase> {
    let deadline = Date.now() + this.opts.timeoutMs;
    let last: RunStatus['state'] = 'running';
    while (!this.stopped) {
      await this.sleep(this.opts.pollMs);
      if (this.stopped) break;
      await this.heartbeat(view.source.id, runKey);
      let status: RunStatus;
      try {
        status = await this.opts.pipelines.status(run);
      } catch (err) {
        const coded = toCodedError(err);
        this.opts.logger.warn('rerun status unavailable; will poll again', { source: view.source.id, code: coded.code, err: coded });
        if (coded instanceof PipelineError && coded.retryAfterMs) await this.sleep(Math.min(coded.retryAfterMs, this.opts.timeoutMs));
        if (Date.now() >= deadline) break;
        continue;
      }
      if (status.state === 'succeeded' || status.state === 'failed') {
        await show({ phase: status.state, finishedAt: this.now(), ...(status.message && status.state === 'failed' ? { error: status.message } : {}) });
        return status.state;
      }
      if (status.state !== last) {
        // A rescheduled sync is shown and followed a little longer, never for the full timeout.
        if (status.state === 'rescheduled') deadline = Math.min(deadline, Date.now() + Math.min(10 * 60_000, this.opts.timeoutMs / 4));
        last = status.state;
        await show({ phase: status.state, ...(status.rescheduledFor ? { rescheduledFor: status.rescheduledFor } : {}) });
      }
      if (Date.now() >= deadline) break;
    }
    const phase: RerunPhase = last === 'rescheduled' ? 'rescheduled' : 'timed_out';
    await show({ phase, finishedAt: this.now() });
    return phase;
  }

  /** Tells other replicas this run is still followed. */
  private async heartbeat(sourceId: string, runKey: string): Promise<void> {
    await this.opts.store
      .transition<LockDoc>(RERUN_LOCKS, sourceId, (x) => x.runKey === runKey, () => ({ heartbeatAt: Date.now() }))
      .catch((err) => this.opts.logger.warn('rerun heartbeat failed', { source: sourceId, err }));
  }

  /** Drops the lock if it is still this run's. */
  private async release(sourceId: string, runKey: string): Promise<void> {
    try {
      const current = await this.opts.store.get<LockDoc>(RERUN_LOCKS, sourceId);
      if (current?.data.runKey === runKey) await this.opts.store.delete(RERUN_LOCKS, sourceId);
    } catch (err) {
      this.opts.logger.warn('rerun lock release failed; it expires on its own', { source: sourceId, err });
    }
  }
}
