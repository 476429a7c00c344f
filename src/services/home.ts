/**
 * App Home: a user's own open requests (Looker access, pipelines) with their
 * status, and, for Looker admins and BizOps, what waits on them. Each kind of
 * request is a feed; one that fails to load costs its section, not the tab.
 */
import type { Logger } from '../logger.js';
import { toCodedError } from '../errors.js';
import type { Roles } from './roles.js';
import { requestRef, type PipelineRequest, type PipelineRequestService } from './pipeline-request.js';
import { SOURCE_SYSTEM_LABEL } from './pipeline-request-sources.js';
import type { Store } from '../ports/store.js';
import { LOOKER_ACCESS_REQUESTS, decisionRuleFor, lookerRequestRef, type LookerAccessRequest } from './looker-access.js';
import { levelLabel } from '../domain/looker-policy.js';
import type { Directory } from '../ports/directory.js';
import type { Subscription } from './subscriptions.js';
import { memoFor } from '../memo-for.js';

/**
 * Where a request stands, for App Home (views/home.ts words it). Looker
 * access that is approved is "granted" only once the bot has granted it in
 * Looker; approved but to be done by hand, or refused by Looker, says so.
 */
export type HomeItemState =
  | 'pipeline_open'
  | 'pipeline_accepted'
  | 'looker_pending'
  | 'looker_granting'
  | 'looker_granted'
  | 'looker_by_hand'
  | 'looker_grant_failed';

/** What the viewer is expected to do, on "Waiting on you" only (never on the requester's own list). */
export type HomeTodo = 'triage_pipeline' | 'mark_pipeline_live' | 'decide_looker';

/** One request as App Home lists it. */
export interface HomeRequestItem {
  kind: 'pipeline' | 'looker';
  id: string;
  /** The short reference people see everywhere, e.g. `PR-7QK2ZD`, `LA-7QK2ZD`. */
  ref: string;
  /** What was asked: "HubSpot" (a pipeline request's dataset apart), "Develop access to Looker for 14 days". */
  title: string;
  /** The BigQuery dataset a pipeline request lands in: shown after the title as a name (code), as on the card. */
  dataset?: string;
  state: HomeItemState;
  /** When elevated Looker access ends (ISO), while it lasts. */
  until?: string;
  requester: string;
  /** Whom it is for, when not the requester (a manager asking for someone). */
  forUser?: string;
  createdAt: string;
  /** Set on the items of "Waiting on you". */
  todo?: HomeTodo;
}

/** The Home tab's lists of requests: my open requests, and what waits on me. */
export type HomeList = 'mine' | 'waiting';

/**
 * Where a request stands in a Home list: when it was made, then its kind and ID. Requests made in the same
 * millisecond are in one order always, and a page of the "Show all" modal, read again at each click, starts after
 * the last one the page before showed (or ends before the first), wherever the list has changed in between.
 */
export type HomeListKey = readonly [createdAt: string, tie: string];

export const homeListKey = (item: Pick<HomeRequestItem, 'createdAt' | 'kind' | 'id'>): HomeListKey => [item.createdAt, `${item.kind}:${item.id}`];

/** A Home list's order: my open requests newest first; what waits on me oldest first (what has waited longest comes first). */
export function homeListOrder(list: HomeList): (a: HomeListKey, b: HomeListKey) => number {
  const newestFirst = (a: HomeListKey, b: HomeListKey) => (a[0] !== b[0] ? (a[0] < b[0] ? 1 : -1) : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
  return list === 'mine' ? newestFirst : (a, b) => -newestFirst(a, b);
}

/** A source of requests for the Home tab. */
export interface HomeFeed {
  /** Names the feed in logs and in "could not load" notes. */
  readonly name: string;
  /** The user's own requests that are not finished. */
  mine(userId: string): Promise<HomeRequestItem[]>;
  /** Requests waiting on someone with these roles (empty when none apply). */
  waiting(userId: string, roles: Roles): Promise<HomeRequestItem[]>;
}

export interface HomeData {
  userId: string;
  roles: Roles;
  mine: HomeRequestItem[];
  waiting: HomeRequestItem[];
  /** Feeds that could not be read, by name. */
  unavailable: string[];
  /** Whether the "New pipeline request" button works here (an analytics channel is set). */
  canRequestPipeline: boolean;
  /** The user's scheduled deliveries and alerts of saved queries (with their queries' titles). */
  subscriptions: Array<{ subscription: Subscription; title: string }>;
  generatedAt: Date;
}

/** An open or accepted pipeline request (the others are finished and not listed); with its to-do for BizOps. */
function pipelineItem(r: PipelineRequest, forBizops: boolean): HomeRequestItem | null {
  if (r.status !== 'open' && r.status !== 'accepted') return null;
  return {
    kind: 'pipeline',
    id: r.id,
    ref: requestRef(r.id),
    title: SOURCE_SYSTEM_LABEL[r.source],
    dataset: r.destination,
    state: r.status === 'open' ? 'pipeline_open' : 'pipeline_accepted',
    requester: r.requester,
    createdAt: r.createdAt,
    ...(forBizops ? { todo: r.status === 'open' ? 'triage_pipeline' as const : 'mark_pipeline_live' as const } : {}),
  };
}

const present = (i: HomeRequestItem | null): i is HomeRequestItem => i !== null;

/** Pipeline requests as a Home feed: BizOps see the open and accepted ones. */
export function pipelineHomeFeed(requests: PipelineRequestService): HomeFeed {
  return {
    name: 'pipeline requests',
    mine: async (userId) => (await requests.openRequestsOf(userId)).map((r) => pipelineItem(r, false)).filter(present),
    waiting: async (_userId, roles) => (roles.bizops === 'member' ? (await requests.waitingOnBizops()).map((r) => pipelineItem(r, true)).filter(present) : []),
  };
}


/** How long a View grant left to an admin stays on the requester's Home. */
const BY_HAND_LISTED_MS = 7 * 86_400_000;

/** Where an unfinished Looker request stands; null once there is nothing left to wait for. */
function lookerState(r: LookerAccessRequest, now: Date): HomeItemState | null {
  if (r.status === 'pending') return 'looker_pending';
  if (r.status !== 'approved') return null;
  const lasting = r.expiresAt !== null && Date.parse(r.expiresAt) > now.getTime();
  if (!r.grant && !r.grantError) return 'looker_granting';
  // To be done by hand: the bot never hears when it is, so it is listed while elevated access lasts, or a week for View.
  const recent = r.decidedAt !== null && now.getTime() - Date.parse(r.decidedAt) < BY_HAND_LISTED_MS;
  if (r.grantError) return lasting || (r.expiresAt === null && recent) ? 'looker_grant_failed' : null;
  if (r.grant!.mode === 'manual') return lasting || (r.expiresAt === null && recent) ? 'looker_by_hand' : null;
  // Granted in Looker: elevated access stays listed until it ends, so the requester knows when.
  return lasting ? 'looker_granted' : null;
}

function lookerItem(r: LookerAccessRequest, now: Date, forAdmin: boolean): HomeRequestItem | null {
  const state = lookerState(r, now);
  if (!state) return null;
  return {
    kind: 'looker',
    id: r.id,
    ref: lookerRequestRef(r.id),
    title: `${levelLabel(r.level)} access to Looker${r.durationDays ? ` for ${r.durationDays} day${r.durationDays === 1 ? '' : 's'}` : ''}`,
    state,
    ...(r.expiresAt && Date.parse(r.expiresAt) > now.getTime() ? { until: r.expiresAt } : {}),
    requester: r.requesterId,
    ...(r.subjectId !== r.requesterId ? { forUser: r.subjectId } : {}),
    createdAt: r.createdAt,
    ...(forAdmin && state === 'looker_pending' ? { todo: 'decide_looker' as const } : {}),
  };
}

/** A person's Slack profile email for display: null when Slack shows none, 'unknown' when Slack could not be asked. */
export type EmailOf = (userId: string) => Promise<string | null | 'unknown'>;

/**
 * Profile emails reused for `ttlMs` (App Home is drawn often; each users.info counts against Slack's rate
 * limit). Display only: the clicks ask Slack every time. A failed lookup is not kept; at most `maxEntries`
 * people are kept (only Looker admins with requests to show are looked up).
 */
export function cachedEmailOf(directory: Pick<Directory, 'profile'>, opts: { ttlMs?: number; maxEntries?: number; clock?: () => number } = {}): EmailOf {
  return memoFor(
    (userId) => directory.profile(userId).then((p) => (p === 'unknown' ? 'unknown' : (p?.email ?? null)), () => 'unknown' as const),
    { ttlMs: opts.ttlMs ?? 60_000, maxEntries: opts.maxEntries ?? 500, failed: (email) => email === 'unknown', ...(opts.clock ? { clock: opts.clock } : {}) },
  );
}

/**
 * Looker access requests (the Looker access feature's collection) as a Home
 * feed: requests a user made or is the subject of; for Looker admins, the
 * pending ones they may decide, by the rule the clicks use ({@link decisionRuleFor}):
 * not one they made or that gives them access (those show under "mine"), nor
 * one for the Looker email on their own Slack profile (`emailOf`; asked only
 * when something is pending). Should Slack not answer, only the IDs are compared.
 */
export function lookerHomeFeed(store: Store, now: () => Date = () => new Date(), emailOf?: EmailOf, logger?: Logger): HomeFeed {
  const where = (field: string, equals: string) => store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field, equals } });
  const items = (list: LookerAccessRequest[], forAdmin: boolean) => list.map((r) => lookerItem(r, now(), forAdmin)).filter(present);
  const decidable = async (userId: string): Promise<HomeRequestItem[]> => {
    const pending = (await where('status', 'pending')).map((d) => d.data);
    const byIds = pending.filter((r) => decisionRuleFor(r, { id: userId, isLookerAdmin: true, email: null }).ok);
    if (byIds.length === 0 || !emailOf) return items(byIds, true);
    const email = await emailOf(userId);
    if (email === 'unknown') logger?.warn('home: could not read the Looker admin\'s Slack email; requests for it may be listed', { user: userId });
    const mine = email === 'unknown' ? null : email;
    return items(byIds.filter((r) => decisionRuleFor(r, { id: userId, isLookerAdmin: true, email: mine }).ok), true);
  };
  return {
    name: 'Looker access requests',
    mine: async (userId) => {
      const [made, forMe] = await Promise.all([where('requesterId', userId), where('subjectId', userId)]);
      const byId = new Map([...made, ...forMe].map((d) => [d.id, d.data]));
      return items([...byId.values()], false);
    },
    waiting: async (userId, roles) => (roles.lookerAdmin === 'member' ? decidable(userId) : []),
  };
}

export class HomeService {
  constructor(
    private readonly opts: {
      feeds: readonly HomeFeed[];
      logger: Logger;
      canRequestPipeline: boolean;
      /** A person's scheduled deliveries and alerts, with their queries' titles. */
      subscriptionsOf?: (userId: string) => Promise<Array<{ subscription: Subscription; title: string }>>;
      now?: () => Date;
    },
  ) {}

  /** Everything the Home tab shows for `userId`, whose roles the caller asked Slack for. */
  async homeFor(userId: string, roles: Roles): Promise<HomeData> {
    const unavailable: string[] = [];
    const results = await Promise.all(
      this.opts.feeds.map(async (feed) => {
        try {
          const [mine, waiting] = await Promise.all([feed.mine(userId), feed.waiting(userId, roles)]);
          return { mine, waiting };
        } catch (err) {
          const coded = toCodedError(err);
          this.opts.logger.error('home feed failed', { feed: feed.name, user: userId, code: coded.code, err: coded });
          unavailable.push(feed.name);
          return { mine: [], waiting: [] };
        }
      }),
    );
    const inOrder = (list: HomeList, items: HomeRequestItem[]) => {
      const order = homeListOrder(list);
      return items.sort((a, b) => order(homeListKey(a), homeListKey(b)));
    };
    let subscriptions: HomeData['subscriptions'] = [];
    try {
      subscriptions = (await this.opts.subscriptionsOf?.(userId)) ?? [];
    } catch (err) {
      const coded = toCodedError(err);
      this.opts.logger.error('home subscriptions failed', { user: userId, code: coded.code, err: coded });
      unavailable.push('scheduled deliveries and alerts');
    }
    return {
      userId,
      roles,
      mine: inOrder('mine', results.flatMap((r) => r.mine)),
      waiting: inOrder('waiting', results.flatMap((r) => r.waiting)),
      unavailable,
      canRequestPipeline: this.opts.canRequestPipeline,
      subscriptions,
      generatedAt: (this.opts.now ?? (() => new Date()))(),
    };
  }
}
