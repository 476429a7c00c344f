/**
 * `/query`, its parameter modal and the result buttons. Thin: ack at once,
 * ask the query service, then record the delivery as a job (the runner runs
 * it at once: src/slack/query-delivery.ts), keyed on the Slack trigger, so a
 * repeated delivery or a double click posts one result.
 */
import type { Listeners } from '../src/slack/listeners.js';
import type { ModalView } from '@slack/types';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { ActionIds, BlockIds, CallbackIds, Commands } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import type { SavedQuery } from '../src/catalog/catalog.js';
import type { ResolvedParams } from '../src/catalog/params.js';
import type { QueryCommand, QueryService } from '../src/services/query.js';
import type { Clicks } from '../src/services/clicks.js';
import { queryFailureMessage, tellPrivately } from '../src/slack/query-delivery.js';
import { subscriptionSubcommand, type SubscriptionDeps } from './subscriptions.js';
import { pageAction } from './paging.js';
import { buttonContext } from '../src/slack/click.js';
import { loggedOpenedAlready } from '../src/slack/errors.js';
import { formInput } from '../src/slack/form-state.js';
import { formGoneModal, noteMessage, queryGoneModal, type MessageBody } from '../views/common.js';
import { quoteTyped } from '../src/format.js';
import {
  queryAlreadyAskedMessage, queryCheckingModal, queryCsvAlreadyMessage, queryCsvOnItsWayMessage, queryListMessage, queryNoteModal, queryOnItsWayText, queryOverCapMessage, queryParamErrors, queryParamsModal,
  queryProblemsMessage, queryStaleButtonMessage, queryTableAlreadyMessage, queryTableMessage, queryTooLongMessage, queryUnknownMessage,
  type QueryListPageRef, type QueryModalMetadata, parseQueryRef,
} from '../views/query.js';

/** Words people type to stop a delivery or alert: answered with the list, where each has Pause and Delete. */
const STOP_WORDS = new Set(['unsubscribe', 'unsub', 'cancel', 'stop', 'delete', 'remove', 'pause', 'resume', 'edit', 'manage']);

export interface QueryDeps {
  queries: QueryService;
  clicks: Clicks;
  logger: Logger;
  /** Scheduled deliveries and alerts (`/query subscribe`, `/query alert`, `/query subscriptions`). */
  subscriptions?: SubscriptionDeps;
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const TS = /^\d{1,12}\.\d{1,9}$/;
/** A second Refresh of the same result within this long is told one is on its way. */
const REFRESH_ONCE_MS = 20_000;
/** Run on /query list: a second click on the same button within this time runs nothing more. */
const RUN_ONCE_MS = 20_000;
/** A second Show as table of the same result by the same person within this long shows nothing more. */
const TABLE_ONCE_MS = 20_000;
/** A second Download CSV of the same result within this long is pointed at the first. */
const CSV_ONCE_MS = 10 * 60_000;

/** The slash command listener, exported apart from its registration for tests. */
export function queryCommand(deps: QueryDeps) {
  return async ({ command, ack, respond, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const tell = async (m: MessageBody) => {
      await respond({ response_type: 'ephemeral', ...m });
    };
    const [first = '', ...rest] = (command.text ?? '').trim().split(/\s+/);
    const word = first.toLowerCase();
    if (deps.subscriptions && (word === 'subscribe' || word === 'alert' || word === 'subscriptions') && (command.text ?? '').length <= 10_000) {
      try {
        return await subscriptionSubcommand(deps.subscriptions, word, rest.join(' '), { command, ack, respond, client } as Parameters<typeof subscriptionSubcommand>[3], tell);
      } catch (err) {
        return tell(queryFailureMessage(deps.logger, err, { user: command.user_id }));
      }
    }
    let asked;
    try {
      asked = await deps.queries.command(command.text ?? '');
    } catch (err) {
      return tell(queryFailureMessage(deps.logger, err, { user: command.user_id }));
    }
    const answerWith = async (answer: QueryCommand): Promise<void> => {
      switch (answer.kind) {
        case 'list':
          return tell(queryListMessage(answer.queries, answer.search, deps.queries.catalog.queries.length));
        case 'too_long':
          return tell(queryTooLongMessage(answer.max));
        case 'unknown': {
          // A typo of one of /query's own words (`subscription`) is pointed at it, not at saved queries.
          const words = deps.subscriptions ? ['list', 'subscriptions', 'subscribe', 'alert'] : ['list'];
          // Stopping one (`unsubscribe`, `cancel`, `delete`…) is its Delete or Pause in the list: never `/query subscribe`,
          // the nearest spelling, which would make another.
          const stopping = deps.subscriptions && STOP_WORDS.has(answer.name.toLowerCase());
          const meant = stopping ? 'subscriptions' : deps.queries.nearWord(answer.name, words);
          return tell(meant ? queryUnknownMessage(answer.name, [], 'run', meant) : queryUnknownMessage(answer.name, answer.closest, 'run', undefined, answer.values));
        }
        case 'needs_params': {
          const metadata: QueryModalMetadata = { q: answer.query.name, c: command.channel_id };
          try {
            await client.views.open({
              trigger_id: command.trigger_id,
              view: queryParamsModal(answer.query, { values: answer.values, problems: answer.problems, metadata, today: deps.queries.today() }),
            });
          } catch (err) {
            // The same command delivered again: its first delivery opened the form, which says it all.
            if (loggedOpenedAlready(err, deps.logger, 'query form', 'command', { user: command.user_id, query: answer.query.name })) return;
            deps.logger.warn('query modal could not open', { err, query: answer.query.name });
            return tell(queryProblemsMessage(answer.query, answer.problems));
          }
          return;
        }
        case 'ready': {
          let delivered;
          try {
            delivered = await deliverCommand(deps, command, answer.query, answer.params);
          } catch (err) {
            // Not recorded (the store failed): nothing is on its way, and the person is told so.
            return tell(queryFailureMessage(deps.logger, err, { user: command.user_id, query: answer.query.name }));
          }
          if (delivered === 'repeated') return tell(queryAlreadyAskedMessage());
          return;
        }
        case 'checking': {
          // The customer list is not in yet (a cold instance). Read quickly, the answer is as on a warm one: the
          // result goes, or the form opens with what was wrong. BigQuery may take longer to send it than the
          // trigger ID lives (3 s): then the form opens now, saying so, and becomes what the check comes to.
          const query = answer.query;
          const early = await settledWithin(answer.answer, QUERY_CHECK_BEFORE_FORM_MS);
          if (early && 'answer' in early) return answerWith(early.answer);
          if (early) return tell(queryFailureMessage(deps.logger, early.err, { user: command.user_id, query: query.name }));
          let viewId: string | undefined;
          try {
            viewId = (await client.views.open({ trigger_id: command.trigger_id, view: queryCheckingModal(query) })).view?.id;
          } catch (err) {
            // The same command delivered again: its first delivery opened the form and answers in it.
            if (loggedOpenedAlready(err, deps.logger, 'query form', 'command', { user: command.user_id, query: query.name })) return;
            deps.logger.warn('query modal could not open', { err, query: query.name });
          }
          const show = async (view: ModalView): Promise<boolean> => {
            if (!viewId) return false;
            try {
              await client.views.update({ view_id: viewId, view });
              return true;
            } catch (err) {
              // Closed meanwhile: say it in the channel instead.
              deps.logger.warn('query modal could not be updated', { err, query: query.name });
              return false;
            }
          };
          let later;
          try {
            later = await answer.answer;
          } catch (err) {
            const failure = queryFailureMessage(deps.logger, err, { user: command.user_id, query: query.name });
            await show(queryNoteModal(query, failure.text ?? ''));
            return tell(failure);
          }
          if (later.kind === 'ready') {
            let delivered;
            try {
              delivered = await deliverCommand(deps, command, query, later.params);
            } catch (err) {
              // Not recorded (the store failed): the form must not go on saying it is checking.
              const failure = queryFailureMessage(deps.logger, err, { user: command.user_id, query: query.name });
              if (!(await show(queryNoteModal(query, failure.text ?? '')))) await tell(failure);
              return;
            }
            if (delivered === 'repeated') {
              if (!(await show(queryNoteModal(query, queryAlreadyAskedMessage().text ?? '')))) await tell(queryAlreadyAskedMessage());
              return;
            }
            await show(queryNoteModal(query, queryOnItsWayText(command.channel_id)));
            return;
          }
          const metadata: QueryModalMetadata = { q: query.name, c: command.channel_id };
          const form = queryParamsModal(query, { values: later.values, problems: later.problems, metadata, today: deps.queries.today() });
          if (!(await show(form))) return tell(queryProblemsMessage(query, later.problems));
          return;
        }
      }
    };
    return answerWith(asked);
  };
}

/**
 * How long a command naming a customer on a cold instance waits for the customer list before it opens a
 * form saying it is checking: Slack's trigger ID, which opens a form, lives 3 s from the command.
 */
export const QUERY_CHECK_BEFORE_FORM_MS = 1_500;

/** `promise`'s outcome if it settles within `ms`, else undefined. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<{ answer: T } | { err: unknown } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([promise.then((answer) => ({ answer }), (err: unknown) => ({ err })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/query <name> [params]` whose values check out: its result is recorded for delivery, once per trigger, and
 * not again for the same question (same person, channel, query and canonical values) while the first's result
 * is on its way: 'repeated' then, and the caller says so.
 */
async function deliverCommand(deps: QueryDeps, command: SlackCommandMiddlewareArgs['command'], query: SavedQuery, params: ResolvedParams): Promise<'recorded' | 'repeated'> {
  const outcome = await deps.queries.requestAskedDelivery(command.trigger_id || `${command.user_id}:${Date.now()}`, `command:${command.channel_id}:${command.user_id}:${clickContent({ query, params })}`, {
    format: 'result', q: query.name, p: params.given, channel: command.channel_id, threadTs: null, userId: command.user_id, force: false,
  });
  // Slack's trigger IDs are unique: one seen before is the same request delivered again, and its result is posted once.
  if (outcome === 'seen') deps.logger.info('query request seen before; posting its result once', { query: query.name, user: command.user_id, trigger: command.trigger_id });
  return outcome === 'repeated' ? 'repeated' : 'recorded';
}

/** Values of the modal's inputs, by parameter name. */
export function modalValues(query: SavedQuery, state: ViewSubmitAction['view']['state'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of query.params) {
    const input = formInput(state, `${BlockIds.queryParamPrefix}${p.name}`, `${ActionIds.queryParamInputPrefix}${p.name}`);
    const v = input.option ?? input.date ?? input.text;
    if (v) out[p.name] = v.slice(0, 5000);
  }
  return out;
}

function readMetadata(raw: string): QueryModalMetadata | null {
  try {
    const m = JSON.parse(raw) as Partial<QueryModalMetadata>;
    if (typeof m.q !== 'string' || typeof m.c !== 'string' || !CHANNEL_ID.test(m.c)) return null;
    if (m.t !== undefined && (typeof m.t !== 'string' || !TS.test(m.t))) return null;
    return { q: m.q, c: m.c, ...(m.t ? { t: m.t } : {}) };
  } catch {
    return null;
  }
}

/** The parameter modal's submission: inline errors, or close and run. */
export function queryModalSubmit(deps: QueryDeps) {
  return async ({ ack, body, view, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const meta = readMetadata(view.private_metadata);
    const query = meta ? deps.queries.catalog.get(meta.q) : undefined;
    if (!meta || !query) {
      // Not a modal this bot opened, or its query left the catalog since it opened (a deploy renamed it): change nothing, and say so.
      await ack({ response_action: 'update', view: meta ? queryGoneModal(meta.q, 'run') : formGoneModal() });
      deps.logger.info('query form submitted for a query not in the catalog', { query: meta?.q.slice(0, 80) ?? null, user: body.user.id });
      return;
    }
    const values = modalValues(query, view.state as ViewSubmitAction['view']['state'] | undefined);
    // Keyed on the modal: Slack delivering the same submission twice posts one result.
    const deliver = (params: ResolvedParams) => deps.queries.requestDelivery(`${view.id}:${view.hash ?? ''}`, {
      format: 'result', q: query.name, p: params.given, channel: meta.c, threadTs: meta.t ?? null, userId: body.user.id, force: false,
    });
    if (!deps.queries.resolvesAtOnce(query, values)) {
      // A cold instance: the customer list is read from the warehouse, which may take longer than Slack waits
      // for this answer (3 s). The form is answered first, saying it is checking, and then becomes the form
      // again with what was wrong, or says the result is on its way.
      await ack({ response_action: 'update', view: queryCheckingModal(query) });
      const show = (v: ModalView) => client.views.update({ view_id: view.id, view: v }).then(
        () => true,
        (err: unknown) => {
          deps.logger.warn('query modal could not be updated', { err, query: query.name });
          return false;
        },
      );
      let later;
      try {
        later = await deps.queries.resolve(query, values);
      } catch (err) {
        const failure = queryFailureMessage(deps.logger, err, { user: body.user.id, query: query.name });
        await show(queryNoteModal(query, failure.text ?? ''));
        await tellPrivately(client, deps.logger, { channel: meta.c, userId: body.user.id, threadTs: meta.t ?? null }, failure);
        return;
      }
      if (later.ok) {
        try {
          await deliver(later.params);
        } catch (err) {
          // Not recorded (the store failed): the form must not go on saying it is checking.
          const failure = queryFailureMessage(deps.logger, err, { user: body.user.id, query: query.name });
          if (!(await show(queryNoteModal(query, failure.text ?? '')))) await tellPrivately(client, deps.logger, { channel: meta.c, userId: body.user.id, threadTs: meta.t ?? null }, failure);
          return;
        }
        await show(queryNoteModal(query, queryOnItsWayText(meta.c)));
        return;
      }
      const form = queryParamsModal(query, { values: later.values, problems: later.problems, metadata: meta, today: deps.queries.today() });
      if (!(await show(form))) await tellPrivately(client, deps.logger, { channel: meta.c, userId: body.user.id, threadTs: meta.t ?? null }, queryProblemsMessage(query, later.problems));
      return;
    }
    let resolution;
    try {
      resolution = await deps.queries.resolve(query, values);
    } catch (err) {
      await ack();
      await tellPrivately(client, deps.logger, { channel: meta.c, userId: body.user.id }, queryFailureMessage(deps.logger, err, { user: body.user.id, query: query.name }));
      return;
    }
    if (!resolution.ok) {
      await ack({ response_action: 'errors', errors: queryParamErrors(query, resolution.problems) });
      return;
    }
    await ack();
    try {
      await deliver(resolution.params);
    } catch (err) {
      // Not recorded (the store failed): the form has closed, so the person is told privately where they asked.
      await tellPrivately(client, deps.logger, { channel: meta.c, userId: body.user.id, threadTs: meta.t ?? null }, queryFailureMessage(deps.logger, err, { user: body.user.id, query: query.name }));
    }
  };
}

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Answers only the user who clicked, leaving the message they clicked on as it is. */
function ephemeralTo(respond: ButtonArgs['respond']) {
  return async (m: MessageBody): Promise<void> => {
    await respond({ response_type: 'ephemeral', replace_original: false, ...m });
  };
}

/**
 * Reads a result button back: the query and its values, checked again as if
 * typed (a forged value is just bad input). Null (and the user told) if stale or forged.
 */
async function fromButton(deps: QueryDeps, action: ButtonAction, tell: (m: MessageBody) => Promise<void>): Promise<{ query: SavedQuery; params: ResolvedParams } | null> {
  const ref = parseQueryRef(action.value);
  if (!ref) {
    await tell(queryStaleButtonMessage('That button does not carry a query I know.'));
    return null;
  }
  const query = deps.queries.catalog.get(ref.q);
  if (!query) {
    await tell(queryStaleButtonMessage(`The saved query ${quoteTyped(ref.q, 60)} is no longer in the catalog.`));
    return null;
  }
  const resolution = await deps.queries.resolve(query, ref.p);
  if (!resolution.ok) {
    await tell(queryProblemsMessage(query, resolution.problems));
    return null;
  }
  return { query, params: resolution.params };
}

/**
 * What a result button asks for, as a click's key: the query and its canonical values, names sorted. The
 * button's JSON as sent is not the key: the same request written again (keys reordered, spaces) is the same click.
 */
function clickContent(job: { query: SavedQuery; params: ResolvedParams }): string {
  const canonical = Object.keys(job.params.canonical).sort().map((k) => [k, job.params.canonical[k]]);
  return JSON.stringify([job.query.name, canonical]);
}

/** Refresh: runs it again skipping the cache; the new result goes where the old one is. Once per result at a time. */
export function queryRefreshAction(deps: QueryDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const tell = ephemeralTo(respond);
    const { channel, messageTs, threadTs } = buttonContext(body);
    if (!channel) return tell(queryStaleButtonMessage('I cannot tell where that button is.'));
    try {
      const job = await fromButton(deps, action, tell);
      if (!job) return;
      const refresh = await deps.queries.requestDelivery(body.trigger_id, {
        format: 'result', q: job.query.name, p: job.params.given, channel, threadTs: threadTs ?? null, userId: body.user.id, force: true,
      }, { scope: `refresh:${channel}:${messageTs ?? ''}:${clickContent(job)}`, holdMs: REFRESH_ONCE_MS });
      if (!refresh) return tell(noteMessage(':hourglass_flowing_sand: A refresh of this result is already on its way.'));
    } catch (err) {
      await tell(queryFailureMessage(deps.logger, err, { user: body.user.id }));
    }
  };
}

/** Show as table: the same result (from the cache) as text, only for the one who asked. */
export function queryShowTableAction(deps: QueryDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const tell = ephemeralTo(respond);
    const { channel, messageTs } = buttonContext(body);
    try {
      const job = await fromButton(deps, action, tell);
      if (!job) return;
      // A double click shows one table: the second is told the first is on its way. A run that failed is forgotten (click again).
      const shown = await deps.clicks.once(`table:${channel ?? ''}:${messageTs ?? ''}:${body.user.id}:${clickContent(job)}`, TABLE_ONCE_MS, () =>
        deps.queries.run(job.query, job.params, { userId: body.user.id }),
      );
      if (shown.repeated) return tell(queryTableAlreadyMessage());
      const outcome = shown.value;
      if (outcome.kind === 'over_cap') return tell(queryOverCapMessage(outcome.query, outcome.estimatedBytes, outcome.capBytes));
      await tell(queryTableMessage(outcome.output, new Date(), { buttons: false }));
    } catch (err) {
      await tell(queryFailureMessage(deps.logger, err, { user: body.user.id }));
    }
  };
}

/** Download CSV: the full result as a file in the result's thread; once per result and parameters. */
export function queryDownloadCsvAction(deps: QueryDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const tell = ephemeralTo(respond);
    const { channel, messageTs, threadTs } = buttonContext(body);
    if (!channel) return tell(queryStaleButtonMessage('I cannot tell where that button is.'));
    try {
      const job = await fromButton(deps, action, tell);
      if (!job) return;
      const csv = await deps.queries.requestDelivery(body.trigger_id, {
        format: 'csv', q: job.query.name, p: job.params.given, channel, threadTs: threadTs ?? messageTs ?? null, userId: body.user.id, force: false,
      }, { scope: `csv:${channel}:${messageTs ?? ''}:${clickContent(job)}`, holdMs: CSV_ONCE_MS });
      if (!csv) return tell(queryCsvAlreadyMessage(Boolean(threadTs)));
      // The file lands in a thread, which the clicker may not have open: say where.
      await tell(queryCsvOnItsWayMessage(job.query, Boolean(threadTs)));
    } catch (err) {
      await tell(queryFailureMessage(deps.logger, err, { user: body.user.id }));
    }
  };
}

/**
 * Run (on `/query list` and "Did you mean …?"): runs the saved query into the
 * channel the list is in, or opens its modal when it needs values, as typing
 * `/query <name>` does.
 */
export function queryRunAction(deps: QueryDeps) {
  return async ({ ack, action, body, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const tell = ephemeralTo(respond);
    const { channel, messageTs, threadTs } = buttonContext(body);
    const ref = parseQueryRef(action.value);
    const query = ref ? deps.queries.catalog.get(ref.q) : undefined;
    if (!channel || !CHANNEL_ID.test(channel)) return tell(queryStaleButtonMessage('I cannot tell where that button is.'));
    if (!ref || !query) return tell(queryStaleButtonMessage(ref ? `The saved query ${quoteTyped(ref.q, 60)} is no longer in the catalog.` : 'That button does not carry a query I know.'));
    try {
      const resolution = await deps.queries.resolve(query, ref.p);
      if (resolution.ok) {
        // A double click (or a repeated delivery of the click) posts one result, not two.
        const run = await deps.queries.requestDelivery(body.trigger_id, {
          // As given, as a typed /query's: the chart's buttons (Refresh, Subscribe…) keep `-30d` relative, not pinned to today.
          format: 'result', q: query.name, p: resolution.params.given, channel, threadTs: threadTs ?? null, userId: body.user.id, force: false,
        }, { scope: `run:${channel}:${messageTs ?? ''}:${clickContent({ query, params: resolution.params })}`, holdMs: RUN_ONCE_MS });
        if (!run) await tell(noteMessage(':hourglass_flowing_sand: That query is already running from this button; its result is on its way.'));
        return;
      }
      const metadata: QueryModalMetadata = { q: query.name, c: channel, ...(threadTs ? { t: threadTs } : {}) };
      try {
        await client.views.open({
          trigger_id: body.trigger_id,
          view: queryParamsModal(query, { values: resolution.values, problems: resolution.problems, metadata, today: deps.queries.today() }),
        });
      } catch (err) {
        // The same click delivered again: its form is open.
        if (loggedOpenedAlready(err, deps.logger, 'query form', 'click', { user: body.user.id, query: query.name })) return;
        deps.logger.warn('query modal could not open', { err, query: query.name });
        await tell(queryProblemsMessage(query, resolution.problems));
      }
    } catch (err) {
      await tell(queryFailureMessage(deps.logger, err, { user: body.user.id, query: query.name }));
    }
  };
}

/** `/query list`'s page from its Previous / Next value (a search and a page): the whole list's first for one that does not parse, the nearest page for one past the end. */
function listPageOf(deps: QueryDeps, value: string): MessageBody {
  let ref: QueryListPageRef = { s: '', n: 0 };
  try {
    const parsed = JSON.parse(value.slice(0, 500)) as Partial<QueryListPageRef> | null;
    ref = { s: typeof parsed?.s === 'string' ? parsed.s.slice(0, 100) : '', n: typeof parsed?.n === 'number' && Number.isSafeInteger(parsed.n) ? parsed.n : 0 };
  } catch {
    // Not JSON: the first page.
  }
  return queryListMessage(deps.queries.search(ref.s), ref.s, deps.queries.catalog.queries.length, ref.n);
}

/** Previous / Next page of `/query list`: the ephemeral list is replaced by that page. */
export function queryListPageAction(deps: QueryDeps) {
  return pageAction(deps.logger, 'queries', (value) => listPageOf(deps, value));
}

export function registerQuery(app: Listeners, deps: QueryDeps): string[] {
  app.command(Commands.query, queryCommand(deps));
  app.view<ViewSubmitAction>(CallbackIds.queryParams, queryModalSubmit(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.queryRefresh, queryRefreshAction(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.queryShowTable, queryShowTableAction(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.queryDownloadCsv, queryDownloadCsvAction(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.queryRun, queryRunAction(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.queryListPrevious, queryListPageAction(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.queryListNext, queryListPageAction(deps));
  return [Commands.query];
}
