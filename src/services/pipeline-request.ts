/**
 * The `/pipeline request` use case: validate what someone asked for, say when
 * the data already syncs, record the request once, and let BizOps accept,
 * decline or mark it live. Each step is one transaction that stores the
 * request, its audit entry and the notices it implies (the card in the
 * channel, the requester's DM), delivered by the job runner.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Store, StoreDoc, StoreTx } from '../ports/store.js';
import type { Directory, Membership } from '../ports/directory.js';
import { noticeJob, type Notice } from '../ports/notices.js';
import { enqueue } from '../jobs/model.js';
import { existingSyncs, SOURCE_SYSTEMS, type SourceSystem, type SyncedSource } from './pipeline-request-sources.js';
import { localeNumber, reasonProblem, trimText } from '../format.js';
import { isUserId } from '../ids.js';

/** The store collection holding pipeline requests (App Home and others read it). */
export const PIPELINE_REQUESTS = 'pipeline_requests';

export const FREQUENCIES = ['hourly', 'every_6_hours', 'daily', 'weekly', 'once'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

export const FREQUENCY_LABEL: Record<Frequency, string> = {
  hourly: 'Hourly',
  every_6_hours: 'Every 6 hours',
  daily: 'Daily',
  weekly: 'Weekly',
  once: 'One-off load',
};

/** Longest accepted answers; the modal sets the same max_length. */
export const PIPELINE_REQUEST_LIMITS = { objects: 1000, why: 1000, destination: 100, declineReason: 1000 } as const;

/** What is wrong with a decline's reason (as typed), or null: one is needed, and it has a limit. */
export function declineReasonProblem(text: string): string | null {
  return reasonProblem(text, { max: PIPELINE_REQUEST_LIMITS.declineReason, missing: 'Say why, so the requester knows what to do instead.' });
}

/** What the modal asks for. */
export interface PipelineRequestDraft {
  source: SourceSystem;
  objects: string;
  destination: string;
  frequency: Frequency;
  /** The business owner's Slack user ID. */
  owner: string;
  why: string;
}

export type DraftField = keyof PipelineRequestDraft;

export type PipelineRequestStatus = 'open' | 'accepted' | 'declined' | 'live';

/** Requests in these states still wait on someone. */
export const OPEN_STATUSES: readonly PipelineRequestStatus[] = ['open', 'accepted'];

/** A stored request. */
export interface PipelineRequest extends PipelineRequestDraft {
  id: string;
  requester: string;
  status: PipelineRequestStatus;
  createdAt: string;
  updatedAt: string;
  /** Sources that already synced from this system when it was asked (the requester went on anyway). */
  alreadySyncing: string[];
  acceptedBy?: string;
  acceptedAt?: string;
  declinedBy?: string;
  declinedAt?: string;
  declineReason?: string;
  liveBy?: string;
  liveAt?: string;
  /** The card in the analytics channel, once posted. */
  message?: { channel: string; ts: string };
  /** When the requester was told the card could not be posted yet: told once. */
  unpostedToldAt?: string;
}

type Doc = PipelineRequest & StoreDoc;

export type DraftValidation =
  | { ok: true; draft: PipelineRequestDraft }
  | { ok: false; errors: Partial<Record<DraftField, string>> };

const DATASET = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * An answer over its limit, said as the decline reason's is: counted in UTF-16 units, as stored, so an emoji
 * counts as two or more (600 emoji are 1,200), and how long it is, so the requester knows how much to cut.
 */
function tooLong(answer: string, max: number): string {
  return `Keep it to ${localeNumber(max)} characters (an emoji counts as two or more); it has ${localeNumber(answer.length)}.`;
}

function text(v: unknown): string {
  return typeof v === 'string' ? trimText(v) : '';
}

/**
 * Checks a draft the way the modal's inline errors report it: every field
 * required, lengths bounded, choices from the lists, the dataset a BigQuery
 * dataset name, the owner a user. Values may come from a forged payload.
 */
export function validateDraft(input: Partial<Record<DraftField, unknown>>): DraftValidation {
  const errors: Partial<Record<DraftField, string>> = {};
  const source = text(input.source);
  if (!source) errors.source = 'Choose the system the data comes from.';
  else if (!(SOURCE_SYSTEMS as readonly string[]).includes(source)) errors.source = 'Choose one of the listed systems (or Other).';

  const objects = text(input.objects);
  if (!objects) errors.objects = 'Say which objects or tables you need, e.g. “deals, companies”.';
  else if (objects.length > PIPELINE_REQUEST_LIMITS.objects) errors.objects = tooLong(objects, PIPELINE_REQUEST_LIMITS.objects);

  const destination = text(input.destination);
  if (!destination) errors.destination = 'Name the BigQuery dataset it should land in, e.g. `hubspot`.';
  else if (destination.length > PIPELINE_REQUEST_LIMITS.destination) errors.destination = `A dataset name has at most ${PIPELINE_REQUEST_LIMITS.destination} characters here.`;
  else if (!DATASET.test(destination)) errors.destination = 'Use letters, digits and underscores only, starting with a letter or underscore (a BigQuery dataset name).';

  const frequency = text(input.frequency);
  if (!frequency) errors.frequency = 'Choose how often it should sync.';
  else if (!(FREQUENCIES as readonly string[]).includes(frequency)) errors.frequency = 'Choose one of the listed frequencies.';

  const owner = text(input.owner);
  if (!owner) errors.owner = 'Choose the business owner of this data.';
  else if (!isUserId(owner)) errors.owner = 'Choose a person from the list.';

  const why = text(input.why);
  if (!why) errors.why = 'Say what the data is for: it helps BizOps prioritize.';
  else if (why.length > PIPELINE_REQUEST_LIMITS.why) errors.why = tooLong(why, PIPELINE_REQUEST_LIMITS.why);

  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, draft: { source: source as SourceSystem, objects, destination, frequency: frequency as Frequency, owner, why } };
}

/** A decision BizOps can take. */
export type Decision = { kind: 'accept' } | { kind: 'decline'; reason: string } | { kind: 'live' };

/** The states a decision may be taken from; anything else is "already decided". */
const ALLOWED_FROM: Record<Decision['kind'], readonly PipelineRequestStatus[]> = {
  accept: ['open'],
  decline: ['open', 'accepted'],
  live: ['open', 'accepted'],
};

const STATUS_AFTER: Record<Decision['kind'], Exclude<PipelineRequestStatus, 'open'>> = { accept: 'accepted', decline: 'declined', live: 'live' };

export type DecisionResult =
  | { ok: true; before: PipelineRequest; after: PipelineRequest }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'already_decided'; current: PipelineRequest }
  | { ok: false; reason: 'invalid'; message: string };

export type CreateResult =
  | { created: true; request: PipelineRequest }
  /** This submission was saved before (Slack delivering it again): `request` is what it saved. */
  | { created: false; request: PipelineRequest | null }
  /** The requester has the same request still open (`same`): nothing new was made. */
  | { created: false; request: null; same: PipelineRequest };

/** One document per requester that each of their requests reads and writes, so that copies sent at once are found. */
const PIPELINE_REQUEST_CREATIONS = 'pipeline_request_creations';

/**
 * Whether two requests ask for the same data: the same system, dataset and frequency, and the same objects
 * in any order, case, spacing and punctuation (`orders, line_items` is `Line_Items,orders.`).
 */
function sameAsk(a: PipelineRequestDraft, b: PipelineRequestDraft): boolean {
  // Objects with no letter or digit at all (only emoji or punctuation: `🎉`, `???`) are compared as typed, spaces aside: they are not all the same ask.
  const objects = (s: string) => [...new Set(s.toLowerCase().split(/[^\p{L}\p{N}_-]+/u).filter(Boolean))].sort().join(' ') || `\u0000${s.replace(/\s+/g, '')}`;
  return a.source === b.source && a.frequency === b.frequency && objects(a.objects) === objects(b.objects) && a.destination.toLowerCase() === b.destination.toLowerCase();
}

/** The open request among `mine` that asks for the same as `draft`, or null. */
function openSameAs(mine: ReadonlyArray<{ data: PipelineRequest }>, draft: PipelineRequestDraft): PipelineRequest | null {
  return mine.map((d) => d.data).find((r) => OPEN_STATUSES.includes(r.status) && sameAsk(r, draft)) ?? null;
}

/** Request IDs are made from the modal's view ID: `pr_V0123ABC`. */
const REQUEST_ID = /^pr_[A-Za-z0-9]{1,40}$/;

/** Whether a string (e.g. a button value from a payload) is shaped like a request ID. */
export function isRequestId(v: unknown): v is string {
  return typeof v === 'string' && REQUEST_ID.test(v);
}

/**
 * The request ID for a submission of modal `viewId`: the same submission always maps to the same request, and
 * two views to two. Slack's view IDs are letters and digits (`VMM512F2U`) and are kept as they are; Slack does
 * not promise a format, so any other (`V-1`, `!!!`) becomes a digest of it, not a shortened copy another shares.
 */
export function requestIdForView(viewId: string): string {
  if (/^[A-Za-z0-9]{1,40}$/.test(viewId)) return `pr_${viewId}`;
  return `pr_x${createHash('sha256').update(viewId).digest('hex').slice(0, 32)}`;
}

/** A short reference people can say: `PR-7QK2ZD`. */
export function requestRef(id: string): string {
  return `PR-${id.replace(/^pr_/, '').slice(-6).toUpperCase()}`;
}

export interface PipelineRequestServiceOptions {
  store: Store;
  directory: Directory;
  logger: Logger;
  /** Where the cards go; without it the requester only gets a DM. */
  analyticsChannel: string | undefined;
  /** Who may decide (`BIZOPS_USERGROUP`); unset: nobody. */
  bizopsUsergroup: string | undefined;
  /** Asks the job runner to look for due jobs now. */
  kick: () => void;
  /** The sources configured to sync now (read at each request, so a reloaded list is seen). */
  sources: () => readonly SyncedSource[];
  now?: () => Date;
}

export class PipelineRequestService {
  private readonly now: () => Date;

  constructor(private readonly opts: PipelineRequestServiceOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** The sources that already sync from the draft's system. */
  alreadySyncing(source: SourceSystem): SyncedSource[] {
    return existingSyncs(source, this.opts.sources());
  }

  /**
   * Records a request once per modal submission: Slack's repeated delivery of
   * the same view_submission (same view ID) finds it already there.
   */
  async create(viewId: string, requester: string, draft: PipelineRequestDraft): Promise<CreateResult> {
    const id = requestIdForView(viewId);
    const at = this.now().toISOString();
    const request: PipelineRequest = {
      ...draft,
      id,
      requester,
      status: 'open',
      createdAt: at,
      updatedAt: at,
      alreadySyncing: this.alreadySyncing(draft.source).map((s) => s.id),
    };
    const result = await this.opts.store.runTransaction(async (tx): Promise<CreateResult> => {
      const existing = await tx.get<Doc>(PIPELINE_REQUESTS, id);
      if (existing) return { created: false, request: existing.data };
      // The same request still open (sent again from a new form, or from two at once): BizOps would get two cards.
      await tx.get(PIPELINE_REQUEST_CREATIONS, requester);
      const same = openSameAs(await tx.list<Doc>(PIPELINE_REQUESTS, { where: { field: 'requester', equals: requester } }), draft);
      if (same) return { created: false, request: null, same };
      tx.put(PIPELINE_REQUEST_CREATIONS, requester, { lastAt: at });
      tx.put(PIPELINE_REQUESTS, id, request as Doc);
      tx.audit({ actor: requester, action: 'pipeline_request.created', subject: id, before: null, after: request as Doc, at });
      // The card first; its job then DMs the requester with a link to it.
      await this.notify(tx, this.opts.analyticsChannel ? [{ type: 'pipeline_request.card', requestId: id }] : [{ type: 'pipeline_request.dm', requestId: id, to: requester, about: 'received' }]);
      return { created: true, request };
    });
    if ('same' in result) this.opts.logger.info('pipeline request refused: the same one is open', { requester, same: result.same.id });
    else if (!result.created) this.opts.logger.info('pipeline request already recorded for this submission', { id, requester });
    else this.opts.kick();
    return result;
  }

  /** The requester's open request that asks for the same as `draft`, if any (read before the form's last step). */
  async sameOpen(requester: string, draft: PipelineRequestDraft): Promise<PipelineRequest | null> {
    return openSameAs(await this.opts.store.list<Doc>(PIPELINE_REQUESTS, { where: { field: 'requester', equals: requester } }), draft);
  }

  /**
   * Why the business owner cannot be one (an app, or nobody Slack knows), or
   * null. Asked of Slack, for at most `withinMs`: when Slack is slow or cannot
   * say, the owner is taken as chosen (the form offers only people).
   */
  async ownerProblem(userId: string, withinMs = 1_000): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'unknown'>((resolve) => (timer = setTimeout(() => resolve('unknown'), withinMs)));
    try {
      const profile = await Promise.race([this.opts.directory.profile(userId).catch(() => 'unknown' as const), late]);
      if (profile === null) return 'Choose a person in this workspace.';
      if (profile !== 'unknown' && profile.isBot) return 'Choose a person, not an app.';
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether `userId` may decide requests (BizOps), asked of Slack now. */
  membership(userId: string): Promise<Membership> {
    return this.opts.directory.membership(this.opts.bizopsUsergroup, userId);
  }

  get bizopsUsergroup(): string | null {
    return this.opts.bizopsUsergroup ?? null;
  }

  get analyticsChannel(): string | null {
    return this.opts.analyticsChannel ?? null;
  }

  async get(id: string): Promise<PipelineRequest | null> {
    if (!isRequestId(id)) return null;
    const doc = await this.opts.store.get<Doc>(PIPELINE_REQUESTS, id);
    return doc ? doc.data : null;
  }

  /** Records where the card was posted, with the job that posted it; returns the request as it is now (null if gone). */
  async recordCard(tx: StoreTx, id: string, message: { channel: string; ts: string }): Promise<PipelineRequest | null> {
    const current = await tx.get<Doc>(PIPELINE_REQUESTS, id);
    if (!current) return null;
    const after = { ...current.data, message };
    tx.put(PIPELINE_REQUESTS, id, after);
    return after;
  }

  /**
   * Takes a decision atomically: of two BizOps clicking at once, one decides
   * and the other learns it was already decided. The caller has checked that
   * `actor` is in BizOps.
   */
  async decide(id: string, decision: Decision, actor: string): Promise<DecisionResult> {
    if (!isRequestId(id)) return { ok: false, reason: 'not_found' };
    if (decision.kind === 'decline') {
      const problem = declineReasonProblem(decision.reason);
      if (problem) return { ok: false, reason: 'invalid', message: problem };
    }
    const at = this.now().toISOString();
    const result = await this.opts.store.runTransaction(async (tx): Promise<DecisionResult> => {
      const current = await tx.get<Doc>(PIPELINE_REQUESTS, id);
      if (!current) return { ok: false, reason: 'not_found' };
      const before = current.data;
      if (!ALLOWED_FROM[decision.kind].includes(before.status)) return { ok: false, reason: 'already_decided', current: before };
      const status = STATUS_AFTER[decision.kind];
      const change: Partial<PipelineRequest> =
        decision.kind === 'accept' ? { status, updatedAt: at, acceptedBy: actor, acceptedAt: at }
        : decision.kind === 'decline' ? { status, updatedAt: at, declinedBy: actor, declinedAt: at, declineReason: trimText(decision.reason) }
        : { status, updatedAt: at, liveBy: actor, liveAt: at };
      const after = { ...before, ...change } as Doc;
      tx.put(PIPELINE_REQUESTS, id, after);
      tx.audit({ actor, action: `pipeline_request.${status}`, subject: id, before, after, at });
      const notices: Notice[] = [{ type: 'pipeline_request.dm', requestId: id, to: after.requester, about: status }];
      if (this.opts.analyticsChannel || after.message) notices.unshift({ type: 'pipeline_request.card', requestId: id });
      await this.notify(tx, notices);
      return { ok: true, before, after };
    });
    if (result.ok) this.opts.kick();
    return result;
  }

  private async notify(tx: StoreTx, notices: Notice[]): Promise<void> {
    const at = this.now().getTime();
    for (const n of notices) await enqueue(tx, noticeJob(n), at);
  }

  /** The user's own requests that still wait on someone, newest first. */
  async openRequestsOf(userId: string): Promise<PipelineRequest[]> {
    const docs = await this.opts.store.list<Doc>(PIPELINE_REQUESTS, { where: { field: 'requester', equals: userId } });
    return newestFirst(docs.map((d) => d.data).filter((r) => OPEN_STATUSES.includes(r.status)));
  }

  /** What waits on BizOps: open requests to triage, accepted ones to bring live. Oldest first. */
  async waitingOnBizops(): Promise<PipelineRequest[]> {
    const lists = await Promise.all(
      OPEN_STATUSES.map((status) => this.opts.store.list<Doc>(PIPELINE_REQUESTS, { where: { field: 'status', equals: status } })),
    );
    return newestFirst(lists.flat().map((d) => d.data)).reverse();
  }
}

function newestFirst(list: PipelineRequest[]): PipelineRequest[] {
  return [...list].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
}
