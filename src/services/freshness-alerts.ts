/**
 * Freshness alerts: one message in the analytics channel when a source goes
 * from fresh to stale; while it stays stale, no repeats, only a reminder in
 * the thread after the reminder interval (not while snoozed, acknowledged, or
 * while a rerun runs); when it is fresh again the same message is edited to
 * say so, with a reply.
 *
 * The alert's state lives in the store (one document per source). Every
 * change is a transaction that stores the new state with the notices it
 * implies (post, edit, reply), which the job runner delivers once: replicas
 * and restarts neither repeat nor lose an alert.
 */
import type { Logger } from '../logger.js';
import type { Store, StoreDoc, StoreTx } from '../ports/store.js';
import type { SourceCatalog } from '../sources/catalog.js';
import { toCodedError } from '../errors.js';
import { noticeJob, type Notice } from '../ports/notices.js';
import { JOBS, bringForward, enqueue, type JobDoc } from '../jobs/model.js';
import { RERUN_LOCKS, activeRerunOf, type SourceFreshness } from './freshness.js';

export const ALERTS = 'freshness_alerts';
export const SNOOZE_HOURS = [1, 4, 24] as const;
/**
 * A snooze ending this close to the one in force is that snooze again (the
 * click delivered twice, a double click before the card is redrawn): the
 * card shows the end to the minute, so nobody could tell the two apart.
 */
export const SNOOZE_REPEAT_MS = 60_000;

/**
 * How long after a source is taken out of the sources file its alert is not opened again: a replica of the revision
 * before (a deploy rolling out) still lists it, and would open a new alert that the next check closes, and so on.
 */
export const REMOVED_SETTLE_MS = 30 * 60_000;

/** How a rerun linked to an alert ended (the card says so, not "rerun requested" any more). */
export type RerunOutcome = 'succeeded' | 'failed' | 'timed_out' | 'rescheduled';

/** One source's alert, as stored. Times are epoch ms unless named …Iso. */
export interface AlertDoc extends StoreDoc {
  sourceId: string;
  /** open: the source is stale (the message is posted, or its posting is a job); closed: recovered. */
  state: 'open' | 'closed';
  episode: number;
  channel: string | null;
  ts: string | null;
  openedAt: number | null;
  /** When the reading that opened this episode was taken (absent on alerts stored before it was kept). */
  openingReadingAt?: number;
  lastUpdatedIso: string | null;
  lateByMs: number;
  lastReminderAt: number | null;
  snoozedUntil: number | null;
  snoozedBy: string | null;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  rerunLink: string | null;
  rerunBy: string | null;
  /** How the linked rerun ended; absent or null while it runs. */
  rerunOutcome?: RerunOutcome | null;
  /** The source's name when the episode opened: its card is still edited once the source is gone from the sources file. */
  sourceName?: string;
  /** Closed because its source was taken out of the sources file while it was open (epoch ms). */
  removedAt?: number | null;
  /** When the recovery was recorded (the check that saw it fresh may have started minutes before). */
  recoveryRecordedAt?: number;
  recoveredAt: number | null;
  recoveredLastUpdateIso: string | null;
  /**
   * The episode before this one, as it ended: its message may still be due
   * an edit or a reply (Slack was down, or the jobs had not run yet) when the
   * source went stale again.
   */
  previous?: AlertDoc | null;
}

export interface FreshnessAlertsOptions {
  store: Store;
  catalog: SourceCatalog;
  logger: Logger;
  channel: string | undefined;
  reminderIntervalMs: number;
  kick: () => void;
  now?: () => Date;
}

/**
 * What a snooze or acknowledge click came to. `unchanged`: the alert was that
 * way already (acknowledged twice, the same snooze again): nothing was recorded.
 */
export type AlertActionResult = { ok: true; doc: AlertDoc; unchanged?: true } | { ok: false; reason: 'unknown_source' | 'no_open_alert' | 'bad_value' };

export class FreshnessAlerts {
  private readonly now: () => Date;
  private warnedNoChannel = false;

  constructor(private readonly opts: FreshnessAlertsOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  get channel(): string | null {
    return this.opts.channel ?? null;
  }

  /** The alert document of a source, if any. */
  async get(sourceId: string): Promise<AlertDoc | null> {
    return (await this.opts.store.get<AlertDoc>(ALERTS, sourceId))?.data ?? null;
  }

  /** A source's alert as it is (or ended) in `episode`: the current one or the one before; null when neither. */
  async episode(sourceId: string, episode: number): Promise<AlertDoc | null> {
    const doc = await this.get(sourceId);
    if (!doc) return null;
    if (doc.episode === episode) return doc;
    return doc.previous?.episode === episode ? doc.previous : null;
  }

  /** Applies a check's results: opens, reminds, recovers. Unknown states change nothing. */
  async reconcile(results: SourceFreshness[], now: Date = this.now()): Promise<void> {
    if (!this.opts.channel) {
      if (!this.warnedNoChannel) this.opts.logger.warn('ANALYTICS_CHANNEL is not set: freshness alerts are not posted');
      this.warnedNoChannel = true;
      return;
    }
    let changed = false;
    for (const r of results) {
      try {
        if (r.dataState === 'stale') changed = (await this.whileStale(r, now)) || changed;
        else if (r.dataState === 'fresh') changed = (await this.whenFresh(r, now)) || changed;
      } catch (err) {
        const coded = toCodedError(err);
        this.opts.logger.error('freshness alert step failed', { source: r.source.id, code: coded.code, err: coded });
      }
    }
    if (changed) this.opts.kick();
  }

  /**
   * Closes the open alerts of sources taken out of the sources file: their cards say so and lose their buttons
   * (which could only fail now), and a source put back later and stale gets a new alert, not a reminder in an
   * old thread. For the scheduled check, which measures every source.
   */
  async closeRemoved(now: Date = this.now()): Promise<void> {
    if (!this.opts.channel) return;
    const listed = new Set(this.opts.catalog.sources.map((s) => s.id));
    const gone = (await this.opts.store.list<AlertDoc>(ALERTS, { where: { field: 'state', equals: 'open' } })).filter((d) => !listed.has(d.data.sourceId));
    const t = now.getTime();
    for (const { id } of gone) {
      try {
        await this.opts.store.runTransaction(async (tx) => {
          const current = (await tx.get<AlertDoc>(ALERTS, id))?.data;
          if (current?.state !== 'open') return;
          tx.put(ALERTS, id, { ...current, state: 'closed', removedAt: t });
          tx.audit({ actor: 'bot', action: 'freshness.alert_closed_source_removed', subject: id });
          await this.notify(tx, [{ type: 'freshness.alert', sourceId: id, episode: current.episode }], t);
        });
      } catch (err) {
        const coded = toCodedError(err);
        this.opts.logger.error('closing the alert of a removed source failed', { source: id, code: coded.code, err: coded });
      }
    }
    if (gone.length) this.opts.kick();
  }

  private async whileStale(r: SourceFreshness, now: Date): Promise<boolean> {
    const id = r.source.id;
    const t = now.getTime();
    return this.opts.store.runTransaction(async (tx) => {
      const current = (await tx.get<AlertDoc>(ALERTS, id))?.data;
      // A reading measured before the recovery (another check or a rerun's after-check landing late) is old news.
      if (current?.state === 'closed' && measuredBeforeRecovery(current, r)) return false;
      if (current?.state === 'closed' && current.removedAt && t < current.removedAt + REMOVED_SETTLE_MS) return false;
      if (!current || current.state === 'closed') {
        const episode = (current?.episode ?? 0) + 1;
        // A rerun already under way (started from /pipeline status, or typed, before this check saw the source
        // stale) whose message is posted: the card links it, as it would a rerun started from it.
        const lock = activeRerunOf((await tx.get(RERUN_LOCKS, id))?.data);
        const running = lock?.link && lock.requestedBy ? { rerunLink: lock.link, rerunBy: lock.requestedBy } : { rerunLink: null, rerunBy: null };
        const doc: AlertDoc = {
          previous: current ? asEnded(current) : null,
          sourceId: id, sourceName: r.source.name, state: 'open', episode, channel: null, ts: null, openedAt: t, openingReadingAt: r.checkedAt.getTime(),
          lastUpdatedIso: r.lastUpdated?.toISOString() ?? null, lateByMs: r.lateByMs, lastReminderAt: t,
          snoozedUntil: null, snoozedBy: null, acknowledgedBy: null, acknowledgedAt: null, ...running,
          recoveredAt: null, recoveredLastUpdateIso: null,
        };
        tx.put(ALERTS, id, doc);
        tx.audit({ actor: 'bot', action: 'freshness.alert_opened', subject: id, after: { lastUpdated: doc.lastUpdatedIso, lateByMs: doc.lateByMs } });
        await this.notify(tx, [{ type: 'freshness.alert', sourceId: id, episode }], t);
        return true;
      }
      if (!reminderDue(current, r, t, this.opts.reminderIntervalMs)) return false;
      tx.put(ALERTS, id, { ...current, lastReminderAt: t });
      await this.notify(tx, [{ type: 'freshness.reminder', sourceId: id, episode: current.episode, lateByMs: r.lateByMs, lastUpdated: r.lastUpdated?.toISOString() ?? null }], t);
      return true;
    });
  }

  private async whenFresh(r: SourceFreshness, now: Date): Promise<boolean> {
    const id = r.source.id;
    const t = now.getTime();
    return this.opts.store.runTransaction(async (tx) => {
      const current = (await tx.get<AlertDoc>(ALERTS, id))?.data;
      if (!current || current.state !== 'open') return false;
      // A fresh reading measured before the one that opened this episode (a check landing late) is old news too.
      if (measuredBeforeOpening(current, r)) return false;
      const doc: AlertDoc = { ...current, state: 'closed', recoveredAt: t, recoveredLastUpdateIso: r.lastUpdated?.toISOString() ?? null, recoveryRecordedAt: Math.max(t, this.now().getTime()) };
      tx.put(ALERTS, id, doc);
      tx.audit({ actor: 'bot', action: 'freshness.alert_recovered', subject: id, after: { lastUpdated: doc.recoveredLastUpdateIso } });
      await this.notify(tx, [{ type: 'freshness.alert', sourceId: id, episode: doc.episode }, { type: 'freshness.recovered', sourceId: id, episode: doc.episode }], t);
      return true;
    });
  }

  /**
   * When the job posting an episode's alert may still post it (due, waiting to retry or to be tried again
   * later, or running): its run time, or null once it has finished. Until then an alert without a ts may yet get one.
   */
  async postPendingAt(sourceId: string, episode: number): Promise<number | null> {
    const job = (await this.opts.store.get<JobDoc>(JOBS, noticeJob({ type: 'freshness.alert', sourceId, episode }).key))?.data;
    // Running now, its run time is when its lease ends. Either way, the post recorded brings the reply forward.
    return job?.state === 'pending' ? job.runAt ?? 0 : null;
  }

  /**
   * Records where the alert was posted, with the job that posted it. An episode already recovered has its
   * "fresh again" reply waiting for this (see {@link postPendingAt}): it is due now.
   */
  async recordPosted(tx: StoreTx, sourceId: string, episode: number, where: { channel: string; ts: string }): Promise<void> {
    const current = (await tx.get<AlertDoc>(ALERTS, sourceId))?.data;
    const doc = current?.episode === episode ? current : current?.previous?.episode === episode ? current.previous : null;
    if (!current || !doc) return;
    const posted = { ...doc, channel: where.channel, ts: where.ts };
    // Posted after the source recovered and went stale again: the episode before keeps where its message is, for its reply.
    tx.put(ALERTS, sourceId, doc === current ? posted : { ...current, previous: posted });
    if (doc.state !== 'open') await bringForward(tx, noticeJob({ type: 'freshness.recovered', sourceId, episode }).key, this.now().getTime());
  }

  /**
   * Snoozes reminders of an open alert for 1, 4 or 24 hours from now. Snoozing
   * again later moves the end (to extend or shorten it); a snooze that would
   * end within SNOOZE_REPEAT_MS of the one in force is that one repeated, and
   * changes nothing; so does a snooze of an acknowledged alert, which gets no
   * reminders at all.
   */
  async snooze(sourceId: string, hours: number, userId: string, clickedTs?: string): Promise<AlertActionResult> {
    if (!(SNOOZE_HOURS as readonly number[]).includes(hours)) return { ok: false, reason: 'bad_value' };
    const t = this.now().getTime();
    const until = t + hours * 3_600_000;
    // Acknowledged: no reminders come any more, so there is nothing to snooze (a button from before the acknowledgement).
    return this.change(sourceId, userId, 'freshness.alert_snoozed', (x) =>
      x.acknowledgedBy || (x.snoozedUntil !== null && x.snoozedUntil > t && Math.abs(x.snoozedUntil - until) < SNOOZE_REPEAT_MS) ? {} : { snoozedUntil: until, snoozedBy: userId },
    clickedTs);
  }

  /** Marks an open alert acknowledged: someone is on it, no more reminders. */
  async acknowledge(sourceId: string, userId: string, clickedTs?: string): Promise<AlertActionResult> {
    const t = this.now().getTime();
    return this.change(sourceId, userId, 'freshness.alert_acknowledged', (x) => (x.acknowledgedBy ? {} : { acknowledgedBy: userId, acknowledgedAt: t }), clickedTs);
  }

  /**
   * Links the source's alert to the rerun following it (inside the transaction that records the rerun's
   * message). `alertTs`: the alert whose thread the message went in (null: none was open when the rerun
   * began), and `alertEpisode` that alert's episode (absent in reruns stored before it was kept: the ts alone
   * says which). That alert is linked even once it has closed, and when a newer episode has opened since (it is
   * then the previous one): a rerun can end, and its alert recover, before its message is recorded (Slack's
   * answer lost, or the process killed, right after the post), and the recovered card still says who reran
   * it; and when the card's own post is not recorded yet (the thread was that card, found in Slack). With no
   * such thread, the open alert is linked. `outcome`: how the rerun ended, when it ended before its message
   * was recorded.
   */
  async linkRerun(tx: StoreTx, sourceId: string, link: string | null, userId: string, alertTs?: string | null, alertEpisode?: number, outcome: RerunOutcome | null = null): Promise<void> {
    const current = (await tx.get<AlertDoc>(ALERTS, sourceId))?.data;
    if (!current) return;
    let episode: AlertDoc;
    let after: AlertDoc;
    const which = alertTs == null ? 'current' : threadEpisode(current, alertTs, alertEpisode);
    if (which === 'current') {
      if (current.state !== 'open' && (alertTs == null || current.rerunLink)) return;
      episode = current;
      after = { ...current, rerunLink: link, rerunBy: userId, rerunOutcome: outcome };
    } else if (which === 'previous' && current.previous && !current.previous.rerunLink) {
      episode = current.previous;
      after = { ...current, previous: { ...current.previous, rerunLink: link, rerunBy: userId, rerunOutcome: outcome } };
    } else {
      return;
    }
    tx.put(ALERTS, sourceId, after);
    tx.audit({ actor: userId, action: 'freshness.alert_rerun_linked', subject: sourceId });
    await this.notify(tx, [{ type: 'freshness.alert', sourceId, episode: episode.episode }], this.now().getTime());
  }

  /**
   * The end of a rerun (its message at `link`): each episode linked to it says how it ended (the one its message
   * went under, and a newer one that opened while it ran and linked it from its lock). An episode linked to
   * another rerun since, or not linked yet (the rerun's message not recorded: {@link linkRerun} then carries the
   * outcome), is left as it is.
   */
  async rerunEnded(tx: StoreTx, sourceId: string, link: string | null, outcome: RerunOutcome): Promise<void> {
    const current = (await tx.get<AlertDoc>(ALERTS, sourceId))?.data;
    if (!current || !link) return;
    const due = (a: AlertDoc | null | undefined): a is AlertDoc => Boolean(a && a.rerunLink === link && a.rerunOutcome !== outcome);
    const episodes = [current, current.previous].filter(due).map((a) => a.episode);
    if (!episodes.length) return;
    const previous = due(current.previous) ? { ...current.previous, rerunOutcome: outcome } : current.previous;
    tx.put(ALERTS, sourceId, { ...current, ...(due(current) ? { rerunOutcome: outcome } : {}), ...(previous !== undefined ? { previous } : {}) });
    await this.notify(tx, episodes.map((episode) => ({ type: 'freshness.alert' as const, sourceId, episode })), this.now().getTime());
  }

  /**
   * Changes the source's open alert. `clickedTs`: the message the click came from; a click on another (an
   * earlier episode's card whose recovery edit did not land, or a value forged onto another alert's button)
   * is not this alert's, and changes nothing.
   */
  private async change(sourceId: string, userId: string, action: string, update: (x: AlertDoc) => Partial<AlertDoc>, clickedTs?: string): Promise<AlertActionResult> {
    const source = this.opts.catalog.get(sourceId);
    if (!source || source.id !== sourceId) return { ok: false, reason: 'unknown_source' };
    const result = await this.opts.store.runTransaction(async (tx): Promise<AlertActionResult> => {
      const current = (await tx.get<AlertDoc>(ALERTS, sourceId))?.data;
      if (!current || current.state !== 'open') return { ok: false, reason: 'no_open_alert' };
      if (clickedTs !== undefined && current.ts !== null && current.ts !== clickedTs) return { ok: false, reason: 'no_open_alert' };
      const changes = update(current);
      // Nothing to change (a second Acknowledge or Snooze, the same click delivered twice): no audit entry, no redraw.
      if (Object.keys(changes).length === 0) return { ok: true, doc: current, unchanged: true };
      const doc = { ...current, ...changes };
      tx.put(ALERTS, sourceId, doc);
      tx.audit({ actor: userId, action, subject: sourceId, after: changes });
      await this.notify(tx, [{ type: 'freshness.alert', sourceId, episode: doc.episode }], this.now().getTime());
      return { ok: true, doc };
    });
    if (result.ok && !result.unchanged) this.opts.kick();
    return result;
  }

  private async notify(tx: StoreTx, notices: Notice[], at: number): Promise<void> {
    for (const n of notices) await enqueue(tx, noticeJob(n), at);
  }
}

/**
 * Which episode's card is the message at `ts`: the episode the rerun chose it for (`episode`), else (a rerun
 * stored before that was kept) the one recorded there; null when neither is kept any more.
 */
function threadEpisode(current: AlertDoc, ts: string, episode: number | undefined): 'current' | 'previous' | null {
  const mine = (a: AlertDoc) => (episode !== undefined ? a.episode === episode : a.ts === ts);
  if (mine(current)) return 'current';
  return current.previous && mine(current.previous) ? 'previous' : null;
}

/** An episode as kept beside the next one (without its own previous: one episode back is enough). */
function asEnded(doc: AlertDoc): AlertDoc {
  const ended: AlertDoc = { ...doc };
  delete ended.previous;
  return ended;
}

/**
 * How long after a recovery a reading that saw older data than the recovery did is taken for one from before it
 * (a replica whose clock runs a little ahead). Past that, the data did go back (a table added to the source, an
 * older copy restored, the demo warehouse set again): the source is stale, and alerts again.
 */
export const RECOVERY_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Whether a reading predates the recovery that closed an alert: it was taken
 * before the recovery was recorded, or, shortly after it, saw older data than
 * the recovery did.
 */
export function measuredBeforeRecovery(alert: AlertDoc, r: Pick<SourceFreshness, 'checkedAt' | 'lastUpdated'>): boolean {
  if (alert.recoveredAt !== null && r.checkedAt.getTime() < alert.recoveredAt) return true;
  // Counted from when the recovery was recorded, not from its check's start (a check throttled for minutes may record
  // it long after): a reading is stamped before it measures, so one stamped this long after was measured after it.
  const recorded = alert.recoveryRecordedAt ?? alert.recoveredAt;
  if (recorded !== null && r.checkedAt.getTime() >= recorded + RECOVERY_CLOCK_SKEW_MS) return false;
  const recoveredData = alert.recoveredLastUpdateIso ? Date.parse(alert.recoveredLastUpdateIso) : NaN;
  return r.lastUpdated !== null && Number.isFinite(recoveredData) && r.lastUpdated.getTime() < recoveredData;
}

/**
 * Whether a reading predates the one that opened an alert's episode: it was
 * taken earlier, or it saw older data than the opening reading did.
 */
export function measuredBeforeOpening(alert: AlertDoc, r: Pick<SourceFreshness, 'checkedAt' | 'lastUpdated'>): boolean {
  if (alert.openingReadingAt !== undefined && r.checkedAt.getTime() < alert.openingReadingAt) return true;
  const openingData = alert.lastUpdatedIso ? Date.parse(alert.lastUpdatedIso) : NaN;
  return r.lastUpdated !== null && Number.isFinite(openingData) && r.lastUpdated.getTime() < openingData;
}

/**
 * Whether an open alert is due a reminder in its thread: posted, nobody on
 * it, not snoozed, no rerun under way (its message is in the thread already),
 * and a reminder interval since the last one.
 */
export function reminderDue(alert: AlertDoc, r: Pick<SourceFreshness, 'rerun'>, at: number, intervalMs: number): boolean {
  if (!alert.ts || !alert.channel) return false;
  if (alert.acknowledgedBy) return false;
  if (r.rerun) return false;
  if (alert.snoozedUntil && alert.snoozedUntil > at) return false;
  return at - (alert.lastReminderAt ?? alert.openedAt ?? at) >= intervalMs;
}
