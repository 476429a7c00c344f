/**
 * Delivers a `/query` result as a job: runs the saved query (or reads it
 * from the cache), draws it, and posts it where it was asked for: the chart
 * in one upload (one message with the image, summary, footer and
 * buttons), or a table message. Every failure ends in a message to the
 * requester, only for them (or by DM when the channel is closed to the bot).
 *
 * A job, so a Slack retry of the command or a double click, keyed on the
 * same trigger, posts one result, and a crash while the query runs does not
 * lose the answer.
 */
import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import { ChartRenderError, CustomerCheckError, toCodedError } from '../errors.js';
import { DeferJob, defineJob, type JobContext, type JobKind } from '../jobs/runner.js';
import { jobKey } from '../jobs/model.js';
import { QUERY_DELIVER_JOB, type QueryDelivery, type QueryOutput, type QueryService } from '../services/query.js';
import { failureMessage, type MessageBody } from '../../views/common.js';
import { toCsv } from '../charts/spec.js';
import { queryChartMessage, queryCsvComment, queryEmptyMessage, queryInviteMessage, queryOverCapMessage, queryProblemsMessage, querySlackRefusedMessage, queryStaleButtonMessage, queryTableMessage } from '../../views/query.js';
import { slackErrorCode, toSlackError } from './errors.js';
import { uploadFile } from './uploads.js';
import { foregroundIdle } from '../foreground.js';
import { forgetClick } from '../services/clicks.js';
import type { SlackGateway } from './gateway.js';
import { quoteTyped } from '../format.js';

export interface QueryDeliveryDeps {
  queries: QueryService;
  gateway: SlackGateway;
  logger: Logger;
  now?: () => Date;
}

/** What the requester sees when running failed; logged with its code, never with a trace. */
export function queryFailureMessage(logger: Logger, err: unknown, context: Record<string, unknown>): MessageBody {
  const coded = toCodedError(err);
  logger.error('query failed', { ...context, code: coded.code, err: coded });
  if (coded instanceof CustomerCheckError) {
    const why = coded.reason === 'warehouse_timeout' ? 'the warehouse did not answer in time' : 'the warehouse could not be read';
    return failureMessage(`I could not check the customer this query names: ${why}. No query ran.`);
  }
  if (coded.code === 'warehouse_timeout') return failureMessage('The warehouse took too long to answer, so the query was cancelled.', 'Try fewer weeks or a later date, or try again later.');
  if (coded.code === 'warehouse_failed') return failureMessage('The warehouse could not run that query.');
  if (coded.code === 'store_failed') return failureMessage('I could not reach my state store.');
  return failureMessage('Something went wrong running that query.');
}

/** Tells the requester privately in the channel; by DM when the channel is closed to the bot. */
export async function tellPrivately(client: WebClient, logger: Logger, where: { channel: string; userId: string; threadTs?: string | null }, message: MessageBody): Promise<void> {
  try {
    await client.chat.postEphemeral({ channel: where.channel, user: where.userId, ...(where.threadTs ? { thread_ts: where.threadTs } : {}), ...message });
  } catch {
    await client.chat.postMessage({ channel: where.userId, ...message }).catch((err: unknown) => logger.warn('could not tell the user', { code: slackErrorCode(err), user: where.userId }));
  }
}

export function queryDeliveryJobKinds(deps: QueryDeliveryDeps): Record<string, JobKind> {
  return {
    [QUERY_DELIVER_JOB]: defineJob<QueryDelivery>({
      handler: async (ctx) => {
        // Ended telling the person why nothing came (over the cap, a warehouse error…): the click that asked is freed.
        let told = false;
        await deliver(deps, ctx, () => (told = true));
        const click = ctx.payload.click;
        return told && click ? { commit: (tx) => forgetClick(tx, click) } : {};
      },
      // Telling is a job of its own, committed with the give-up: said once, even if the process dies right then
      // (onGiveUp runs inside the give-up's transaction, which the store may run again).
      onGiveUp: (ctx, failure) => async (tx, enqueue) => {
        const d = ctx.payload;
        await enqueue({ key: jobKey(QUERY_GAVE_UP_JOB, ctx.key), kind: QUERY_GAVE_UP_JOB, payload: { channel: d.channel, userId: d.userId, threadTs: d.threadTs, q: d.q, slack: failure.code === 'slack_api_failed' } });
        if (d.click) await forgetClick(tx, d.click);
      },
      // A person is waiting: a few quick retries, then say so.
      retry: { maxAttempts: 3, baseMs: 1_000, maxMs: 10_000 },
    }),
    [QUERY_GAVE_UP_JOB]: defineJob<QueryGaveUp>({
      handler: async (ctx) => {
        const d = ctx.payload;
        await tellPrivately(deps.gateway.client, deps.logger, d, failureMessage(`I could not post the result of ${d.q}.`, d.slack ? 'Slack kept refusing it; please try again later.' : 'Please try again in a minute.'));
        return {};
      },
      retry: { maxAttempts: 3, baseMs: 1_000, maxMs: 10_000 },
    }),
  };
}

/** How long after it was asked a delivery Slack rate-limits waits out the Retry-After rather than spending attempts. */
const RATE_LIMIT_WAIT_FOR_MS = 2 * 60_000;

/** The job that tells the requester a delivery gave up. */
const QUERY_GAVE_UP_JOB = 'query.gave_up';
type QueryGaveUp = { channel: string; userId: string; threadTs: string | null; q: string; slack: boolean };

/** Posts the result asked for; `told` when it ends telling the person why it could not. */
async function deliver(deps: QueryDeliveryDeps, ctx: JobContext<QueryDelivery>, told: () => void): Promise<void> {
  const { queries, gateway, logger } = deps;
  const d = ctx.payload;
  const tell = (m: MessageBody) => {
    told();
    return tellPrivately(gateway.client, logger, d, m);
  };
  const context = { query: d.q, user: d.userId, channel: d.channel };
  const query = queries.catalog.get(d.q);
  if (!query) {
    await tell(queryStaleButtonMessage(`The saved query ${quoteTyped(d.q, 60)} is no longer in the catalog.`));
    return;
  }
  let output: QueryOutput;
  try {
    const resolution = await queries.resolve(query, d.p);
    if (!resolution.ok) {
      await tell(queryProblemsMessage(query, resolution.problems));
      return;
    }
    const outcome = await queries.run(query, resolution.params, { userId: d.userId, force: d.force });
    if (outcome.kind === 'over_cap') {
      await tell(queryOverCapMessage(outcome.query, outcome.estimatedBytes, outcome.capBytes));
      return;
    }
    output = outcome.output;
  } catch (err) {
    // The store is down: worth a retry. A warehouse failure is told now: running it again minutes later would surprise.
    if (toCodedError(err).code === 'store_failed' && ctx.attempt < 3) throw err;
    await tell(queryFailureMessage(logger, err, context));
    return;
  }
  const now = deps.now?.() ?? new Date();
  const target = { channel: d.channel, threadTs: d.threadTs };
  // Files are named for this delivery, so a repeat (after a crash, or an answer lost after Slack shared the file) finds the one it posted.
  const fileName = (ext: string) => `${output.query.name}-${createHash('sha256').update(ctx.key).digest('hex').slice(0, 6)}.${ext}`;
  const postedBefore = async (name: string) => ctx.attempt > 1 && (await gateway.findFile(target, name, ctx.createdAt));
  try {
    if (d.format === 'csv') {
      const filename = fileName('csv');
      if (await postedBefore(filename)) return;
      await uploadFile(gateway.client, {
        channelId: d.channel,
        threadTs: d.threadTs,
        bytes: Buffer.from(toCsv(output.columns, output.rows), 'utf8'),
        filename,
        title: `${output.query.title} (CSV)`,
        initialComment: queryCsvComment(output, d.userId),
      });
    } else if (output.rows.length === 0) {
      await gateway.postOnce(target, queryEmptyMessage(output, now, d.userId), { key: ctx.key, mayExist: ctx.attempt > 1, since: ctx.createdAt });
    } else if (output.query.display.type === 'table') {
      await gateway.postOnce(target, queryTableMessage(output, now, { requestedBy: d.userId, buttons: true }), { key: ctx.key, mayExist: ctx.attempt > 1, since: ctx.createdAt });
    } else {
      let chart;
      try {
        chart = await queries.renderChart(output);
      } catch (err) {
        if (!(err instanceof ChartRenderError)) throw err;
        logger.error('query chart could not be drawn', { ...context, err });
        await tell(failureMessage('The query ran, but I could not draw its chart.'));
        return;
      }
      const message = queryChartMessage(output, now, d.userId);
      const filename = fileName('png');
      if (await postedBefore(filename)) return;
      // The upload's three calls take the event loop for a few milliseconds: acks first.
      await foregroundIdle();
      await uploadFile(gateway.client, {
        channelId: d.channel,
        threadTs: d.threadTs,
        bytes: chart.png,
        filename,
        title: chart.title,
        altText: chart.altText,
        blocks: message.blocks,
      });
    }
  } catch (err) {
    // Put back (the channel's turn, or Slack's rate limit on the look for an earlier upload): no failure.
    if (err instanceof DeferJob) throw err;
    const coded = toSlackError(err, 'file upload');
    const code = coded.slackError;
    if (code === 'not_in_channel' || code === 'channel_not_found') {
      await tell(queryInviteMessage(d.channel));
      return;
    }
    // Slack said how long to wait: not asked again before then (a retry within the limit is refused too), and
    // without spending an attempt, for as long as someone may still be waiting for the result.
    const at = ctx.now().getTime();
    if (code === 'ratelimited' && coded.retryAfterMs !== undefined && at - ctx.createdAt < RATE_LIMIT_WAIT_FOR_MS) {
      throw new DeferJob(at + coded.retryAfterMs + Math.floor(Math.random() * 1_000));
    }
    // Refused for good (the channel archived, posting there restricted, a message Slack will not take): said now,
    // with why, rather than tried again and then "please try again later".
    if (!coded.retryable) {
      logger.warn('Slack refused the result for good', { ...context, code });
      await tell(querySlackRefusedMessage(d.q, d.channel, code, d.format === 'csv' ? 'CSV' : 'result'));
      return;
    }
    throw coded;
  }
}
