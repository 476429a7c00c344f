/**
 * Scheduled deliveries and threshold alerts of saved queries.
 *
 * A subscription delivers a query's chart, table or CSV on a schedule, to a
 * channel the bot is in or to its owner's DMs; an alert checks a condition
 * on one numeric column on a schedule and posts when it becomes true, and
 * once more when it no longer holds. Both are records in the store, and each
 * scheduled time is a job keyed by it (`subscription.run:<id>:<due>`), so a
 * run happens once across replicas and restarts; a run's completion
 * schedules the next one, so a bot that was down sends at most one missed
 * run (within the grace), never a burst.
 *
 * This module decides and records; the run itself (query, draw, post) is the
 * Slack adapter's job kind (src/slack/subscription-run.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { expiresIn, type Store, type StoreDoc, type StoreTx } from '../ports/store.js';
import type { Directory } from '../ports/directory.js';
import { JOBS, enqueue, jobKey, wake, type JobDoc, type JobSpec } from '../jobs/model.js';
import { alertClosedKey, alertSupersededKey, noticeJob, type SubscriptionChange } from '../ports/notices.js';
import { checkSchedule, describeSchedule, isTimeZone, nextRun, runAfter, type Schedule, type ScheduleField, type ScheduleInput } from '../domain/schedule.js';
import { checkCondition, type AlertCondition, type AlertState, type ConditionField } from '../domain/alert-condition.js';
import type { Catalog, SavedQuery } from '../catalog/catalog.js';
import type { QueryService } from './query.js';
import type { ResolvedParams } from '../catalog/params.js';
import { headOf, localeNumber } from '../format.js';
import { freeClick, holdClick } from './clicks.js';
import { isChannelId } from '../ids.js';

export const SUBSCRIPTIONS = 'subscriptions';
/** The last "run now" of each, so that a second click soon after runs nothing more. */
const RUNS_NOW = 'subscription_runs_now';
/** Per alert: the run posting its change of state (fire or resolve), so two runs at once post it once. */
const ALERT_STEPS = 'subscription_alert_steps';
/** How long after a "run now" another is told one is on its way. */
export const RUN_NOW_ONCE_MS = 60_000;
/**
 * How long after a click on Run now a second click by the same person on the same message (or view) is its
 * double click, though the first run has ended (a cached query runs and posts in a fraction of a second).
 */
export const RUN_NOW_DOUBLE_CLICK_MS = 3_000;
/**
 * One document per owner that each of their creations and edits reads and writes, so that their limit is
 * counted, and copies are found, one save at a time.
 */
const SUBSCRIPTION_CREATIONS = 'subscription_creations';
export const SUBSCRIPTION_RUN_JOB = 'subscription.run';

export const SUBSCRIPTION_FORMATS = ['chart', 'table', 'csv', 'chart_csv'] as const;
export type SubscriptionFormat = (typeof SUBSCRIPTION_FORMATS)[number];

export type SubscriptionKind = 'delivery' | 'alert';

/** Where it goes: a channel the bot is in, or the owner's DMs. */
export type SubscriptionTarget = { kind: 'channel'; channel: string } | { kind: 'dm' };

export interface RunRecord {
  /** When the run was due (epoch ms) and when it happened. */
  dueAt: number;
  at: number;
  outcome: 'delivered' | 'fired' | 'resolved' | 'quiet' | 'missed' | 'failed';
  /** Why it failed or was skipped (safe to show). */
  message: string | null;
  manual: boolean;
}

/** A stored subscription or alert. Times are epoch ms. */
export type Subscription = SubscriptionFields & StoreDoc;

export interface SubscriptionFields {
  id: string;
  kind: SubscriptionKind;
  owner: string;
  query: string;
  /** Parameter values as given: relative dates (`-30d`) stay relative at each run. */
  params: Record<string, string>;
  target: SubscriptionTarget;
  schedule: Schedule;
  /** Deliveries: what is posted. */
  format: SubscriptionFormat;
  /** Alerts: the condition, its state, and the message it fired with. */
  condition: AlertCondition | null;
  alertState: AlertState;
  firedAt: number | null;
  firedMessage: { channel: string; ts: string } | null;
  status: 'active' | 'paused';
  pausedReason: string | null;
  nextRunAt: number | null;
  lastRun: RunRecord | null;
  consecutiveFailures: number;
  createdAt: number;
  updatedAt: number;
  /** Who last changed what the alert checks (an edit that started it afresh): a run that fired for the old check meanwhile closes its alert in their name. */
  checkEditedBy?: string | null;
}

export interface SubscriptionLimits {
  /** Subscriptions and alerts one person may have. */
  perOwner: number;
  /** Subscriptions and alerts in all. */
  total: number;
  /** A run later than this after its time is skipped (the next one is on time). */
  graceMs: number;
  /** Failed runs in a row after which a subscription pauses itself. */
  maxFailures: number;
}

/** What the modal collected. */
export interface SubscriptionDraft {
  kind: SubscriptionKind;
  query: string;
  params: Record<string, string>;
  /** A channel ID, or null for the owner's DMs. */
  channel: string | null;
  schedule: ScheduleInput;
  format?: string | null;
  condition?: { column?: string | null; op?: string | null; value?: string | null };
}

export type DraftField = 'query' | 'channel' | 'format' | 'limit' | ScheduleField | ConditionField | `param:${string}`;

export type SaveResult =
  /** `replayed`: this submission was saved before (a second press, a repeated delivery): nothing new was saved. */
  | { ok: true; subscription: Subscription; replayed?: boolean }
  | { ok: false; errors: Partial<Record<DraftField, string>> }
  | { ok: false; reason: 'not_found' | 'not_allowed' };

export type ChangeResult = { ok: true; subscription: Subscription } | { ok: false; reason: 'not_found' | 'not_allowed' | 'already' };

export interface SubscriptionServiceOptions {
  store: Store;
  directory: Directory;
  queries: QueryService;
  logger: Logger;
  limits: SubscriptionLimits;
  bizopsUsergroup: string | undefined;
  kick: () => void;
  now?: () => Date;
}

const ID = /^sub_[a-z0-9]{6,40}$/;

/** The short reference people see: `SUB-7QK2ZD`. */
export function subscriptionRef(id: string): string {
  return `SUB-${id.replace(/^sub_/, '').slice(-6).toUpperCase()}`;
}

/** A subscription's place in a list: when it was made, and its ID, which orders those made in the same millisecond. */
export type SubscriptionKey = readonly [createdAt: number, id: string];

export const subscriptionKey = (s: Pick<Subscription, 'createdAt' | 'id'>): SubscriptionKey => [s.createdAt, s.id];

/** Lists' order, newest first (then by ID): below 0 when `s` comes before the one at `key`. */
export function subscriptionOrder(s: Pick<Subscription, 'createdAt' | 'id'>, key: SubscriptionKey): number {
  return s.createdAt !== key[0] ? key[0] - s.createdAt : s.id < key[1] ? -1 : s.id > key[1] ? 1 : 0;
}

/** Whether a string (a button value) is shaped like a subscription ID. */
export function isSubscriptionId(v: unknown): v is string {
  return typeof v === 'string' && ID.test(v);
}

/** Why a change from "the period before" cannot be watched: the query's rows are categories, not periods of time. */
export function categoriesMessage(query: SavedQuery): string {
  const rows = query.display.x ? `Its rows are categories (one per ${query.display.x}), not periods of time` : 'Its rows are not periods of time';
  return `${rows}, so there is no period before to compare with: watch above or below a value instead.`;
}

/** The numeric columns an alert may watch: the chart's value columns. */
export function numericColumnsOf(query: SavedQuery): string[] {
  return [...query.display.y];
}

export class SubscriptionService {
  private readonly now: () => Date;

  constructor(private readonly opts: SubscriptionServiceOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  get limits(): SubscriptionLimits {
    return this.opts.limits;
  }

  async get(id: string): Promise<Subscription | null> {
    if (!isSubscriptionId(id)) return null;
    return (await this.opts.store.get<Subscription>(SUBSCRIPTIONS, id))?.data ?? null;
  }

  /** A person's subscriptions and alerts, newest first. */
  async listOf(owner: string): Promise<Subscription[]> {
    const docs = await this.opts.store.list<Subscription>(SUBSCRIPTIONS, { where: { field: 'owner', equals: owner } });
    return docs.map((d) => d.data).sort((a, b) => subscriptionOrder(a, subscriptionKey(b)));
  }

  /** Every subscription and alert (BizOps), newest first. */
  async listAll(): Promise<Subscription[]> {
    return (await this.opts.store.list<Subscription>(SUBSCRIPTIONS)).map((d) => d.data).sort((a, b) => subscriptionOrder(a, subscriptionKey(b)));
  }

  /** Whether `userId` may manage subscriptions other than their own (BizOps), asked of Slack. */
  async isBizops(userId: string): Promise<boolean> {
    return (await this.opts.directory.membership(this.opts.bizopsUsergroup, userId)) === 'member';
  }

  /**
   * The owner's Slack time zone, for the modal; null when Slack could not say, or named a zone this runtime does not
   * know (Slack's list and the runtime's ICU data are of different ages; `unknown` names it): the schedule is then in
   * UTC, as the form says, rather than refused on save for a zone the person cannot change there.
   */
  async timeZoneOf(userId: string): Promise<{ tz: string } | { tz: null; unknown?: string }> {
    const profile = await this.opts.directory.profile(userId);
    if (!profile || profile === 'unknown' || !profile.tz) return { tz: null };
    return isTimeZone(profile.tz) ? { tz: profile.tz } : { tz: null, unknown: profile.tz };
  }

  /**
   * Checks a draft the way the modal's inline errors report it: the query
   * and its parameters (as `/query` checks them), the schedule, where it
   * goes (a channel the bot is in and, if private, `actor` is in), the format or condition, the cost cap
   * (a dry run: a query over the cap cannot be saved), and the limits.
   */
  async check(owner: string, draft: SubscriptionDraft, editing?: Subscription, actor: string = owner): Promise<{ ok: true; value: Omit<SubscriptionFields, 'id' | 'createdAt' | 'updatedAt' | 'owner'> } | { ok: false; errors: Partial<Record<DraftField, string>> }> {
    const errors: Partial<Record<DraftField, string>> = {};
    const query = this.opts.queries.catalog.get(draft.query);
    if (!query) return { ok: false, errors: { query: `There is no saved query called “${headOf(draft.query, 60)}”.` } };
    const resolution = await this.opts.queries.resolve(query, draft.params);
    if (!resolution.ok) for (const [name, problem] of Object.entries(resolution.problems)) errors[`param:${name}`] = problem;
    const given = resolution.ok ? await this.customersAsWritten(query, resolution.params, editing) : {};
    const schedule = checkSchedule(draft.schedule);
    if (!schedule.ok) Object.assign(errors, schedule.errors);
    let format: SubscriptionFormat = 'chart';
    let condition: AlertCondition | null = null;
    if (draft.kind === 'delivery') {
      const f = (draft.format ?? '').trim();
      const allowed = query.display.type === 'table' ? ['table', 'csv'] : SUBSCRIPTION_FORMATS;
      if (!(allowed as readonly string[]).includes(f)) errors.format = query.display.type === 'table' ? 'This query is a table: pick Table or CSV.' : 'Pick what to send: chart, table, CSV, or chart and CSV.';
      else format = f as SubscriptionFormat;
    } else {
      const c = checkCondition(draft.condition ?? {}, numericColumnsOf(query));
      if (!c.ok) Object.assign(errors, c.errors);
      // A pie's slices are categories: no period comes before another to change from.
      else if (c.condition.op === 'change_pct' && query.display.type === 'pie') errors.op = categoriesMessage(query);
      else condition = c.condition;
    }
    let target: SubscriptionTarget = { kind: 'dm' };
    if (draft.channel && !isChannelId(draft.channel)) {
      // The form offers public and private channels only; a person's DM (theirs or anyone's) is not one.
      errors.channel = 'Pick a channel here, or tick “Send it to me as a DM instead”.';
    } else if (draft.channel) {
      // A private channel is one the person submitting must be in (the form lists only the channels they can
      // see): one they are not in is refused in the words for one that does not exist, so a tampered form
      // learns nothing of it. An edit that leaves the channel as it was is not asked again (BizOps may fix
      // another's schedule without being in their private channel): it posts nowhere new.
      const kept = editing?.target.kind === 'channel' && editing.target.channel === draft.channel;
      const access = await this.opts.directory.channelAccess(draft.channel, kept ? undefined : actor);
      if (access === 'not_found') errors.channel = 'I cannot see that channel: if it is private, invite me with /invite @analytics-bot first; otherwise it may be archived or gone.';
      else if (access === 'not_member') errors.channel = 'I am not in that channel: invite me with /invite @analytics-bot, or pick another.';
      else if (access === 'unknown') errors.channel = 'I could not check that channel with Slack just now; try again in a minute.';
      else if (access === 'missing_scope') errors.channel = 'I am not allowed to look up channels yet (the app needs its channels:read and groups:read scopes). Ask whoever runs analytics-bot to reinstall it; until then, tick “Send it to me as a DM instead”.';
      else target = { kind: 'channel', channel: draft.channel };
    }
    if (Object.keys(errors).length) return { ok: false, errors };
    // The cost cap, as each run will meet it.
    if (resolution.ok) {
      const estimate = await this.opts.queries.estimate(query, resolution.params);
      if (estimate.overCap) errors.query = `This query would process about ${formatMb(estimate.bytes)}, over the cap of ${formatMb(estimate.capBytes)}: it cannot be scheduled. Narrow its parameters.`;
    }
    {
      const [mine, all] = await Promise.all([this.listOf(owner), editing ? [] : this.opts.store.list(SUBSCRIPTIONS)]);
      // An edit adds none: only a new one counts toward the limits.
      const over = editing ? null : this.overLimit(mine.length, all.length);
      if (over) errors.limit = over;
      // The same one again (a second submission of a closed form, a copy made by mistake, an edit that makes one
      // the copy of another) would post everything twice.
      const twin = schedule.ok && resolution.ok
        ? await this.twinOf(mine.filter((x) => x.id !== editing?.id), { kind: draft.kind, query: query.name, params: given, target, schedule: schedule.schedule, format, condition }, resolution.params.canonical)
        : undefined;
      if (twin && !over) errors.limit = twinRefusal(twin, actor === owner);
    }
    if (Object.keys(errors).length || !schedule.ok || !resolution.ok) return { ok: false, errors };
    const now = this.now().getTime();
    return {
      ok: true,
      value: {
        kind: draft.kind, query: query.name, params: given, target, schedule: schedule.schedule,
        // A new one's run state; an edit keeps the stored one's (update()).
        format, condition, alertState: 'ok', firedAt: null, firedMessage: null,
        status: 'active', pausedReason: null, nextRunAt: nextRun(schedule.schedule, new Date(now)).getTime(),
        lastRun: null, consecutiveFailures: 0,
      },
    };
  }

  /**
   * The values to keep: as given, but where an edit names the same customer as before written another way
   * (`Acme Corp` for `acme`), as it was written before, so the edit changes nothing there (an alert that went
   * off stays so).
   */
  private async customersAsWritten(query: SavedQuery, params: ResolvedParams, editing: Subscription | undefined): Promise<Record<string, string>> {
    const customers = query.params.filter((p) => p.kind === 'customer' && editing?.params[p.name] !== undefined && params.given[p.name] !== editing.params[p.name]);
    if (!editing || customers.length === 0) return params.given;
    const before = await this.opts.queries.resolve(query, editing.params);
    if (!before.ok) return params.given;
    const kept = { ...params.given };
    for (const p of customers) if (before.params.canonical[p.name] === params.canonical[p.name]) kept[p.name] = editing.params[p.name]!;
    return kept;
  }

  /**
   * The one of `mine` that would send what `s` sends, to the same place at the same times. A customer given
   * another way (`acme` and `ACME.com`) is the same customer: those are compared by whom they name
   * (`canonical`, the customer's ID), as that customer's name reads now.
   */
  private async twinOf(mine: Subscription[], s: SubscriptionSettings, canonical: Record<string, string>): Promise<Subscription | undefined> {
    const catalog = this.opts.queries.catalog;
    const same = mine.find((x) => sameSubscription(x, s, catalog));
    if (same) return same;
    const query = catalog.get(s.query);
    const customers = (query?.params ?? []).filter((p) => p.kind === 'customer').map((p) => p.name);
    if (!query || customers.length === 0) return undefined;
    for (const x of mine) {
      // The same but for how its customers are written: does it name the same ones?
      const written = Object.fromEntries(customers.flatMap((name) => (s.params[name] === undefined ? [] : [[name, s.params[name]]])));
      if (!sameSubscription({ ...x, params: { ...omit(x.params, customers), ...written } }, s, catalog)) continue;
      const its = await this.opts.queries.resolve(query, x.params);
      if (its.ok && customers.every((name) => its.params.canonical[name] === canonical[name])) return x;
    }
    return undefined;
  }

  /** Saves a new subscription or alert, with its first run scheduled. `key` (the modal's view) makes a repeated submission save once. */
  async create(owner: string, draft: SubscriptionDraft, key: string): Promise<SaveResult> {
    // A submission saved before answers at once, without the checks that ask Slack and the warehouse
    // again: a second press after a slow first one must not be slow (and refused) in turn.
    const earlier = await this.savedFor(key);
    if (earlier) return { ok: true, subscription: earlier, replayed: true };
    const checked = await this.check(owner, draft);
    if (!checked.ok) {
      // Refused as the same as one saved meanwhile, which may be this very submission's (Slack delivering it
      // again while the first delivery saved it): that one answers as a replay, not "you already have it".
      const saved = await this.savedFor(key);
      return saved ? { ok: true, subscription: saved, replayed: true } : checked;
    }
    const now = this.now().getTime();
    const id = `sub_${now.toString(36)}${randomBytes(4).toString('hex')}`;
    const subscription: Subscription = { id, owner, createdAt: now, updatedAt: now, ...checked.value };
    const saved = await this.opts.store.runTransaction(async (tx): Promise<SaveResult> => {
      const seen = await tx.get(SUBSCRIPTIONS + '_submissions', key);
      if (seen) {
        const earlier = (await tx.get<Subscription>(SUBSCRIPTIONS, String(seen.data['id'])))?.data;
        return earlier ? { ok: true, subscription: earlier, replayed: true } : { ok: false, reason: 'not_found' };
      }
      // The owner's limit again, where it holds: each creation of theirs reads and writes one
      // document, so submissions sent at once are counted one after another, not each against
      // the same count. (The workspace's limit, counted in check(), may be passed by a few.)
      await tx.get(SUBSCRIPTION_CREATIONS, owner);
      const mine = await tx.list<Subscription>(SUBSCRIPTIONS, { where: { field: 'owner', equals: owner } });
      const over = this.overLimit(mine.length, 0);
      if (over) return { ok: false, errors: { limit: over } };
      // The same one again, checked where it holds: two forms of the same one submitted at once.
      const twin = mine.find((x) => sameSubscription(x.data, subscription, this.opts.queries.catalog))?.data;
      if (twin) return { ok: false, errors: { limit: twinRefusal(twin, true) } };
      tx.put(SUBSCRIPTION_CREATIONS, owner, { lastAt: now });
      tx.put(SUBSCRIPTIONS + '_submissions', key, { id, expiresAt: expiresIn(7 * 86_400_000) });
      tx.put(SUBSCRIPTIONS, id, subscription);
      tx.audit({ actor: owner, action: `subscription.created`, subject: id, after: subscription });
      await enqueue(tx, runJob(subscription, subscription.nextRunAt!), now);
      return { ok: true, subscription };
    });
    return saved;
  }

  /** The subscription a submission (its key) saved, if it was saved. */
  private async savedFor(key: string): Promise<Subscription | null> {
    const seen = await this.opts.store.get(SUBSCRIPTIONS + '_submissions', key);
    return seen ? this.get(String(seen.data['id'])) : null;
  }

  /** Why one more is refused (the per-owner and workspace limits), or undefined. */
  private overLimit(mine: number, all: number): string | undefined {
    const { perOwner, total } = this.opts.limits;
    if (mine >= perOwner) return `You have ${mine} scheduled deliveries and alerts, the most one person may have (${perOwner}). Delete one with /query subscriptions first.`;
    if (all >= total) return `The workspace has ${all} scheduled deliveries and alerts, the most allowed (${total}). Ask BizOps to clear out old ones.`;
    return undefined;
  }

  /**
   * Changes a subscription (its owner or BizOps): the next run follows the new schedule; a paused one stays paused.
   * `key` (the edit form's view): the same form submitted again once it was saved (pressed again after a slow save,
   * or sent twice) saves nothing new, and is `replayed`.
   */
  async update(id: string, actor: string, draft: SubscriptionDraft, key?: string): Promise<SaveResult> {
    const current = await this.get(id);
    if (!current) return { ok: false, reason: 'not_found' };
    if (!(await this.mayManage(current, actor))) return { ok: false, reason: 'not_allowed' };
    // A form saved before (pressed again after a slow save, or sent twice) answers at once with where it stands, as a new one's does.
    if (key && (await this.opts.store.get(SUBSCRIPTIONS + '_submissions', key))?.data['id'] === id) return { ok: true, subscription: current, replayed: true };
    const checked = await this.check(current.owner, draft, current, actor);
    if (!checked.ok) return checked;
    const now = this.now().getTime();
    return this.opts.store.runTransaction(async (tx): Promise<SaveResult> => {
      // As it is now: paused, resumed or deleted since the modal was opened.
      const fresh = (await tx.get<Subscription>(SUBSCRIPTIONS, id))?.data;
      if (!fresh) return { ok: false, reason: 'not_found' };
      // This form saved it meanwhile (pressed twice at once): that save stands.
      if (key && (await tx.get(SUBSCRIPTIONS + '_submissions', key))?.data['id'] === id) return { ok: true, subscription: fresh, replayed: true };
      // The copy check again, where it holds: an edit and a creation (or another edit) that make the same one at
      // once are lined up by the owner's document, as creations are.
      await tx.get(SUBSCRIPTION_CREATIONS, fresh.owner);
      const others = await tx.list<Subscription>(SUBSCRIPTIONS, { where: { field: 'owner', equals: fresh.owner } });
      const twin = others.find((x) => x.id !== id && sameSubscription(x.data, checked.value, this.opts.queries.catalog))?.data;
      if (twin) return { ok: false, errors: { limit: twinRefusal(twin, actor === fresh.owner) } };
      tx.put(SUBSCRIPTION_CREATIONS, fresh.owner, { lastAt: now });
      // What runs wrote (an alert that fired, the last run) is kept as it is now; a paused one stays paused (only Resume starts it).
      // An alert whose check changed (its condition, query or parameters) starts again from "ok": a Resolved under the old
      // alert would say that the new condition, which never fired, no longer holds.
      const sameCheck = alertCheckOf(fresh, this.opts.queries.catalog) === alertCheckOf(checked.value, this.opts.queries.catalog);
      // A run on its way claimed its change of state from the old check: it no longer stands (see recordRun). One
      // claiming a Resolved may be posting it now: the thread's closing note then promises none away.
      const claim = sameCheck ? undefined : (await tx.get<AlertClaim>(ALERT_STEPS, id))?.data;
      const claimPending = claim !== undefined && (await tx.get<JobDoc>(JOBS, claim.key))?.data.state === 'pending';
      const resolving = claim?.from === 'firing' && claimPending;
      if (!sameCheck) tx.delete(ALERT_STEPS, id);
      // One claiming to go off may have posted the old check's alert (and then failed, to be retried under the new
      // check, which is not to take that message for its own) or be posting it now: once that run has ended, its
      // alert, if it was posted, is told in its thread that it is closed.
      if (claim?.from === 'ok' && claimPending && fresh.alertState === 'ok') {
        const channel = claim.where?.channel ?? (fresh.target.kind === 'channel' ? fresh.target.channel : fresh.owner);
        await enqueue(tx, noticeJob({ type: 'subscription.alert_superseded', subscriptionId: id, channel, post: firedPostKey(claim.key), ...(claim.tag ? { tag: claim.tag } : {}), run: claim.key, since: claim.at, by: actor }), now);
      }
      const runState = sameCheck
        ? { alertState: fresh.alertState, firedAt: fresh.firedAt, firedMessage: fresh.firedMessage, lastRun: fresh.lastRun }
        : { alertState: 'ok' as const, firedAt: null, firedMessage: null, lastRun: fresh.lastRun };
      const paused = fresh.status === 'paused' ? { status: 'paused' as const, pausedReason: fresh.pausedReason, nextRunAt: null } : {};
      // A run already due and not yet recorded (the runner is on its way, or Cloud Scheduler's next call is) still
      // happens, with the new settings, if the new schedule has a run at that instant too (the schedule was kept,
      // and the query, format or channel changed): moving it would drop today's delivery. A new time of day is
      // followed from now on.
      // Only while its job is still waiting to carry it out: a run whose job has ended (done, or failed without a
      // record) would otherwise keep the subscription on a time nothing will run.
      const dueAt = fresh.status === 'active' && fresh.nextRunAt !== null && fresh.nextRunAt <= now ? fresh.nextRunAt : null;
      const dueJob = dueAt !== null ? (await tx.get<JobDoc>(JOBS, runJob(fresh, dueAt).key))?.data : undefined;
      const due = dueAt !== null && dueJob?.state === 'pending' && nextRun(checked.value.schedule, new Date(dueAt - 1)).getTime() === dueAt ? { nextRunAt: dueAt } : {};
      const updated: Subscription = { ...fresh, ...checked.value, ...runState, ...paused, ...due, ...(sameCheck ? {} : { checkEditedBy: actor }), updatedAt: now };
      tx.put(SUBSCRIPTIONS, id, updated);
      if (key) tx.put(SUBSCRIPTIONS + '_submissions', key, { id, expiresAt: expiresIn(7 * 86_400_000) });
      tx.audit({ actor, action: 'subscription.updated', subject: id, before: fresh, after: updated });
      // Saved with nothing changed (unchanged, or pressed again after a slow save): nothing to tell.
      if (!sameSubscription(fresh, updated, this.opts.queries.catalog)) await tellOwner(tx, updated, actor, 'edited', now);
      // The alert that had gone off says, in its thread, that it no longer follows (it promised to say when it stops).
      if (!sameCheck && fresh.alertState === 'firing' && fresh.firedMessage) {
        await enqueue(tx, noticeJob({ type: 'subscription.alert_closed', subscriptionId: id, channel: fresh.firedMessage.channel, ts: fresh.firedMessage.ts, by: actor, ...(resolving ? { resolving } : {}) }), now);
      }
      if (updated.nextRunAt !== null) await enqueue(tx, runJob(updated, updated.nextRunAt), now);
      return { ok: true, subscription: updated };
    });
  }

  async pause(id: string, actor: string): Promise<ChangeResult> {
    return this.change(id, actor, 'subscription.paused', (s) => (s.status === 'paused' ? null : { status: 'paused', pausedReason: null, nextRunAt: null }));
  }

  async resume(id: string, actor: string): Promise<ChangeResult> {
    const now = this.now();
    return this.change(id, actor, 'subscription.resumed', (s) =>
      s.status === 'active' ? null : { status: 'active', pausedReason: null, consecutiveFailures: 0, nextRunAt: nextRun(s.schedule, now).getTime() },
    );
  }

  async remove(id: string, actor: string): Promise<ChangeResult> {
    const current = await this.get(id);
    if (!current) return { ok: false, reason: 'not_found' };
    if (!(await this.mayManage(current, actor))) return { ok: false, reason: 'not_allowed' };
    return this.opts.store.runTransaction(async (tx): Promise<ChangeResult> => {
      // As it is now: two Deletes at once (a double click, two people) delete it, and say so, once.
      const fresh = (await tx.get<Subscription>(SUBSCRIPTIONS, id))?.data;
      if (!fresh) return { ok: false, reason: 'not_found' };
      tx.delete(SUBSCRIPTIONS, id);
      tx.delete(ALERT_STEPS, id);
      tx.audit({ actor, action: 'subscription.deleted', subject: id, before: fresh });
      await tellOwner(tx, fresh, actor, 'deleted', this.now().getTime());
      return { ok: true, subscription: fresh };
    });
  }

  /**
   * Runs it now, once, without changing its schedule (a "run now" button). A
   * second click before that run is recorded, within {@link RUN_NOW_ONCE_MS}
   * (a double click, two people, a repeated delivery), runs nothing more:
   * `already`; nor does one by the same person from the same message or view
   * (`clickedIn`) within {@link RUN_NOW_DOUBLE_CLICK_MS} of their last, though
   * that run has ended.
   */
  async runNow(id: string, actor: string, clickedIn?: string): Promise<ChangeResult> {
    const current = await this.get(id);
    if (!current) return { ok: false, reason: 'not_found' };
    if (!(await this.mayManage(current, actor))) return { ok: false, reason: 'not_allowed' };
    const now = this.now().getTime();
    const started = await this.opts.store.runTransaction(async (tx) => {
      const last = (await tx.get(RUNS_NOW, id))?.data;
      if (typeof last?.['expiresAt'] === 'number' && last['expiresAt'] > Date.now()) return false;
      // The double click of one whose run has ended already (the click is held for a moment, as /query's buttons are).
      const scope = clickedIn === undefined ? null : `subscription.run_now:${id}:${clickedIn}:${actor}`;
      const click = scope === null ? null : await freeClick(tx, scope);
      if (scope !== null && click === null) return false;
      tx.put(RUNS_NOW, id, { by: actor, expiresAt: expiresIn(RUN_NOW_ONCE_MS), dueAt: now });
      const job = jobKey(SUBSCRIPTION_RUN_JOB, id, 'now', now);
      await enqueue(tx, { key: job, kind: SUBSCRIPTION_RUN_JOB, payload: { id, dueAt: now, manual: true } }, now);
      if (scope !== null && click !== null) holdClick(tx, click, scope, RUN_NOW_DOUBLE_CLICK_MS, job);
      tx.audit({ actor, action: 'subscription.run_now', subject: id });
      return true;
    });
    if (!started) return { ok: false, reason: 'already' };
    this.opts.kick();
    return { ok: true, subscription: current };
  }

  /** Whether `actor` may change this one: its owner, or BizOps. */
  async mayManage(s: Subscription, actor: string): Promise<boolean> {
    return s.owner === actor || (await this.isBizops(actor));
  }

  // ---- runs (called by the run job) ----

  /**
   * Claims an alert's change of state (fire, or resolve) for the run `key`, before it posts:
   * a scheduled run and a Run now at the same moment both see the condition change, and only
   * one may say so. False when the change is not this run's to make: another run made it
   * already (the state is no longer `from`), or is making it: its job is still pending (a
   * retry to come, or running now). A run retried after a crash finds its own claim. The
   * claim is let go when its run records the change or gives up, and counts for nothing
   * once its job has ended any other way (it found the condition gone on a retry, or was
   * no longer wanted after an edit).
   */
  async claimAlertStep(id: string, from: AlertState, key: string, where?: AlertPostWhere, check?: string, tag?: string): Promise<boolean> {
    return this.opts.store.runTransaction(async (tx) => {
      const current = (await tx.get<Subscription>(SUBSCRIPTIONS, id))?.data;
      if (!current || current.alertState !== from) return false;
      // Edited since the run read it: what it found is about a check the alert no longer makes.
      if (check !== undefined && alertCheckOf(current, this.opts.queries.catalog) !== check) return false;
      const claim = (await tx.get<{ key: string; from: AlertState }>(ALERT_STEPS, id))?.data;
      // A claim made from another state is left from an older change: not in the way; nor is one whose job ended.
      if (claim && claim.from === from) {
        if (claim.key === key) return true;
        if ((await tx.get<JobDoc>(JOBS, claim.key))?.data.state === 'pending') return false;
      }
      // Where it posts, and the tag its post carries, so that a retry (or, after an edit, the closing note) finds it.
      tx.put(ALERT_STEPS, id, { key, from, at: this.now().getTime(), ...(where ? { where } : {}), ...(tag ? { tag } : {}) });
      return true;
    });
  }

  /**
   * The change of state the run `key` claimed and has not recorded: `from` the
   * state the subscription is still in, and where it was to be posted (null for
   * a claim made before claims said). Null when it holds no such claim. A
   * retry asks, to find what an earlier attempt posted (see the run job).
   */
  async claimedAlertStep(id: string, key: string): Promise<{ from: AlertState; where: AlertPostWhere | null; tag: string | null } | null> {
    const current = await this.get(id);
    const claim = (await this.opts.store.get<AlertClaim>(ALERT_STEPS, id))?.data;
    return current && claim && claim.key === key && claim.from === current.alertState ? { from: claim.from, where: claim.where ?? null, tag: claim.tag ?? null } : null;
  }

  /**
   * Notes on the run `key`'s claim that its change was posted (found in Slack by a retry; `fired` the alert's
   * message, null for a Resolved), so that the run records the change even when it gives up ({@link recordFailure}).
   */
  async notePosted(id: string, key: string, fired: { channel: string; ts: string } | null): Promise<void> {
    await this.opts.store.runTransaction(async (tx) => {
      const claim = (await tx.get<AlertClaim>(ALERT_STEPS, id))?.data;
      if (claim && claim.key === key) tx.put(ALERT_STEPS, id, { ...claim, posted: { fired } });
    });
  }

  /** Whether the note that the alert posted as `ts` is closed was asked for already (an edit's, or a run's record's). */
  async closingAsked(id: string, ts: string): Promise<boolean> {
    return (await this.opts.store.get<JobDoc>(JOBS, alertClosedKey(id, ts))) !== null;
  }

  /** Whether the run (its job `key`) is still to end: a retry to come, or running now. */
  async runPending(key: string): Promise<boolean> {
    return (await this.opts.store.get<JobDoc>(JOBS, key))?.data.state === 'pending';
  }

  /**
   * Records a run with the job that carried it out: the outcome, the alert's
   * state, and (for a scheduled run) the next run.
   */
  async recordRun(tx: StoreTx, id: string, run: { dueAt: number; manual: boolean; outcome: RunRecord['outcome']; message?: string | null; alertState?: AlertState; firedMessage?: { channel: string; ts: string } | null; check?: string; key?: string }): Promise<void> {
    const current = (await tx.get<Subscription>(SUBSCRIPTIONS, id))?.data;
    if (!current) return;
    const now = this.now().getTime();
    const record: RunRecord = { dueAt: run.dueAt, at: now, outcome: run.outcome, message: run.message ?? null, manual: run.manual };
    // A run-now that ended lets the next click run it again (all but its own double click: see runNow).
    if (run.manual) await endRunNow(tx, id, run.dueAt);
    // A scheduled run replaced while it ran (paused, resumed, or moved by an edit) no longer stands for the
    // subscription: what it posted is recorded, not as its last run, and it starts no new count of failures.
    const stands = this.isCurrent(current, run.dueAt, run.manual);
    const next: Subscription = { ...current, ...(stands ? { lastRun: record, consecutiveFailures: 0 } : {}), updatedAt: now };
    // The state a run found stands only while the alert checks what the run checked (`check`): an edit meanwhile
    // started it afresh, and the old check's state would have a later run say the new one stopped holding.
    const stateStands = run.alertState !== undefined && (run.check === undefined || alertCheckOf(current, this.opts.queries.catalog) === run.check);
    if (run.alertState && stateStands) {
      next.alertState = run.alertState;
      if (run.outcome === 'fired') {
        next.firedAt = now;
        next.firedMessage = run.firedMessage ?? null;
      }
    }
    if (!run.manual && current.status === 'active' && current.nextRunAt === run.dueAt) {
      next.nextRunAt = runAfter(current.schedule, run.dueAt, now, this.opts.limits.graceMs).getTime();
      await enqueue(tx, runJob(next, next.nextRunAt), now);
    }
    tx.put(SUBSCRIPTIONS, id, next);
    // Posted for a check an edit replaced while this run was on its way (on another replica): its message says a
    // Resolved will follow, which none will (the alert no longer checks that). Its thread says it is closed, as an
    // edit of an alert that had gone off says: the edit asked for that note once this run ends (see update), and it
    // is due now; an edit saved by an earlier version asked for none, so it is asked for here.
    if (run.outcome === 'fired' && run.alertState && !stateStands && run.firedMessage) {
      const superseded = run.check === undefined || run.key === undefined ? null : alertSupersededKey(id, firedPostKey(run.key), checkTag(run.check));
      if (!superseded || !(await wake(tx, superseded, now))) {
        await enqueue(tx, noticeJob({ type: 'subscription.alert_closed', subscriptionId: id, channel: run.firedMessage.channel, ts: run.firedMessage.ts, by: current.checkEditedBy ?? current.owner }), now);
      }
    }
    // (A claim the edit dropped may since be a newer run's.)
    if ((run.outcome === 'fired' || run.outcome === 'resolved') && stateStands) tx.delete(ALERT_STEPS, id);
    if (run.outcome === 'fired' || run.outcome === 'resolved') tx.audit({ actor: 'bot', action: `subscription.alert_${run.outcome}`, subject: id, after: { message: run.message ?? null } });
  }

  /**
   * Records a run that gave up: its owner is told once, the next run is
   * scheduled, and after `maxFailures` failures in a row it pauses itself,
   * or at once for one that cannot run as it is (`pauseNow`: it needs an edit).
   * Returns whether it paused.
   */
  async recordFailure(
    tx: StoreTx,
    id: string,
    run: { dueAt: number; manual: boolean; message: string; key?: string; counts?: boolean; pauseNow?: boolean },
  ): Promise<{ paused: boolean; subscription: Subscription } | null> {
    const current = (await tx.get<Subscription>(SUBSCRIPTIONS, id))?.data;
    const claim = run.key ? (await tx.get<AlertClaim>(ALERT_STEPS, id))?.data : undefined;
    // A run that gave up while posting a change of state lets the next run post it.
    const mine = claim && claim.key === run.key;
    if (mine) tx.delete(ALERT_STEPS, id);
    if (!current) return null;
    const now = this.now().getTime();
    // Unless it was posted after all (a retry found it in Slack): then the change stands, and is recorded.
    const posted = mine && claim.posted && claim.from === current.alertState ? claim.posted : null;
    // A scheduled run replaced while it ran (paused, resumed, or moved by an edit) no longer stands for the
    // subscription: its owner hears of it, but it is not its last run (the new run's is) and counts toward no
    // pause (a Resume has just started the count anew).
    const stands = !run.manual && this.isCurrent(current, run.dueAt, false);
    // Nor does a failure that was not the subscription's doing (`counts: false`: Slack down for everyone).
    const counts = stands && run.counts !== false;
    const failures = current.consecutiveFailures + (counts ? 1 : 0);
    if (run.manual) await endRunNow(tx, id, run.dueAt);
    const next: Subscription = {
      ...current,
      ...(stands || run.manual ? { lastRun: { dueAt: run.dueAt, at: now, outcome: 'failed' as const, message: run.message, manual: run.manual } } : {}),
      consecutiveFailures: failures,
      updatedAt: now,
    };
    if (posted) {
      next.alertState = claim!.from === 'ok' ? 'firing' : 'ok';
      if (next.alertState === 'firing') {
        next.firedAt = now;
        next.firedMessage = posted.fired;
      }
      tx.audit({ actor: 'bot', action: `subscription.alert_${next.alertState === 'firing' ? 'fired' : 'resolved'}`, subject: id, after: { message: 'posted before the run gave up' } });
    }
    const paused = counts && (failures >= this.opts.limits.maxFailures || run.pauseNow === true);
    if (paused) {
      next.status = 'paused';
      next.pausedReason = run.pauseNow ? `It cannot run as it is: ${run.message}` : `It failed ${failures === 1 ? 'once' : `${failures} times in a row`}; the last time: ${run.message}`;
      next.nextRunAt = null;
    } else if (!run.manual && current.status === 'active' && current.nextRunAt === run.dueAt) {
      next.nextRunAt = runAfter(current.schedule, run.dueAt, now, this.opts.limits.graceMs).getTime();
      await enqueue(tx, runJob(next, next.nextRunAt), now);
    }
    tx.put(SUBSCRIPTIONS, id, next);
    tx.audit({ actor: 'bot', action: paused ? 'subscription.paused_after_failures' : 'subscription.run_failed', subject: id, after: { message: run.message, failures } });
    return { paused, subscription: next };
  }

  /** Whether a run due at `dueAt` is still this subscription's (not paused, deleted, or moved by an edit). */
  isCurrent(s: Subscription, dueAt: number, manual: boolean): boolean {
    return manual || (s.status === 'active' && s.nextRunAt === dueAt);
  }

  /** The schedule in words. */
  describe(s: Subscription): string {
    return describeSchedule(s.schedule);
  }

  private async change(id: string, actor: string, action: string, update: (s: Subscription) => Partial<Subscription> | null): Promise<ChangeResult> {
    const current = await this.get(id);
    if (!current) return { ok: false, reason: 'not_found' };
    if (!(await this.mayManage(current, actor))) return { ok: false, reason: 'not_allowed' };
    const now = this.now().getTime();
    return this.opts.store.runTransaction(async (tx): Promise<ChangeResult> => {
      const cur = (await tx.get<Subscription>(SUBSCRIPTIONS, id))?.data;
      if (!cur) return { ok: false, reason: 'not_found' };
      const change = update(cur);
      if (!change) return { ok: false, reason: 'already' };
      const next: Subscription = { ...cur, ...change, updatedAt: now };
      tx.put(SUBSCRIPTIONS, id, next);
      tx.audit({ actor, action, subject: id, before: { status: cur.status }, after: { status: next.status } });
      await tellOwner(tx, next, actor, next.status === 'paused' ? 'paused' : 'resumed', now);
      if (next.status === 'active' && next.nextRunAt !== null && next.nextRunAt !== cur.nextRunAt) await enqueue(tx, runJob(next, next.nextRunAt), now);
      return { ok: true, subscription: next };
    });
  }
}

/**
 * A Run now (due at `dueAt`) has ended: the next click may run it again. Not when a later click's run is on its way
 * (this one outlived the minute its click held, a retry after a crash): that one's hold stays. (One written before
 * holds named their run, without `dueAt`, is let go.)
 */
async function endRunNow(tx: StoreTx, id: string, dueAt: number): Promise<void> {
  const held = (await tx.get(RUNS_NOW, id))?.data;
  if (held && (held['dueAt'] === undefined || held['dueAt'] === dueAt)) tx.delete(RUNS_NOW, id);
}

/**
 * Its owner is told when someone else (BizOps) changed it: in the change's own transaction, so the DM goes
 * once the change is stored, and only then. Not when they changed it themselves: they saw it done.
 */
async function tellOwner(tx: StoreTx, s: Subscription, actor: string, change: SubscriptionChange, now: number): Promise<void> {
  if (actor === s.owner) return;
  await enqueue(tx, noticeJob({ type: 'subscription.changed', subscriptionId: s.id, by: actor, change, at: now, was: { ...s } }), now);
}

/** A run's claim of an alert's change of state; `posted` once a retry found its post in Slack. */
type AlertClaim = {
  key: string;
  from: AlertState;
  at: number;
  where?: AlertPostWhere;
  /** The tag its alert carries beside its key ({@link checkTag}; none: a claim made before claims said, whose alert carries none). */
  tag?: string;
  posted?: { fired: { channel: string; ts: string } | null };
};

/** Where a run posts an alert's change: the alert in its channel or DM, a Resolved in the alert's thread. */
export type AlertPostWhere = { channel: string; threadTs: string | null };

/** The key the alert a run (its job `key`) posts carries, so that a retry finds it. */
export function firedPostKey(key: string): string {
  return `${key}:fired`;
}

/**
 * The tag an alert carries beside its key: its check, so that a retry after an edit does not take the old check's
 * alert, posted by an earlier attempt, for the new one's (nor the edit's closing note the new one for the old).
 */
export function checkTag(check: string): string {
  return createHash('sha256').update(check).digest('hex').slice(0, 12);
}

/** The job for the run due at `dueAt`: its key names the time, so each scheduled run happens once. */
export function runJob(s: Pick<Subscription, 'id'>, dueAt: number): JobSpec {
  return { key: jobKey(SUBSCRIPTION_RUN_JOB, s.id, dueAt), kind: SUBSCRIPTION_RUN_JOB, payload: { id: s.id, dueAt, manual: false }, runAt: dueAt };
}

function formatMb(bytes: number): string {
  return `${localeNumber(bytes / 1024 ** 2, 1)} MB`;
}

type SubscriptionSettings = Pick<Subscription, 'kind' | 'query' | 'params' | 'target' | 'schedule' | 'format' | 'condition'>;

/** Why a new one, or an edit, is refused as the copy of `twin` (by its owner, or by BizOps for them). */
function twinRefusal(twin: Subscription, byOwner: boolean): string {
  const whose = byOwner ? 'You already have' : 'Its owner already has';
  return `${whose} this ${twin.kind === 'alert' ? 'alert' : 'delivery'}: ${subscriptionRef(twin.id)}${twin.status === 'paused' ? ' (paused: Resume it with /query subscriptions)' : ''}. Change something about it, or manage it with /query subscriptions.`;
}

/** Whether two subscriptions would send the same thing to the same place at the same times. */
function sameSubscription(a: SubscriptionSettings, b: SubscriptionSettings, catalog: Pick<Catalog, 'get'>): boolean {
  const key = (s: SubscriptionSettings) => canonicalJson([s.kind, s.query, asRun(s, catalog), s.target, s.schedule, s.kind === 'alert' ? s.condition : s.format]);
  return key(a) === key(b);
}

/**
 * What an alert checks: its query, its parameters as they run and its condition. A run records the state it
 * found only while the alert still checks that (an edit has not changed it meanwhile).
 */
export function alertCheckOf(s: Pick<SubscriptionSettings, 'query' | 'params' | 'condition'>, catalog: Pick<Catalog, 'get'>): string {
  return canonicalJson([s.query, asRun(s, catalog), s.condition]);
}

/**
 * Parameters as they run: one not given runs with its default, so `{}` and the default given (an edit's form
 * shows a default as its value, and submits it) are the same.
 */
function asRun(s: Pick<SubscriptionSettings, 'query' | 'params'>, catalog: Pick<Catalog, 'get'>): Record<string, string> {
  const params = { ...s.params };
  for (const p of catalog.get(s.query)?.params ?? []) if (p.default !== undefined && !params[p.name]) params[p.name] = String(p.default);
  return params;
}

function omit(values: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([name]) => !names.includes(name)));
}

/** JSON with every object's keys in order, so that the order values were written in does not matter. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v);
}
