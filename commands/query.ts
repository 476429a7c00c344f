/**
 * `/query`, its parameter modal and the result buttons. Thin: ack at once,
 * ask the query service, then deliver: the chart through files.uploadV2 (one
 * message with the image, summary, footer and buttons) or a table message, in
 * the channel (or thread) where it was asked for.
 */
import type {
  AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs, SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { ActionIds, BlockIds, CallbackIds, Commands } from '../src/ids.js';
import type { Logger } from '../src/logger.js';
import { ChartRenderError, toCodedError } from '../src/errors.js';
import type { SavedQuery } from '../src/catalog/catalog.js';
import type { ResolvedParams } from '../src/catalog/params.js';
import { toCsv } from '../src/charts/spec.js';
import type { QueryOutput, QueryService } from '../src/services/query.js';
import { failureMessage, type MessageBody } from '../views/common.js';
import {
  queryChartMessage, queryCsvComment, queryEmptyMessage, queryInviteMessage, queryListMessage, queryOverCapMessage, queryParamsModal,
  queryProblemsMessage, queryStaleButtonMessage, queryTableMessage, queryTooLongMessage, queryUnknownMessage,
  type QueryModalMetadata, type QueryRef,
} from '../views/query.js';

export interface QueryDeps {
  queries: QueryService;
  logger: Logger;
}

/** Where a result goes, and how to tell the requester something only they should see. */
interface Delivery {
  client: WebClient;
  channel: string;
  threadTs?: string;
  userId: string;
  tell: (message: MessageBody) => Promise<void>;
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const TS = /^\d{1,12}\.\d{1,9}$/;

function slackErrorOf(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } }).data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

/** What the user sees when running failed; logged with its code, never with a trace. */
function failureFor(logger: Logger, err: unknown, context: Record<string, unknown>): MessageBody {
  const coded = toCodedError(err);
  logger.error('query failed', { ...context, code: coded.code, err: coded });
  if (coded.code === 'warehouse_timeout') return failureMessage('The warehouse took too long to answer, so the query was cancelled.', 'Try fewer weeks or a later date, or try again later.');
  if (coded.code === 'warehouse_failed') return failureMessage('The warehouse could not run that query.');
  if (coded.code === 'store_failed') return failureMessage('I could not reach my state store.');
  return failureMessage('Something went wrong running that query.');
}

/** Runs a query and posts its result; every failure ends in a message to the requester. */
export async function runAndDeliver(
  deps: QueryDeps,
  d: Delivery,
  job: { query: SavedQuery; params: ResolvedParams; force?: boolean },
): Promise<void> {
  const { queries, logger } = deps;
  const context = { query: job.query.name, user: d.userId, channel: d.channel };
  let output: QueryOutput;
  try {
    const outcome = await queries.run(job.query, job.params, { userId: d.userId, force: job.force });
    if (outcome.kind === 'over_cap') return d.tell(queryOverCapMessage(outcome.query, outcome.estimatedBytes, outcome.capBytes));
    output = outcome.output;
  } catch (err) {
    return d.tell(failureFor(logger, err, context));
  }
  const now = new Date();
  const where = { channel: d.channel, ...(d.threadTs ? { thread_ts: d.threadTs } : {}) };
  try {
    if (output.rows.length === 0) {
      await d.client.chat.postMessage({ ...where, ...queryEmptyMessage(output, now, d.userId) });
    } else if (output.query.display.type === 'table') {
      await d.client.chat.postMessage({ ...where, ...queryTableMessage(output, now, { requestedBy: d.userId, buttons: true }) });
    } else {
      const chart = await queries.renderChart(output);
      const message = queryChartMessage(output, now, d.userId);
      await d.client.filesUploadV2({
        channel_id: d.channel,
        ...(d.threadTs ? { thread_ts: d.threadTs } : {}),
        file: chart.png,
        filename: chart.filename,
        title: chart.title,
        alt_text: chart.altText,
        blocks: message.blocks,
      } as Parameters<WebClient['filesUploadV2']>[0]);
    }
  } catch (err) {
    if (err instanceof ChartRenderError) {
      logger.error('query chart could not be drawn', { ...context, err });
      return d.tell(failureMessage('The query ran, but I could not draw its chart.'));
    }
    const slackError = slackErrorOf(err);
    if (slackError === 'not_in_channel' || slackError === 'channel_not_found') return d.tell(queryInviteMessage(d.channel));
    logger.error('query result could not be posted', { ...context, slackError, err: toCodedError(err) });
    return d.tell(failureMessage('The query ran, but I could not post its result here.'));
  }
}

/** Tells the requester privately in the channel; a DM when the channel is closed to the bot. */
function ephemeralTeller(client: WebClient, channel: string, userId: string, logger: Logger) {
  return async (message: MessageBody): Promise<void> => {
    try {
      await client.chat.postEphemeral({ channel, user: userId, ...message });
    } catch {
      await client.chat.postMessage({ channel: userId, ...message }).catch((err) => logger.warn('could not tell the user', { err, user: userId }));
    }
  };
}

/** The slash command listener, exported apart from its registration for tests. */
export function queryCommand(deps: QueryDeps) {
  return async ({ command, ack, respond, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const tell = async (m: MessageBody) => {
      await respond({ response_type: 'ephemeral', ...m });
    };
    let answer;
    try {
      answer = await deps.queries.command(command.text ?? '');
    } catch (err) {
      return tell(failureFor(deps.logger, err, { user: command.user_id }));
    }
    switch (answer.kind) {
      case 'list':
        return tell(queryListMessage(answer.queries, answer.search, deps.queries.catalog.queries.length));
      case 'too_long':
        return tell(queryTooLongMessage(answer.max));
      case 'unknown':
        return tell(queryUnknownMessage(answer.name, answer.closest));
      case 'needs_params': {
        const metadata: QueryModalMetadata = { q: answer.query.name, c: command.channel_id };
        try {
          await client.views.open({
            trigger_id: command.trigger_id,
            view: queryParamsModal(answer.query, { values: answer.values, problems: answer.problems, metadata, today: new Date().toISOString().slice(0, 10) }),
          });
        } catch (err) {
          deps.logger.warn('query modal could not open', { err, query: answer.query.name });
          return tell(queryProblemsMessage(answer.query, answer.problems));
        }
        return;
      }
      case 'ready':
        return runAndDeliver(deps, { client, channel: command.channel_id, userId: command.user_id, tell }, { query: answer.query, params: answer.params });
    }
  };
}

/** Values of the modal's inputs, by parameter name. */
export function modalValues(query: SavedQuery, state: ViewSubmitAction['view']['state']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of query.params) {
    const el = state.values[`${BlockIds.queryParamPrefix}${p.name}`]?.[`${ActionIds.queryParamInputPrefix}${p.name}`] as
      | { value?: string | null; selected_date?: string | null; selected_option?: { value?: string } | null }
      | undefined;
    const v = el?.selected_option?.value ?? el?.selected_date ?? el?.value;
    if (typeof v === 'string' && v !== '') out[p.name] = v.slice(0, 5000);
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
      // Not a modal this bot opened (or its query left the catalog): close it, change nothing.
      await ack();
      return;
    }
    let resolution;
    try {
      resolution = await deps.queries.resolve(query, modalValues(query, view.state));
    } catch (err) {
      await ack();
      await ephemeralTeller(client, meta.c, body.user.id, deps.logger)(failureFor(deps.logger, err, { user: body.user.id, query: query.name }));
      return;
    }
    if (!resolution.ok) {
      const errors: Record<string, string> = {};
      for (const p of query.params) {
        const problem = resolution.problems[p.name];
        if (problem) errors[`${BlockIds.queryParamPrefix}${p.name}`] = problem.slice(0, 150);
      }
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    const tell = ephemeralTeller(client, meta.c, body.user.id, deps.logger);
    await runAndDeliver(deps, { client, channel: meta.c, ...(meta.t ? { threadTs: meta.t } : {}), userId: body.user.id, tell }, { query, params: resolution.params });
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
  let ref: QueryRef | null = null;
  try {
    const parsed = JSON.parse(String(action.value ?? '').slice(0, 2000)) as Partial<QueryRef>;
    if (typeof parsed.q === 'string' && parsed.p && typeof parsed.p === 'object' && !Array.isArray(parsed.p)) {
      const p: Record<string, string> = {};
      for (const [k, v] of Object.entries(parsed.p)) if (typeof v === 'string') p[k] = v;
      ref = { q: parsed.q, p };
    }
  } catch {
    ref = null;
  }
  if (!ref) {
    await tell(queryStaleButtonMessage('That button does not carry a query I know.'));
    return null;
  }
  const query = deps.queries.catalog.get(ref.q);
  if (!query) {
    await tell(queryStaleButtonMessage(`The saved query “${ref.q.slice(0, 60)}” is no longer in the catalog.`));
    return null;
  }
  const resolution = await deps.queries.resolve(query, ref.p);
  if (!resolution.ok) {
    await tell(queryProblemsMessage(query, resolution.problems));
    return null;
  }
  return { query, params: resolution.params };
}

function buttonContext(body: BlockAction): { channel: string | undefined; messageTs: string | undefined; threadTs: string | undefined } {
  const message = body.message as { ts?: string; thread_ts?: string } | undefined;
  const container = body.container as { message_ts?: string; channel_id?: string } | undefined;
  return {
    channel: body.channel?.id ?? container?.channel_id,
    messageTs: message?.ts ?? container?.message_ts,
    threadTs: message?.thread_ts && message.thread_ts !== message.ts ? message.thread_ts : undefined,
  };
}

/** Refresh: runs it again skipping the cache; the new result goes where the old one is. */
export function queryRefreshAction(deps: QueryDeps) {
  return async ({ ack, action, body, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const tell = ephemeralTo(respond);
    const where = buttonContext(body);
    if (!where.channel) return tell(queryStaleButtonMessage('I cannot tell where that button is.'));
    try {
      const job = await fromButton(deps, action, tell);
      if (!job) return;
      await runAndDeliver(deps, { client, channel: where.channel, ...(where.threadTs ? { threadTs: where.threadTs } : {}), userId: body.user.id, tell }, { ...job, force: true });
    } catch (err) {
      await tell(failureFor(deps.logger, err, { user: body.user.id }));
    }
  };
}

/** Show as table: the same result (from the cache) as text, only for the one who asked. */
export function queryShowTableAction(deps: QueryDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const tell = ephemeralTo(respond);
    try {
      const job = await fromButton(deps, action, tell);
      if (!job) return;
      const outcome = await deps.queries.run(job.query, job.params, { userId: body.user.id });
      if (outcome.kind === 'over_cap') return tell(queryOverCapMessage(outcome.query, outcome.estimatedBytes, outcome.capBytes));
      await tell(queryTableMessage(outcome.output, new Date(), { buttons: false }));
    } catch (err) {
      await tell(failureFor(deps.logger, err, { user: body.user.id }));
    }
  };
}

/** Download CSV: the full result as a file in the result's thread. */
export function queryDownloadCsvAction(deps: QueryDeps) {
  return async ({ ack, action, body, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const tell = ephemeralTo(respond);
    const where = buttonContext(body);
    if (!where.channel) return tell(queryStaleButtonMessage('I cannot tell where that button is.'));
    try {
      const job = await fromButton(deps, action, tell);
      if (!job) return;
      const outcome = await deps.queries.run(job.query, job.params, { userId: body.user.id });
      if (outcome.kind === 'over_cap') return tell(queryOverCapMessage(outcome.query, outcome.estimatedBytes, outcome.capBytes));
      const o = outcome.output;
      const thread = where.threadTs ?? where.messageTs;
      try {
        await client.filesUploadV2({
          channel_id: where.channel,
          ...(thread ? { thread_ts: thread } : {}),
          file: Buffer.from(toCsv(o.columns, o.rows), 'utf8'),
          filename: `${o.query.name}.csv`,
          title: `${o.query.title} (CSV)`,
          initial_comment: queryCsvComment(o, body.user.id),
        } as Parameters<WebClient['filesUploadV2']>[0]);
      } catch (err) {
        const slackError = slackErrorOf(err);
        if (slackError === 'not_in_channel' || slackError === 'channel_not_found') return tell(queryInviteMessage(where.channel));
        throw err;
      }
    } catch (err) {
      await tell(failureFor(deps.logger, err, { user: body.user.id }));
    }
  };
}

export function registerQuery(app: App, deps: QueryDeps): string[] {
  app.command(Commands.query, queryCommand(deps));
  app.view<ViewSubmitAction>(CallbackIds.queryParams, queryModalSubmit(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.queryRefresh, queryRefreshAction(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.queryShowTable, queryShowTableAction(deps));
  app.action<BlockAction<ButtonAction>>(ActionIds.queryDownloadCsv, queryDownloadCsvAction(deps));
  return [Commands.query];
}
