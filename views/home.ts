/**
 * The App Home tab: my open requests, what waits on me, and a way to ask for
 * a pipeline. A pure function of {@link HomeData}.
 */
import type { HomeView, KnownBlock } from '@slack/types';
import { ActionIds, Commands } from '../src/ids.js';
import type { HomeData, HomeRequestItem, HomeTodo } from '../src/services/home.js';
import { escapeMrkdwn, slackDate, truncateMrkdwn } from './common.js';
import { homeSubscriptionBlocks } from './subscriptions.js';

/** Items per section; the rest are counted, to stay inside 100 blocks. */
export const HOME_MAX_ITEMS = 30;

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

/** `cut` names the end of the list left out: the oldest of my requests (newest first), the newest of what waits on me (oldest first). */
function itemBlocks(items: HomeRequestItem[], opts: { showRequester: boolean; cut: 'oldest' | 'newest'; viewer: string }): KnownBlock[] {
  const blocks: KnownBlock[] = items.slice(0, HOME_MAX_ITEMS).map((item) => ({ type: 'section', text: { type: 'mrkdwn', text: itemLine(item, opts) } }));
  if (items.length > HOME_MAX_ITEMS) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${items.length - HOME_MAX_ITEMS} more, ${opts.cut} not shown.` }] });
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
  else blocks.push(...itemBlocks(data.mine, { showRequester: false, cut: 'oldest', viewer: data.userId }));

  const roles = roleNames(data);
  if (roles.length) {
    blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Waiting on you' } });
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `As ${roles.join(' and ')}. Decide in the analytics channel, on each request's card.` }] });
    if (data.waiting.length === 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Nothing waits on you. :tada:' }] });
    else blocks.push(...itemBlocks(data.waiting, { showRequester: true, cut: 'newest', viewer: data.userId }));
  }
  if (data.subscriptions.length) {
    blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'My scheduled deliveries and alerts' } });
    blocks.push(...homeSubscriptionBlocks(data.subscriptions));
  }
  const notes: string[] = [];
  if (data.unavailable.length) notes.push(`:warning: Could not load ${data.unavailable.map(escapeMrkdwn).join(', ')}; open this tab again in a minute.`);
  if (data.roles.bizops === 'unknown' || data.roles.lookerAdmin === 'unknown') notes.push(':warning: Could not check your groups with Slack; what waits on you may be missing.');
  notes.push(`Updated ${slackDate(data.generatedAt)}`);
  blocks.push({ type: 'divider' }, { type: 'context', elements: notes.map((text) => ({ type: 'mrkdwn' as const, text })) });
  return { type: 'home', blocks };
}
