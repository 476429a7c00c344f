/**
 * A scheduled run of a delivery or alert (the `subscription.run` job, one per
 * scheduled time): runs the saved query through the same cost cap and cache
 * as `/query` (identical queries and parameters run once), then posts: a
 * delivery's chart, table or CSV with its footer and Manage button; an
 * alert's message when its condition becomes true (the chart in its thread),
 * and "resolved" once when it stops. The outcome and the next run are
 * recorded with the job's completion.
 *
 * A run later than the grace after its time (the bot was down) is skipped:
 * the next is the latest time since, if that is within the grace, else the
 * first still to come; never a burst of missed runs. A run that
 * fails is retried; when it gives up, the owner is told once, and after too
 * many failures in a row the subscription pauses itself and says so.
 */
import type { KnownBlock } from '@slack/types';
import type { Logger } from '../logger.js';
import { ChartRenderError, CodedError, SlackApiError, toCodedError } from '../errors.js';
import { PermanentJobError, defineJob, type JobContext, type JobFailure, type JobKind, type JobOutcome } from '../jobs/runner.js';
import { noticeJob } from '../ports/notices.js';
import { nextRun, runDecision } from '../domain/schedule.js';
import { alertStep, evaluate } from '../domain/alert-condition.js';
import { toCsv } from '../charts/spec.js';
import type { QueryOutput, QueryService } from '../services/query.js';
import { SUBSCRIPTION_RUN_JOB, alertCheckOf, categoriesMessage, checkTag, firedPostKey, numericColumnsOf, subscriptionRef, type Subscription, type SubscriptionService } from '../services/subscriptions.js';
import { queryChartMessage, queryEmptyMessage, queryTableMessage } from '../../views/query.js';
import { alertFiredMessage, alertResolvedMessage, subscriptionCsvBlocks, subscriptionFooter } from '../../views/subscriptions.js';
import { TOKEN_REFUSED_SLACK_ERRORS, TRANSIENT_SLACK_ERRORS, slackErrorCode, toSlackError } from './errors.js';
import type { SlackGateway } from './gateway.js';
import { uploadFile, type FileUpload } from './uploads.js';

export interface SubscriptionRunDeps {
  subscriptions: SubscriptionService;
  queries: QueryService;
  gateway: SlackGateway;
  logger: Logger;
}

type RunPayload = { id: string; dueAt: number; manual: boolean };

const NEEDS_EDIT = 'subscription_needs_edit';

/**
 * A run that cannot succeed until the subscription is edited: its saved query is gone from the catalog, or no longer
 * has the column it watches or takes its values. Each run would fail the same way, so it pauses at once.
 */
class NeedsEditError extends PermanentJobError {
  override readonly code = NEEDS_EDIT;
}

/**
 * Slack refusals that mean the destination is gone: waiting will not help.
 * A DM's own: the person left, cannot be seen by the bot (`user_not_visible`,
 * conversations.open), or the app's Messages tab is off (`messages_tab_disabled`).
 */
const GONE = new Set([
  'channel_not_found', 'not_in_channel', 'is_archived', 'cannot_dm_bot', 'user_not_found', 'user_disabled', 'user_not_visible',
  'messages_tab_disabled',
]);

export function subscriptionJobKinds(deps: SubscriptionRunDeps): Record<string, JobKind> {
  return {
    [SUBSCRIPTION_RUN_JOB]: defineJob<RunPayload>({
      handler: (ctx) =>
        run(deps, ctx).catch((err: unknown) => {
          throw slackWide(err) ? new SlackUnavailableError(err) : err;
        }),
      onGiveUp: (ctx, failure) => async (tx, enqueue) => {
        const message = ownerReason(failure);
        // Slack failing for every subscription at once is none of this one's doing: it pauses none.
        const counts = failure.code !== SLACK_UNAVAILABLE && failure.code !== TOKEN_REFUSED_CODE;
        const needsEdit = failure.code === NEEDS_EDIT;
        const recorded = await deps.subscriptions.recordFailure(tx, ctx.payload.id, { dueAt: ctx.payload.dueAt, manual: ctx.payload.manual, message, key: ctx.key, counts, pauseNow: needsEdit });
        // A DM with the token Slack refuses could not go either: the failure is in the list, the audit log and the logs.
        if (recorded && failure.code !== TOKEN_REFUSED_CODE) {
          const run = { manual: ctx.payload.manual, message, failures: recorded.subscription.consecutiveFailures, ...(needsEdit && recorded.paused ? { needsEdit } : {}) };
          await enqueue(noticeJob({ type: 'subscription.failed', subscriptionId: ctx.payload.id, dueAt: ctx.payload.dueAt, paused: recorded.paused, run }));
        }
      },
      // A scheduled run may wait a little for the warehouse or Slack, not until the next run.
      retry: { maxAttempts: 3, baseMs: 20_000, maxMs: 5 * 60_000 },
    }),
  };
}

/**
 * The token Slack no longer takes (revoked, expired, its workspace or bot user inactive: `account_inactive` is the
 * token's, not a DM's recipient's): every call fails, for every subscription, until it is fixed.
 */
const TOKEN_REFUSED = TOKEN_REFUSED_SLACK_ERRORS;

const SLACK_UNAVAILABLE = 'slack_unavailable';

/**
 * Whether Slack failed for everyone rather than for this run: down (a 5xx, or an error Slack documents as its
 * own passing trouble, its rate limits included) or refusing the app's token. Not a code Slack does not document,
 * nor a request that got no answer (this run's own upload may be what is too big or slow).
 */
function slackWide(err: unknown): err is SlackApiError {
  if (!(err instanceof SlackApiError)) return false;
  const code = err.slackError;
  return TRANSIENT_SLACK_ERRORS.has(code) || TOKEN_REFUSED.has(code) || /^http_5\d\d$/.test(code);
}

const TOKEN_REFUSED_CODE = 'slack_token_refused';

/** A run that failed because Slack did (see `slackWide`): retried as the Slack error would be, and counted toward no pause. */
class SlackUnavailableError extends CodedError {
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(cause: SlackApiError) {
    super(cause.message, { cause });
    this.code = TOKEN_REFUSED.has(cause.slackError) ? TOKEN_REFUSED_CODE : SLACK_UNAVAILABLE;
    this.retryable = cause.retryable;
    this.retryAfterMs = cause.retryAfterMs;
  }
}

/**
 * Why a run gave up, in words for its owner (the DM, the last run in the list, the pause): a refusal's own
 * words and Slack's code as they are; the warehouse's and anything unexpected in plain words (their text,
 * a table name or a TypeError's, is in the logs).
 */
export function ownerReason(failure: JobFailure): string {
  switch (failure.code) {
    case 'warehouse_timeout': return 'the warehouse took too long to answer';
    case 'warehouse_failed': return 'the warehouse could not run the query';
    case 'warehouse_denied': return 'the warehouse refused the bot access to a table the query reads';
    case 'store_failed': return 'I could not reach my state store';
    case SLACK_UNAVAILABLE: return `Slack was unavailable (${failure.message})`;
    case TOKEN_REFUSED_CODE: return 'Slack refused my token: whoever runs analytics-bot must reinstall it';
    case 'job_refused': case NEEDS_EDIT: case 'slack_api_failed': return failure.message;
    default: return 'something went wrong on my side (the details are in my logs)';
  }
}

async function run(deps: SubscriptionRunDeps, ctx: JobContext<RunPayload>): Promise<JobOutcome> {
  const { subscriptions, queries } = deps;
  const { id, dueAt, manual } = ctx.payload;
  const sub = await subscriptions.get(id);
  if (!sub) return {};
  const channel = sub.target.kind === 'channel' ? sub.target.channel : sub.owner;
  // A retry looks first for the change of state an earlier attempt posted before it was lost (a crash, an answer
  // that never came), however this attempt ends: no longer wanted, too late, given up, or the condition turned back.
  // Recorded, the next run says the turn back (the Resolved of an alert whose record was lost, or a new alert after
  // a Resolved), not nothing or twice.
  const earlier = sub.kind === 'alert' && mayHavePosted(ctx) ? await postedEarlier(deps, ctx, sub, channel) : null;
  // What this run checks: its change of state is claimed and recorded only while the alert still checks that.
  const check = sub.kind === 'alert' ? alertCheckOf(sub, queries.catalog) : undefined;
  const recordEarlier = (change: PostedChange): JobOutcome => ({ commit: (tx) => subscriptions.recordRun(tx, id, { dueAt, manual, ...change, ...(check ? { check, key: ctx.key } : {}) }) });
  // Deleted, paused, or moved by an edit: this run is no longer wanted (what it posted is still recorded).
  if (!subscriptions.isCurrent(sub, dueAt, manual)) return earlier ? recordEarlier(earlier) : {};
  const now = ctx.now().getTime();
  // Too late to run (past the grace), or overtaken: a later time has come already (the bot was down, a run every
  // 15 minutes), and only the latest is sent (runAfter schedules it). Unless an earlier attempt began it: its change
  // of state, or a delivery's first part (the chart, before the CSV), was posted at its time. Then the run was not
  // missed, only its record or the rest.
  const late = !manual && runDecision(dueAt, now, subscriptions.limits.graceMs) === 'missed';
  const overtaken = !manual && nextRun(sub.schedule, new Date(dueAt)).getTime() <= now;
  if ((late || overtaken) && !(sub.kind === 'delivery' && mayHavePosted(ctx) && (await begun(deps, ctx, sub, channel)))) {
    if (earlier) return recordEarlier(earlier);
    // Overtaken while it was being retried: a failure (it counts toward the pause, and its owner hears of it), not a miss.
    if (!late && ctx.attempt > 1) throw new PermanentJobError('it kept failing until its next run was due');
    ctx.logger.info('skipped a run the bot missed', { subscription: id, dueAt, overtaken });
    const message = late ? 'the bot was not running at its time' : 'a later run was due by the time it could run';
    return { commit: (tx) => subscriptions.recordRun(tx, id, { dueAt, manual, outcome: 'missed', message }) };
  }
  const query = queries.catalog.get(sub.query);
  if (!query) throw new NeedsEditError(`the saved query “${sub.query}” is no longer in the catalog`);
  // A reviewed change may rename or drop the column an alert watches: its rows would have no value for it, so the
  // alert would say Resolved (had it gone off) and then watch nothing, quietly. A failed run, as for a query gone.
  const columns = numericColumnsOf(query);
  if (sub.kind === 'alert' && !columns.includes(sub.condition!.column)) {
    const instead = columns.length ? `: edit the alert to watch one the query has now (${columns.join(', ')})` : ', nor any number to watch: delete the alert';
    throw new NeedsEditError(`the query no longer has the column “${sub.condition!.column}” this alert watches${instead}`);
  }
  const resolution = await queries.resolve(query, sub.params);
  if (!resolution.ok) throw new NeedsEditError(`its parameters no longer fit the query: ${Object.values(resolution.problems).slice(0, 2).join('; ')}`);
  const outcome = await queries.run(query, resolution.params, { userId: sub.owner });
  if (outcome.kind === 'over_cap') {
    throw new PermanentJobError(`the query would process ${Math.round(outcome.estimatedBytes / 1024 ** 2)} MB, over the cost cap of ${Math.round(outcome.capBytes / 1024 ** 2)} MB`);
  }
  const output = outcome.output;
  try {
    if (sub.kind === 'delivery') {
      await deliver(deps, ctx, sub, output, channel);
      return { commit: (tx) => subscriptions.recordRun(tx, id, { dueAt, manual, outcome: 'delivered' }) };
    }
    const ev = evaluate(sub.condition!, output.rows, query.display.x);
    // Found only now (a bar chart's x is text): told to the owner as a failed run, never a silent "nothing to report".
    if (sub.condition!.op === 'change_pct' && !ev.byPeriod) throw new PermanentJobError(categoriesMessage(query));
    const step = alertStep(sub.alertState, ev.holds);
    // A retry that finds nothing to change may still owe the change an earlier attempt posted: the condition has since turned back.
    if (step.action === 'quiet' && earlier) return recordEarlier(earlier);
    // Another run at the same moment (a Run now beside the scheduled one) is saying it, or has said it.
    const where = step.action === 'resolve' ? resolvedWhere(sub, channel) : { channel, threadTs: null };
    const tag = step.action === 'fire' ? checkTag(check!) : undefined;
    if (step.action !== 'quiet' && !(await subscriptions.claimAlertStep(id, sub.alertState, ctx.key, where, check, tag))) {
      return { commit: (tx) => subscriptions.recordRun(tx, id, { dueAt, manual, outcome: 'quiet' }) };
    }
    if (step.action === 'fire') {
      // Found already where the claim says it went (an edit may have moved the alert since): not posted again.
      const fired = earlier?.outcome === 'fired' ? earlier.firedMessage : await deps.gateway.postOnce({ channel }, alertFiredMessage(sub, query, ev), { key: firedPostKey(ctx.key), tag, mayExist: mayHavePosted(ctx), since: dueAt });
      if (output.rows.length && query.display.type !== 'table') await uploadChart(deps, ctx, sub, output, { channel: earlier ? fired.channel : channel, threadTs: fired.ts }, dueAt);
      return { commit: (tx) => subscriptions.recordRun(tx, id, { dueAt, manual, outcome: 'fired', alertState: 'firing', firedMessage: fired, message: `now ${ev.latest}`, check, key: ctx.key }) };
    }
    if (step.action === 'resolve') {
      if (earlier?.outcome !== 'resolved') await deps.gateway.postOnce(where, alertResolvedMessage(sub, query, ev), { key: `${ctx.key}:resolved`, mayExist: mayHavePosted(ctx), since: dueAt });
      return { commit: (tx) => subscriptions.recordRun(tx, id, { dueAt, manual, outcome: 'resolved', alertState: 'ok', message: `now ${ev.latest}`, check }) };
    }
    // Nothing changed: the state is left as it is now (an edit meanwhile may have started it afresh).
    return { commit: (tx) => subscriptions.recordRun(tx, id, { dueAt, manual, outcome: 'quiet' }) };
  } catch (err) {
    const code = slackErrorCode(err) ?? (err as { slackError?: string }).slackError;
    if (code && GONE.has(code)) {
      // The owner reads this (escaped, so no channel mention in it); the Slack code goes to the logs.
      ctx.logger.warn('subscription destination gone', { subscription: id, code });
      throw new PermanentJobError(goneMessage(sub, code));
    }
    throw err;
  }
}

/**
 * The change of state an earlier attempt of this run claimed and posted, when Slack shows its post: the alert
 * (then the subscription fired, in that message) or the Resolved (then it is ok again). Null when it claimed
 * none, or its post is not there (it failed before Slack took it: the change is not made).
 */
async function postedEarlier(deps: SubscriptionRunDeps, ctx: JobContext<RunPayload>, sub: Subscription, channel: string): Promise<PostedChange | null> {
  const claim = await deps.subscriptions.claimedAlertStep(sub.id, ctx.key);
  let change: PostedChange | null = null;
  // Where the claim says it posted (an edit may have moved the alert since), or where it would post now.
  if (claim?.from === 'ok') {
    const fired = await deps.gateway.findPosted({ channel: claim.where?.channel ?? channel }, firedPostKey(ctx.key), ctx.payload.dueAt, claim.tag ?? undefined);
    if (fired) change = { outcome: 'fired', alertState: 'firing', firedMessage: fired, message: 'posted before the run was interrupted' };
  } else if (claim?.from === 'firing') {
    const where = claim.where ?? resolvedWhere(sub, channel);
    const resolved = await deps.gateway.findPosted(where, `${ctx.key}:resolved`, ctx.payload.dueAt);
    if (resolved) change = { outcome: 'resolved', alertState: 'ok', message: 'posted before the run was interrupted' };
  }
  // Noted with the claim, so that a run that gives up after all records it too.
  if (change) await deps.subscriptions.notePosted(sub.id, ctx.key, change.outcome === 'fired' ? change.firedMessage : null);
  return change;
}

/** Where an alert's Resolved goes: in the thread of the alert it resolves, or (no alert on record) where it would post now. */
function resolvedWhere(sub: Subscription, channel: string): { channel: string; threadTs: string | null } {
  return { channel: sub.firedMessage?.channel ?? channel, threadTs: sub.firedMessage?.ts ?? null };
}

type PostedChange = { outcome: 'fired'; alertState: 'firing'; firedMessage: { channel: string; ts: string }; message: string } | { outcome: 'resolved'; alertState: 'ok'; message: string };

/**
 * Whether an earlier go at this run may have posted already, so that each post looks for its own
 * first: a later attempt, or the same attempt put back until the channel's turn. A deferral gives
 * the attempt back (it is no failure), and a run may be put back between its posts (the chart after
 * the alert, the CSV after the chart): it is due later than its time then, which a first go never is.
 */
function mayHavePosted(ctx: JobContext<RunPayload>): boolean {
  return ctx.attempt > 1 || ctx.dueAt !== ctx.payload.dueAt;
}

/** Whether an earlier attempt of a delivery posted any of it (its message, chart or CSV): the rest is still owed. */
async function begun(deps: SubscriptionRunDeps, ctx: JobContext<RunPayload>, sub: Subscription, channel: string): Promise<boolean> {
  const since = ctx.payload.dueAt;
  if (await deps.gateway.findPosted({ channel }, ctx.key, since)) return true;
  for (const ext of ['png', 'csv']) if (await deps.gateway.findFile({ channel }, fileName(sub, ctx.payload, ext), since)) return true;
  return false;
}

/** Why a destination that is gone cannot be posted to, in words its owner can act on. */
export function goneMessage(sub: Subscription, code: string): string {
  if (sub.target.kind === 'dm') {
    if (code === 'messages_tab_disabled') return 'I can no longer send you DMs: my Messages tab is turned off in Slack. Edit it to post in a channel, or ask whoever runs analytics-bot to turn the tab back on';
    return 'I can no longer send you DMs (your Slack account may be deactivated, or hidden from me)';
  }
  const why = code === 'is_archived' ? 'its channel was archived' : code === 'channel_not_found' ? 'its channel no longer exists' : 'I was removed from its channel';
  return `I can no longer post there: ${why}. Invite me back with /invite @analytics-bot, or edit it to post elsewhere`;
}

/** A delivery: the chart or table as `/query` posts it, the CSV as a file, with the subscription's footer and Manage button. */
async function deliver(deps: SubscriptionRunDeps, ctx: JobContext<RunPayload>, sub: Subscription, output: QueryOutput, channel: string): Promise<void> {
  const now = ctx.now();
  const footer = subscriptionFooter(sub);
  const wantsChart = sub.format === 'chart' || sub.format === 'chart_csv';
  // A delivery of one part (a message, a chart or a CSV) is put back for its channel's turn only before that part
  // is posted: put back, it has posted nothing, and looks only on a later attempt (a failure, a process that died
  // after Slack took it). Looking after every deferral made each of a busy channel's waiting runs read its history
  // again at every turn (Slack's Tier 3), some 1,500 reads for 200 deliveries to one channel.
  // A chart and CSV of a query that is now a table is two parts too: the table, then the CSV.
  const twoParts = sub.format === 'chart_csv' && output.rows.length > 0;
  const repeat = ctx.attempt > 1 || (twoParts && mayHavePosted(ctx));
  if (output.rows.length === 0) {
    const empty = queryEmptyMessage(output, now);
    await deps.gateway.postOnce({ channel }, { text: empty.text, blocks: [...empty.blocks, ...footer] }, { key: ctx.key, mayExist: repeat, since: ctx.payload.dueAt });
    return;
  }
  if (sub.format === 'table' || (wantsChart && output.query.display.type === 'table')) {
    const table = queryTableMessage(output, now, { buttons: false });
    await deps.gateway.postOnce({ channel }, { text: table.text, blocks: [...table.blocks.slice(0, 50 - footer.length), ...footer] }, { key: ctx.key, mayExist: repeat, since: ctx.payload.dueAt });
  } else if (wantsChart) {
    await uploadChart(deps, ctx, sub, output, { channel }, ctx.payload.dueAt, footer, repeat);
  }
  if (sub.format === 'csv' || sub.format === 'chart_csv') {
    const name = fileName(sub, ctx.payload, 'csv');
    if (repeat && (await deps.gateway.findFile({ channel }, name, ctx.payload.dueAt))) return;
    await deps.gateway.pace(channel);
    await upload(deps.gateway, {
      channelId: channel,
      bytes: Buffer.from(toCsv(output.columns, output.rows), 'utf8'),
      filename: name,
      title: `${output.query.title} (CSV)`,
      ...(sub.format === 'csv' ? { blocks: subscriptionCsvBlocks(output.query.title, output.totalRows, sub) } : {}),
    }, ctx.payload.dueAt);
  }
}

/** The chart as a file: named for its subscription and run, so a run repeated after a crash finds the one it already posted. */
async function uploadChart(deps: SubscriptionRunDeps, ctx: JobContext<RunPayload>, sub: Subscription, output: QueryOutput, where: { channel: string; threadTs?: string }, since: number, footer: KnownBlock[] = [], look = mayHavePosted(ctx)): Promise<void> {
  const name = fileName(sub, ctx.payload, 'png');
  if (look && (await deps.gateway.findFile(where, name, since))) return;
  // The channel's turn is taken before drawing: waiting for it overlaps the drawing (or defers the job before any is done).
  const turn = deps.gateway.reserveTurn(where.channel);
  let chart;
  try {
    chart = await deps.queries.renderChart(output);
  } catch (err) {
    if (err instanceof ChartRenderError) throw new PermanentJobError('the chart could not be drawn');
    throw err;
  }
  const message = queryChartMessage(output, ctx.now());
  await deps.gateway.turnAt(turn);
  await upload(deps.gateway, {
    channelId: where.channel,
    ...(where.threadTs ? { threadTs: where.threadTs } : {}),
    bytes: chart.png,
    filename: name,
    title: chart.title,
    altText: chart.altText,
    ...(where.threadTs ? {} : { blocks: [...message.blocks.filter((b) => b.type !== 'actions'), ...footer] }),
  }, since);
}

/**
 * A run's file name, which a repeated run looks for: a scheduled run is named for its minute, a Run now
 * for its second and as one, so that neither takes the other's file (posted the same minute) for its own.
 */
function fileName(sub: Subscription, run: RunPayload, ext: string): string {
  const iso = new Date(run.dueAt).toISOString();
  const stamp = iso.slice(0, run.manual ? 19 : 16).replace(/[-:]/g, '').replace('T', '-');
  return `${sub.query}_${subscriptionRef(sub.id)}_${stamp}${run.manual ? '-now' : ''}.${ext}`;
}

/**
 * Uploads through Slack's three documented steps (./uploads.ts: the alt text
 * reaches Slack as alt_txt). A DM goes to the bot's DM conversation:
 * files.completeUploadExternal takes a conversation ID, not a user ID.
 */
async function upload(gateway: SlackGateway, file: FileUpload, since: number): Promise<void> {
  const channelId = await gateway.conversationId(file.channelId);
  try {
    await uploadFile(gateway.client, { ...file, channelId });
  } catch (err) {
    const coded = toSlackError(err, 'file upload');
    // A 429 (on any of the three steps) shared nothing: put back until Slack's Retry-After, no attempt spent.
    gateway.waitOutRateLimit(file.channelId, coded, since);
    throw coded;
  }
}

export function describeFailure(err: unknown): string {
  return toCodedError(err).message;
}
