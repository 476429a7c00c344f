/**
 * Delivers notices (src/ports/notices.ts): renders each from the stored
 * records as they are when the job runs (views/), and sends it through the
 * gateway: cards and alerts are posted once and then edited at their stored
 * ts; DMs and thread replies are posted once per job key. Where a post is
 * recorded (a card's ts), the record is written with the job's completion.
 */
import type { Logger } from '../logger.js';
import type { StoreDoc, StoreTx } from '../ports/store.js';
import { NOTICE_JOB, NOTICE_JOB_2, noticeJob, type Notice } from '../ports/notices.js';
import { DeferJob, classify, defineJob, type JobCommit, type JobContext, type JobFailure, type JobKind, type JobOutcome } from '../jobs/runner.js';
import { CodedError, toCodedError } from '../errors.js';
import { jobKey, type JobSpec } from '../jobs/model.js';
import { LOOKER_ACCESS_REQUESTS, type LookerAccessRequest, type LookerAccessService } from '../services/looker-access.js';
import { PIPELINE_REQUESTS, type PipelineRequest, type PipelineRequestService } from '../services/pipeline-request.js';
import type { FreshnessServices } from '../services/freshness-services.js';
import type { SubscriptionService } from '../services/subscriptions.js';
import { alertClosedMessage, subscriptionChangedDm, subscriptionFailedDm } from '../../views/subscriptions.js';
import type { Subscription } from '../services/subscriptions.js';
import type { SourceFreshness } from '../services/freshness.js';
import type { AlertDoc } from '../services/freshness-alerts.js';
import {
  lookerDecidedDm,
  lookerExpiredDm,
  lookerExpiredThreadMessage,
  lookerGrantFailedThreadMessage,
  lookerGrantedNowDm,
  lookerReminderDm,
  lookerRequestCard,
  lookerRequestSentDm,
  lookerSubmissionRefusedDm,
} from '../../views/looker-access.js';
import { pipelineRequestCard, pipelineRequestDecisionDm, pipelineRequestReceivedDm } from '../../views/pipeline-request.js';
import { freshnessAlertMessage, freshnessAlertRecoveredMessage, freshnessAlertRemovedMessage, freshnessRecoveredReply, freshnessReminderReply, rerunAskFailedDm, rerunRequestPost } from '../../views/freshness.js';
import { forgetAsk } from '../services/rerun.js';
import { rerunMessage } from '../../views/rerun.js';
import type { MessageBody } from '../../views/common.js';
import type { Posted, SlackGateway } from './gateway.js';
import { tokenRefused } from './errors.js';

export interface NoticeDeps {
  gateway: SlackGateway;
  lookerAccess: LookerAccessService;
  pipelineRequests: PipelineRequestService;
  freshness: FreshnessServices;
  subscriptions: SubscriptionService;
  /** Titles of saved queries, by name. */
  queryTitle: (name: string) => string;
  logger: Logger;
  now?: () => Date;
}

type Ctx = JobContext<Notice & Record<string, never>>;

/** How long a recovered reply waits, each time, for its alert's post to be recorded. */
const ALERT_POST_WAIT_MS = 2_000;

/** The job kind that delivers notices. */
export function noticeJobKinds(deps: NoticeDeps): Record<string, JobKind> {
  const deliver = new NoticeDelivery(deps);
  const kind = defineJob<Notice & Record<string, never>>({
    handler: (ctx) => deliver.run(ctx),
    onGiveUp: (ctx) => deliver.gaveUp(ctx),
    // Slack outages are short; a message hours late is worse than one that says it failed.
    retry: NOTICE_RETRY,
    // But a request's card is the only place it can be decided, and an alert's or a rerun's message the only place
    // its state is told: one never posted, or left saying what is no longer so, is tried again later (CARD_RETRY).
    resumeAt: (ctx, failure) => cardRetryAt(ctx, failure),
  });
  // The types added since the first under a kind of their own (see NOTICE_JOB_2), by the same handler.
  return { [NOTICE_JOB]: kind, [NOTICE_JOB_2]: kind };
}

/**
 * A request's card that could not be posted (Slack down for longer than its retries, the bot not yet invited to the
 * channel, the store not answering): tried again after as long as it has waited so far, 10 minutes to 6 hours, for
 * a week; a change to the request meanwhile brings it forward. Until it is posted nobody can decide the request, and
 * its requester cannot ask again. Not an edit of a card already posted (`card_edit_failed`: the next change edits
 * it), nor one that kept stopping its process (`job_never_finished`). So too an alert's and a rerun's message,
 * posts and edits both (`state_edit_failed`): they alone say the alert or the rerun as it is; not an edit Slack
 * refuses for good (`state_edit_refused`: the message deleted, say). And, while Slack refuses the app's token (until
 * it is reinstalled), a card's edit (its next change would be refused too) and a recovery's reply in its alert's thread.
 */
const CARD_RETRY = { minMs: 10 * 60_000, maxMs: 6 * 3_600_000, forMs: 7 * 24 * 3_600_000 } as const;

const NOTICE_RETRY = { maxAttempts: 8, baseMs: 1_000, maxMs: 2 * 60_000 } as const;

/** The edit of a message already posted failed. Retried as the failure would be. */
class CardEditError extends CodedError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(cause: unknown, readonly code: 'card_edit_failed' | 'state_edit_failed' | 'state_edit_refused' = 'card_edit_failed') {
    super(toCodedError(cause).message, { cause });
    // As the runner would have read the cause itself.
    const failure = classify(cause);
    this.retryable = failure.retryable;
    this.retryAfterMs = failure.retryAfterMs;
  }
}

/**
 * Throws a failed edit coded for `resumeAt` (a deferral, the channel's turn, is no failure). A request's card
 * (`card`) is edited again by its next change. An alert's or a rerun's message (`state`) may have none to come (a
 * rerun's last edit is its end): it is tried again later, while a retry may work (`state_edit_refused`: not).
 */
function editFailed(of: 'card' | 'state') {
  return (err: unknown): never => {
    if (err instanceof DeferJob) throw err;
    // The app's token refused is no refusal of this message: once the token works again (reinstalled), so does the edit.
    // A card's next change would find the token refused too: its edit is tried again later, as a state's is.
    if (tokenRefused(err)) throw new CardEditError(err, 'state_edit_failed');
    throw new CardEditError(err, of === 'card' ? 'card_edit_failed' : classify(err).retryable ? 'state_edit_failed' : 'state_edit_refused');
  };
}

/** The DM that a request's card could not be posted (yet): once, under a key of its own. */
function unposted(dm: Notice): JobSpec {
  const spec = noticeJob(dm);
  return { ...spec, key: jobKey(spec.key, UNPOSTED) };
}

/** Whether this DM job is the one saying a card could not be posted (see `unposted`). */
function isUnposted(ctx: Ctx): boolean {
  return ctx.key.endsWith(`:${UNPOSTED}`);
}

const UNPOSTED = 'unposted';

function cardRetryAt(ctx: Ctx, failure: JobFailure): Date | undefined {
  const type = (ctx.payload as Notice).type;
  // A recovery's reply too, when it was the app's token Slack refused (see alertReply): else, as any notice.
  if (type === 'freshness.recovered' && failure.code !== 'state_edit_failed') return undefined;
  if (type !== 'looker.card' && type !== 'pipeline_request.card' && type !== 'freshness.alert' && type !== 'rerun.message' && type !== 'freshness.recovered') return undefined;
  if (failure.code === 'card_edit_failed' || failure.code === 'job_never_finished' || ctx.attempt > NOTICE_RETRY.maxAttempts) return undefined;
  // A message Slack will not let be edited (deleted, its channel archived) stays as it is.
  if (failure.code === 'state_edit_refused') return undefined;
  const now = ctx.now().getTime();
  const waited = now - ctx.createdAt;
  return waited < CARD_RETRY.forMs ? new Date(now + Math.min(CARD_RETRY.maxMs, Math.max(CARD_RETRY.minMs, waited))) : undefined;
}

/** How often a superseded alert's note looks whether its run has ended, should nothing wake it (a run that ended without a record). */
const SUPERSEDED_POLL_MS = 15_000;

class NoticeDelivery {
  private readonly now: () => Date;

  constructor(private readonly deps: NoticeDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async run(ctx: Ctx): Promise<JobOutcome> {
    const n = ctx.payload as Notice;
    switch (n.type) {
      case 'looker.card': return this.lookerCard(ctx, n.requestId);
      case 'looker.dm': return this.lookerDm(ctx, n);
      case 'looker.thread': return this.lookerThread(ctx, n);
      case 'looker.refused': return this.dm(ctx, n.to, lookerSubmissionRefusedDm(n.reason, n.refs ?? []));
      case 'pipeline_request.card': return this.pipelineCard(ctx, n.requestId);
      case 'pipeline_request.dm': return this.pipelineDm(ctx, n);
      case 'freshness.alert': return this.alert(ctx, n);
      case 'freshness.reminder': return this.alertReply(ctx, n.sourceId, n.episode, 'reminder', n);
      case 'freshness.recovered': return this.alertReply(ctx, n.sourceId, n.episode, 'recovered');
      case 'rerun.message': return this.rerun(ctx, n.runKey);
      case 'rerun.asked': return this.rerunAsked(ctx, n);
      case 'rerun.ask_failed': {
        const source = this.deps.freshness.catalog.sources.find((s) => s.id === n.sourceId);
        const channel = this.deps.freshness.reruns.channel ?? null;
        if (channel && n.threadTs !== undefined && (await this.askPosted(ctx, channel, n.threadTs, n))) return {};
        return this.dm(ctx, n.userId, rerunAskFailedDm(source?.name ?? n.sourceId, channel));
      }
      case 'subscription.failed': {
        const sub = await this.deps.subscriptions.get(n.subscriptionId);
        return sub ? this.dm(ctx, sub.owner, subscriptionFailedDm(sub, this.deps.queryTitle(sub.query), n.paused, n.run ? { ...n.run, dueAt: n.dueAt } : undefined, { now: this.now(), graceMs: this.deps.subscriptions.limits.graceMs })) : {};
      }
      case 'subscription.alert_closed': {
        const sub = await this.deps.subscriptions.get(n.subscriptionId);
        await this.post(ctx, { channel: n.channel, threadTs: n.ts }, alertClosedMessage(sub, n.by, { resolving: n.resolving === true }), ctx.key);
        return {};
      }
      case 'subscription.alert_superseded': {
        // The run may still post it (a retry to come, or running now): looked for once it has ended (within a minute;
        // at once when it ends recording the old check's alert, which wakes this).
        if (await this.deps.subscriptions.runPending(n.run)) return { again: new Date(ctx.now().getTime() + SUPERSEDED_POLL_MS) };
        const fired = await this.deps.gateway.findPosted({ channel: n.channel }, n.post, n.since, n.tag);
        if (!fired) return {};
        const sub = await this.deps.subscriptions.get(n.subscriptionId);
        // Taken as its own by a retry under the same check again (edited, then edited back): the alert that stands.
        if (sub?.firedMessage?.ts === fired.ts) return {};
        // Told already by the run's record (one of an older version, in a rolling deploy, asks for that note itself).
        if (await this.deps.subscriptions.closingAsked(n.subscriptionId, fired.ts)) return {};
        await this.post(ctx, { channel: fired.channel, threadTs: fired.ts }, alertClosedMessage(sub, n.by), ctx.key);
        return {};
      }
      case 'subscription.changed': {
        // As it now is where it still exists (an edit's new schedule; a Manage that works), else as it was.
        const now = n.change === 'deleted' ? null : await this.deps.subscriptions.get(n.subscriptionId);
        const was = n.was as unknown as Subscription;
        return this.dm(ctx, was.owner, subscriptionChangedDm(n.change, n.by, now ?? was, this.deps.queryTitle(was.query), { exists: Boolean(now) }));
      }
    }
  }

  /** What to record when a notice gave up: where someone should hear of it instead. */
  gaveUp(ctx: Ctx): JobCommit | undefined {
    const n = ctx.payload as Notice;
    // A card that could not be posted: the requester still hears the request is recorded (the DM says it is not in the channel).
    // Keyed apart from the DM its first post sends, so that a card posted later (CARD_RETRY) still says where it is.
    // Once, marked on the request: a card tried for a week gives up more than once, and the DM's own finished job,
    // kept a week, may be gone by its last give-up.
    const at = ctx.now().toISOString();
    if (n.type === 'looker.card') {
      return async (tx, enqueue) => {
        const r = (await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, n.requestId))?.data;
        if (!r || r.ts || r.status !== 'pending' || r.unpostedToldAt) return;
        for (const dm of this.deps.lookerAccess.sentDms(r)) await enqueue(unposted(dm));
        tx.put<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, n.requestId, { ...r, unpostedToldAt: at });
      };
    }
    if (n.type === 'pipeline_request.card') {
      return async (tx, enqueue) => {
        const r = (await tx.get<PipelineRequest & StoreDoc>(PIPELINE_REQUESTS, n.requestId))?.data;
        if (!r || r.message || r.status !== 'open' || r.unpostedToldAt) return;
        await enqueue(unposted({ type: 'pipeline_request.dm', requestId: n.requestId, to: r.requester, about: 'received' }));
        tx.put<PipelineRequest & StoreDoc>(PIPELINE_REQUESTS, n.requestId, { ...r, unpostedToldAt: at });
      };
    }
    // An ask to BizOps that never reached the channel: its asker was told "I asked BizOps", and hears otherwise now.
    if (n.type === 'rerun.asked') {
      return async (tx, enqueue) => {
        const { threadTs } = await forgetAsk(tx, n.sourceId, n.userId, n.at);
        await enqueue(noticeJob({ type: 'rerun.ask_failed', sourceId: n.sourceId, userId: n.userId, at: n.at, ...(threadTs !== undefined ? { threadTs } : {}) }));
      };
    }
    return undefined;
  }

  // ---- Looker access ----

  private async lookerCard(ctx: Ctx, id: string): Promise<JobOutcome> {
    const la = this.deps.lookerAccess;
    const r = await la.get(id);
    if (!r) return {};
    const content = lookerRequestCard(r, { adminsUsergroup: la.adminsUsergroup, lookerConnected: la.lookerConnected, lookerUrl: la.lookerUrl });
    if (r.channel && r.ts) {
      await this.deps.gateway.update({ channel: r.channel, ts: r.ts }, content, ctx.createdAt).catch(editFailed('card'));
      return {};
    }
    const channel = la.analyticsChannel;
    if (!channel) return {};
    const posted = await this.post(ctx, { channel }, content, `looker.card:${id}`);
    return {
      commit: async (tx, enqueue) => {
        await la.recordCard(tx, id, posted);
        // First post of a request still waiting: the requester hears where it is.
        if (r.status === 'pending') for (const dm of la.sentDms({ ...r, ...posted })) await enqueue(noticeJob(dm));
      },
    };
  }

  private async lookerDm(ctx: Ctx, n: Extract<Notice, { type: 'looker.dm' }>): Promise<JobOutcome> {
    const la = this.deps.lookerAccess;
    const r = await la.get(n.requestId);
    if (!r) return {};
    const lookerUrl = la.lookerUrl;
    let content: MessageBody;
    switch (n.about) {
      case 'sent':
      case 'sent_for_subject':
        // "Not posted yet", once the card is up after all: the DM its post sends says where it is.
        if (isUnposted(ctx) && r.ts) return {};
        // Decided before this DM could go out (it failed, and was retried): the decision's DM has told them, and
        // "the admins will decide" after it would say the opposite.
        if (r.status !== 'pending') return {};
        content = lookerRequestSentDm(r, { channel: r.channel ?? la.analyticsChannel, posted: Boolean(r.ts), forSubject: n.about === 'sent_for_subject' });
        break;
      case 'granted_now': content = lookerGrantedNowDm(r, { lookerUrl }); break;
      case 'decided': content = lookerDecidedDm(r, { lookerUrl, to: n.to }); break;
      case 'grant_failed': content = r.decidedBy === 'bot' ? lookerGrantedNowDm(r, { lookerUrl }) : lookerDecidedDm(r, { lookerUrl, to: n.to }); break;
      case 'reminder': content = lookerReminderDm(r); break;
      case 'expired': content = lookerExpiredDm(r); break;
    }
    return this.dm(ctx, n.to, content);
  }

  private async lookerThread(ctx: Ctx, n: Extract<Notice, { type: 'looker.thread' }>): Promise<JobOutcome> {
    const la = this.deps.lookerAccess;
    const r = await la.get(n.requestId);
    if (!r?.channel || !r.ts) return {};
    const content =
      n.about === 'expired'
        ? lookerExpiredThreadMessage(r, { manual: r.revokedRoleIds === null, adminsUsergroup: la.adminsUsergroup })
        : lookerGrantFailedThreadMessage(r, { adminsUsergroup: la.adminsUsergroup });
    await this.post(ctx, { channel: r.channel, threadTs: r.ts }, content, ctx.key);
    return {};
  }

  // ---- pipeline requests ----

  private async pipelineCard(ctx: Ctx, id: string): Promise<JobOutcome> {
    const prs = this.deps.pipelineRequests;
    const r = await prs.get(id);
    if (!r) return {};
    const content = pipelineRequestCard(r);
    if (r.message) {
      await this.deps.gateway.update(r.message, content, ctx.createdAt).catch(editFailed('card'));
      return {};
    }
    const channel = prs.analyticsChannel;
    if (!channel) return {};
    const posted = await this.post(ctx, { channel }, content, `pipeline_request.card:${id}`);
    return {
      commit: async (tx, enqueue) => {
        // As it is now, not as it was read before the post: decided meanwhile, the decision's DM tells the requester.
        const now = await prs.recordCard(tx, id, posted);
        if (now?.status === 'open') await enqueue(noticeJob({ type: 'pipeline_request.dm', requestId: id, to: r.requester, about: 'received' }));
      },
    };
  }

  private async pipelineDm(ctx: Ctx, n: Extract<Notice, { type: 'pipeline_request.dm' }>): Promise<JobOutcome> {
    const r = await this.deps.pipelineRequests.get(n.requestId);
    if (!r) return {};
    if (n.about === 'decided') return this.dm(ctx, n.to, pipelineRequestDecisionDm(r));
    // An acceptance not yet told when the request went live or was declined is not told now: that decision has its
    // own DM, and "accepted… I'll tell you when it is live" after (or instead of) it would say the opposite.
    if (n.about === 'accepted' && r.status !== 'accepted') return {};
    // The decision this DM tells of (live and declined are final: nothing comes after them).
    if (n.about !== 'received') return this.dm(ctx, n.to, pipelineRequestDecisionDm({ ...r, status: n.about }));
    if (isUnposted(ctx) && r.message) return {};
    // Decided before this DM could go out (it failed, and was retried): "BizOps will accept or decline it" after the
    // decision's DM would say the opposite.
    if (r.status !== 'open') return {};
    const permalink = r.message ? await this.deps.gateway.permalink(r.message) : null;
    return this.dm(ctx, n.to, pipelineRequestReceivedDm(r, r.message ? { channel: r.message.channel, ...(permalink ? { permalink } : {}) } : null));
  }

  // ---- freshness alerts ----

  private async alert(ctx: Ctx, n: Extract<Notice, { type: 'freshness.alert' }>): Promise<JobOutcome> {
    const { alerts, catalog } = this.deps.freshness;
    // The episode's own state: an earlier episode's message still gets its last edit after the source went stale again.
    const doc = await alerts.episode(n.sourceId, n.episode);
    const source = catalog.sources.find((s) => s.id === n.sourceId);
    // Recovered, and taken out of the sources file before its card was edited (a deploy that killed the process that
    // recorded the recovery): the card still says it recovered, rather than stay stale with its buttons for good.
    const recoveredGone = Boolean(doc && !source && !doc.removedAt && doc.state === 'closed' && doc.recoveredAt !== null);
    if (!doc || (!source && !doc.removedAt && !recoveredGone)) return {};
    // Taken out of the sources file while open (whatever this replica's file says: a deploy may be rolling out): its
    // card says so and loses its buttons; one posted whose post was not recorded is found and said so too; none is posted.
    if (doc.removedAt || !source) {
      const name = doc.sourceName ?? source?.name ?? n.sourceId;
      const removed = recoveredGone ? freshnessAlertRecoveredMessage(name, doc) : freshnessAlertRemovedMessage(name, doc);
      if (doc.channel && doc.ts) {
        await this.deps.gateway.update({ channel: doc.channel, ts: doc.ts }, removed, ctx.createdAt).catch(editFailed('state'));
        return {};
      }
      const channel = alerts.channel;
      const found = channel ? await this.adopted(ctx, { channel }, removed, alertKey(n.sourceId, n.episode), this.lookSince(ctx, doc.openedAt)) : null;
      return found ? { commit: (tx: StoreTx) => alerts.recordPosted(tx, n.sourceId, n.episode, found) } : {};
    }
    const content = freshnessAlertMessage(source, { doc, now: this.now() });
    if (doc.channel && doc.ts) {
      await this.deps.gateway.update({ channel: doc.channel, ts: doc.ts }, content, ctx.createdAt).catch(editFailed('state'));
      return {};
    }
    const channel = alerts.channel;
    if (!channel) return {};
    // Recovered before its post was recorded: a post found says so now (and gets its reply); none, nothing to say.
    const key = alertKey(n.sourceId, n.episode);
    const since = this.lookSince(ctx, doc.openedAt);
    const posted = (await this.adopted(ctx, { channel }, content, key, since)) ?? (doc.state === 'open' ? await this.deps.gateway.postOnce({ channel }, content, { key, mayExist: false, since }) : null);
    return posted ? { commit: (tx: StoreTx) => alerts.recordPosted(tx, n.sourceId, n.episode, posted) } : {};
  }

  private async alertReply(ctx: Ctx, sourceId: string, episode: number, about: 'reminder' | 'recovered', reminder?: Extract<Notice, { type: 'freshness.reminder' }>): Promise<JobOutcome> {
    const { alerts, catalog } = this.deps.freshness;
    const doc = await alerts.episode(sourceId, episode);
    const source = catalog.sources.find((s) => s.id === sourceId);
    // A recovery's reply still goes once its source is taken out of the sources file (by the name the alert kept).
    if (!doc || (!source && about === 'reminder')) return {};
    if (!doc.channel || !doc.ts) {
      // Recovered while the alert was being posted: reply once the post is recorded (after the posting job's next go,
      // when it waits to try again); nothing to reply to if it never was.
      const pendingAt = about === 'recovered' ? await alerts.postPendingAt(sourceId, episode) : null;
      if (pendingAt !== null) throw new DeferJob(Math.max(ctx.now().getTime(), pendingAt) + ALERT_POST_WAIT_MS);
      return {};
    }
    let content: MessageBody;
    if (about === 'reminder') {
      if (doc.state !== 'open' || !reminder || !source) return {};
      const lastUpdated = reminder.lastUpdated ? new Date(reminder.lastUpdated) : null;
      content = freshnessReminderReply(snapshot(source, { dataState: 'stale', lastUpdated, lateByMs: reminder.lateByMs, checkedAt: new Date(ctx.createdAt) }));
    } else {
      const lastUpdated = doc.recoveredLastUpdateIso ? new Date(doc.recoveredLastUpdateIso) : null;
      content = freshnessRecoveredReply(source?.name ?? doc.sourceName ?? sourceId, { lastUpdated, checkedAt: new Date(doc.recoveredAt ?? ctx.createdAt) }, doc, ctx.now());
    }
    await this.post(ctx, { channel: doc.channel, threadTs: doc.ts }, content, ctx.key).catch((err: unknown) => {
      // The thread's only word that the source is fresh again (its card says so too, and is tried again the same way):
      // posted once the token works again. A reminder is not: the next one, or the recovery, says more.
      if (about === 'recovered' && tokenRefused(err)) throw new CardEditError(err, 'state_edit_failed');
      throw err;
    });
    return {};
  }

  // ---- reruns ----

  private async rerun(ctx: Ctx, runKey: string): Promise<JobOutcome> {
    const { reruns, catalog } = this.deps.freshness;
    const doc = await reruns.get(runKey);
    // Taken out of the sources file since: as the rerun kept it, so its message still gets to its end.
    const source = doc ? catalog.sources.find((s) => s.id === doc.sourceId) ?? (doc.source ? { id: doc.sourceId, ...doc.source } : undefined) : undefined;
    if (!doc || !source) return {};
    const listed = catalog.sources.some((s) => s.id === doc.sourceId);
    const content = rerunMessage({
      source,
      requestedBy: doc.requestedBy,
      force: doc.force,
      phase: doc.phase,
      startedAt: new Date(doc.startedAt),
      ...(doc.finishedAt ? { finishedAt: new Date(doc.finishedAt) } : {}),
      ...(doc.error ? { error: doc.error } : {}),
      ...(doc.rescheduledFor ? { rescheduledFor: doc.rescheduledFor } : {}),
      ...(doc.rescheduledOnlyIfAsked ? { rescheduledOnlyIfAsked: true } : {}),
      // Force rerun of a source no longer listed could only be refused.
      offerForce: doc.offerForce && listed,
      ...(doc.after ? { after: { dataState: doc.after.dataState, lastUpdated: doc.after.lastUpdated ? new Date(doc.after.lastUpdated) : null, problem: doc.after.problem } } : {}),
      runner: reruns.runnerName(source),
    });
    if (doc.channel && doc.ts) {
      await this.deps.gateway.update({ channel: doc.channel, ts: doc.ts }, content, ctx.createdAt).catch(editFailed('state'));
      return {};
    }
    const channel = reruns.channel;
    if (!channel) return {};
    const threadTs = await reruns.threadOf(runKey, () => this.alertCard(source.id, channel, Date.parse(doc.startedAt)));
    const key = `rerun.message:${runKey}`;
    const since = this.lookSince(ctx, Date.parse(doc.startedAt));
    const posted = (await this.adopted(ctx, { channel, threadTs }, content, key, since)) ?? (await this.deps.gateway.postOnce({ channel, threadTs }, content, { key, mayExist: false, since }));
    const link = await this.deps.gateway.permalink(posted);
    return { commit: (tx: StoreTx) => reruns.recordMessage(tx, runKey, { ...posted, link }) };
  }

  private async rerunAsked(ctx: Ctx, n: Extract<Notice, { type: 'rerun.asked' }>): Promise<JobOutcome> {
    const { reruns, catalog, freshness } = this.deps.freshness;
    const source = catalog.sources.find((s) => s.id === n.sourceId);
    const channel = reruns.channel;
    if (!source || !channel) return {};
    // The thread of the alert open when it was asked, not of the alert as it is now, chosen once: a retry after a
    // lost answer looks for its post where the first attempt put it, whatever the alert has done since.
    const choose = async () => (await this.alertCard(source.id, channel, Date.parse(n.at)))?.ts ?? null;
    const [threadTs, state] = await Promise.all([reruns.askThreadOf(source.id, n.userId, n.at, choose), freshness.checkSource(source).catch(() => undefined)]);
    await this.post(ctx, { channel, threadTs }, rerunRequestPost(source, n.userId, reruns.bizopsUsergroup ?? undefined, state), ctx.key);
    return {};
  }

  /**
   * Whether an ask whose job gave up is in Slack after all: posted, its answer lost, and every look for it since
   * failed. A look Slack fails is tried again while this job has attempts left; on its last, the person is told.
   */
  private async askPosted(ctx: Ctx, channel: string, threadTs: string | null, n: { sourceId: string; userId: string; at: string }): Promise<boolean> {
    const key = noticeJob({ type: 'rerun.asked', sourceId: n.sourceId, userId: n.userId, at: n.at }).key;
    const found = await this.deps.gateway.findPosted({ channel, threadTs }, key, Date.parse(n.at)).catch((err: unknown) => {
      if (ctx.attempt < NOTICE_RETRY.maxAttempts) throw err;
      return null;
    });
    if (found) this.deps.logger.info('an ask of BizOps that gave up is in Slack after all; not telling its asker otherwise', { source: n.sourceId, ts: found.ts });
    return found !== null;
  }

  /**
   * The card in `channel` of the alert episode open at `at` (see alertEpisodeAt), for a thread; null: the channel
   * itself. An episode whose post is not recorded yet (Slack took it, its answer was lost) is looked for in Slack,
   * so what follows it goes in the thread of the card people see and click, not beside it.
   */
  private async alertCard(sourceId: string, channel: string, at: number): Promise<{ ts: string; episode: number } | null> {
    const episode = alertEpisodeAt(await this.deps.freshness.alerts.get(sourceId), at);
    if (!episode) return null;
    if (episode.ts) return episode.channel === channel ? { ts: episode.ts, episode: episode.episode } : null;
    const found = await this.deps.gateway.findPosted({ channel }, alertKey(sourceId, episode.episode), episode.openedAt ?? at);
    return found ? { ts: found.ts, episode: episode.episode } : null;
  }

  // ---- sending ----

  private async dm(ctx: Ctx, userId: string, content: MessageBody): Promise<JobOutcome> {
    await this.post(ctx, { channel: userId }, content, ctx.key);
    return {};
  }

  /** From when to look for a record's message: the record's own time, or the job's if that is earlier. */
  private lookSince(ctx: Ctx, recordAt: number | null): number {
    return Math.min(recordAt ?? ctx.createdAt, ctx.createdAt);
  }

  /**
   * The message of a record not yet marked posted (an alert's, a rerun's) that an earlier attempt posted, found in
   * Slack and brought up to date; null if there is none. Every attempt looks, from the record's own time (`since`):
   * the job may have been run afresh after an earlier one gave up or stopped its process, its attempts and enqueue
   * time started over, or the record changed meanwhile (a recovery, a click on the card Slack shows).
   */
  private async adopted(ctx: Ctx, target: { channel: string; threadTs?: string | null }, content: MessageBody, messageKey: string, since: number): Promise<Posted | null> {
    const found = await this.deps.gateway.findPosted(target, messageKey, since);
    if (found) {
      this.deps.logger.info('found the message an earlier attempt posted; bringing it up to date', { key: messageKey, ts: found.ts });
      await this.deps.gateway.update(found, content, ctx.createdAt).catch((err: unknown) => {
        // Recorded even so, if Slack will never take the edit: the message is there, for its replies and links.
        if (err instanceof DeferJob || classify(err).retryable || tokenRefused(err)) editFailed('state')(err);
        this.deps.logger.warn('Slack refused to bring the message an earlier attempt posted up to date; recording it as it is', { key: messageKey, code: toCodedError(err).code });
      });
    }
    return found;
  }

  /** Posts once per `messageKey`; a repeated attempt first looks for what an earlier one posted. */
  private post(ctx: Ctx, target: { channel: string; threadTs?: string | null }, content: MessageBody, messageKey: string): Promise<Posted> {
    return this.deps.gateway.postOnce(target, content, { key: messageKey, mayExist: isRepeat(ctx), since: ctx.createdAt });
  }
}

/**
 * The alert episode a rerun started (or an ask made) at `startedAt` belongs
 * under: the one (this or the one before) that was open then. Decided from
 * that time, not from the alert as it is now, so a retry after a lost answer
 * looks for its message where the first attempt posted it, even if the source
 * has recovered or gone stale again since.
 */
function alertEpisodeAt(alert: AlertDoc | null, startedAt: number): AlertDoc | null {
  for (const a of [alert, alert?.previous]) {
    if (!a || a.openedAt === null || a.openedAt > startedAt) continue;
    if (a.state === 'open' || (a.recoveredAt !== null && a.recoveredAt >= startedAt)) return a;
  }
  return null;
}

/**
 * A later attempt, or a job run again later (a card tried again after giving up: its attempts start over): an earlier
 * one may have posted. A go put back for its channel's turn (or for a look Slack rate-limited) posted nothing: run
 * again, it is as much a repeat as the go it was put back from, no more. Looking at every turn made each of a busy
 * channel's waiting notices read its history again at each (Slack's Tier 3, about 50 a minute): 3,375
 * conversations.history calls for 200 cards due at once, 1,888 conversations.replies for 200 grants expiring together.
 */
function isRepeat(ctx: Ctx): boolean {
  return ctx.attempt > 1 || (ctx.putBackFrom ?? ctx.dueAt) > ctx.createdAt;
}

/** The key an alert episode's message is posted with, to find it in Slack. */
function alertKey(sourceId: string, episode: number): string {
  return `freshness.alert:${sourceId}:${episode}`;
}

/** A freshness result rebuilt from what a notice stored, for the views that take one. */
function snapshot(source: SourceFreshness['source'], s: Pick<SourceFreshness, 'dataState' | 'lastUpdated' | 'lateByMs' | 'checkedAt'>): SourceFreshness {
  return { source, ...s, state: s.dataState, dueAt: null };
}

export type { JobSpec };
