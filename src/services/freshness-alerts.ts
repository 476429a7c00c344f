/**
 * Freshness alerts: one message in the analytics channel when a source goes
 * from fresh to stale; while it stays stale, no repeats, only a reminder in
 * the thread after the reminder interval (not while snoozed, acknowledged, or
 * while a rerun runs);
 * when it is fresh again the same message is edited to say so, with a reply.
 *
 * The alert's state lives in the store (one document per source), and every
 * step that posts is won by exactly one caller (createOnce / transition), so
 * replicas and restarts neither repeat nor lose an alert.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import type { Store, StoreDoc } from '../ports/store.js';
import type { SourceCatalog } from '../sources/catalog.js';
import { toCodedError } from '../errors.js';
import type { SourceFreshness } from './freshness.js';
import {
  freshnessAlertMessage,
  freshnessRecoveredReply,
  freshnessReminderReply,
  type AlertView,
} from '../../views/freshness.js';

export const ALERTS = 'freshness_alerts';
/** A claim to post an alert that was not completed within this long is taken over (the claimant died). */
const OPENING_TIMEOUT_MS = 2 * 60_000;
export const SNOOZE_HOURS = [1, 4, 24] as const;

/** One source's alert, as stored. Times are epoch ms unless named …Iso. */
export interface AlertDoc extends StoreDoc {
  sourceId: string;
  /** opening: someone is posting it; open: posted, source stale; closed: recovered (or never posted). */
  state: 'opening' | 'open' | 'closed';
  episode: number;
  claimedBy: string;
  claimedAt: number;
  channel: string | null;
  ts: string | null;
  openedAt: number | null;
  lastUpdatedIso: string | null;
  lateByMs: number;
  lastReminderAt: number | null;
  snoozedUntil: number | null;
  snoozedBy: string | null;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  rerunLink: string | null;
  rerunBy: string | null;
  recoveredAt: number | null;
  recoveredLastUpdateIso: string | null;
}

export interface FreshnessAlertsOptions {
  store: Store;
  slack: WebClient;
  catalog: SourceCatalog;
  logger: Logger;
  channel: string | undefined;
  reminderIntervalMs: number;
  /** Who this replica is (claims). */
  holder: string;
  now?: () => Date;
}

/** What a snooze or acknowledge click came to. */
export type AlertActionResult = { ok: true; doc: AlertDoc } | { ok: false; reason: 'unknown_source' | 'no_open_alert' | 'bad_value' };

export class FreshnessAlerts {
  private readonly now: () => Date;
  private warnedNoChannel = false;

  constructor(private readonly opts: FreshnessAlertsOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** The alert document of a source, if any. */
  async get(sourceId: string): Promise<AlertDoc | null> {
    return (await this.opts.store.get<AlertDoc>(ALERTS, sourceId))?.data ?? null;
  }

  /** Applies a check's results: opens, reminds, recovers. Unknown states change nothing. */
  async reconcile(results: SourceFreshness[], now: Date = this.now()): Promise<void> {
    if (!this.opts.channel) {
      if (!this.warnedNoChannel) this.opts.logger.warn('ANALYTICS_CHANNEL is not set: freshness alerts are not posted');
      this.warnedNoChannel = true;
      return;
    }
    for (const r of results) {
      try {
        if (r.dataState === 'stale') await this.whileStale(r, now);
        else if (r.dataState === 'fresh') await this.whenFresh(r, now);
      } catch (err) {
        const coded = toCodedError(err);
        this.opts.logger.error('freshness alert step failed', { source: r.source.id, code: coded.code, err: coded });
      }
    }
  }

  private async whileStale(r: SourceFreshness, now: Date): Promise<void> {
    const { store, holder } = this.opts;
    const id = r.source.id;
    const current = await store.get<AlertDoc>(ALERTS, id);
    const t = now.getTime();
    const fresh: Partial<AlertDoc> = {
      sourceId: id, state: 'opening', claimedBy: holder, claimedAt: t, channel: null, ts: null, openedAt: null,
      lastUpdatedIso: r.lastUpdated?.toISOString() ?? null, lateByMs: r.lateByMs, lastReminderAt: null,
      snoozedUntil: null, snoozedBy: null, acknowledgedBy: null, acknowledgedAt: null, rerunLink: null, rerunBy: null,
      recoveredAt: null, recoveredLastUpdateIso: null,
    };
    let won = false;
    if (!current) {
      won = await store.createOnce(ALERTS, id, { ...fresh, episode: 1 });
    } else {
      const d = current.data;
      const takeable = (x: AlertDoc) => x.state === 'closed' || (x.state === 'opening' && t - x.claimedAt > OPENING_TIMEOUT_MS);
      if (takeable(d)) {
        const res = await store.transition<AlertDoc>(ALERTS, id, (x) => takeable(x) && x.claimedAt === d.claimedAt, (x) => ({ ...fresh, episode: x.state === 'closed' ? (x.episode ?? 0) + 1 : x.episode }));
        won = res.ok;
      } else if (d.state === 'open') {
        await this.maybeRemind(r, d, t);
        return;
      }
    }
    if (!won) return;
    await this.post(r, t);
  }

  private async post(r: SourceFreshness, t: number): Promise<void> {
    const { store, slack, holder, logger } = this.opts;
    const channel = this.opts.channel!;
    const id = r.source.id;
    const doc = (await store.get<AlertDoc>(ALERTS, id))!.data;
    let ts: string;
    try {
      const res = await slack.chat.postMessage({ channel, ...freshnessAlertMessage(r.source, this.view(doc, t)) });
      ts = String(res.ts);
    } catch (err) {
      // Give the claim back so the next check tries again.
      await store.transition<AlertDoc>(ALERTS, id, (x) => x.state === 'opening' && x.claimedBy === holder, () => ({ state: 'closed', claimedAt: 0 }));
      throw err;
    }
    await store.transition<AlertDoc>(ALERTS, id, (x) => x.state === 'opening' && x.claimedBy === holder, () => ({ state: 'open', channel, ts, openedAt: t, lastReminderAt: t }));
    await store.audit({ actor: 'bot', action: 'freshness.alert_opened', subject: id, after: { lastUpdated: doc.lastUpdatedIso, lateByMs: doc.lateByMs } });
    logger.info('freshness alert posted', { source: id, ts });
  }

  private async maybeRemind(r: SourceFreshness, d: AlertDoc, t: number): Promise<void> {
    if (!d.ts || !d.channel) return;
    if (d.acknowledgedBy) return;
    // A rerun is under way and its message is in the thread already.
    if (r.rerun) return;
    if (d.snoozedUntil && d.snoozedUntil > t) return;
    if (t - (d.lastReminderAt ?? d.openedAt ?? t) < this.opts.reminderIntervalMs) return;
    const res = await this.opts.store.transition<AlertDoc>(ALERTS, r.source.id, (x) => x.state === 'open' && x.lastReminderAt === d.lastReminderAt, () => ({ lastReminderAt: t }));
    if (!res.ok) return;
    await this.opts.slack.chat.postMessage({ channel: d.channel, thread_ts: d.ts, ...freshnessReminderReply(r) });
  }

  private async whenFresh(r: SourceFreshness, now: Date): Promise<void> {
    const { store } = this.opts;
    const id = r.source.id;
    const current = await store.get<AlertDoc>(ALERTS, id);
    if (!current || current.data.state !== 'open') return;
    const t = now.getTime();
    const res = await store.transition<AlertDoc>(ALERTS, id, (x) => x.state === 'open', () => ({
      state: 'closed', recoveredAt: t, recoveredLastUpdateIso: r.lastUpdated?.toISOString() ?? null,
    }));
    if (!res.ok) return;
    const doc = res.doc.data;
    if (doc.channel && doc.ts) {
      await this.opts.slack.chat.update({ channel: doc.channel, ts: doc.ts, ...freshnessAlertMessage(r.source, this.view(doc, t)) });
      await this.opts.slack.chat.postMessage({ channel: doc.channel, thread_ts: doc.ts, ...freshnessRecoveredReply(r, doc) });
    }
    await store.audit({ actor: 'bot', action: 'freshness.alert_recovered', subject: id, after: { lastUpdated: doc.recoveredLastUpdateIso } });
  }

  /** Snoozes reminders of an open alert for 1, 4 or 24 hours. */
  async snooze(sourceId: string, hours: number, userId: string): Promise<AlertActionResult> {
    if (!(SNOOZE_HOURS as readonly number[]).includes(hours)) return { ok: false, reason: 'bad_value' };
    const t = this.now().getTime();
    return this.change(sourceId, userId, 'freshness.alert_snoozed', () => ({ snoozedUntil: t + hours * 3_600_000, snoozedBy: userId }));
  }

  /** Marks an open alert acknowledged: someone is on it, no more reminders. */
  async acknowledge(sourceId: string, userId: string): Promise<AlertActionResult> {
    const t = this.now().getTime();
    return this.change(sourceId, userId, 'freshness.alert_acknowledged', (x) => (x.acknowledgedBy ? {} : { acknowledgedBy: userId, acknowledgedAt: t }));
  }

  /** Links an open alert to the rerun following it. */
  async linkRerun(sourceId: string, link: string | null, userId: string): Promise<void> {
    const res = await this.change(sourceId, userId, 'freshness.alert_rerun_linked', () => ({ rerunLink: link, rerunBy: userId }));
    if (!res.ok && res.reason !== 'no_open_alert') this.opts.logger.warn('could not link the rerun to the alert', { source: sourceId, reason: res.reason });
  }

  private async change(sourceId: string, userId: string, action: string, update: (x: AlertDoc) => Partial<AlertDoc>): Promise<AlertActionResult> {
    const source = this.opts.catalog.get(sourceId);
    if (!source || source.id !== sourceId) return { ok: false, reason: 'unknown_source' };
    const res = await this.opts.store.transition<AlertDoc>(ALERTS, sourceId, (x) => x.state === 'open', update);
    if (!res.ok) return { ok: false, reason: 'no_open_alert' };
    const doc = res.doc.data;
    if (doc.channel && doc.ts) {
      await this.opts.slack.chat.update({ channel: doc.channel, ts: doc.ts, ...freshnessAlertMessage(source, this.view(doc, this.now().getTime())) });
    }
    await this.opts.store.audit({ actor: userId, action, subject: sourceId });
    return { ok: true, doc };
  }

  private view(doc: AlertDoc, t: number): AlertView {
    return { doc, now: new Date(t) };
  }
}
