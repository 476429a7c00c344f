/**
 * The order of App Home's lists, which its "Show all" modal pages through: the same requests give the same order
 * whatever order the feeds answer in, requests made in the same millisecond too, so that no page repeats one and
 * skips another.
 */
import { describe, expect, it } from 'vitest';
import { HomeService, type HomeFeed, type HomeRequestItem } from '../src/services/home.js';
import { silentLogger } from '../src/logger.js';

const item = (kind: HomeRequestItem['kind'], id: string, createdAt: string): HomeRequestItem => ({
  kind, id, ref: id.toUpperCase(), title: id, state: kind === 'pipeline' ? 'pipeline_open' : 'looker_pending', requester: 'U1', createdAt,
});

const SAME = '2026-12-06T10:00:00.000Z';
const items = [
  item('pipeline', 'pr_b', SAME), item('looker', 'la_a', SAME), item('pipeline', 'pr_a', SAME),
  item('looker', 'la_c', '2026-12-06T09:00:00.000Z'), item('pipeline', 'pr_c', '2026-12-06T11:00:00.000Z'), item('looker', 'la_b', SAME),
];

async function listed(order: HomeRequestItem[]): Promise<{ mine: string[]; waiting: string[] }> {
  const feed = (kind: HomeRequestItem['kind']): HomeFeed => ({
    name: kind,
    mine: async () => order.filter((i) => i.kind === kind),
    waiting: async () => order.filter((i) => i.kind === kind),
  });
  const home = new HomeService({ feeds: [feed('pipeline'), feed('looker')], logger: silentLogger, canRequestPipeline: true });
  const data = await home.homeFor('U1', { bizops: 'member', lookerAdmin: 'member' });
  return { mine: data.mine.map((i) => i.id), waiting: data.waiting.map((i) => i.id) };
}

describe('App Home lists', () => {
  it('order the same requests the same way whatever order the feeds answer in, ties included', async () => {
    const first = await listed(items);
    expect(first.mine).toEqual(['pr_c', 'la_a', 'la_b', 'pr_a', 'pr_b', 'la_c']);
    // Oldest first: the exact reverse.
    expect(first.waiting).toEqual([...first.mine].reverse());
    for (const order of [[...items].reverse(), [items[2]!, items[5]!, items[0]!, items[4]!, items[1]!, items[3]!]]) {
      expect(await listed(order)).toEqual(first);
    }
  });
});
