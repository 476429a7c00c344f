/**
 * `/query subscriptions` paged by keys, walked at random (a fixed seed): lists of 0 to 60, some made in the same
 * millisecond, with subscriptions deleted and made between clicks on Next, Previous and the list's items (which draw
 * the page again). Each page drawn is checked against the list as it then is: its numbers, its buttons, and that a
 * click skips nothing that was there.
 */
import { describe, expect, it } from 'vitest';
import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { ActionIds, BlockIds } from '../src/ids.js';
import { SLACK_LIMITS } from '../src/blockkit/limits.js';
import { subscriptionKey, subscriptionOrder, type Subscription } from '../src/services/subscriptions.js';
import { MAX_LISTED_SUBSCRIPTIONS as SIZE, listPlaceOf, listedPageOf, subscriptionsListMessage, type ListPlace } from '../views/subscriptions.js';

/** mulberry32: the same walks every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}

const base = Date.parse('2026-12-01T14:00:00Z');
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

interface Drawn {
  shown: string[];
  from: number;
  /** "Page X of Y: A to B of N": null for a list of one page. */
  foot: { x: number; y: number; a: number; b: number; n: number } | null;
  next?: string;
  previous?: string;
  blockIds: string[];
}

function read(blocks: KnownBlock[], list: readonly Subscription[]): Drawn {
  const acts = blocks.filter((b): b is ActionsBlock => b.type === 'actions');
  const pager = acts.find((b) => b.block_id === BlockIds.subscriptionsPages);
  const items = acts.filter((b) => b !== pager);
  const shown = items.map((b) => (b.elements[0] as Button).value!);
  const footText = blocks.map((b) => (b.type === 'context' ? JSON.stringify(b) : '')).find((t) => t.includes('Page '));
  const m = footText ? /Page (\d+) of (\d+): (\d+) to (\d+) of (\d+), newest first\./.exec(footText) : null;
  const value = (id: string) => (pager?.elements.find((e) => e.action_id === id) as Button | undefined)?.value;
  const from = list.findIndex((s) => s.id === shown[0]);
  return {
    shown, from,
    foot: m ? { x: Number(m[1]), y: Number(m[2]), a: Number(m[3]), b: Number(m[4]), n: Number(m[5]) } : null,
    ...(value(ActionIds.subscriptionsNext) !== undefined ? { next: value(ActionIds.subscriptionsNext)! } : {}),
    ...(value(ActionIds.subscriptionsPrevious) !== undefined ? { previous: value(ActionIds.subscriptionsPrevious)! } : {}),
    blockIds: items.map((b) => b.block_id!),
  };
}

describe('/query subscriptions paged by keys, walked at random', () => {
  it('draws every page right, and skips nothing between clicks, whatever is deleted or made in between', () => {
    const r = rng(0x5eed5);
    const figures = { walks: 0, clicks: 0, next: 0, previous: 0, redraws: 0, deleted: 0, made: 0, sameMs: 0, madeEarlier: 0, skipped: 0, shownAgainByPrevious: 0, shownAgainByNext: 0, lastPageForNext: 0, previousShowingAgain: 0, nextNotPlusOne: 0, previousNotMinusOne: 0, clickedOffPage: 0, wrong: [] as string[] };
    const seen = new Set<string>();
    const newId = () => {
      for (;;) {
        const id = `sub_${Array.from({ length: r.int(6, 40) }, () => ALNUM[r.int(0, 35)]).join('')}`;
        if (!seen.has(id)) return seen.add(id), id;
      }
    };
    const make = (createdAt: number): Subscription => ({
      id: newId(), kind: 'delivery', owner: 'U0REGULAR', query: 'weekly-active-instances', params: {},
      target: { kind: 'channel', channel: 'C0ANALYTIC' }, schedule: { kind: 'cron', cron: '0 9 * * 1', tz: 'America/New_York' }, format: 'chart',
      condition: null, alertState: 'ok', firedAt: null, firedMessage: null, status: 'active', pausedReason: null, nextRunAt: base + 86_400_000,
      lastRun: null, consecutiveFailures: 0, createdAt, updatedAt: createdAt,
    });
    const sorted = (l: Subscription[]) => [...l].sort((a, b) => subscriptionOrder(a, subscriptionKey(b)));
    const byId = (l: readonly Subscription[], id: string) => l.find((s) => s.id === id)!;
    const wrong = (what: string) => figures.wrong.push(what);
    const skip = (what: string) => {
      figures.skipped++;
      wrong(what);
    };

    for (let walk = 0; walk < 300; walk++) {
      figures.walks++;
      // Made within a minute, a few a second, so that some share a millisecond.
      let list = sorted(Array.from({ length: r.int(0, 60) }, () => make(base - r.int(0, 60) * 1_000)));
      let clock = base;
      const draw = (at: ListPlace) => {
        const blocks = subscriptionsListMessage(list, () => 'Weekly active instances', { everyone: true, at }).blocks;
        const d = read(blocks, list);
        const n = list.length;
        if (n === 0) return d;
        // What it shows is a run of the list as it is, a whole page unless it reaches the end.
        if (d.from < 0 || d.shown.join() !== list.slice(d.from, d.from + d.shown.length).map((s) => s.id).join()) wrong(`walk ${walk}: not a run of the list`);
        if (d.shown.length !== Math.min(SIZE, n - d.from)) wrong(`walk ${walk}: ${d.shown.length} shown from ${d.from} of ${n}`);
        if (!d.foot) {
          if (d.from !== 0 || d.shown.length !== n) wrong(`walk ${walk}: no foot, yet ${d.shown.length} from ${d.from} of ${n}`);
        } else {
          const f = d.foot;
          if (f.a !== d.from + 1 || f.b !== d.from + d.shown.length || f.n !== n) wrong(`walk ${walk}: "${f.a} to ${f.b} of ${f.n}" for ${d.from}+${d.shown.length} of ${n}`);
          if (f.x < 1 || f.x > f.y || f.x !== Math.ceil(d.from / SIZE) + 1 || f.y - f.x !== Math.ceil((n - f.b) / SIZE)) wrong(`walk ${walk}: "Page ${f.x} of ${f.y}" for ${f.a} to ${f.b} of ${n}`);
          if ((d.previous !== undefined) !== (f.a > 1) || (d.next !== undefined) !== (f.b < n)) wrong(`walk ${walk}: buttons ${String(d.previous)} ${String(d.next)} for ${f.a} to ${f.b} of ${n}`);
        }
        for (const id of d.blockIds) {
          if (id.length > SLACK_LIMITS.blockId) wrong(`block_id of ${id.length}`);
          const place = listedPageOf(id);
          const want = d.from > 0 ? { at: subscriptionKey(byId(list, d.shown[0]!)) } : {};
          if (JSON.stringify(place) !== JSON.stringify(want)) wrong(`walk ${walk}: ${id} names ${JSON.stringify(place)}`);
        }
        for (const v of [d.next, d.previous]) if (v !== undefined && v.length > 2_000) wrong(`value of ${v.length}`);
        return d;
      };
      let page = draw({});
      let drawnOn = list;
      for (let click = 0; click < 12 && list.length; click++) {
        // Between two clicks: some deleted, some made.
        if (r.next() < 0.5) {
          for (let k = r.int(0, 4); k > 0 && list.length; k--) {
            const gone = r.int(0, list.length - 1);
            list = list.filter((_, i) => i !== gone);
            figures.deleted++;
          }
          for (let k = r.int(0, 4); k > 0; k--) {
            // Now (sometimes in the same millisecond as the newest); now and then at an earlier time, as a replica's
            // clock behind the others' would make it, among those already listed.
            const roll = r.next();
            if (roll < 0.15) figures.madeEarlier++;
            else if (roll < 0.4) figures.sameMs++;
            else clock += r.int(1, 5_000);
            list = sorted([...list, make(roll < 0.15 ? base - r.int(0, 60) * 1_000 : clock)]);
            figures.made++;
          }
        }
        if (!list.length) break;
        // Mostly Next or Previous, where there is one; else a click on one of the page's items.
        const turns = [...(page.next ? ['next' as const] : []), ...(page.previous ? ['previous' as const] : [])];
        const what = turns.length && r.next() < 0.75 ? turns[r.int(0, turns.length - 1)]! : 'redraw';
        figures.clicks++;
        const before = page;
        const keyOf = (id: string) => subscriptionKey(byId(drawnOn, id));
        if (what === 'next') {
          figures.next++;
          page = draw(listPlaceOf(before.next!));
          // It goes on after the last one the page showed: nothing there now lies between that and the new page's first.
          const last = keyOf(before.shown.at(-1)!);
          const after = list.filter((s) => subscriptionOrder(s, last) > 0);
          if (after.length) {
            if (page.shown[0] !== after[0]!.id) skip(`walk ${walk}: Next skipped ${list.indexOf(after[0]!)} to ${page.from}`);
          } else {
            figures.lastPageForNext++;
            if (page.from !== Math.max(0, list.length - SIZE)) wrong(`walk ${walk}: Next past the end not the last page`);
          }
          // Shown again only when none is left after it (the last page, whole).
          const again = page.shown.filter((id) => before.shown.includes(id)).length;
          if (again && after.length) wrong(`walk ${walk}: Next shows ${again} again`);
          figures.shownAgainByNext += again;
          if (before.foot && page.foot && page.foot.x !== before.foot.x + 1) figures.nextNotPlusOne++;
        } else if (what === 'previous') {
          figures.previous++;
          page = draw(listPlaceOf(before.previous!));
          // It ends right before the first one the page showed, or is the first page.
          const first = keyOf(before.shown[0]!);
          const earlier = list.filter((s) => subscriptionOrder(s, first) < 0);
          if (page.from > 0) {
            if (page.shown.at(-1) !== earlier.at(-1)?.id) skip(`walk ${walk}: Previous does not end right before the page's first`);
          } else if (earlier.length > SIZE || !earlier.every((s) => page.shown.includes(s.id))) {
            skip(`walk ${walk}: Previous's first page leaves one out`);
          }
          // Shown again only on the first page, whole.
          const again = page.shown.filter((id) => before.shown.includes(id)).length;
          if (again && page.from > 0) wrong(`walk ${walk}: Previous shows ${again} again`);
          figures.shownAgainByPrevious += again;
          if (again) figures.previousShowingAgain++;
          if (before.foot && page.foot && page.foot.x !== before.foot.x - 1) figures.previousNotMinusOne++;
        } else {
          figures.redraws++;
          const clicked = before.blockIds[r.int(0, before.blockIds.length - 1)]!;
          page = draw(listedPageOf(clicked)!);
          // The one clicked, still listed, drawn again off the page (made since, ahead of it, push it down): counted.
          const id = before.shown[before.blockIds.indexOf(clicked)]!;
          if (list.some((s) => s.id === id) && !page.shown.includes(id)) figures.clickedOffPage++;
          if (before.from === 0) {
            if (page.from !== 0) wrong(`walk ${walk}: the first page drawn again is not the first`);
          } else {
            // From the page's first (or the first after it, deleted): none of the page's skipped at its top.
            const first = keyOf(before.shown[0]!);
            const from = list.filter((s) => subscriptionOrder(s, first) >= 0);
            const want = from.length ? from[0]!.id : list[Math.max(0, list.length - SIZE)]!.id;
            if (page.shown[0] !== want) skip(`walk ${walk}: drawn again from ${page.from}, not from its first`);
          }
        }
        drawnOn = list;
      }
    }
    console.info('subscriptions paging, at random:', JSON.stringify({ ...figures, wrong: figures.wrong.length }));
    expect(figures.wrong.slice(0, 10)).toEqual([]);
    // The walks went where they should: past pages both ways, with lists changing.
    expect(figures.next).toBeGreaterThan(200);
    expect(figures.previous).toBeGreaterThan(100);
    expect(figures.redraws).toBeGreaterThan(200);
    expect(figures.sameMs).toBeGreaterThan(50);
  });
});
