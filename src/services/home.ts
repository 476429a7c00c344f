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
import { LOOKER_ACCESS_REQUESTS, type LookerAccessRequest } from './looker-access.js';
import { levelLabel } from '../domain/looker-policy.js';
import type { Subscription } from './subscriptions.js';

/** One request as App Home lists it. */
export interface HomeRequestItem {
  kind: 'pipeline' | 'looker';
  id: string;
  /** A short reference, e.g. `PR-7QK2ZD`. */
  ref: string;
  /** What was asked, in plain words: "HubSpot → hubspot", "Looker View for Riley". */
  title: string;
  /** The status, in words: "waiting for BizOps". */
  status: string;
  requester: string;
  /** Whom it is for, when not the requester (a manager asking for someone). */
  forUser?: string;
  createdAt: string;
  /** For "waiting on you": what the viewer is expected to do. */
  todo?: string;
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

const PIPELINE_STATUS: Record<PipelineRequest['status'], string> = {
  open: 'waiting for BizOps',
  accepted: 'accepted, being built',
  declined: 'declined',
  live: 'live',
};

function pipelineItem(r: PipelineRequest): HomeRequestItem {
  const todo = r.status === 'open' ? 'accept or decline' : r.status === 'accepted' ? 'mark live when it syncs' : undefined;
  return {
    kind: 'pipeline',
    id: r.id,
    ref: requestRef(r.id),
    title: `${SOURCE_SYSTEM_LABEL[r.source]} → ${r.destination}`,
    status: PIPELINE_STATUS[r.status],
    requester: r.requester,
    createdAt: r.createdAt,
    ...(todo ? { todo } : {}),
  };
}

/** Pipeline requests as a Home feed: BizOps see the open and accepted ones. */
export function pipelineHomeFeed(requests: PipelineRequestService): HomeFeed {
  return {
    name: 'pipeline requests',
    mine: async (userId) => (await requests.openRequestsOf(userId)).map(pipelineItem),
    waiting: async (_userId, roles) => (roles.bizops === 'member' ? (await requests.waitingOnBizops()).map(pipelineItem) : []),
  };
}


function lookerItem(r: LookerAccessRequest, now: Date): HomeRequestItem | null {
  let status: string;
  let todo: string | undefined;
  if (r.status === 'pending') {
    status = 'waiting for a Looker admin';
    todo = 'approve or deny';
  } else if (r.status === 'approved' && r.expiresAt && Date.parse(r.expiresAt) > now.getTime()) {
    // Elevated access stays "open" until it expires: the requester should know when.
    status = `granted until ${r.expiresAt.slice(0, 10)}`;
  } else if (r.status === 'approved' && r.grant?.mode === 'manual') {
    status = 'approved, a Looker admin is granting it by hand';
  } else {
    return null;
  }
  return {
    kind: 'looker',
    id: r.id,
    ref: `LA-${r.id.replace(/^la_/, '').slice(-6).toUpperCase()}`,
    title: `${levelLabel(r.level)} access${r.durationDays ? `, ${r.durationDays} days` : ''}`,
    status,
    requester: r.requesterId,
    ...(r.subjectId !== r.requesterId ? { forUser: r.subjectId } : {}),
    createdAt: r.createdAt,
    ...(todo ? { todo } : {}),
  };
}

/**
 * Looker access requests (the Looker access feature's collection) as a Home
 * feed: requests a user made or is the subject of; for Looker admins, the pending ones.
 */
export function lookerHomeFeed(store: Store, now: () => Date = () => new Date()): HomeFeed {
  const where = (field: string, equals: string) => store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, { where: { field, equals } });
  const items = (list: LookerAccessRequest[]) => list.map((r) => lookerItem(r, now())).filter((i): i is HomeRequestItem => i !== null);
  return {
    name: 'Looker access requests',
    mine: async (userId) => {
      const [made, forMe] = await Promise.all([where('requesterId', userId), where('subjectId', userId)]);
      const byId = new Map([...made, ...forMe].map((d) => [d.id, d.data]));
      return items([...byId.values()]);
    },
    waiting: async (_userId, roles) => (roles.lookerAdmin === 'member' ? items((await where('status', 'pending')).map((d) => d.data)) : []),
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
    const byNewest = (a: HomeRequestItem, b: HomeRequestItem) => (a.createdAt < b.createdAt ? 1 : -1);
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
      mine: results.flatMap((r) => r.mine).sort(byNewest),
      // Oldest first: what has waited longest comes first.
      waiting: results.flatMap((r) => r.waiting).sort((a, b) => -byNewest(a, b)),
      unavailable,
      canRequestPipeline: this.opts.canRequestPipeline,
      subscriptions,
      generatedAt: (this.opts.now ?? (() => new Date()))(),
    };
  }
}
