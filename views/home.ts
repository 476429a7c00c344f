/**
 * The App Home tab: my open requests, what waits on me, and a way to ask for
 * a pipeline. A pure function of {@link HomeData}.
 */
import type { HomeView, KnownBlock } from '@slack/types';
import { ActionIds, Commands } from '../src/ids.js';
import type { HomeData, HomeRequestItem } from '../src/services/home.js';
import { escapeMrkdwn, slackDate, truncateMrkdwn } from './common.js';
import { homeSubscriptionBlocks } from './subscriptions.js';

/** Items per section; the rest are counted, to stay inside 100 blocks. */
export const HOME_MAX_ITEMS = 30;

const KIND_LABEL: Record<HomeRequestItem['kind'], string> = { pipeline: ':inbox_tray: Pipeline', looker: ':bar_chart: Looker access' };

function itemLine(item: HomeRequestItem, opts: { showRequester: boolean }): string {
  const who = (opts.showRequester ? ` from <@${item.requester}>` : '') + (item.forUser ? ` for <@${item.forUser}>` : '');
  const todo = item.todo ? ` · _${escapeMrkdwn(item.todo)}_` : '';
  return truncateMrkdwn(
    `${KIND_LABEL[item.kind]} *${escapeMrkdwn(item.ref)}* ${escapeMrkdwn(item.title)}${who}\n*${escapeMrkdwn(item.status)}* · asked ${slackDate(new Date(item.createdAt), '{date_short_pretty}')}${todo}`,
    3000,
  );
}

function itemBlocks(items: HomeRequestItem[], opts: { showRequester: boolean }): KnownBlock[] {
  const blocks: KnownBlock[] = items.slice(0, HOME_MAX_ITEMS).map((item) => ({ type: 'section', text: { type: 'mrkdwn', text: itemLine(item, opts) } }));
  if (items.length > HOME_MAX_ITEMS) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${items.length - HOME_MAX_ITEMS} more, oldest not shown.` }] });
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
  else blocks.push(...itemBlocks(data.mine, { showRequester: false }));

  const roles = roleNames(data);
  if (roles.length) {
    blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Waiting on you' } });
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `As ${roles.join(' and ')}. Decide in the analytics channel, on each request's card.` }] });
    if (data.waiting.length === 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Nothing waits on you. :tada:' }] });
    else blocks.push(...itemBlocks(data.waiting, { showRequester: true }));
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
