/**
 * `/query subscriptions` pages by keys: what Previous and Next carry, and the page a click in the list draws again,
 * read back as the commands read them (possibly forged), and the list's order for those made in the same millisecond.
 */
import { describe, expect, it } from 'vitest';
import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { ActionIds, BlockIds } from '../src/ids.js';
import { subscriptionKey, subscriptionOrder, type Subscription } from '../src/services/subscriptions.js';
import { listPlaceOf, listedPageOf, subscriptionsListMessage, type ListPlace } from '../views/subscriptions.js';
import { SLACK_LIMITS } from '../src/blockkit/limits.js';

const at = Date.parse('2026-12-01T14:00:00Z');
const sub = (i: number, createdAt = at - i * 1_000): Subscription => ({
  id: `sub_${'p'.repeat(34)}${String(i).padStart(6, '0')}`, kind: 'delivery', owner: 'U0REGULAR', query: 'weekly-active-instances', params: {},
  target: { kind: 'channel', channel: 'C0ANALYTIC' }, schedule: { kind: 'cron', cron: '0 9 * * 1', tz: 'America/New_York' }, format: 'chart',
  condition: null, alertState: 'ok', firedAt: null, firedMessage: null, status: 'active', pausedReason: null, nextRunAt: at + 86_400_000,
  lastRun: null, consecutiveFailures: 0, createdAt, updatedAt: createdAt,
});
// 45, newest first, the longest IDs there are (sub_ and 40 characters); the last five made in the same millisecond.
const list = Array.from({ length: 45 }, (_, i) => sub(i, at - Math.min(i, 40) * 1_000));

const draw = (place: ListPlace) => subscriptionsListMessage(list, () => 'Weekly active instances', { everyone: true, at: place });
const actions = (blocks: KnownBlock[]) => blocks.filter((b): b is ActionsBlock => b.type === 'actions');
const pager = (blocks: KnownBlock[]) => actions(blocks).find((b) => b.block_id === BlockIds.subscriptionsPages)!;
const valueOf = (blocks: KnownBlock[], actionId: string) => (pager(blocks).elements.find((e) => e.action_id === actionId) as Button | undefined)?.value;
const itemIds = (blocks: KnownBlock[]) => actions(blocks).filter((b) => b.block_id !== BlockIds.subscriptionsPages).map((b) => (b.elements[0] as Button).value);

describe('/query subscriptions paged by keys', () => {
  it('sorts newest first, and by ID those made in the same millisecond', () => {
    const shuffled = [list[44]!, list[2]!, list[41]!, list[0]!, list[40]!, list[43]!, list[42]!];
    const sorted = [...shuffled].sort((a, b) => subscriptionOrder(a, subscriptionKey(b)));
    expect(sorted.map((s) => s.id)).toEqual([list[0]!, list[2]!, list[40]!, list[41]!, list[42]!, list[43]!, list[44]!].map((s) => s.id));
    expect(subscriptionOrder(list[3]!, subscriptionKey(list[3]!))).toBe(0);
  });

  it('walks the pages by what Next and Previous carry, read back as a click gives them', () => {
    const first = draw({});
    expect(itemIds(first.blocks)).toEqual(list.slice(0, 20).map((s) => s.id));
    expect(valueOf(first.blocks, ActionIds.subscriptionsPrevious)).toBeUndefined();
    const second = draw(listPlaceOf(valueOf(first.blocks, ActionIds.subscriptionsNext)!));
    expect(itemIds(second.blocks)).toEqual(list.slice(20, 40).map((s) => s.id));
    // The third goes on after the 40th, in the millisecond the last five share.
    const third = draw(listPlaceOf(valueOf(second.blocks, ActionIds.subscriptionsNext)!));
    expect(itemIds(third.blocks)).toEqual(list.slice(40).map((s) => s.id));
    expect(valueOf(third.blocks, ActionIds.subscriptionsNext)).toBeUndefined();
    expect(itemIds(draw(listPlaceOf(valueOf(third.blocks, ActionIds.subscriptionsPrevious)!)).blocks)).toEqual(list.slice(20, 40).map((s) => s.id));
    expect(itemIds(draw(listPlaceOf(valueOf(second.blocks, ActionIds.subscriptionsPrevious)!)).blocks)).toEqual(list.slice(0, 20).map((s) => s.id));
  });

  it('draws a page again from its first item, as a click on one of its items names it, within Slack\'s block_id length', () => {
    const second = draw(listPlaceOf(valueOf(draw({}).blocks, ActionIds.subscriptionsNext)!));
    const blockIds = actions(second.blocks).map((b) => b.block_id!).filter((id) => id !== BlockIds.subscriptionsPages);
    expect(blockIds).toHaveLength(20);
    for (const id of blockIds) {
      expect(id.length).toBeLessThanOrEqual(SLACK_LIMITS.blockId);
      expect(listedPageOf(id)).toEqual({ at: subscriptionKey(list[20]!) });
    }
    // On the first page, the first page (not one starting at its first, should newer ones come).
    const onFirst = actions(draw({}).blocks).filter((b) => b.block_id !== BlockIds.subscriptionsPages).map((b) => listedPageOf(b.block_id));
    expect(onFirst).toEqual(Array.from({ length: 20 }, () => ({})));
  });

  it('reads forged or old values as the first page, and a block not in a list as none', () => {
    for (const value of ['', '<!channel>', '2', 'a.', 'a.1', 'c.1.sub_abcdef', 'a.1.sub_abc', 'a.1.SUB_ABCDEF', `a.${'9'.repeat(16)}.sub_abcdef`, 'a.1.sub_abcdef.x', ' a.1.sub_abcdef']) {
      expect(listPlaceOf(value), value).toEqual({});
    }
    expect(listPlaceOf('a.1.sub_abcdef')).toEqual({ a: [1, 'sub_abcdef'] });
    expect(listPlaceOf('b.1733000000000.sub_abcdef')).toEqual({ b: [1733000000000, 'sub_abcdef'] });
    const item = `${BlockIds.subscriptionActions}.sub_abcdef`;
    expect(listedPageOf(item)).toBeNull();
    expect(listedPageOf(undefined)).toBeNull();
    expect(listedPageOf(`${item}.listed`)).toEqual({});
    // A page number, of a list drawn before pages went by keys: the first page.
    expect(listedPageOf(`${item}.listed.2`)).toEqual({});
    expect(listedPageOf(`${item}.listed.1733000000000.sub_ghijkl`)).toEqual({ at: [1733000000000, 'sub_ghijkl'] });
    expect(listedPageOf(`${item}.listed.1733000000000.sub_ghijkl.x`)).toBeNull();
  });
});
