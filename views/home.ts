/**
 * The App Home tab: my open requests, what waits on me, and a way to ask for
 * a pipeline. A pure function of {@link HomeData}.
 */
import type { HomeView, KnownBlock, ModalView } from '@slack/types';
import { ActionIds, BlockIds, CallbackIds, Commands } from '../src/ids.js';
import { homeListKey, homeListOrder, type HomeData, type HomeList, type HomeListKey, type HomeRequestItem, type HomeTodo } from '../src/services/home.js';
import { escapeMrkdwn, pageByOrder, pagerBlocks, slackDate, truncateMrkdwn } from './common.js';
import { homeSubscriptionBlocks } from './subscriptions.js';

export type { HomeList } from '../src/services/home.js';

/** Items per section; the rest are counted, to stay inside 100 blocks, and listed by its "Show all" modal. */
export const HOME_MAX_ITEMS = 30;

/**
 * What a Home list modal's Previous / Next buttons carry: the list, and the request its page goes on after (`a`,
 * Next) or ends before (`b`, Previous). Neither: the first page.
 */
export interface HomeListPageRef {
  l: HomeList;
  a?: HomeListKey;
  b?: HomeListKey;
}

/** Items per page of a Home list's modal: the tab's own count, so its second page starts where the tab stopped. One block each. */
export const HOME_LIST_PAGE_SIZE = HOME_MAX_ITEMS;

const LIST_TITLE: Record<HomeList, string> = { mine: 'My open requests', waiting: 'Waiting on you' };

const KIND_LABEL: Record<HomeRequestItem['kind'], string> = { pipeline: ':inbox_tray: Pipeline', looker: ':bar_chart: Looker access' };

/** Where a request stands, in words; the end date of elevated access when it has one. */
export function homeStateText(item: Pick<HomeRequestItem, 'state' | 'until'>): string {
  const until = item.until ? slackDate(new Date(item.until), '{date_short_pretty}') : null;
  switch (item.state) {
    case 'pipeline_open': return 'waiting for BizOps';
    case 'pipeline_accepted': return 'accepted, being built';
    case 'looker_pending': return 'waiting for a Looker admin';
    case 'looker_granting': return 'approved, being granted in Looker';
    case 'looker_granted': return until ? `granted until ${until}` : 'granted';
    case 'looker_by_hand': return `approved; a Looker admin adds it in Looker by hand${until ? ` (it ends ${until})` : ''}`;
    case 'looker_grant_failed': return `approved, but Looker refused the grant; a Looker admin adds it by hand${until ? ` (it ends ${until})` : ''}`;
  }
}

const TODO_TEXT: Record<HomeTodo, string> = {
  triage_pipeline: 'accept or decline',
  mark_pipeline_live: 'mark live when it syncs',
  decide_looker: 'approve or deny',
};

function itemLine(item: HomeRequestItem, opts: { showRequester: boolean; viewer: string }): string {
  // One of "mine" that someone else asked for (access for me, asked by my manager) says who asked.
  const who = (opts.showRequester || item.requester !== opts.viewer ? ` from <@${item.requester}>` : '') + (item.forUser ? ` for <@${item.forUser}>` : '');
  const todo = item.todo ? ` · _${TODO_TEXT[item.todo]}_` : '';
  // A dataset name is code, as on the card and in the DMs: `_staging_` is a name, not italics.
  const dataset = item.dataset !== undefined ? ` → \`${escapeMrkdwn(item.dataset)}\`` : '';
  return truncateMrkdwn(
    `${KIND_LABEL[item.kind]} *${escapeMrkdwn(item.ref)}* ${escapeMrkdwn(item.title)}${dataset}${who}\n*${homeStateText(item)}* · asked ${slackDate(new Date(item.createdAt), '{date_short_pretty}')}${todo}`,
    3000,
  );
}

const itemSection = (item: HomeRequestItem, opts: { showRequester: boolean; viewer: string }): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: itemLine(item, opts) } });

/**
 * `cut` names the end of the list left out: the oldest of my requests (newest first), the newest of what waits on me
 * (oldest first). Those are counted in a section (one block, as the count alone was) whose button lists them all.
 */
function itemBlocks(items: HomeRequestItem[], opts: { showRequester: boolean; cut: 'oldest' | 'newest'; viewer: string; list: HomeList }): KnownBlock[] {
  const blocks: KnownBlock[] = items.slice(0, HOME_MAX_ITEMS).map((item) => itemSection(item, opts));
  if (items.length > HOME_MAX_ITEMS) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `…and ${items.length - HOME_MAX_ITEMS} more, ${opts.cut} not shown.` },
      accessory: { type: 'button', action_id: ActionIds.homeShowAll, text: { type: 'plain_text', text: `Show all ${items.length}` }, value: opts.list },
    });
  }
  return blocks;
}

function roleNames(data: HomeData): string[] {
  const names: string[] = [];
  if (data.roles.bizops === 'member') names.push('BizOps');
  if (data.roles.lookerAdmin === 'member') names.push('a Looker admin');
  return names;
}

/** The Home tab for one user. */
export function homeView(data: HomeData): HomeView {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Analytics requests' } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `Ask for Looker access with \`/looker-access\` and for a new data pipeline with \`${Commands.pipeline} request\`. Your open requests and their status show here.`,
      },
      ...(data.canRequestPipeline
        ? { accessory: { type: 'button' as const, action_id: ActionIds.homeNewPipelineRequest, text: { type: 'plain_text' as const, text: 'New pipeline request' } } }
        : {}),
    },
    { type: 'divider' },
    { type: 'header', text: { type: 'plain_text', text: 'My open requests' } },
  ];
  if (data.mine.length === 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Nothing open: no request of yours is waiting.' }] });
  else blocks.push(...itemBlocks(data.mine, { showRequester: false, cut: 'oldest', viewer: data.userId, list: 'mine' }));

  const roles = roleNames(data);
  if (roles.length) {
    blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Waiting on you' } });
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `As ${roles.join(' and ')}. Decide in the analytics channel, on each request's card.` }] });
    if (data.waiting.length === 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Nothing waits on you. :tada:' }] });
    else blocks.push(...itemBlocks(data.waiting, { showRequester: true, cut: 'newest', viewer: data.userId, list: 'waiting' }));
  }
  if (data.subscriptions.length) {
    blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'My scheduled deliveries and alerts' } });
    blocks.push(...homeSubscriptionBlocks(data.subscriptions));
  }
  blocks.push({ type: 'divider' }, notesBlock(data, 'open this tab again in a minute'));
  return { type: 'home', blocks };
}

/** What could not be read, and when it was: the foot of the tab and of its lists' modals. */
function notesBlock(data: HomeData, retry: string): KnownBlock {
  const notes: string[] = [];
  if (data.unavailable.length) notes.push(`:warning: Could not load ${data.unavailable.map(escapeMrkdwn).join(', ')}; ${retry}.`);
  if (data.roles.bizops === 'unknown' || data.roles.lookerAdmin === 'unknown') notes.push(':warning: Could not check your groups with Slack; what waits on you may be missing.');
  notes.push(`Updated ${slackDate(data.generatedAt)}`);
  return { type: 'context', elements: notes.map((text) => ({ type: 'mrkdwn' as const, text })) };
}

function homeListShell(list: HomeList, blocks: KnownBlock[]): ModalView {
  return { type: 'modal', callback_id: CallbackIds.homeList, title: { type: 'plain_text', text: LIST_TITLE[list] }, close: { type: 'plain_text', text: 'Close' }, blocks };
}

/**
 * A Home list's modal before its requests are read (opened at once, as the click's trigger lasts 3 seconds), or
 * when they could not be.
 */
export function homeListPendingModal(list: HomeList, state: 'loading' | 'failed'): ModalView {
  const text = state === 'loading'
    ? ':hourglass_flowing_sand: Reading the requests…'
    : ':warning: I could not read the requests just now. Please close this and click *Show all* on the Home tab again in a minute.';
  return homeListShell(list, [{ type: 'section', text: { type: 'mrkdwn', text } }]);
}

/**
 * One Home list in full, a page at a time (the first, or the one `at` names), in the tab's order: my open requests
 * newest first, what waits on me oldest first, so what the tab leaves out is on the later pages. Drawn from the same
 * {@link HomeData} as the tab, so it lists only what the tab would show this person: what waits on BizOps or Looker
 * admins only for a member of that group.
 */
export function homeListModal(data: HomeData, list: HomeList, at: Omit<HomeListPageRef, 'l'> = {}): ModalView {
  const items = list === 'mine' ? data.mine : data.waiting;
  const roles = roleNames(data);
  const blocks: KnownBlock[] = [];
  if (list === 'waiting' && roles.length === 0) {
    const unsure = data.roles.bizops === 'unknown' || data.roles.lookerAdmin === 'unknown';
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: unsure
          ? 'I could not check your groups with Slack just now, so I cannot list what waits on you. Please try again in a minute.'
          : 'Nothing waits on you: requests wait on BizOps and on Looker admins, and you are in neither group.',
      },
    });
    return homeListShell(list, blocks);
  }
  const order = homeListOrder(list);
  const p = pageByOrder(items, HOME_LIST_PAGE_SIZE, (item, key: HomeListKey) => order(homeListKey(item), key), at);
  const intro = list === 'mine'
    ? 'Newest first.'
    : `As ${roles.join(' and ')}, oldest first: what has waited longest comes first. Decide in the analytics channel, on each request's card.`;
  if (items.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: list === 'mine' ? 'Nothing open: no request of yours is waiting.' : 'Nothing waits on you. :tada:' } });
  } else {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${items.length} in all. ${intro}` }] });
  }
  const opts = { showRequester: list === 'waiting', viewer: data.userId };
  blocks.push(...p.shown.map((item) => itemSection(item, opts)));
  blocks.push(...pagerBlocks(p, {
    summary: `requests ${p.from + 1} to ${p.from + p.shown.length} of ${items.length}.`,
    blockId: BlockIds.homeListPages,
    previous: ActionIds.homeListPrevious,
    next: ActionIds.homeListNext,
    valueOf: (_n, to) => JSON.stringify((to === 'next' ? { l: list, a: homeListKey(p.shown.at(-1)!) } : { l: list, b: homeListKey(p.shown[0]!) }) satisfies HomeListPageRef),
  }));
  blocks.push(notesBlock(data, 'close this and click Show all again in a minute'));
  return homeListShell(list, blocks);
}
