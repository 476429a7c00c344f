/**
 * Scheduled deliveries and alerts of saved queries: `/query subscribe <name>
 * [params]`, `/query alert <name> [params]` and `/query subscriptions` (routed
 * here by commands/query.ts, which acks), the Subscribe… and Alert… buttons
 * on a chart, the modal (its schedule kind redraws it), and the controls:
 * Manage, Run now, Pause, Resume, Edit, Delete. Thin: ask the subscription
 * use case, answer the person who clicked.
 */
import type { Listeners } from '../src/slack/listeners.js';
import { buttonContext } from '../src/slack/click.js';
import { loggedOpenedAlready, slackErrorCode } from '../src/slack/errors.js';
import { postToResponseUrl } from '../src/slack/fetch.js';
import { formInput } from '../src/slack/form-state.js';
import type { WebClient } from '@slack/web-api';
import type { ModalView } from '@slack/types';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs, SlackViewMiddlewareArgs, StaticSelectAction, ViewSubmitAction } from '@slack/bolt';
import { ActionIds, BlockIds, CallbackIds } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import { toCodedError } from '../src/errors.js';
import { settleBy } from '../src/settle-by.js';
import { parseParamText } from '../src/catalog/params.js';
import { cutText, headOf } from '../src/format.js';
import { mrkdwnAsPlainText } from '../src/blockkit/mrkdwn.js';
import type { SavedQuery } from '../src/catalog/catalog.js';
import type { QueryService } from '../src/services/query.js';
import { isSubscriptionId, numericColumnsOf, type DraftField, type Subscription, type SubscriptionDraft, type SubscriptionKey, type SubscriptionKind, type SubscriptionService } from '../src/services/subscriptions.js';
import { SCHEDULE_KINDS, type ScheduleKind } from '../src/domain/schedule.js';
import { pageAction } from './paging.js';
import { escapeMrkdwn, failureMessage, formGoneModal, isChannelId, noteMessage, queryGoneModal, type MessageBody } from '../views/common.js';
import { parseQueryRef, queryUnknownMessage } from '../views/query.js';
import {
  SUBSCRIPTION_PARAM_MAX_LENGTH, UNKNOWN_ZONE_MAX, alertNothingToWatchMessage, modalDataOf, subscriptionManageMessage, subscriptionModal, subscriptionRefusedMessage, subscriptionSavedMessage, subscriptionsListMessage, subscriptionRefMrkdwn, subscriptionManageModal, subscriptionMissingModal, subscriptionEditRefusedModal, listedPageOf, listPlaceOf, type ListPlace,
  type SubscriptionModalData, type SubscriptionModalMetadata,
} from '../views/subscriptions.js';

export interface SubscriptionDeps {
  subscriptions: SubscriptionService;
  queries: QueryService;
  logger: Logger;
  /** Draws a user's App Home again: the Manage modal opened from it changed what it lists. */
  refreshHome?: (client: WebClient, userId: string) => Promise<void>;
}

/** How long the checks that ask Slack and the warehouse may take before the modal must answer (Slack waits 3 s). */
const CHECK_BUDGET_MS = 2_000;

type Respond = (m: MessageBody) => Promise<void>;

/** The modal for a new delivery or alert of `query`, opened on `triggerId`. */
async function openNew(deps: SubscriptionDeps, client: WebClient, triggerId: string, userId: string, kind: SubscriptionKind, query: SavedQuery, params: Record<string, string>, channel: string | null, unused: string[] = []): Promise<void> {
  // Unknown (Slack did not answer, or named a zone this runtime does not know): empty, which the schedule takes
  // as UTC and the form says is not theirs, and why.
  const zone = await deps.subscriptions.timeZoneOf(userId);
  const tz = zone.tz ?? '';
  // The query's own parameters only, each as long as its input takes: the form reads no others, and
  // carries these in private_metadata, which Slack refuses past 3,000 characters (no form at all).
  const own = Object.fromEntries(query.params.flatMap((p) => (typeof params[p.name] === 'string' ? [[p.name, headOf(params[p.name]!, SUBSCRIPTION_PARAM_MAX_LENGTH)]] : [])));
  const data: SubscriptionModalData = {
    kind, query, tz, ...(zone.tz === null && zone.unknown ? { unknownZone: zone.unknown.slice(0, UNKNOWN_ZONE_MAX) } : {}),
    channel: isChannelId(channel) ? channel : null, dm: !isChannelId(channel), params: own,
    scheduleKind: kind === 'alert' ? 'daily' : 'weekdays', time: '09:00', format: query.display.type === 'table' ? 'table' : 'chart',
    ...(unused.length ? { unused } : {}),
  };
  await client.views.open({ trigger_id: triggerId, view: subscriptionModal(data) });
}

/** `/query subscribe <name> [params]`, `/query alert <name> [params]`, `/query subscriptions`. */
export async function subscriptionSubcommand(
  deps: SubscriptionDeps,
  word: 'subscribe' | 'alert' | 'subscriptions',
  rest: string,
  args: SlackCommandMiddlewareArgs & AllMiddlewareArgs,
  tell: Respond,
): Promise<void> {
  const { command, client } = args;
  if (word === 'subscriptions') return tell(await listFor(deps, command.user_id));
  const [name = '', ...more] = rest.trim().split(/\s+/);
  if (!name) return tell(noteMessage(`Which saved query? e.g. \`/query ${word} ${deps.queries.catalog.queries[0]?.name ?? 'weekly-active-instances'}\``));
  const query = deps.queries.find(name);
  if (!query) return tell(queryUnknownMessage(name.slice(0, 80), deps.queries.closest(name), word === 'alert' ? 'alert' : 'subscribe', undefined, parseParamText(more.join(' ')).values));
  // An alert watches a number: a query without one gets no form it could never submit.
  if (word === 'alert' && !numericColumnsOf(query).length) return tell(alertNothingToWatchMessage(query));
  const { values, stray, conflicts } = parseParamText(more.join(' '));
  // What the form has no field for is said on it, not dropped without a word (`foo=bar`, a word without `=`);
  // so is a value given twice that the form does not show (`weeks=4 weeks=5`: the last one is filled in).
  const names = new Set(query.params.map((p) => p.name));
  const overridden = Object.entries(conflicts).flatMap(([k, vs]) => (names.has(k) ? vs.filter((v) => v !== values[k]).map((v) => `${k}=${v}`) : []));
  const unused = [...Object.entries(values).filter(([k]) => !names.has(k)).map(([k, v]) => `${k}=${v}`), ...overridden, ...stray];
  try {
    await openNew(deps, client, command.trigger_id, command.user_id, word === 'alert' ? 'alert' : 'delivery', query, values, command.channel_id, unused);
  } catch (err) {
    // The same command delivered again: its form is open.
    if (loggedOpenedAlready(err, deps.logger, 'subscription form', 'command', { user: command.user_id })) return;
    const coded = toCodedError(err);
    deps.logger.warn('subscription modal could not open', { code: coded.code, err: coded });
    await tell(failureMessage('I could not open the form.', 'Please run the command again.'));
  }
}

/** `/query subscriptions` for this person, at the page `at` names; `done` heads it when a click on the list redraws it. */
async function listFor(deps: SubscriptionDeps, userId: string, done?: string, at: ListPlace = {}): Promise<MessageBody> {
  const everyone = await deps.subscriptions.isBizops(userId);
  const list = everyone ? await deps.subscriptions.listAll() : await deps.subscriptions.listOf(userId);
  return subscriptionsListMessage(list, (q) => deps.queries.catalog.get(q)?.title ?? q, { everyone, at, viewer: userId, ...(done ? { done } : {}) });
}

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
const ephemeral = (m: MessageBody) => ({ response_type: 'ephemeral' as const, replace_original: false, ...m });

/** Subscribe… and Alert… on a chart: the modal, with the chart's query and values. */
function fromChartButton(deps: SubscriptionDeps, kind: SubscriptionKind) {
  return async ({ ack, action, body, client, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const ref = parseQueryRef(action.value);
    const query = ref ? deps.queries.catalog.get(ref.q) : undefined;
    if (!ref || !query) return void (await respond(ephemeral(noteMessage('That button does not carry a query I know.'))));
    if (kind === 'alert' && !numericColumnsOf(query).length) return void (await respond(ephemeral(alertNothingToWatchMessage(query))));
    const channel = body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id ?? null;
    try {
      await openNew(deps, client, body.trigger_id, body.user.id, kind, query, ref.p, channel);
    } catch (err) {
      // The same click delivered again: its form is open.
      if (loggedOpenedAlready(err, deps.logger, 'subscription form', 'click', { user: body.user.id })) return;
      deps.logger.warn('subscription modal could not open', { err: toCodedError(err) });
      await respond(ephemeral(failureMessage('I could not open the form.')));
    }
  };
}

/** Reads the modal's answers into a draft; anything missing comes out empty for the use case to name. */
function draftOf(view: ViewSubmitAction['view'], meta: SubscriptionModalMetadata, query: SavedQuery): SubscriptionDraft {
  const at = (block: string, action: string) => formInput(view.state, block, action);
  const text = (v: string | undefined) => (v ?? '').slice(0, 500);
  // Ticked only by a list holding the "dm" option.
  const dm = at(BlockIds.subscriptionDm, ActionIds.subscriptionDm).options.includes('dm');
  const params: Record<string, string> = {};
  for (const p of query.params) {
    // Typed, or picked (a choice parameter's select).
    const given = at(`${BlockIds.subscriptionParamPrefix}${p.name}`, `${ActionIds.subscriptionParamPrefix}${p.name}`);
    const v = given.text ?? given.option;
    if (v?.trim()) params[p.name] = headOf(v, SUBSCRIPTION_PARAM_MAX_LENGTH);
  }
  return {
    kind: meta.k,
    query: meta.q,
    params,
    channel: dm ? null : text(at(BlockIds.subscriptionChannel, ActionIds.subscriptionChannel).conversation) || null,
    schedule: {
      kind: text(at(BlockIds.subscriptionScheduleKind, ActionIds.subscriptionScheduleKind).option),
      time: text(at(BlockIds.subscriptionTime, ActionIds.subscriptionTime).time),
      day: text(at(BlockIds.subscriptionDay, ActionIds.subscriptionDay).option),
      date: text(at(BlockIds.subscriptionDate, ActionIds.subscriptionDate).text),
      cron: text(at(BlockIds.subscriptionCron, ActionIds.subscriptionCron).text),
      tz: meta.tz,
    },
    format: text(at(BlockIds.subscriptionFormat, ActionIds.subscriptionFormat).option),
    condition: {
      column: text(at(BlockIds.alertColumn, ActionIds.alertColumn).option),
      op: text(at(BlockIds.alertOp, ActionIds.alertOp).option),
      value: text(at(BlockIds.alertValue, ActionIds.alertValue).text),
    },
  };
}

/**
 * Each problem on the input it is about (the limit, and what is about no input, on "Post in"), where the
 * form shows that input; else on "How often". A form not yet redrawn for the schedule kind picked (the
 * redraw lost to the person's typing, or Submit pressed before it came) lacks the kind's inputs, and
 * Slack refuses errors named for a block the view does not have: the person could not save at all.
 */
function errorsByBlock(errors: Partial<Record<DraftField, string>>, draft: SubscriptionDraft, view: Pick<ViewSubmitAction['view'], 'blocks'>): Record<string, string> {
  // A malformed submission's blocks (not a list, a block that is null) have no inputs: errors go on "How often", not a crash before the ack.
  const blocks: unknown = view.blocks;
  const inputs = new Set((Array.isArray(blocks) ? blocks : []).flatMap((b: unknown) => {
    const block = (b ?? {}) as { type?: unknown; block_id?: unknown };
    return block.type === 'input' && typeof block.block_id === 'string' ? [block.block_id] : [];
  }));
  const block: Record<string, string> = {
    channel: BlockIds.subscriptionChannel, kind: BlockIds.subscriptionScheduleKind, time: BlockIds.subscriptionTime, day: BlockIds.subscriptionDay,
    date: BlockIds.subscriptionDate, cron: BlockIds.subscriptionCron, tz: BlockIds.subscriptionScheduleKind, format: BlockIds.subscriptionFormat,
    column: BlockIds.alertColumn, op: BlockIds.alertOp, value: BlockIds.alertValue, limit: BlockIds.subscriptionChannel, query: BlockIds.subscriptionChannel,
  };
  const out: Record<string, string> = {};
  for (const [field, message] of Object.entries(errors)) {
    if (!message) continue;
    const id = field.startsWith('param:') ? `${BlockIds.subscriptionParamPrefix}${field.slice(6)}` : block[field] ?? BlockIds.subscriptionChannel;
    // A cron schedule has no time input: its time errors go on the cron field.
    const wanted = id === BlockIds.subscriptionTime && draft.schedule.kind === 'cron' ? BlockIds.subscriptionCron : id;
    const target = inputs.has(wanted) ? wanted : BlockIds.subscriptionScheduleKind;
    // A sentence, as the run form's errors are: a parameter's problem comes as a clause ("must be from 1 to 13, got 999").
    const sentence = message.charAt(0).toUpperCase() + message.slice(1);
    out[target] = out[target] ? `${out[target]} ${sentence}` : sentence;
  }
  // Plain text, where nothing formats: the bot's `code` as quotes, what was typed as typed (no lookalikes), cut whole.
  for (const k of Object.keys(out)) out[k] = cutText(mrkdwnAsPlainText(out[k]!), 300);
  return out;
}

function metadataOf(raw: string | undefined): SubscriptionModalMetadata | null {
  try {
    const m = JSON.parse(raw ?? '') as Partial<SubscriptionModalMetadata>;
    if ((m.k !== 'delivery' && m.k !== 'alert') || typeof m.q !== 'string' || typeof m.tz !== 'string') return null;
    if (m.id !== undefined && !isSubscriptionId(m.id)) return null;
    const p = m.p && typeof m.p === 'object' ? Object.fromEntries(Object.entries(m.p).filter(([, v]) => typeof v === 'string').slice(0, 30)) as Record<string, string> : undefined;
    const uz = typeof m.uz === 'string' && m.uz ? m.uz.slice(0, UNKNOWN_ZONE_MAX) : undefined;
    const w = m.id ? whereOf(m.w) : undefined;
    return { k: m.k, q: m.q, tz: m.tz, ...(uz ? { uz } : {}), ...(m.id ? { id: m.id } : {}), ...(p ? { p } : {}), ...(w ? { w } : {}) };
  } catch {
    return null;
  }
}

/**
 * Where an Edit was clicked, as its form keeps it: a response_url (http or https, as the local stand-in's are) and a
 * list's page: the subscription it starts at, or 0 the first (as is a page number, kept by forms opened before pages
 * went by keys).
 */
function whereOf(w: unknown): SubscriptionModalMetadata['w'] {
  if (!w || typeof w !== 'object') return undefined;
  const { u, pg } = w as { u?: unknown; pg?: unknown };
  if (typeof u !== 'string' || u.length > 1_000 || !/^https?:\/\/[^\s]+$/.test(u)) return undefined;
  if (Array.isArray(pg) && pg.length === 2 && Number.isSafeInteger(pg[0]) && isSubscriptionId(pg[1])) return { u, pg: [pg[0] as number, pg[1]] };
  return { u, ...(typeof pg === 'number' && Number.isInteger(pg) && pg >= 0 && pg < 10_000 ? { pg: 0 } : {}) };
}

/** The list page a form's `pg` names. */
const placeOf = (pg: 0 | SubscriptionKey): ListPlace => (pg === 0 ? {} : { at: pg });

/**
 * An edit saved from a form opened in a message: the message drawn again as it now is (the list at its
 * page, or Manage's item), headed by what was done, as Pause and Resume redraw it. Past the response_url's
 * 30 minutes, or its five uses, it stays as it was: the DM says what was saved.
 */
async function redrawWhereEdited(deps: SubscriptionDeps, where: NonNullable<SubscriptionModalMetadata['w']>, userId: string, sub: Subscription): Promise<void> {
  const said = `:white_check_mark: Saved the changes to ${subscriptionRefMrkdwn(sub)}.`;
  const message = where.pg !== undefined ? await listFor(deps, userId, said, placeOf(where.pg)) : subscriptionManageMessage(sub, titleOf(deps, sub.query), { done: said, gone: false, viewer: userId });
  await postToResponseUrl(where.u, { response_type: 'ephemeral', replace_original: true, ...message }).catch((err: unknown) => {
    deps.logger.info('an edited subscription\'s message not drawn again', { err: toCodedError(err) });
  });
}

/** The modal's submission: inline errors in the ack, or save and say what was scheduled. */
function modalSubmission(deps: SubscriptionDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const meta = metadataOf(view.private_metadata);
    const query = meta ? deps.queries.catalog.get(meta.q) : undefined;
    if (!meta || !query) {
      // Not a form this bot opened, or its query left the catalog since it opened: change nothing, and say so.
      await ack({ response_action: 'update', view: meta ? queryGoneModal(meta.q, 'saved') : formGoneModal() });
      deps.logger.info('subscription form submitted for a query not in the catalog', { query: meta?.q.slice(0, 80) ?? null, user: body.user.id });
      return;
    }
    const draft = draftOf(view, meta, query);
    const userId = body.user.id;
    /** Tells the person what was saved, by DM: once per save (a replayed submission saved nothing new). */
    const confirm = async (saved: { subscription: Subscription; replayed?: boolean }): Promise<void> => {
      if (saved.replayed) return;
      const message = subscriptionSavedMessage(saved.subscription, query.title, Boolean(meta.id), userId);
      await client.chat.postMessage({ channel: userId, ...message }).catch((err: unknown) => deps.logger.warn('could not confirm a subscription', { err: toCodedError(err) }));
      if (meta.w) await redrawWhereEdited(deps, meta.w, userId, saved.subscription);
    };
    let result;
    const save = meta.id ? deps.subscriptions.update(meta.id, userId, draft, view.id) : deps.subscriptions.create(userId, draft, view.id);
    try {
      result = await settleBy(save, Date.now() + CHECK_BUDGET_MS);
    } catch (err) {
      const coded = toCodedError(err);
      deps.logger.error('subscription could not be saved', { code: coded.code, err: coded });
      await ack({ response_action: 'errors', errors: { [BlockIds.subscriptionChannel]: 'I could not save it just now: please try again in a minute.' } });
      return;
    }
    if (result === 'late') {
      // The save goes on after the form is answered: if its checks pass, it is saved, and the person
      // hears so by DM even when they close the form. Pressed again, the form answers where it stands.
      void save.then(
        (late) => (late.ok ? confirm(late) : undefined),
        (err: unknown) => deps.logger.error('subscription could not be saved', { code: toCodedError(err).code, err: toCodedError(err) }),
      );
      await ack({ response_action: 'errors', errors: { [BlockIds.subscriptionChannel]: 'Slack or the warehouse was slow to answer my checks. If they pass, I will DM you that it is saved; press the button again to see where it stands.' } });
      return;
    }
    if (!result.ok) {
      if ('errors' in result) await ack({ response_action: 'errors', errors: errorsByBlock(result.errors, draft, view) });
      // Deleted (or no longer theirs) since the form opened: said in its place, with how to start it again.
      else if (meta.id) await ack({ response_action: 'update', view: subscriptionEditRefusedModal(result.reason, { id: meta.id, kind: draft.kind, query: query.name }) });
      else {
        await ack();
        await client.chat.postMessage({ channel: userId, ...subscriptionRefusedMessage(result.reason) }).catch(() => undefined);
      }
      return;
    }
    // Saved from on top of the Manage modal (App Home): that one shows the old settings, so both close.
    await ack(view.previous_view_id ? { response_action: 'clear' } : undefined);
    await confirm(result);
    if (view.previous_view_id) await deps.refreshHome?.(client, userId);
  };
}

/** The schedule kind changed: redraw the modal with the inputs that kind needs (typed values stay: same block IDs). */
function scheduleKindChanged(deps: SubscriptionDeps) {
  return async ({ ack, action, body, client }: SlackActionMiddlewareArgs<BlockAction<StaticSelectAction>> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const view = body.view;
    const meta = metadataOf(view?.private_metadata);
    const query = meta ? deps.queries.catalog.get(meta.q) : undefined;
    const kind = action.selected_option?.value;
    if (!view || !meta || !query || !kind || !(SCHEDULE_KINDS as readonly string[]).includes(kind)) return;
    const draft = draftOf(view as unknown as ViewSubmitAction['view'], meta, query);
    const editing = meta.id ? await deps.subscriptions.get(meta.id) : null;
    // A form naming one that is not this person's to change (only a tampered private_metadata does): nothing is drawn of it.
    if (editing && !(await deps.subscriptions.mayManage(editing, body.user.id))) {
      deps.logger.warn('subscription form redraw refused: not theirs to edit', { user: body.user.id });
      return;
    }
    const data: SubscriptionModalData = {
      ...(editing ? { ...modalDataOf(editing, query), viewer: body.user.id } : {}),
      kind: meta.k, query, tz: meta.tz, ...(meta.uz ? { unknownZone: meta.uz } : {}), channel: draft.channel, dm: draft.channel === null, params: { ...meta.p, ...draft.params },
      // Opened from a message: saved, that message is still drawn again.
      ...(meta.w ? { clickedIn: { responseUrl: meta.w.u, page: meta.w.pg !== undefined ? placeOf(meta.w.pg) : null } } : {}),
      scheduleKind: kind as ScheduleKind, time: draft.schedule.time || '09:00',
      ...(draft.schedule.day ? { day: draft.schedule.day } : {}), ...(draft.schedule.date ? { date: draft.schedule.date } : {}), ...(draft.schedule.cron ? { cron: draft.schedule.cron } : {}),
      ...(draft.format ? { format: draft.format as SubscriptionModalData['format'] } : {}),
      condition: { column: draft.condition?.column ?? '', op: draft.condition?.op ?? '', value: draft.condition?.value ?? '' },
    };
    try {
      await client.views.update({ view_id: view.id, hash: view.hash, view: subscriptionModal(data) });
    } catch (err) {
      // hash_conflict: the person changed the form meanwhile; their typing wins.
      deps.logger.warn('subscription modal not redrawn', { err: toCodedError(err) });
    }
  };
}

type Control = 'manage' | 'run' | 'pause' | 'resume' | 'delete' | 'edit';
type Refusal = 'not_found' | 'not_allowed' | 'already';

/**
 * What one click on a control did, decided once: drawn as a message or a list
 * where it was clicked in one (a response_url), as a modal where it was
 * clicked in a view (App Home, the Manage modal).
 */
type Decision =
  /** Manage: the subscription with its controls. */
  | { kind: 'shown'; now: Subscription }
  /** Edit: its form. */
  | { kind: 'form'; now: Subscription; form: SubscriptionModalData }
  /** What was `said` of it, and whether its controls are `gone` (deleted, or not this person's to change). */
  | ({ said: string; gone: boolean } & (
    /** Run now, or an Edit that cannot be: what happened; it is as it was. */
    | { kind: 'told'; now: Subscription }
    /** Pause, Resume, Delete: it is now `now`. */
    | { kind: 'changed'; now: Subscription }
    /** Nothing done, and why; `now` is as it now is (null: it no longer exists). */
    | { kind: 'refused'; now: Subscription | null; reason: Refusal }
  ));

/** Pause, Resume and Delete change how it is listed: a list, or Home, shows it again as it now is. */
const relists = (what: Control) => what === 'pause' || what === 'resume' || what === 'delete';

async function decide(deps: SubscriptionDeps, what: Control, sub: Subscription | null, actor: string, clickedIn?: string): Promise<Decision> {
  // Refused as already so: its controls stay (it is theirs); otherwise they are of no use to this person.
  const refused = (reason: Refusal, now: Subscription | null = sub): Decision => ({ kind: 'refused', now: reason === 'not_found' ? null : now, said: subscriptionRefusedMessage(reason, reason === 'already' ? now ?? undefined : undefined).text, reason, gone: reason !== 'already' });
  if (!sub) return refused('not_found');
  const told = (said: string): Decision => ({ kind: 'told', now: sub, said, gone: false });
  const ref = subscriptionRefMrkdwn(sub);
  switch (what) {
    case 'manage':
    case 'edit': {
      if (!(await deps.subscriptions.mayManage(sub, actor))) return refused('not_allowed');
      if (what === 'manage') return { kind: 'shown', now: sub };
      const query = deps.queries.catalog.get(sub.query);
      if (!query) return told(`The saved query “${escapeMrkdwn(sub.query)}” is no longer in the catalog: delete this one.`);
      return { kind: 'form', now: sub, form: { ...modalDataOf(sub, query), viewer: actor } };
    }
    case 'run': {
      const r = await deps.subscriptions.runNow(sub.id, actor, clickedIn);
      if (r.ok) return told(runNowSaid(sub, ref));
      if (r.reason === 'already') return told(':hourglass_flowing_sand: A run of it was started a moment ago: its result is on its way, or posted already. Nothing more was started.');
      return refused(r.reason);
    }
    case 'delete': {
      const r = await deps.subscriptions.remove(sub.id, actor);
      return r.ok ? { kind: 'changed', now: sub, said: `:wastebasket: Deleted ${ref}. It will not run again.`, gone: true } : refused(r.reason);
    }
    case 'pause':
    case 'resume': {
      const r = what === 'pause' ? await deps.subscriptions.pause(sub.id, actor) : await deps.subscriptions.resume(sub.id, actor);
      if (r.ok) return { kind: 'changed', now: r.subscription, said: `${what === 'pause' ? ':double_vertical_bar: Paused' : ':arrow_forward: Resumed'} ${ref}.`, gone: false };
      // Already that way: changed elsewhere, and shown as it now is (deleted meanwhile: said so).
      if (r.reason !== 'already') return refused(r.reason);
      const now = await deps.subscriptions.get(sub.id);
      return now ? refused('already', now) : refused('not_found');
    }
  }
}

/** What Run now starts: a delivery posts; an alert posts only when it goes off or stops. */
function runNowSaid(sub: Subscription, ref: string): string {
  if (sub.kind !== 'alert') return `:arrow_forward: Running ${ref} now: the result will be posted where it usually goes.`;
  return sub.alertState === 'firing'
    ? `:arrow_forward: Checking ${ref} now. It has gone off already, so it posts again only if it has stopped; its last run says how it went.`
    : `:arrow_forward: Checking ${ref} now. It posts only if the alert goes off; its last run says how it went.`;
}

/**
 * A decision drawn in a view, which has no response_url: the Manage modal,
 * opened from App Home and redrawn in place by each of its buttons.
 */
async function answerInView(deps: SubscriptionDeps, what: Control, d: Decision, { body, client }: ButtonArgs): Promise<void> {
  const view = body.view!;
  const inModal = view.type === 'modal';
  const draw = async (modal: ModalView) => {
    if (!inModal) return void (await client.views.open({ trigger_id: body.trigger_id, view: modal }));
    try {
      await client.views.update({ view_id: view.id, hash: view.hash, view: modal });
    } catch (err) {
      // A second click redrew it first (Pause, then Delete at once): this click's outcome is the newer one.
      if (slackErrorCode(err) !== 'hash_conflict') throw err;
      await client.views.update({ view_id: view.id, view: modal });
    }
  };
  try {
    if (d.kind === 'form') {
      // On top of the Manage modal (Back returns to it); from Home, a modal of its own.
      if (inModal) await client.views.push({ trigger_id: body.trigger_id, view: subscriptionModal(d.form) });
      else await client.views.open({ trigger_id: body.trigger_id, view: subscriptionModal(d.form) });
    } else if (!d.now) {
      await draw(subscriptionMissingModal());
    } else {
      await draw(subscriptionManageModal(d.now, titleOf(deps, d.now.query), { viewer: body.user.id, ...(d.kind === 'shown' ? {} : { done: d.said, gone: d.gone }) }));
    }
  } finally {
    // Home, behind the modal, lists it: drawn again so that closing the modal shows it as it now is.
    if (relists(what)) await deps.refreshHome?.(client, body.user.id);
  }
}

/**
 * A decision drawn where it was clicked in a message: the list redrawn, or Manage's item redrawn
 * in place as the Manage modal is (headed by what was done; without controls once they are no use);
 * Run now's word apart, the item staying as it is.
 */
async function answerInMessage(deps: SubscriptionDeps, d: Decision, { action, body, client, respond }: ButtonArgs): Promise<void> {
  const page = listedPageOf(action.block_id);
  // Only Manage's own item is redrawn: a click elsewhere (Manage under a delivery, in a DM) is answered
  // apart, and the message it was in, seen by everyone in the channel, stays as it is.
  const inItem = action.block_id === `${BlockIds.subscriptionActions}.${String(action.value)}`;
  if (d.kind === 'form') {
    // Saved, the list (or the item) it was opened from is drawn again by this click's response_url.
    const responseUrl = (body as { response_url?: unknown }).response_url;
    const clickedIn = typeof responseUrl === 'string' && (page !== null || inItem) ? { clickedIn: { responseUrl, page } } : {};
    return void (await client.views.open({ trigger_id: body.trigger_id, view: subscriptionModal({ ...d.form, ...clickedIn }) }));
  }
  if (d.kind === 'shown') return void (await respond(ephemeral(subscriptionManageMessage(d.now, titleOf(deps, d.now.query), { viewer: body.user.id }))));
  if (d.kind === 'told') return void (await respond(ephemeral(noteMessage(d.said))));
  const inPlace = (m: MessageBody) => respond({ response_type: 'ephemeral', replace_original: true, ...m });
  // From /query subscriptions the list is drawn again, headed by what was done (a deleted one's buttons
  // would answer "no longer exists"); a refusal redraws it too, showing what changed elsewhere.
  if (page !== null) return void (await inPlace(await listFor(deps, body.user.id, d.said, page)));
  if (!inItem) return void (await respond(ephemeral(noteMessage(d.said))));
  if (!d.now) return void (await inPlace(noteMessage(d.said)));
  await inPlace(subscriptionManageMessage(d.now, titleOf(deps, d.now.query), { done: d.said, gone: d.gone, viewer: body.user.id }));
}

const titleOf = (deps: SubscriptionDeps, q: string) => deps.queries.catalog.get(q)?.title ?? q;

/** Manage, Run now, Pause, Resume, Delete, Edit: decided once, answered where clicked. */
function control(deps: SubscriptionDeps, what: Control) {
  return async (args: ButtonArgs): Promise<void> => {
    const { ack, action, body, respond } = args;
    await ack();
    const inView = Boolean(body.view);
    let d: Decision;
    try {
      const id = typeof action.value === 'string' && isSubscriptionId(action.value) ? action.value : null;
      // Where it was clicked (the message, or the view), so that a double click there runs it once.
      const where = [buttonContext(body).messageTs, body.view?.id].find((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 100);
      d = await decide(deps, what, id ? await deps.subscriptions.get(id) : null, body.user.id, where);
    } catch (err) {
      // Nothing was done (the store did not answer): said as such where there is a place to say it.
      const coded = toCodedError(err);
      deps.logger.error('subscription control failed', { what, code: coded.code, err: coded });
      if (!inView) await respond(ephemeral(failureMessage('I could not do that just now.'))).catch(() => undefined);
      return;
    }
    try {
      // App Home and the Manage modal have no response_url to answer by.
      if (inView) await answerInView(deps, what, d, args);
      else await answerInMessage(deps, d, args);
    } catch (err) {
      // Done, but not drawn (a modal whose trigger expired or that was closed; a list Slack would not
      // replace): never "could not do that" for what was done. In a message, what was done is said apart.
      // Edit's form already opened by an earlier delivery of the same click: nothing to say.
      if (d.kind === 'form' && loggedOpenedAlready(err, deps.logger, 'subscription edit form', 'click', { user: args.body.user.id, what })) return;
      const coded = toCodedError(err);
      deps.logger.warn('subscription control done, its answer not drawn', { what, code: coded.code, err: coded });
      if (inView) return;
      const apart = d.kind === 'form' ? failureMessage('I could not open the form.', 'Please click Edit again.') : d.kind === 'shown' ? failureMessage('I could not show it just now.') : noteMessage(d.said);
      await respond(ephemeral(apart)).catch(() => undefined);
    }
  };
}

export function registerSubscriptions(app: Listeners, deps: SubscriptionDeps): string[] {
  app.view<ViewSubmitAction>(CallbackIds.subscription, modalSubmission(deps));
  app.action<BlockAction<StaticSelectAction>>(ActionIds.subscriptionScheduleKind, scheduleKindChanged(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.querySubscribe, fromChartButton(deps, 'delivery'));
  app.action<BlockAction<ButtonAction>>(ActionIds.queryAlert, fromChartButton(deps, 'alert'));
  app.action<BlockAction<ButtonAction>>(ActionIds.subscriptionManage, control(deps, 'manage'));
  app.action<BlockAction<ButtonAction>>(ActionIds.subscriptionRunNow, control(deps, 'run'));
  app.action<BlockAction<ButtonAction>>(ActionIds.subscriptionPause, control(deps, 'pause'));
  app.action<BlockAction<ButtonAction>>(ActionIds.subscriptionResume, control(deps, 'resume'));
  app.action<BlockAction<ButtonAction>>(ActionIds.subscriptionDelete, control(deps, 'delete'));
  app.action<BlockAction<ButtonAction>>(ActionIds.subscriptionEdit, control(deps, 'edit'));
  const listPage = pageAction(deps.logger, 'subscriptions', (value, userId) => listFor(deps, userId, undefined, listPlaceOf(value)));
  app.action<BlockAction<ButtonAction>>(ActionIds.subscriptionsPrevious, listPage);
  app.action<BlockAction<ButtonAction>>(ActionIds.subscriptionsNext, listPage);
  return [];
}
