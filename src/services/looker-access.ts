/**
 * The `/looker-access` use case: a request from the modal becomes a stored
 * request; View for a listed team is granted at once when Looker is
 * connected, anything else waits for a Looker admin's one-click decision in
 * the channel. Decisions are compare-and-set transitions in the store (two
 * admins clicking at once give one decision); grants go through the
 * LookerAdmin port; elevated access expires through a periodic sweep that one
 * replica runs at a time (a store lease).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { LookerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../ports/store.js';
import type { LookerAdmin } from '../ports/looker-admin.js';
import { toCodedError } from '../errors.js';
import {
  accessFor,
  elevatedRolesOf,
  expiryOf,
  isElevated,
  isExpired,
  mayDecide,
  reminderDue,
  routeOf,
  type DecisionRefusal,
  type LookerLevel,
  type LookerTeam,
  type ValidLookerAccessRequest,
} from '../domain/looker-policy.js';
import { usergroupMembership } from './roles.js';
import {
  lookerExpiredDm,
  lookerExpiredThreadMessage,
  lookerDecidedDm,
  lookerGrantedNowDm,
  lookerReminderDm,
  lookerRequestCard,
  lookerRequestSentDm,
  lookerSubmissionRefusedDm,
} from '../../views/looker-access.js';

/** Store collection of Looker access requests (App Home reads it too). */
export const LOOKER_ACCESS_REQUESTS = 'looker_access_requests';
/** Once-keys of modal submissions (view IDs): Slack's repeated deliveries create one request. */
export const LOOKER_ACCESS_SUBMISSIONS = 'looker_access_submissions';
const SWEEP_LEASE = 'looker-access-sweep';

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
  viewId: string;
  createdAt: string;
  /** The card in the analytics channel, when one was posted. */
  channel: string | null;
  ts: string | null;
  /** A Slack user ID, or 'bot' for an automatic grant. */
  decidedBy: string | null;
  decidedAt: string | null;
  grant: LookerGrantRecord | null;
  /** Why the grant failed (safe to show), when it did. */
  grantError: string | null;
  expiresAt: string | null;
  reminderSentAt: string | null;
  expiredAt: string | null;
  revokedRoleIds: string[] | null;
  revokeError: string | null;
};

export type SubmitOutcome =
  | { kind: 'created'; request: LookerAccessRequest }
  | { kind: 'duplicate' }
  | { kind: 'refused'; reason: 'unknown_subject' | 'bot_subject' };

export type DecideOutcome =
  | { kind: 'decided'; request: LookerAccessRequest }
  | { kind: 'not_found' }
  | { kind: 'refused'; reason: DecisionRefusal }
  | { kind: 'already'; request: LookerAccessRequest }
  | { kind: 'admin_check_failed' };

export interface SweepResult {
  /** False when another replica holds the sweep lease. */
  ran: boolean;
  reminded: string[];
  expired: string[];
}

export interface LookerAccessServiceOptions {
  store: Store;
  looker: LookerAdmin;
  slack: WebClient;
  logger: Logger;
  analyticsChannel: string | undefined;
  lookerAdminsUsergroup: string | undefined;
  /** Looker IDs and URL; undefined when Looker is not configured. */
  lookerConfig: LookerConfig | undefined;
  now?: () => Date;
}

const REQUEST_ID = /^la_[a-z0-9]{6,40}$/;

interface Profile {
  email: string | null;
  firstName: string;
  lastName: string;
  isBot: boolean;
}

/** Requests, decisions, grants and expiry of Looker access. */
export class LookerAccessService {
  private readonly now: () => Date;
  private readonly holder = `sweep-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: LookerAccessServiceOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Whether grants go to Looker (true) or are recorded for an admin to do by hand. */
  get lookerConnected(): boolean {
    return this.opts.looker.kind === 'looker' && this.opts.lookerConfig !== undefined;
  }

  /** The user's Slack profile email, to prefill the modal; null when Slack has none or fails. */
  async emailOf(userId: string): Promise<string | null> {
    return (await this.profile(userId))?.email ?? null;
  }

  /**
   * Stores a validated request, once per modal (`viewId`), then grants it at
   * once or posts it for the admins. Tells the requester either way.
   */
  async submit(input: { viewId: string; request: ValidLookerAccessRequest }): Promise<SubmitOutcome> {
    const { request, viewId } = input;
    const log = this.opts.logger.child({ feature: 'looker_access', viewId });
    const subject = await this.profile(request.subjectId);
    if (!subject || subject.isBot) {
      const reason = subject ? 'bot_subject' : 'unknown_subject';
      await this.dm(request.requesterId, lookerSubmissionRefusedDm(reason));
      return { kind: 'refused', reason };
    }
    const first = await this.opts.store.createOnce(LOOKER_ACCESS_SUBMISSIONS, viewId, { requesterId: request.requesterId, at: this.now().toISOString() }, { ttlMs: 7 * 86_400_000 });
    if (!first) {
      log.info('repeated modal submission ignored');
      return { kind: 'duplicate' };
    }
    const id = `la_${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
    const doc: LookerAccessRequest = {
      id,
      ...request,
      status: 'pending',
      route: routeOf(request, { lookerConfigured: this.lookerConnected }),
      viewId,
      createdAt: this.now().toISOString(),
      channel: null,
      ts: null,
      decidedBy: null,
      decidedAt: null,
      grant: null,
      grantError: null,
      expiresAt: null,
      reminderSentAt: null,
      expiredAt: null,
      revokedRoleIds: null,
      revokeError: null,
    };
    await this.opts.store.put(LOOKER_ACCESS_REQUESTS, id, doc);
    await this.opts.store.audit({ actor: request.requesterId, action: 'looker_access.requested', subject: id, before: null, after: doc });
    log.info('looker access requested', { id, level: doc.level, team: doc.team, route: doc.route });

    if (doc.route === 'grant_now') {
      const decided = await this.opts.store.transition<LookerAccessRequest>(
        LOOKER_ACCESS_REQUESTS,
        id,
        (cur) => cur.status === 'pending',
        () => ({ status: 'approved', decidedBy: 'bot', decidedAt: this.now().toISOString() }),
      );
      if (!decided.ok) return { kind: 'created', request: (await this.get(id)) ?? doc };
      await this.opts.store.audit({ actor: 'bot', action: 'looker_access.approved', subject: id, before: doc, after: decided.doc.data });
      const granted = await this.grant(decided.doc.data, 'bot', subject);
      await this.notifyDecision(granted, { automatic: true });
      return { kind: 'created', request: granted };
    }

    const posted = await this.postCard(doc);
    const final = posted ?? doc;
    await this.dm(final.requesterId, lookerRequestSentDm(final, { channel: this.opts.analyticsChannel ?? null, posted: posted !== null }));
    if (final.subjectId !== final.requesterId) await this.dm(final.subjectId, lookerRequestSentDm(final, { channel: this.opts.analyticsChannel ?? null, posted: posted !== null, forSubject: true }));
    return { kind: 'created', request: final };
  }

  /**
   * An admin's Approve or Deny. Checked server-side on every click: a Looker
   * admin, not the requester or the person getting access; the first decision
   * wins and the others are told it was already made.
   */
  async decide(input: { requestId: string; deciderId: string; decision: 'approve' | 'deny' }): Promise<DecideOutcome> {
    if (!REQUEST_ID.test(input.requestId)) return { kind: 'not_found' };
    const found = await this.get(input.requestId);
    if (!found) return { kind: 'not_found' };
    // Asked of Slack on every click: someone just removed from the group is refused at once.
    const membership = await usergroupMembership(this.opts.slack, this.opts.lookerAdminsUsergroup, input.deciderId, this.opts.logger);
    if (membership === 'unknown') return { kind: 'admin_check_failed' };
    const isAdmin = membership === 'member';
    const allowed = mayDecide({ deciderId: input.deciderId, requesterId: found.requesterId, subjectId: found.subjectId, deciderIsLookerAdmin: isAdmin });
    if (!allowed.ok) {
      this.opts.logger.warn('looker access decision refused', { id: found.id, user: input.deciderId, reason: allowed.reason });
      return { kind: 'refused', reason: allowed.reason };
    }
    const now = this.now();
    const approve = input.decision === 'approve';
    const result = await this.opts.store.transition<LookerAccessRequest>(
      LOOKER_ACCESS_REQUESTS,
      found.id,
      (cur) => cur.status === 'pending',
      (cur) => ({
        status: approve ? 'approved' : 'denied',
        decidedBy: input.deciderId,
        decidedAt: now.toISOString(),
        expiresAt: approve && isElevated(cur.level) && cur.durationDays ? expiryOf(now, cur.durationDays).toISOString() : null,
      }),
    );
    if (!result.ok) {
      if (result.reason === 'not_found') return { kind: 'not_found' };
      return { kind: 'already', request: result.current.data };
    }
    const before = found;
    let request = result.doc.data;
    await this.opts.store.audit({ actor: input.deciderId, action: approve ? 'looker_access.approved' : 'looker_access.denied', subject: request.id, before, after: request });
    if (approve) request = await this.grant(request, input.deciderId, await this.profile(request.subjectId));
    await this.notifyDecision(request, { automatic: false });
    return { kind: 'decided', request };
  }

  /**
   * Reminds a day before elevated access ends, and at the end takes the
   * elevated roles back (keeping every other role) and says so in the card's
   * thread. One replica at a time (a lease); safe to run at any `now`.
   */
  async sweep(now: Date = this.now()): Promise<SweepResult> {
    const result: SweepResult = { ran: false, reminded: [], expired: [] };
    if (!(await this.opts.store.acquireLease(SWEEP_LEASE, this.holder, 5 * 60_000))) return result;
    result.ran = true;
    try {
      const approved = await this.opts.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field: 'status', equals: 'approved' } });
      for (const { data: request } of approved) {
        if (!request.expiresAt) continue;
        const expiresAt = new Date(request.expiresAt);
        try {
          if (isExpired(now, expiresAt)) {
            if (await this.expire(request, now)) result.expired.push(request.id);
          } else if (!request.reminderSentAt && reminderDue(now, expiresAt)) {
            if (await this.remind(request, now)) result.reminded.push(request.id);
          }
        } catch (err) {
          this.opts.logger.error('looker access sweep failed for a request', { id: request.id, err: toCodedError(err) });
        }
      }
    } finally {
      await this.opts.store.releaseLease(SWEEP_LEASE, this.holder).catch(() => undefined);
    }
    if (result.reminded.length || result.expired.length) this.opts.logger.info('looker access sweep', { ...result });
    return result;
  }

  /** Runs the sweep every `intervalMs` until {@link stopSweeps}. */
  startSweeps(intervalMs: number): void {
    this.stopSweeps();
    this.timer = setInterval(() => {
      void this.sweep().catch((err) => this.opts.logger.error('looker access sweep failed', { err: toCodedError(err) }));
    }, intervalMs);
    this.timer.unref();
  }

  stopSweeps(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A stored request, or null. */
  async get(id: string): Promise<LookerAccessRequest | null> {
    if (!REQUEST_ID.test(id)) return null;
    return (await this.opts.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id))?.data ?? null;
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

  /** Requests waiting for a Looker admin, oldest first (App Home). */
  async pending(): Promise<LookerAccessRequest[]> {
    const docs = await this.opts.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field: 'status', equals: 'pending' } });
    return docs.map((d) => d.data).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  }

  // ---- steps ----

  /** Applies an approved request in Looker (or records it for a manual grant). Never throws. */
  private async grant(request: LookerAccessRequest, actor: string, subject: Profile | null): Promise<LookerAccessRequest> {
    const at = this.now().toISOString();
    let update: Partial<LookerAccessRequest>;
    const ids = this.opts.lookerConfig;
    if (!ids || this.opts.looker.kind !== 'looker') {
      update = { grant: { mode: 'manual', at, lookerUserId: null, createdUser: false, addedGroupIds: [], addedRoleIds: [] }, grantError: null };
      await this.opts.store.audit({ actor, action: 'looker_access.manual_grant_needed', subject: request.id, before: null, after: update });
    } else {
      try {
        const { groupIds, roleIds } = accessFor(request.level, ids);
        const firstName = subject?.firstName || request.email.split('@')[0] || request.email;
        const result = await this.withLookerUserLock(request.email, () =>
          this.opts.looker.grant({ email: request.email, firstName, lastName: subject?.lastName ?? '', groupIds, roleIds }),
        );
        if (!result.applied) throw new Error('the Looker adapter did not apply the grant');
        update = {
          grant: { mode: 'looker', at, lookerUserId: result.lookerUserId, createdUser: result.createdUser, addedGroupIds: result.addedGroupIds, addedRoleIds: result.addedRoleIds },
          grantError: null,
        };
        await this.opts.store.audit({ actor, action: 'looker_access.granted', subject: request.id, before: { grant: request.grant }, after: update });
      } catch (err) {
        const coded = toCodedError(err);
        this.opts.logger.error('looker grant failed', { id: request.id, code: coded.code, err: coded });
        update = { grantError: coded.code === 'looker_failed' ? coded.message : 'unexpected error while granting' };
        await this.opts.store.audit({ actor, action: 'looker_access.grant_failed', subject: request.id, before: null, after: update });
      }
    }
    const saved = await this.opts.store.transition<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id, () => true, () => update);
    return saved.ok ? saved.doc.data : { ...request, ...update };
  }

  private async expire(request: LookerAccessRequest, now: Date): Promise<boolean> {
    const moved = await this.opts.store.transition<LookerAccessRequest>(
      LOOKER_ACCESS_REQUESTS,
      request.id,
      (cur) => cur.status === 'approved' && cur.expiresAt === request.expiresAt,
      () => ({ status: 'expired', expiredAt: now.toISOString() }),
    );
    if (!moved.ok) return false;
    let current = moved.doc.data;
    await this.opts.store.audit({ actor: 'bot', action: 'looker_access.expired', subject: request.id, before: request, after: current });

    let update: Partial<LookerAccessRequest> = { revokedRoleIds: [], revokeError: null };
    const grant = current.grant;
    const ids = this.opts.lookerConfig;
    if (grant?.mode === 'looker' && grant.lookerUserId && ids) {
      // Only roles this grant added and that belong to the elevated level: View and anything the user had before stay.
      const elevated = new Set(elevatedRolesOf(current.level, ids));
      const toRemove = grant.addedRoleIds.filter((r) => elevated.has(r));
      try {
        const lookerUserId = grant.lookerUserId;
        const revoked = toRemove.length
          ? await this.withLookerUserLock(current.email, () => this.opts.looker.revokeRoles({ lookerUserId, roleIds: toRemove }))
          : { applied: true as const, removedRoleIds: [] };
        update = { revokedRoleIds: revoked.applied ? revoked.removedRoleIds : [], revokeError: null };
        await this.opts.store.audit({ actor: 'bot', action: 'looker_access.revoked', subject: request.id, before: { roleIds: toRemove }, after: update });
      } catch (err) {
        const coded = toCodedError(err);
        this.opts.logger.error('looker revoke failed', { id: request.id, code: coded.code, err: coded });
        update = { revokedRoleIds: null, revokeError: coded.code === 'looker_failed' ? coded.message : 'unexpected error while revoking' };
        await this.opts.store.audit({ actor: 'bot', action: 'looker_access.revoke_failed', subject: request.id, before: null, after: update });
      }
    }
    const saved = await this.opts.store.transition<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id, () => true, () => update);
    current = saved.ok ? saved.doc.data : { ...current, ...update };

    const manual = !(grant?.mode === 'looker');
    if (current.channel && current.ts) {
      await this.slackCall('chat.postMessage', () =>
        this.opts.slack.chat.postMessage({ channel: current.channel!, thread_ts: current.ts!, ...lookerExpiredThreadMessage(current, { manual, adminsUsergroup: this.opts.lookerAdminsUsergroup ?? null }) }),
      );
      await this.updateCard(current);
    }
    await this.dm(current.subjectId, lookerExpiredDm(current));
    if (current.requesterId !== current.subjectId) await this.dm(current.requesterId, lookerExpiredDm(current));
    return true;
  }

  private async remind(request: LookerAccessRequest, now: Date): Promise<boolean> {
    const marked = await this.opts.store.transition<LookerAccessRequest>(
      LOOKER_ACCESS_REQUESTS,
      request.id,
      (cur) => cur.status === 'approved' && !cur.reminderSentAt,
      () => ({ reminderSentAt: now.toISOString() }),
    );
    if (!marked.ok) return false;
    await this.opts.store.audit({ actor: 'bot', action: 'looker_access.reminded', subject: request.id, before: null, after: { reminderSentAt: now.toISOString() } });
    await this.dm(request.subjectId, lookerReminderDm(marked.doc.data));
    if (request.requesterId !== request.subjectId) await this.dm(request.requesterId, lookerReminderDm(marked.doc.data));
    return true;
  }

  /**
   * Looker's set-roles replaces the list, so two read-merge-writes on the same
   * user (two approvals, or an approval and an expiry, on any replicas) must
   * not interleave: a store lease per Looker email serializes them.
   */
  private async withLookerUserLock<T>(email: string, fn: () => Promise<T>): Promise<T> {
    const name = `looker-user-${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 32)}`;
    const holder = randomUUID();
    const deadline = Date.now() + 20_000;
    let held = false;
    while (!(held = await this.opts.store.acquireLease(name, holder, 60_000)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    }
    // Past the deadline the holder is presumed stuck; going ahead beats never granting.
    if (!held) this.opts.logger.warn('looker user lock not acquired; going ahead', { lease: name });
    try {
      return await fn();
    } finally {
      if (held) await this.opts.store.releaseLease(name, holder).catch(() => undefined);
    }
  }

  private async postCard(doc: LookerAccessRequest): Promise<LookerAccessRequest | null> {
    const channel = this.opts.analyticsChannel;
    if (!channel) {
      this.opts.logger.warn('ANALYTICS_CHANNEL is not set: the Looker access request was not posted', { id: doc.id });
      return null;
    }
    const res = await this.slackCall('chat.postMessage', () =>
      this.opts.slack.chat.postMessage({ channel, ...this.card(doc) }),
    );
    if (!res?.ts) return null;
    const saved = await this.opts.store.transition<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, doc.id, () => true, () => ({ channel: res.channel ?? channel, ts: res.ts! }));
    return saved.ok ? saved.doc.data : { ...doc, channel, ts: res.ts };
  }

  private card(doc: LookerAccessRequest): { text: string; blocks: KnownBlock[] } {
    return lookerRequestCard(doc, {
      adminsUsergroup: this.opts.lookerAdminsUsergroup ?? null,
      lookerConnected: this.lookerConnected,
      lookerUrl: this.opts.lookerConfig?.baseUrl ?? null,
    });
  }

  private async updateCard(doc: LookerAccessRequest): Promise<void> {
    if (!doc.channel || !doc.ts) return;
    await this.slackCall('chat.update', () => this.opts.slack.chat.update({ channel: doc.channel!, ts: doc.ts!, ...this.card(doc) }));
  }

  private async notifyDecision(request: LookerAccessRequest, options: { automatic: boolean }): Promise<void> {
    await this.updateCard(request);
    const lookerUrl = this.opts.lookerConfig?.baseUrl ?? null;
    const message = options.automatic ? lookerGrantedNowDm(request, { lookerUrl }) : lookerDecidedDm(request, { lookerUrl });
    await this.dm(request.requesterId, message);
    if (request.subjectId !== request.requesterId) await this.dm(request.subjectId, message);
  }

  private async dm(userId: string, message: { text: string; blocks: KnownBlock[] }): Promise<void> {
    await this.slackCall('chat.postMessage', () => this.opts.slack.chat.postMessage({ channel: userId, ...message }));
  }

  /** Runs a Slack call; a failure is logged, never thrown (the decision is already stored). */
  private async slackCall<T>(method: string, call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (err) {
      const coded = toCodedError(err);
      this.opts.logger.error('slack call failed', { method, code: coded.code, err: coded });
      return null;
    }
  }

  private async profile(userId: string): Promise<Profile | null> {
    try {
      const res = await this.opts.slack.users.info({ user: userId });
      const user = res.user;
      if (!user || user.deleted) return null;
      const real = user.profile?.real_name ?? user.real_name ?? user.name ?? '';
      const [first = '', ...rest] = real.trim().split(/\s+/);
      return {
        email: user.profile?.email ?? null,
        firstName: user.profile?.first_name || first || (user.name ?? ''),
        lastName: user.profile?.last_name || rest.join(' '),
        isBot: Boolean(user.is_bot),
      };
    } catch (err) {
      const slackError = (err as { data?: { error?: string } }).data?.error;
      if (slackError === 'user_not_found' || slackError === 'users_not_found') return null;
      // Slack is unreachable: carry on without the profile rather than refuse the request.
      const coded = toCodedError(err);
      this.opts.logger.warn('users.info failed', { user: userId, code: coded.code, err: coded });
      return { email: null, firstName: '', lastName: '', isBot: false };
    }
  }
}
