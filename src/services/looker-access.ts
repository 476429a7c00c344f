/**
 * The `/looker-access` use case. A submission becomes a stored request; View
 * for someone asking for themselves with their own Slack email is granted at
 * once when Looker is connected; anything else waits for a Looker admin's
 * one-click decision in the channel.
 *
 * Each decision is one transaction that stores the new state, its audit
 * entry and the jobs it implies (grant in Looker, edit the card, DM people,
 * remind and expire later). The jobs run through the job runner, so nothing
 * is lost or done twice when the process dies half way.
 */
import { trimText } from '../format.js';
import { createHash, randomBytes } from 'node:crypto';
import type { LookerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { expiresIn, isExpired, type Store, type StoreTx } from '../ports/store.js';
import type { LookerAdmin, LookerRevokeResult } from '../ports/looker-admin.js';
import type { Directory, Profile } from '../ports/directory.js';
import { noticeJob, type LookerDmAbout, type Notice, type SubmissionRefusal } from '../ports/notices.js';
import { DeferJob, PermanentJobError, defineJob, type JobCommit, type JobContext, type JobKind } from '../jobs/runner.js';
import { enqueue, jobKey, type JobSpec } from '../jobs/model.js';
import { nextRecurringRun } from '../jobs/policy.js';
import {
  accessFor,
  commonRoles,
  elevatedRolesOf,
  expiryOf,
  isElevated,
  mayDecide,
  remindsBeforeEnd,
  rolesToRevoke,
  routeOf,
  sameEmail,
  type DecisionRefusal,
  type LookerLevel,
  type LookerTeam,
  type ValidLookerAccessRequest,
} from '../domain/looker-policy.js';

/** How long a grant or revoke waits for the lock on its Looker user before it defers its job. */
const LOCK_WAIT_MS = 2_000;

/** The store lease that serializes changes to one Looker user's roles (by email, in any case). */
export function lookerUserLockName(email: string): string {
  return `looker-user-${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 32)}`;
}

/** Store collection of Looker access requests (App Home reads it too). */
export const LOOKER_ACCESS_REQUESTS = 'looker_access_requests';
/** Once-keys of modal submissions (view IDs): Slack's repeated deliveries create one request. */
export const LOOKER_ACCESS_SUBMISSIONS = 'looker_access_submissions';
/** One document per requester that each of their requests reads and writes, so that forms sent at once are checked against each other. */
const LOOKER_ACCESS_CREATIONS = 'looker_access_creations';

export const LOOKER_JOBS = {
  grant: 'looker.grant',
  remind: 'looker.remind',
  expire: 'looker.expire',
  revoke: 'looker.revoke',
  sweep: 'looker.sweep',
} as const;

const DAY_MS = 86_400_000;

/**
 * Taking elevated roles back outlasts a Looker outage (a 5xx, a 429): once
 * Looker answers again the roles go within about 15 to 20 minutes (the wait,
 * spread by its jitter). After about three hours of it (20 attempts,
 * waits doubling from 2 s to 15 min) the admins are asked to remove them by
 * hand; a refusal (a 403, say) asks them at once. A job's usual six attempts
 * gave up after a minute, and a minute of Looker maintenance at the end left
 * the access in place for good. (An attempt that kills its process is also
 * run again, up to maxAttempts times: each is a read and a write to Looker.)
 */
export const REVOKE_RETRY = { maxAttempts: 20, baseMs: 2_000, maxMs: 15 * 60_000 } as const;

export type LookerAccessStatus = 'pending' | 'approved' | 'denied' | 'expired';

/** How an approval reached Looker. */
export type LookerGrantRecord = {
  /** `looker`: done through the API; `manual`: Looker is not connected, an admin grants by hand. */
  mode: 'looker' | 'manual';
  at: string;
  lookerUserId: string | null;
  createdUser: boolean;
  addedGroupIds: string[];
  addedRoleIds: string[];
  /** Looker was asked to email the account setup link (absent on grants recorded by older versions). */
  setupEmailSent?: boolean;
  /** The setup link was due but could not be sent (safe to show); the access itself was granted. */
  setupEmailError?: string | null;
};

/** What the user had before the grant touched anything: kept so a grant repeated after a crash still knows what it added. */
export type LookerGrantPlan = {
  existed: boolean;
  rolesBefore: string[];
  groupsBefore: string[];
};

/** A stored request. Dates are ISO strings; absent values are null. */
export type LookerAccessRequest = {
  id: string;
  requesterId: string;
  subjectId: string;
  email: string;
  team: LookerTeam;
  level: LookerLevel;
  reason: string | null;
  durationDays: number | null;
  status: LookerAccessStatus;
  route: 'grant_now' | 'needs_approval';
  /**
   * The Slack profile email of the person getting access, when the request was made: null when Slack shows
   * none; absent when Slack did not answer (and on requests stored before it was kept). The card warns an
   * admin when the requested email is not it: anyone can type anyone's address.
   */
  subjectSlackEmail?: string | null;
  viewId: string;
  createdAt: string;
  /**
   * The latest approval of the same access (person, email in any case, level) that the store still shows in
   * force when this request was made: the card names it for the admins. Not a refusal: the store cannot
   * say the access is still there (View never ends in it; a removal by hand in Looker, or a grant by hand
   * never done, is not seen). Absent when there was none (and on requests stored before it was kept).
   */
  earlierApproval?: { requestId: string; decidedBy: string | null; decidedAt: string | null; expiresAt: string | null };
  /** The card in the analytics channel, once posted. */
  channel: string | null;
  ts: string | null;
  /** A Slack user ID, or 'bot' for an automatic grant. */
  decidedBy: string | null;
  decidedAt: string | null;
  /** Why an admin denied it, when they said. */
  denyReason?: string | null;
  grantPlan?: LookerGrantPlan | null;
  /**
   * Elevated only: the roles the user had before the first of the elevated
   * grants for the same Looker user that overlap this one (see
   * rolesToRevoke). Set with the grant plan, and narrowed when an
   * overlapping request expires while this one still runs.
   */
  baselineRoleIds?: string[] | null;
  grant: LookerGrantRecord | null;
  /** Why the grant failed (safe to show), when it did. */
  grantError: string | null;
  /** When an admin last clicked Retry grant (epoch ms): a second click just after it retries nothing. */
  grantRetriedAt?: number;
  expiresAt: string | null;
  reminderSentAt: string | null;
  expiredAt: string | null;
  revokedRoleIds: string[] | null;
  /** Roles a revoke attempt asked Looker to remove, stored just before it did (absent until then). */
  revokeSentRoleIds?: string[];
  /** Roles left in place at expiry because another live request for the same Looker user still grants them. */
  keptRoleIds?: string[] | null;
  /** That request (the one granting them longest). */
  keptFor?: { requestId: string; until: string | null } | null;
  /** At the reminder, another approved request for the same Looker email and level that runs past this one's end (a renewal). */
  renewedBy?: { requestId: string; until: string | null } | null;
  revokeError: string | null;
  /** At expiry, Looker answered that the Looker user is not there (deleted, or hidden from the bot's API key): nothing was removed. */
  lookerUserMissing?: boolean;
  /**
   * Elevated only: the grant first ran after the access had ended (the runner was down that long), before
   * anything reached Looker or the admins: nothing was granted, and nothing is left to take back.
   */
  grantSkippedAt?: string | null;
  /** When its requester (and the person it is for) were told its card could not be posted yet: told once. */
  unpostedToldAt?: string;
};

/**
 * Why a request cannot be made while these of the requester's are waiting: the same one (same person, email,
 * team and level), or {@link MAX_PENDING_PER_REQUESTER} others. The form's own earlier delivery (`viewId`) is not one.
 */
function waitingRefusal(pending: readonly LookerAccessRequest[], request: ValidLookerAccessRequest, viewId: string): Extract<SubmitOutcome, { kind: 'refused' }> | null {
  const waiting = pending.filter((r) => r.viewId !== viewId).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  const same = waiting.filter((r) => r.subjectId === request.subjectId && r.email.toLowerCase() === request.email.toLowerCase() && r.team === request.team && r.level === request.level);
  if (same.length === 0 && waiting.length < MAX_PENDING_PER_REQUESTER) return null;
  return { kind: 'refused', reason: same.length > 0 ? 'already_pending' : 'too_many_pending', refs: (same.length > 0 ? same : waiting).map((r) => lookerRequestRef(r.id)) };
}

export type SubmitOutcome =
  | { kind: 'created'; request: LookerAccessRequest }
  | { kind: 'duplicate' }
  /** Nothing stored: the caller says so on the form while it is open, else by DM ({@link LookerAccessService.tellRefused}). */
  | { kind: 'refused'; reason: SubmissionRefusal; refs: string[] };

/** Clicks on Retry grant within this long of the last retry are one click (a double click, two admins at once). */
export const RETRY_GRANT_ONCE_MS = 3_000;

export type RetryGrantOutcome =
  | { kind: 'retrying'; request: LookerAccessRequest }
  /** Its grant is not waiting for a retry: done, already being retried, or the request has ended. */
  | { kind: 'not_failed'; request: LookerAccessRequest }
  /** Elevated access whose end has passed (its expiry has not run yet): nothing is left to grant. */
  | { kind: 'ended'; request: LookerAccessRequest }
  | Exclude<DecideOutcome, { kind: 'decided' } | { kind: 'already' }>;

export type DecideOutcome =
  | { kind: 'decided'; request: LookerAccessRequest }
  | { kind: 'not_found' }
  | { kind: 'refused'; reason: DecisionRefusal }
  | { kind: 'already'; request: LookerAccessRequest }
  /** Slack could not say who the Looker admins are, or give an admin's profile (to check the request does not name their own email). */
  | { kind: 'admin_check_failed'; about: 'admins' | 'profile' };

export interface LookerAccessServiceOptions {
  store: Store;
  looker: LookerAdmin;
  directory: Directory;
  logger: Logger;
  analyticsChannel: string | undefined;
  lookerAdminsUsergroup: string | undefined;
  /** Looker IDs and URL; undefined when Looker is not configured. */
  lookerConfig: LookerConfig | undefined;
  /** How often the sweep makes sure every elevated grant has its reminder and expiry scheduled. */
  sweepIntervalMs: number;
  /**
   * The lease of the lock per Looker user while its roles are read, merged and written (renewed every
   * third of it while held): the job lease (`JOBS_LEASE_SECONDS`), so a grant cut off by a crash goes on
   * once the lock lapses, as its job's claim does.
   */
  lockLeaseMs: number;
  /** Asks the job runner to look for due jobs now. */
  kick: () => void;
  now?: () => Date;
}

const REQUEST_ID = /^la_[a-z0-9]{6,40}$/;

/** How many requests one person may have waiting for the admins at once: each one pings them. */
export const MAX_PENDING_PER_REQUESTER = 5;

/** A short reference people can say: `LA-7QK2ZD` (the same everywhere the request is shown). */
export function lookerRequestRef(id: string): string {
  return `LA-${id.replace(/^la_/, '').slice(-6).toUpperCase()}`;
}

/**
 * Whether a person may decide this request: the one rule every Approve, Deny and Retry grant click is
 * checked against, and App Home's "Waiting on you" lists by. A Looker admin, neither the requester nor the
 * person getting access, nor the owner of the requested Looker email (`email`: the decider's Slack profile
 * email; null when Slack shows none, so only the Slack IDs are compared).
 */
export function decisionRuleFor(
  r: Pick<LookerAccessRequest, 'requesterId' | 'subjectId' | 'email'>,
  decider: { id: string; isLookerAdmin: boolean; email: string | null },
): ReturnType<typeof mayDecide> {
  return mayDecide({ deciderId: decider.id, requesterId: r.requesterId, subjectId: r.subjectId, deciderIsLookerAdmin: decider.isLookerAdmin, deciderEmail: decider.email, requestEmail: r.email });
}

/** Requests, decisions, grants and expiry of Looker access. */
export class LookerAccessService {
  private readonly now: () => Date;

  constructor(private readonly opts: LookerAccessServiceOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Whether grants go to Looker (true) or are recorded for an admin to do by hand. */
  get lookerConnected(): boolean {
    return this.opts.looker.kind === 'looker' && this.opts.lookerConfig !== undefined;
  }

  get lookerUrl(): string | null {
    return this.opts.lookerConfig?.baseUrl ?? null;
  }

  get adminsUsergroup(): string | null {
    return this.opts.lookerAdminsUsergroup ?? null;
  }

  get analyticsChannel(): string | null {
    return this.opts.analyticsChannel ?? null;
  }

  /** The user's Slack profile email, to prefill the modal; null when Slack has none or fails. */
  async emailOf(userId: string): Promise<string | null> {
    const profile = await this.opts.directory.profile(userId);
    return profile && profile !== 'unknown' ? profile.email : null;
  }

  /**
   * Stores a validated request once per modal (`viewId`), with what it
   * implies: the grant (View for oneself, Looker connected) or the card for
   * the admins, and the requester's DMs. A request that cannot be made (a bot
   * or unknown person, the same one waiting, too many waiting) stores
   * nothing and is returned: the caller shows it on the form while that is
   * open, and otherwise tells the requester ({@link tellRefused}).
   */
  async submit(input: { viewId: string; request: ValidLookerAccessRequest }): Promise<SubmitOutcome> {
    const { request, viewId } = input;
    const refuse = (reason: SubmissionRefusal, refs: string[] = []): SubmitOutcome => ({ kind: 'refused', reason, refs });
    const [subject, requester] = await Promise.all([
      this.opts.directory.profile(request.subjectId),
      request.subjectId === request.requesterId ? null : this.opts.directory.profile(request.requesterId),
    ]);
    const now = this.now();
    if (subject === null || (subject !== 'unknown' && subject.isBot)) {
      return refuse(subject === null ? 'unknown_subject' : 'bot_subject');
    }
    // The requester's own Slack email: only an address Slack vouches for is granted without an admin.
    const requesterProfile: Profile | 'unknown' | null = request.subjectId === request.requesterId ? subject : requester;
    const requesterSlackEmail = requesterProfile && requesterProfile !== 'unknown' ? requesterProfile.email : null;
    // Asked for someone else with the requester's own address: the form says so when it knows that address, but a
    // tampered form (its private_metadata) does not, so it is checked here against Slack's, as the form would.
    if (request.subjectId !== request.requesterId && requesterSlackEmail && sameEmail(request.email, requesterSlackEmail)) return refuse('requester_email');
    const route = routeOf(request, { lookerConfigured: this.lookerConnected, requesterSlackEmail });
    const earlier = route === 'needs_approval' ? await this.approvedStillInForce(request, now) : undefined;
    const id = `la_${now.getTime().toString(36)}${randomBytes(5).toString('hex')}`;
    const doc: LookerAccessRequest = {
      id,
      ...request,
      status: 'pending',
      route,
      ...(subject !== 'unknown' ? { subjectSlackEmail: subject.email } : {}),
      ...(earlier ? { earlierApproval: { requestId: earlier.id, decidedBy: earlier.decidedBy, decidedAt: earlier.decidedAt, expiresAt: earlier.expiresAt } } : {}),
      viewId,
      createdAt: now.toISOString(),
      channel: null,
      ts: null,
      decidedBy: null,
      decidedAt: null,
      denyReason: null,
      grantPlan: null,
      grant: null,
      grantError: null,
      expiresAt: null,
      reminderSentAt: null,
      expiredAt: null,
      revokedRoleIds: null,
      revokeError: null,
    };
    const created = await this.opts.store.runTransaction(async (tx): Promise<LookerAccessRequest | SubmitOutcome | null> => {
      const seen = await tx.get(LOOKER_ACCESS_SUBMISSIONS, viewId);
      if (seen && !isExpired(seen.data)) return null;
      // The same request already waiting, or too many waiting: each one pings the admins (and may DM a colleague).
      // Checked here, where it holds for forms sent at the same moment (two tabs, two replicas): each creation reads
      // and writes the requester's marker, so the second one's transaction runs again and finds the first's request.
      // (Slack delivering this same submission again is not "asking twice": the submissions record above answers that.)
      await tx.get(LOOKER_ACCESS_CREATIONS, request.requesterId);
      const requesters = await tx.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field: 'requesterId', equals: request.requesterId } });
      const refused = waitingRefusal(requesters.map((d) => d.data).filter((r) => r.status === 'pending'), request, viewId);
      if (refused) return refused;
      tx.put(LOOKER_ACCESS_CREATIONS, request.requesterId, { lastAt: now.toISOString() });
      // Its expiry on the wall clock (expiresIn), as it is read above: Slack delivering it again within the week is a repeat.
      tx.put(LOOKER_ACCESS_SUBMISSIONS, viewId, { requesterId: request.requesterId, requestId: id, at: now.toISOString(), expiresAt: expiresIn(7 * DAY_MS) });
      tx.audit({ actor: request.requesterId, action: 'looker_access.requested', subject: id, before: null, after: doc });
      if (route === 'grant_now') {
        const approved: LookerAccessRequest = { ...doc, status: 'approved', decidedBy: 'bot', decidedAt: now.toISOString() };
        tx.put(LOOKER_ACCESS_REQUESTS, id, approved);
        tx.audit({ actor: 'bot', action: 'looker_access.approved', subject: id, before: doc, after: approved });
        await this.enqueueJobs(tx, [grantJob(id)]);
        return approved;
      }
      tx.put(LOOKER_ACCESS_REQUESTS, id, doc);
      if (this.opts.analyticsChannel) {
        // The card first: once it is posted (or cannot be), its job tells the requester where it is.
        await this.enqueueNotices(tx, [{ type: 'looker.card', requestId: id }]);
      } else {
        this.opts.logger.warn('ANALYTICS_CHANNEL is not set: the Looker access request is not posted', { id });
        await this.enqueueNotices(tx, this.sentDms(doc));
      }
      return doc;
    });
    if (!created) {
      this.opts.logger.info('repeated modal submission ignored', { viewId });
      return { kind: 'duplicate' };
    }
    if ('kind' in created) {
      this.opts.logger.info('looker access request refused', { user: request.requesterId, reason: created.kind === 'refused' ? created.reason : created.kind });
      return created;
    }
    this.opts.logger.info('looker access requested', { id, level: doc.level, team: doc.team, route });
    this.opts.kick();
    return { kind: 'created', request: created };
  }

  /** Tells the requester by DM why the request from form `viewId` was not made (the form has closed). */
  async tellRefused(input: { requesterId: string; viewId: string; reason: SubmissionRefusal; refs: string[] }): Promise<void> {
    await this.opts.store.runTransaction(async (tx) => {
      await this.enqueueNotices(tx, [{ type: 'looker.refused', to: input.requesterId, reason: input.reason, viewId: input.viewId, ...(input.refs.length ? { refs: input.refs } : {}) }]);
    });
    this.opts.kick();
  }

  /**
   * Whether `deciderId` may decide the request now: a Looker admin (asked of
   * Slack on every click), not the requester or the person getting access,
   * and the request still pending. Deny asks this before its reason modal opens.
   */
  async checkDecider(input: { requestId: string; deciderId: string }): Promise<{ kind: 'allowed'; request: LookerAccessRequest } | Exclude<DecideOutcome, { kind: 'decided' }>> {
    if (!REQUEST_ID.test(input.requestId)) return { kind: 'not_found' };
    const found = await this.get(input.requestId);
    if (!found) return { kind: 'not_found' };
    const refusal = await this.deciderRefusal(found, input.deciderId);
    if (refusal) return refusal;
    if (found.status !== 'pending') return { kind: 'already', request: found };
    return { kind: 'allowed', request: found };
  }

  /** Why `deciderId` may not act on `found` as a Looker admin (null: they may). */
  private async deciderRefusal(found: LookerAccessRequest, deciderId: string): Promise<{ kind: 'refused'; reason: DecisionRefusal } | { kind: 'admin_check_failed'; about: 'admins' | 'profile' } | null> {
    // Asked of Slack on every click (after the ack): someone just removed from the group is refused at once,
    // and the decider's own email is not theirs to approve (a request "for someone else" may name it).
    const [membership, profile] = await Promise.all([
      this.opts.directory.membership(this.opts.lookerAdminsUsergroup, deciderId),
      this.opts.directory.profile(deciderId),
    ]);
    if (membership === 'unknown') return { kind: 'admin_check_failed', about: 'admins' };
    if (membership === 'member' && profile === 'unknown') return { kind: 'admin_check_failed', about: 'profile' };
    const deciderEmail = profile && profile !== 'unknown' ? profile.email : null;
    const allowed = decisionRuleFor(found, { id: deciderId, isLookerAdmin: membership === 'member', email: deciderEmail });
    if (!allowed.ok) {
      this.opts.logger.warn('looker access decision refused', { id: found.id, user: deciderId, reason: allowed.reason });
      return { kind: 'refused', reason: allowed.reason };
    }
    return null;
  }

  /**
   * Retry grant on the card of an approved request whose grant gave up (the
   * cause fixed in Looker: a user enabled, a first sign-in). Only someone who
   * may approve it may retry; the grant job runs again once, however many
   * clicks arrive (compare-and-set on "failed, not granted").
   */
  async retryGrant(input: { requestId: string; deciderId: string }): Promise<RetryGrantOutcome> {
    if (!REQUEST_ID.test(input.requestId)) return { kind: 'not_found' };
    const found = await this.get(input.requestId);
    if (!found) return { kind: 'not_found' };
    const refusal = await this.deciderRefusal(found, input.deciderId);
    if (refusal) return refusal;
    const outcome = await this.opts.store.runTransaction(async (tx): Promise<RetryGrantOutcome> => {
      const current = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, found.id);
      if (!current) return { kind: 'not_found' };
      const before = current.data;
      if (before.status !== 'approved' || before.grantError === null || before.grant !== null) return { kind: 'not_failed', request: before };
      // Elevated access that has ended (its expiry has not run yet): there is nothing left to grant.
      if (elevatedEnded(before, this.now())) return { kind: 'ended', request: before };
      // A double click whose first retry failed again at once: that retry was the answer to both.
      if (before.grantRetriedAt !== undefined && Date.now() - before.grantRetriedAt < RETRY_GRANT_ONCE_MS) return { kind: 'not_failed', request: before };
      const after: LookerAccessRequest = { ...before, grantError: null, grantRetriedAt: Date.now() };
      tx.put(LOOKER_ACCESS_REQUESTS, after.id, after);
      tx.audit({ actor: input.deciderId, action: 'looker_access.grant_retried', subject: after.id, before: { grantError: before.grantError }, after: { grantError: null } });
      // The grant job gave up (failed): coalescing re-arms it under the same key.
      await this.enqueueJobs(tx, [{ ...grantJob(after.id), coalesce: true }]);
      await this.enqueueNotices(tx, [{ type: 'looker.card', requestId: after.id }]);
      return { kind: 'retrying', request: after };
    });
    if (outcome.kind === 'retrying') this.opts.kick();
    return outcome;
  }

  /**
   * An admin's Approve or Deny (with the reason they gave). Checked on every
   * click: a Looker admin, not the requester or the person getting access;
   * the first decision wins.
   */
  async decide(input: { requestId: string; deciderId: string; decision: 'approve' | 'deny'; reason?: string | null }): Promise<DecideOutcome> {
    const check = await this.checkDecider(input);
    if (check.kind !== 'allowed') return check;
    const found = check.request;
    const now = this.now();
    const approve = input.decision === 'approve';
    const outcome = await this.opts.store.runTransaction(async (tx): Promise<DecideOutcome> => {
      const current = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, found.id);
      if (!current) return { kind: 'not_found' };
      const before = current.data;
      if (before.status !== 'pending') return { kind: 'already', request: before };
      const after: LookerAccessRequest = {
        ...before,
        status: approve ? 'approved' : 'denied',
        decidedBy: input.deciderId,
        decidedAt: now.toISOString(),
        denyReason: approve ? null : (trimText(input.reason ?? '') || null),
        expiresAt: approve && isElevated(before.level) && before.durationDays ? expiryOf(now, before.durationDays).toISOString() : null,
      };
      tx.put(LOOKER_ACCESS_REQUESTS, after.id, after);
      tx.audit({ actor: input.deciderId, action: approve ? 'looker_access.approved' : 'looker_access.denied', subject: after.id, before, after });
      if (approve) {
        await this.enqueueJobs(tx, [grantJob(after.id)]);
      } else {
        await this.enqueueNotices(tx, [{ type: 'looker.card', requestId: after.id }, ...this.dmsTo(after, 'decided')]);
      }
      return { kind: 'decided', request: after };
    });
    if (outcome.kind === 'decided') this.opts.kick();
    return outcome;
  }

  /** A stored request, or null. */
  async get(id: string): Promise<LookerAccessRequest | null> {
    if (!REQUEST_ID.test(id)) return null;
    return (await this.opts.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id))?.data ?? null;
  }

  /** Records where the card was posted, with the job that posted it. */
  async recordCard(tx: StoreTx, id: string, where: { channel: string; ts: string }): Promise<void> {
    const current = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id);
    if (current) tx.put(LOOKER_ACCESS_REQUESTS, id, { ...current.data, channel: where.channel, ts: where.ts });
  }

  /** Requests someone made or is the subject of, newest first (App Home). */
  async requestsOf(userId: string): Promise<LookerAccessRequest[]> {
    const [mine, forMe] = await Promise.all([
      this.opts.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field: 'requesterId', equals: userId } }),
      this.opts.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field: 'subjectId', equals: userId } }),
    ]);
    const byId = new Map([...mine, ...forMe].map((d) => [d.id, d.data]));
    return [...byId.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  /** The latest approved request for the same person, email (any case) and level that has not reached its end, if any. */
  private async approvedStillInForce(request: ValidLookerAccessRequest, now: Date): Promise<LookerAccessRequest | undefined> {
    const docs = await this.opts.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field: 'subjectId', equals: request.subjectId } });
    return docs
      .map((d) => d.data)
      .filter((r) => r.status === 'approved' && r.level === request.level && sameEmail(r.email, request.email) && (r.expiresAt === null || Date.parse(r.expiresAt) > now.getTime()))
      .sort((a, b) => ((a.decidedAt ?? a.createdAt) < (b.decidedAt ?? b.createdAt) ? 1 : -1))[0];
  }

  /** Requests waiting for a Looker admin, oldest first (App Home). */
  async pending(): Promise<LookerAccessRequest[]> {
    const docs = await this.opts.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field: 'status', equals: 'pending' } });
    return docs.map((d) => d.data).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  }

  /** The recurring sweep, to schedule at start-up (once across replicas: its key is fixed). */
  sweepJob(): JobSpec {
    return { key: LOOKER_JOBS.sweep, kind: LOOKER_JOBS.sweep, payload: {}, runAt: this.now().getTime() + this.opts.sweepIntervalMs };
  }

  /** The job kinds this use case runs. */
  jobKinds(): Record<string, JobKind> {
    type ById = { requestId: string };
    return {
      [LOOKER_JOBS.grant]: defineJob<ById>({ handler: (ctx) => this.runGrant(ctx), onGiveUp: (ctx, failure) => this.grantFailed(ctx.payload.requestId, failure.message) }),
      [LOOKER_JOBS.remind]: defineJob<ById>({ handler: (ctx) => this.runRemind(ctx) }),
      [LOOKER_JOBS.expire]: defineJob<ById>({ handler: (ctx) => this.runExpire(ctx) }),
      [LOOKER_JOBS.revoke]: defineJob<ById>({ handler: (ctx) => this.runRevoke(ctx), onGiveUp: (ctx, failure) => this.revokeFailed(ctx.payload.requestId, failure.message), retry: REVOKE_RETRY }),
      [LOOKER_JOBS.sweep]: defineJob({ handler: (ctx) => this.runSweep(ctx), resumeAt: (ctx) => new Date(ctx.now().getTime() + this.opts.sweepIntervalMs) }),
    };
  }

  // ---- jobs ----

  /** Grants an approved request in Looker (or records it for a grant by hand), then tells everyone. */
  private async runGrant(ctx: JobContext<{ requestId: string }>) {
    const id = ctx.payload.requestId;
    let request = await this.get(id);
    if (!request || request.status !== 'approved' || request.grant) return {};
    // Elevated access whose end passed before its grant could run (the runner was down that long): nothing is granted,
    // and it expires now. What an earlier attempt may have applied (it recorded a plan), or the admins granted by hand
    // after a failed one, is taken back or asked for then, as for any grant; only when neither can be is it marked
    // as never granted. (Coalesced: an expiry job that already finished runs again.)
    if (elevatedEnded(request, this.now())) {
      const skippedAt = this.now().toISOString();
      return {
        commit: async (tx: StoreTx) => {
          const cur = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id);
          if (!cur || cur.data.status !== 'approved' || cur.data.grant) return;
          if (!cur.data.grantPlan && cur.data.grantRetriedAt === undefined && !cur.data.grantError) tx.put(LOOKER_ACCESS_REQUESTS, id, { ...cur.data, grantSkippedAt: skippedAt });
          await this.enqueueJobs(tx, [{ key: jobKey(LOOKER_JOBS.expire, id), kind: LOOKER_JOBS.expire, payload: { requestId: id }, coalesce: true }]);
        },
      };
    }
    const at = this.now().toISOString();
    const ids = this.opts.lookerConfig;
    const automatic = request.decidedBy === 'bot';
    const tellAll = (r: LookerAccessRequest): Notice[] => [
      ...(r.channel || !automatic ? [{ type: 'looker.card', requestId: r.id } as Notice] : []),
      ...this.dmsTo(r, automatic ? 'granted_now' : 'decided'),
    ];
    if (!ids || !this.lookerConnected) {
      const grant: LookerGrantRecord = { mode: 'manual', at, lookerUserId: null, createdUser: false, addedGroupIds: [], addedRoleIds: [] };
      return {
        commit: async (tx: StoreTx) => {
          const cur = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id);
          if (!cur || cur.data.grant) return;
          const after = { ...cur.data, grant, grantError: null };
          tx.put(LOOKER_ACCESS_REQUESTS, id, after);
          tx.audit({ actor: 'bot', action: 'looker_access.manual_grant_needed', subject: id, before: null, after: { grant } });
          await this.enqueueNotices(tx, tellAll(after));
          await this.enqueueJobs(tx, this.expiryJobs(after));
        },
      };
    }
    const { groupIds, roleIds } = accessFor(request.level, ids);
    const subject = await this.opts.directory.profile(request.subjectId);
    const firstName = (subject && subject !== 'unknown' && subject.firstName) || request.email.split('@')[0] || request.email;
    const lastName = subject && subject !== 'unknown' ? subject.lastName : '';
    // A plan recorded by an earlier attempt: that attempt may have created the Looker user and died.
    const resumed = Boolean(request.grantPlan);
    const result = await this.withLookerUserLock(request.email, ctx.key, async () => {
      // What the user had before: recorded before anything changes, so a grant repeated after a crash still knows what it added.
      if (!request!.grantPlan) {
        const before = await this.opts.looker.userAccess(request!.email);
        const plan: LookerGrantPlan = { existed: before !== null, rolesBefore: before?.roleIds ?? [], groupsBefore: before?.groupIds ?? [] };
        // Elevated grants for the same user that are still running: what the user had before the first of them is this one's baseline too.
        const overlapping = isElevated(request!.level) ? (await this.liveRequestsFor(request!.email, id)).filter((o) => isElevated(o.level)) : [];
        const baselines = overlapping.map((o) => this.baselineOf(o)).filter((b): b is string[] => b !== null);
        const saved = await this.opts.store.transition<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id, (r) => !r.grantPlan, (r) => ({
          grantPlan: plan,
          ...(isElevated(r.level) ? { baselineRoleIds: commonRoles([plan.rolesBefore, ...(r.baselineRoleIds ? [r.baselineRoleIds] : []), ...baselines]) } : {}),
        }));
        request = saved.ok ? saved.doc.data : await this.get(id);
        if (!request?.grantPlan) throw new Error('the grant plan could not be recorded');
      }
      return this.opts.looker.grant({ email: request!.email, firstName, lastName, groupIds, roleIds, resumed });
    });
    if (!result.applied) throw new PermanentJobError('the Looker adapter did not apply the grant');
    const plan = request.grantPlan!;
    const had = new Set(plan.rolesBefore);
    const grant: LookerGrantRecord = {
      mode: 'looker',
      at,
      lookerUserId: result.lookerUserId,
      createdUser: !plan.existed,
      addedGroupIds: groupIds.filter((g) => !plan.groupsBefore.includes(g)),
      addedRoleIds: roleIds.filter((r) => !had.has(r)),
      setupEmailSent: result.setupEmailSent ?? false,
      setupEmailError: result.setupEmailError ?? null,
    };
    return {
      commit: async (tx: StoreTx) => {
        const cur = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id);
        if (!cur || cur.data.grant) return;
        const after = { ...cur.data, grant, grantError: null };
        tx.put(LOOKER_ACCESS_REQUESTS, id, after);
        tx.audit({ actor: cur.data.decidedBy ?? 'bot', action: 'looker_access.granted', subject: id, before: { grant: null }, after: { grant } });
        await this.enqueueNotices(tx, tellAll(after));
        await this.enqueueJobs(tx, this.expiryJobs(after));
      },
    };
  }

  /**
   * The grant gave up: the card and the requester say so, the admins are
   * asked to grant by hand. Elevated access still ends on time: the attempt
   * may have applied roles before it failed (or an admin grants them by
   * hand), so the expiry is scheduled as for a grant; it takes back what the
   * grant plan proves was added, or asks the admins to.
   */
  private grantFailed(id: string, message: string): JobCommit {
    return async (tx, enqueue) => {
      const cur = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id);
      if (!cur || cur.data.grant) return;
      const after = { ...cur.data, grantError: message };
      tx.put(LOOKER_ACCESS_REQUESTS, id, after);
      tx.audit({ actor: 'bot', action: 'looker_access.grant_failed', subject: id, before: null, after: { grantError: message } });
      const notices: Notice[] = [...this.dmsTo(after, 'grant_failed')];
      if (this.opts.analyticsChannel) notices.push({ type: 'looker.card', requestId: id }, { type: 'looker.thread', requestId: id, about: 'grant_failed' });
      for (const n of notices) await enqueue(noticeJob(n));
      for (const spec of this.expiryJobs(after)) await enqueue(spec);
    };
  }

  private async runRemind(ctx: JobContext<{ requestId: string }>) {
    const id = ctx.payload.requestId;
    const at = this.now();
    return {
      commit: async (tx: StoreTx) => {
        const cur = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id);
        const r = cur?.data;
        // (A reminder scheduled by an older version for a 1-day grant is dropped too.)
        if (!r || r.status !== 'approved' || r.reminderSentAt || !r.expiresAt || Date.parse(r.expiresAt) <= at.getTime() || !remindsBeforeEnd(r.durationDays)) return;
        // Renewed already (approved, ending later): the reminder says the access goes on, not "ask again".
        const renewal = lastToEnd((await this.liveRequestsFor(r.email, id, { reader: tx, after: Date.parse(r.expiresAt) })).filter((o) => o.level === r.level));
        tx.put(LOOKER_ACCESS_REQUESTS, id, { ...r, reminderSentAt: at.toISOString(), renewedBy: renewal ? { requestId: renewal.id, until: renewal.expiresAt } : null });
        tx.audit({ actor: 'bot', action: 'looker_access.reminded', subject: id, before: null, after: { reminderSentAt: at.toISOString() } });
        await this.enqueueNotices(tx, this.dmsTo(r, 'reminder'));
      },
    };
  }

  /** Elevated access ended: mark it expired, then take the roles back (or ask the admins to). */
  private async runExpire(ctx: JobContext<{ requestId: string }>) {
    const id = ctx.payload.requestId;
    const at = this.now();
    return {
      commit: async (tx: StoreTx) => {
        const cur = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id);
        const r = cur?.data;
        if (!r || r.status !== 'approved' || !r.expiresAt || Date.parse(r.expiresAt) > at.getTime()) return;
        // Taken back by the bot when it granted in Looker, or tried to (a plan was recorded: roles may have been applied).
        const touchedLooker = (r.grant?.mode === 'looker' && r.grant.lookerUserId) || (!r.grant && r.grantPlan);
        const byBot = Boolean(touchedLooker && this.opts.lookerConfig);
        // Granted by hand (Looker not connected): the admins are asked to remove the role by hand, unless another
        // approved request for the same Looker email, still running, grants that level (a renewal): that one's end
        // asks, and this one names it, as a connected expiry does (keptFor).
        const keeper = !byBot && isElevated(r.level) ? lastToEnd((await this.liveRequestsFor(r.email, id, { reader: tx, after: at.getTime() })).filter((o) => o.level === r.level)) : undefined;
        const after: LookerAccessRequest = { ...r, status: 'expired', expiredAt: at.toISOString(), ...(keeper ? { keptFor: { requestId: keeper.id, until: keeper.expiresAt } } : {}) };
        tx.put(LOOKER_ACCESS_REQUESTS, id, after);
        tx.audit({ actor: 'bot', action: 'looker_access.expired', subject: id, before: r, after });
        if (byBot) {
          await this.enqueueJobs(tx, [{ key: jobKey(LOOKER_JOBS.revoke, id), kind: LOOKER_JOBS.revoke, payload: { requestId: id } }]);
          // The card says it ended and the roles are being taken back: through a Looker outage that can take hours.
          await this.enqueueNotices(tx, [{ type: 'looker.card', requestId: id }]);
        } else {
          await this.enqueueNotices(tx, this.afterExpiry(after));
        }
      },
    };
  }

  /**
   * Takes back the elevated roles of an expired request: the roles its level
   * grants, except those another approved, unexpired request for the same
   * Looker user still grants and those the user had before the first of the
   * overlapping grants (rolesToRevoke). The requests still running inherit
   * this one's baseline, so the last of them to end takes back what the
   * first one added.
   */
  private async runRevoke(ctx: JobContext<{ requestId: string }>) {
    const id = ctx.payload.requestId;
    const r = await this.get(id);
    const ids = this.opts.lookerConfig;
    if (!r || r.status !== 'expired' || r.revokedRoleIds !== null || !ids) return {};
    if (!r.grant?.lookerUserId && !(r.grant === null && r.grantPlan)) return {};
    const baseline = this.baselineOf(r) ?? elevatedRolesOf(r.level, ids);
    const work = await this.withLookerUserLock(r.email, ctx.key, async () => {
      const others = await this.liveRequestsFor(r.email, id);
      const still = others.flatMap((o) => accessFor(o.level, ids).roleIds);
      const { remove, kept } = rolesToRevoke({ levelRoleIds: elevatedRolesOf(r.level, ids), baselineRoleIds: baseline, stillGrantedRoleIds: still });
      // A grant that gave up has no Looker user on record: the user is looked up by email (none: nothing to take back).
      const lookerUserId = r.grant?.lookerUserId ?? (remove.length ? (await this.opts.looker.userAccess(r.email))?.lookerUserId : undefined);
      // Which roles are about to go is stored before Looker is asked to take them: a retry after a lost answer
      // finds them gone, and knows it was this request that took them.
      const beforeChange = async (removing: string[]) => {
        await this.opts.store.transition<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id, (d) => d.revokedRoleIds === null, (d) => ({ revokeSentRoleIds: [...new Set([...(d.revokeSentRoleIds ?? []), ...removing])] }));
      };
      const revoked: LookerRevokeResult = remove.length && lookerUserId ? await this.opts.looker.revokeRoles({ lookerUserId, roleIds: remove, beforeChange }) : { applied: true, removedRoleIds: [] };
      // The request that keeps the roles longest, to name in the thread and the DM.
      const keeper = kept.length
        ? lastToEnd(others.filter((o) => accessFor(o.level, ids).roleIds.some((role) => kept.includes(role))))
        : undefined;
      // Roles an earlier attempt sent for removal and now gone were taken by it (Looker applied the PUT, and its
      // answer was lost): saying "found none left to remove" would tell the admins someone else did it.
      const sentBefore = (r.revokeSentRoleIds ?? []).filter((role) => remove.includes(role));
      const removed = !revoked.applied ? [] : [...new Set([...sentBefore, ...revoked.removedRoleIds])];
      return { remove, kept, keeper, others, removed, userMissing: revoked.applied && revoked.userMissing === true };
    });
    const { remove, kept, keeper, others, removed, userMissing } = work;
    return {
      commit: async (tx: StoreTx) => {
        const cur = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id);
        if (!cur || cur.data.revokedRoleIds !== null) return;
        const live = await Promise.all(others.filter((o) => isElevated(o.level)).map((o) => tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, o.id)));
        const after: LookerAccessRequest = {
          ...cur.data,
          revokedRoleIds: removed,
          keptRoleIds: kept,
          keptFor: keeper ? { requestId: keeper.id, until: keeper.expiresAt } : null,
          revokeError: null,
          ...(userMissing ? { lookerUserMissing: true } : {}),
        };
        tx.put(LOOKER_ACCESS_REQUESTS, id, after);
        // The requests still running share this one's baseline: the last of them to end takes back what this one added.
        for (const doc of live) {
          if (!doc || doc.data.status !== 'approved') continue;
          const narrowed = doc.data.baselineRoleIds ? commonRoles([doc.data.baselineRoleIds, baseline]) : [...baseline];
          tx.put(LOOKER_ACCESS_REQUESTS, doc.id, { ...doc.data, baselineRoleIds: narrowed });
        }
        tx.audit({ actor: 'bot', action: 'looker_access.revoked', subject: id, before: { roleIds: remove }, after: { revokedRoleIds: removed, keptRoleIds: kept, keptFor: keeper?.id ?? null, ...(userMissing ? { lookerUserMissing: true } : {}) } });
        await this.enqueueNotices(tx, this.afterExpiry(after));
      },
    };
  }

  private revokeFailed(id: string, message: string): JobCommit {
    return async (tx, enqueue) => {
      const cur = await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id);
      if (!cur || cur.data.revokedRoleIds !== null) return;
      const after = { ...cur.data, revokeError: message };
      tx.put(LOOKER_ACCESS_REQUESTS, id, after);
      tx.audit({ actor: 'bot', action: 'looker_access.revoke_failed', subject: id, before: null, after: { revokeError: message } });
      for (const n of this.afterExpiry(after)) await enqueue(noticeJob(n));
    };
  }

  /**
   * Makes sure every approved elevated grant has its reminder and expiry
   * scheduled (they are scheduled with the grant; this repairs requests
   * approved by an older version), then runs again after the interval.
   */
  private async runSweep(ctx: JobContext) {
    const approved = await this.opts.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field: 'status', equals: 'approved' } });
    // Granted, or given up on (it may have applied roles, or an admin granted by hand): either way it ends on time.
    const specs = approved.flatMap((d) => (d.data.grant || d.data.grantError ? this.expiryJobs(d.data) : []));
    return {
      commit: async (tx: StoreTx) => {
        await this.enqueueJobs(tx, specs);
      },
      again: new Date(nextRecurringRun(ctx.dueAt, ctx.now().getTime(), this.opts.sweepIntervalMs)),
    };
  }

  // ---- helpers ----

  /**
   * Approved requests for the same Looker user (email in any case) that run past `after` (now, unless said), but
   * `exceptId`; read through `reader` (a transaction's, so that what it decides from them is decided with them).
   */
  private async liveRequestsFor(email: string, exceptId: string, options: { reader?: Pick<StoreTx, 'list'>; after?: number } = {}): Promise<LookerAccessRequest[]> {
    const after = options.after ?? this.now().getTime();
    const approved = await (options.reader ?? this.opts.store).list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field: 'status', equals: 'approved' } });
    return approved
      .map((d) => d.data)
      .filter((o) => o.id !== exceptId && sameEmail(o.email, email) && until(o) > after);
  }

  /** What the user had before the first of the overlapping grants of `r`; null when nothing says (it never reached Looker). */
  private baselineOf(r: LookerAccessRequest): string[] | null {
    if (r.baselineRoleIds) return r.baselineRoleIds;
    if (r.grantPlan) return r.grantPlan.rolesBefore;
    // Granted by an older version, without a plan: everything the level grants but what it added.
    const ids = this.opts.lookerConfig;
    if (r.grant?.mode === 'looker' && ids) return accessFor(r.level, ids).roleIds.filter((role) => !r.grant!.addedRoleIds.includes(role));
    return null;
  }

  /** The reminder a day before elevated access ends (not for a 1-day grant: see remindsBeforeEnd), and its expiry. */
  private expiryJobs(r: LookerAccessRequest): JobSpec[] {
    if (!r.expiresAt || !isElevated(r.level)) return [];
    const end = Date.parse(r.expiresAt);
    const specs: JobSpec[] = [{ key: jobKey(LOOKER_JOBS.expire, r.id), kind: LOOKER_JOBS.expire, payload: { requestId: r.id }, runAt: end }];
    if (!r.reminderSentAt && remindsBeforeEnd(r.durationDays)) specs.push({ key: jobKey(LOOKER_JOBS.remind, r.id), kind: LOOKER_JOBS.remind, payload: { requestId: r.id }, runAt: end - DAY_MS });
    return specs;
  }

  /** After expiry: the card's thread says what was taken back (or what to remove by hand), the card changes, the people are told. */
  private afterExpiry(r: LookerAccessRequest): Notice[] {
    const notices: Notice[] = [];
    if (r.channel && r.ts) notices.push({ type: 'looker.thread', requestId: r.id, about: 'expired' }, { type: 'looker.card', requestId: r.id });
    notices.push(...this.dmsTo(r, 'expired'));
    return notices;
  }

  /** The requester (and the person it is for) hear the request is with the admins. */
  sentDms(r: LookerAccessRequest): Notice[] {
    const dms: Notice[] = [{ type: 'looker.dm', requestId: r.id, to: r.requesterId, about: 'sent' }];
    if (r.subjectId !== r.requesterId) dms.push({ type: 'looker.dm', requestId: r.id, to: r.subjectId, about: 'sent_for_subject' });
    return dms;
  }

  private dmsTo(r: LookerAccessRequest, about: LookerDmAbout): Notice[] {
    const people = r.subjectId === r.requesterId ? [r.requesterId] : [r.requesterId, r.subjectId];
    return people.map((to) => ({ type: 'looker.dm', requestId: r.id, to, about }));
  }

  private async enqueueNotices(tx: StoreTx, notices: Notice[]): Promise<void> {
    await this.enqueueJobs(tx, notices.map((n) => noticeJob(n)));
  }

  private async enqueueJobs(tx: StoreTx, specs: JobSpec[]): Promise<void> {
    const at = this.now().getTime();
    for (const spec of specs) await enqueue(tx, spec, at);
  }

  /**
   * Looker's set-roles replaces the list, so two read-merge-writes on the same
   * user (two approvals, or an approval and an expiry, on any replicas) must
   * not interleave: a store lease per Looker email serializes them. Its holder
   * names the job and this run, so even two runs of the same job exclude each
   * other; a run cut off by a crash holds it until the lease lapses (the job
   * lease, as the job's own claim).
   */
  private async withLookerUserLock<T>(email: string, jobKey: string, fn: () => Promise<T>): Promise<T> {
    const name = lookerUserLockName(email);
    const holder = `job:${jobKey}:${randomBytes(6).toString('hex')}`;
    const leaseMs = this.opts.lockLeaseMs;
    const deadline = Date.now() + LOCK_WAIT_MS;
    let held = false;
    while (!(held = await this.opts.store.acquireLease(name, holder, leaseMs)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    }
    // Another grant or revoke is changing this Looker user (a read-merge-write of its roles): wait
    // for it rather than overlap it. A deferral costs no attempt; the lease of a holder that died lapses.
    if (!held) throw new DeferJob(this.now().getTime() + leaseMs / 3);
    // Kept while the calls run (a grant is up to nine calls of up to 15 s each).
    const renew = setInterval(() => {
      void this.opts.store.acquireLease(name, holder, leaseMs).then(
        (ok) => { if (!ok) this.opts.logger.warn('looker user lock lost while in use', { lease: name }); },
        () => undefined,
      );
    }, leaseMs / 3);
    renew.unref?.();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await this.opts.store.releaseLease(name, holder).catch(() => undefined);
    }
  }
}

/** When a request's access ends (never, for View). */
/** Elevated access whose end has come (its expiry may not have run yet). */
function elevatedEnded(r: LookerAccessRequest, now: Date): boolean {
  return isElevated(r.level) && r.expiresAt !== null && Date.parse(r.expiresAt) <= now.getTime();
}

function until(r: LookerAccessRequest): number {
  return r.expiresAt ? Date.parse(r.expiresAt) : Number.POSITIVE_INFINITY;
}

/** Of `requests`, the one whose access ends last (undefined: none). */
function lastToEnd(requests: readonly LookerAccessRequest[]): LookerAccessRequest | undefined {
  return [...requests].sort((a, b) => until(b) - until(a))[0];
}

function grantJob(requestId: string): JobSpec {
  return { key: jobKey(LOOKER_JOBS.grant, requestId), kind: LOOKER_JOBS.grant, payload: { requestId } };
}
