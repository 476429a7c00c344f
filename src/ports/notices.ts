/**
 * Notices: the messages the core asks to be delivered, as data. A use case
 * records a notice as a job in the same transaction as the decision it
 * follows from; the Slack adapter (src/slack/notices.ts) renders it from the
 * stored records at the time it runs, and sends it once.
 *
 * Cards and alerts are brought up to date (post once, then edit in place at
 * their stored ts); DMs and thread replies are sent once per key.
 */
import { jobKey, type JobSpec } from '../jobs/model.js';

export const NOTICE_JOB = 'notice';
/**
 * The job kind of notice types added since the first (see {@link LATER_NOTICES}), delivered by the same handler:
 * a replica of an older version has no handler for it, so it leaves such a job to one that has (the runner sets
 * a job of an unknown kind aside) instead of running it as a `notice` of a type it does not know, and ending it
 * with nothing sent. A type added later still goes here, under a kind named anew (`notice.3`).
 */
export const NOTICE_JOB_2 = 'notice.2';

/**
 * The notice types delivered as {@link NOTICE_JOB_2}: every type the release of 2026-12-01 did not know (it ran an
 * unknown type as nothing, and finished the job), not only those added since `notice.2` was.
 */
const LATER_NOTICES: ReadonlySet<Notice['type']> = new Set(['subscription.alert_superseded', 'rerun.ask_failed', 'subscription.changed', 'subscription.alert_closed']);

/**
 * A notice of a type that release knew, but with an `about` or `reason` it did not: it sent another message in
 * its place (a pipeline request's "received" DM for "accepted", "the person could not be found" for "the same
 * request is already waiting"), so it goes as {@link NOTICE_JOB_2} too.
 */
function laterVariant(notice: Notice): boolean {
  if (notice.type === 'pipeline_request.dm') return notice.about !== 'received' && notice.about !== 'decided';
  if (notice.type === 'looker.refused') return notice.reason !== 'unknown_subject' && notice.reason !== 'bot_subject';
  return false;
}

export type LookerDmAbout = 'sent' | 'sent_for_subject' | 'decided' | 'granted_now' | 'reminder' | 'expired' | 'grant_failed';
/**
 * A pipeline request's DM: 'received', or the decision it tells of. Each decision
 * has its own DM (and key): accepted, then live, is two DMs. 'decided' is the
 * older, single kind (stored jobs may still hold it): it tells the current state.
 */
export type PipelineRequestDmAbout = 'received' | 'accepted' | 'declined' | 'live' | 'decided';
/** Why a Looker access submission did not become a request. */
export type SubmissionRefusal = 'unknown_subject' | 'bot_subject' | 'requester_email' | 'already_pending' | 'too_many_pending';

export type Notice =
  /** The Looker access request's card in the channel: posted, then edited to the request's state. */
  | { type: 'looker.card'; requestId: string }
  | { type: 'looker.dm'; requestId: string; to: string; about: LookerDmAbout }
  /** A reply in the card's thread: access expired (what was taken back, or what to remove by hand), or the grant failed (admins are asked to grant by hand). */
  | { type: 'looker.thread'; requestId: string; about: 'expired' | 'grant_failed' }
  /** A submission that could not become a request (the person is unknown to Slack or a bot; the same request or too many already wait: `refs`). */
  | { type: 'looker.refused'; to: string; reason: SubmissionRefusal; viewId: string; refs?: string[] }
  | { type: 'pipeline_request.card'; requestId: string }
  | { type: 'pipeline_request.dm'; requestId: string; to: string; about: PipelineRequestDmAbout }
  /** A source's freshness alert: posted when it opens, edited as it is snoozed, acknowledged, rerun, recovered. */
  | { type: 'freshness.alert'; sourceId: string; episode: number }
  | { type: 'freshness.reminder'; sourceId: string; episode: number; lateByMs: number; lastUpdated: string | null }
  | { type: 'freshness.recovered'; sourceId: string; episode: number }
  /** The one message that follows a rerun. */
  | { type: 'rerun.message'; runKey: string }
  /** Someone outside BizOps asks BizOps for a rerun. */
  | { type: 'rerun.asked'; sourceId: string; userId: string; at: string }
  /**
   * That ask could not be posted (Slack refused it, or kept failing): the person who asked is told, by DM.
   * `threadTs`: where its attempts posted it (null: the channel), when one got that far; it is looked for there
   * first, as one whose answer was lost may be in Slack after all. Absent in notices recorded before it was kept.
   */
  | { type: 'rerun.ask_failed'; sourceId: string; userId: string; at: string; threadTs?: string | null }
  /** A scheduled delivery or alert failed a run (and maybe paused itself): its owner is told, once per run. */
  | { type: 'subscription.failed'; subscriptionId: string; dueAt: number; paused: boolean; run?: FailedRun }
  /** Someone else (BizOps) paused, resumed, changed or deleted a subscription: its owner is told, once per change. */
  | { type: 'subscription.changed'; subscriptionId: string; by: string; change: SubscriptionChange; at: number; was: ChangedSubscription }
  /** An alert that had gone off (its message `channel`/`ts`) was edited to watch something else: said in its thread. */
  | { type: 'subscription.alert_closed'; subscriptionId: string; channel: string; ts: string; by: string; /** A run of the old check was posting its Resolved as the edit was saved: that one may still come. */ resolving?: boolean }
  /**
   * An alert's condition was edited while a run of the old check held its claim to go off (`run`, the run's job):
   * once that run has ended, its post (`post`, the key it carries, and `tag`, the old check's; in `channel` from `since`), if made, is
   * told in its thread that it is closed, as `subscription.alert_closed` tells an alert on record.
   */
  | { type: 'subscription.alert_superseded'; subscriptionId: string; channel: string; post: string; tag?: string; run: string; since: number; by: string };

/** What was done to someone's subscription by another. */
export type SubscriptionChange = 'paused' | 'resumed' | 'edited' | 'deleted';

/**
 * The subscription as the change left it (as it was, for a deletion), as plain data: what the DM names when
 * the subscription is gone by the time it is sent. A whole Subscription (services/subscriptions.ts writes it);
 * typed loosely here, as ports know no services.
 */
export type ChangedSubscription = Record<string, unknown> & { id: string; owner: string };

/** The failed run as it was recorded, for the DM: the subscription may have run again (or been edited) before the DM goes. */
export interface FailedRun {
  manual: boolean;
  message: string;
  /** Failed runs in a row, this one included. */
  failures: number;
  /** It cannot run as it is (its query, the column it watches or its values are gone): paused at once. */
  needsEdit?: boolean;
}

/** The job that delivers a notice (its key makes it once-only, or coalesced for cards and alerts). */
export function noticeJob(notice: Notice, options: { runAt?: number } = {}): JobSpec {
  const base = { kind: LATER_NOTICES.has(notice.type) || laterVariant(notice) ? NOTICE_JOB_2 : NOTICE_JOB, payload: notice as unknown as JobSpec['payload'], ...(options.runAt !== undefined ? { runAt: options.runAt } : {}) };
  switch (notice.type) {
    case 'looker.card':
      return { ...base, key: jobKey('notice', notice.type, notice.requestId), coalesce: true };
    case 'looker.dm':
      return { ...base, key: jobKey('notice', notice.type, notice.requestId, notice.about, notice.to) };
    case 'looker.thread':
      return { ...base, key: jobKey('notice', notice.type, notice.requestId, notice.about) };
    case 'looker.refused':
      return { ...base, key: jobKey('notice', notice.type, notice.viewId) };
    case 'pipeline_request.card':
      return { ...base, key: jobKey('notice', notice.type, notice.requestId), coalesce: true };
    case 'pipeline_request.dm':
      return { ...base, key: jobKey('notice', notice.type, notice.requestId, notice.about, notice.to) };
    case 'freshness.alert':
      return { ...base, key: jobKey('notice', notice.type, notice.sourceId, notice.episode), coalesce: true };
    case 'freshness.reminder':
      return { ...base, key: jobKey('notice', notice.type, notice.sourceId, notice.episode, notice.lateByMs) };
    case 'freshness.recovered':
      return { ...base, key: jobKey('notice', notice.type, notice.sourceId, notice.episode) };
    case 'rerun.message':
      return { ...base, key: jobKey('notice', notice.type, notice.runKey), coalesce: true };
    case 'rerun.asked':
    case 'rerun.ask_failed':
      return { ...base, key: jobKey('notice', notice.type, notice.sourceId, notice.userId, notice.at) };
    case 'subscription.failed':
      return { ...base, key: jobKey('notice', notice.type, notice.subscriptionId, notice.dueAt) };
    case 'subscription.alert_closed':
      return { ...base, key: alertClosedKey(notice.subscriptionId, notice.ts) };
    case 'subscription.alert_superseded':
      return { ...base, key: alertSupersededKey(notice.subscriptionId, notice.post, notice.tag) };
    case 'subscription.changed':
      // One deletion per subscription; the other changes may come again (paused, resumed, paused).
      return { ...base, key: notice.change === 'deleted' ? jobKey('notice', notice.type, notice.subscriptionId, notice.change) : jobKey('notice', notice.type, notice.subscriptionId, notice.change, notice.at) };
  }
}

/** The job of the `subscription.alert_closed` notice for the alert posted as `ts`: one closing note per alert. */
export function alertClosedKey(subscriptionId: string, ts: string): string {
  return jobKey('notice', 'subscription.alert_closed', subscriptionId, ts);
}

/** The job of the `subscription.alert_superseded` notice for the post `post` tagged `tag` (one per post: a run may claim again after an edit, with a new tag). */
export function alertSupersededKey(subscriptionId: string, post: string, tag?: string): string {
  return jobKey('notice', 'subscription.alert_superseded', subscriptionId, post, tag ?? '');
}
