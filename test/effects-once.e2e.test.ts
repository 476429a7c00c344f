/**
 * One request, one effect: Slack retrying a slash command, a double (or
 * twentieth) click on Refresh, Share or Download CSV, each does one thing.
 * And one user's rate-limited call does not hold up another user's modal.
 * End to end: signed requests through the real receiver, the stand-in, the
 * embedded warehouse and store.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { ActionIds } from '../src/ids.js';
import { forgetClick } from '../src/services/clicks.js';

const channel = StandinDefaults.channel;
const riley = StandinDefaults.users.regular;
const blake = StandinDefaults.users.bizops;

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot();
}, 120_000);
afterAll(async () => t?.stop());

const uploads = () => t.standin.callsTo('files.completeUploadExternal').length;
const charts = () => t.standin.conversation(channel).filter((m) => !m.ephemeral && m.files?.some((f) => f.name.endsWith('.png')));
const settle = async () => {
  await t.drain();
  await new Promise((r) => setTimeout(r, 300));
  await t.drain();
};

describe('repeated deliveries and double clicks', () => {
  it('posts one chart when Slack delivers the same /query twice (a retry carries the same trigger)', async () => {
    const before = uploads();
    const triggerId = `${Date.now()}.${Math.floor(Math.random() * 1e6)}.abcdef0123456789abcdef0123456789`;
    const send = () => t.client.command({ command: '/query', text: 'instances-by-hosting', userId: riley, channelId: channel, triggerId });
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await t.standin.waitFor(() => uploads() > before, { timeoutMs: 15_000 });
    await settle();
    expect(uploads()).toBe(before + 1);
  });

  it('runs one refresh for 20 clicks on Refresh, and tells the other clickers one is on its way', async () => {
    const chart = await t.standin.waitFor(() => charts().at(-1));
    const before = uploads();
    const clicks = await Promise.all(
      Array.from({ length: 20 }, () => t.standin.clickAction(t.client, { userId: riley, channelId: channel, ts: chart.ts, actionId: ActionIds.queryRefresh, timeoutMs: 1_000 })),
    );
    expect(clicks.every((c) => c.ack.status === 200)).toBe(true);
    await t.standin.waitFor(() => uploads() > before, { timeoutMs: 15_000 });
    await settle();
    expect(uploads()).toBe(before + 1);
    const told = clicks.filter((c) => JSON.stringify(c.replies).includes('already on its way'));
    expect(told.length).toBeGreaterThanOrEqual(18);
  });

  it('posts one CSV for a double click on Download CSV, and says where the first one went', async () => {
    const chart = charts().at(-1)!;
    const csvs = () => t.standin.conversation(channel).filter((m) => m.thread_ts === chart.ts && m.files?.some((f) => f.name.endsWith('.csv')));
    const [x, y] = await Promise.all(
      [0, 1].map(() => t.standin.clickAction(t.client, { userId: riley, channelId: channel, ts: chart.ts, actionId: ActionIds.queryDownloadCsv, timeoutMs: 1_000 })),
    );
    await t.standin.waitFor(() => csvs().length > 0, { timeoutMs: 15_000 });
    await settle();
    expect(csvs()).toHaveLength(1);
    expect(JSON.stringify([x?.replies, y?.replies])).toContain("already in this result's thread");
  });

  it('shares a telemetry card once for a double click on Share', async () => {
    const { replies } = await t.standin.runCommand(t.client, { command: '/telemetry', text: 'acme', userId: riley, channelId: channel });
    const card = replies.find((r) => r.message?.ephemeral)?.message ?? t.standin.conversation(channel, { visibleTo: riley }).filter((m) => m.ephemeral).at(-1)!;
    const shared = () => t.standin.conversation(channel).filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`<@${riley}>`) && /Acme/.test(JSON.stringify(m.blocks ?? [])));
    const before = shared().length;
    const clicks = await Promise.all([0, 1].map(() => t.standin.clickAction(t.client, { userId: riley, channelId: channel, ts: card.ts, actionId: ActionIds.telemetryShare, timeoutMs: 1_000 })));
    await t.standin.waitFor(() => shared().length > before, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(shared().length).toBe(before + 1);
    // The second click is told, not left with nothing.
    expect(JSON.stringify(clicks.map((c) => c.replies))).toContain('You shared this card already (or it is on its way)');
  });

  it('posts a Share once though its lookup outlasted its hold and a second click shared the card meanwhile', async () => {
    const { replies } = await t.standin.runCommand(t.client, { command: '/telemetry', text: 'umbrella', userId: riley, channelId: channel });
    const card = replies.find((r) => r.message?.ephemeral)?.message ?? t.standin.conversation(channel, { visibleTo: riley }).filter((m) => m.ephemeral).at(-1)!;
    const { store } = t.bot.services.adapters;
    const shared = () => t.standin.conversation(channel).filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`<@${riley}>`) && /Umbrella/.test(JSON.stringify(m.blocks ?? [])));
    const before = shared().length;
    const share = () => t.standin.clickAction(t.client, { userId: riley, channelId: channel, ts: card.ts, actionId: ActionIds.telemetryShare, timeoutMs: 3_000 });
    const { cardFor } = t.bot.services.telemetry;
    const spy = vi.spyOn(t.bot.services.telemetry, 'cardFor').mockImplementationOnce(async (...args) => {
      // The lookup outlasts its hold (run out, as its TTL has it), and a second click shares the card meanwhile.
      for (const d of await store.list<{ scope: string; expiresAt: number }>('clicks')) {
        if (d.data.scope.startsWith(`share:${riley}:${card.ts}:`)) await store.put('clicks', d.id, { ...d.data, expiresAt: Date.now() - 1 });
      }
      await share();
      await t.standin.waitFor(() => shared().length > before, { timeoutMs: 10_000 });
      return cardFor.apply(t.bot.services.telemetry, args);
    });
    try {
      const first = await share();
      await new Promise((r) => setTimeout(r, 500));
      expect(shared()).toHaveLength(before + 1);
      expect(JSON.stringify(first.replies)).toContain('You shared this card already (or it is on its way)');
    } finally {
      spy.mockRestore();
    }
  });

  it('holds a Share for minutes while it works (a process dying then leaves it held that long), a day once shared', async () => {
    const { replies } = await t.standin.runCommand(t.client, { command: '/telemetry', text: 'initech', userId: riley, channelId: channel });
    const card = replies.find((r) => r.message?.ephemeral)?.message ?? t.standin.conversation(channel, { visibleTo: riley }).filter((m) => m.ephemeral).at(-1)!;
    const holds = async () => (await t.bot.services.adapters.store.list<{ scope: string; expiresAt: number }>('clicks')).filter((d) => d.data.scope.startsWith(`share:${riley}:${card.ts}:`));
    const { cardFor } = t.bot.services.telemetry;
    let whileWorking: number[] = [];
    const spy = vi.spyOn(t.bot.services.telemetry, 'cardFor').mockImplementationOnce(async (...args) => {
      whileWorking = (await holds()).map((d) => d.data.expiresAt - Date.now());
      return cardFor.apply(t.bot.services.telemetry, args);
    });
    try {
      await t.standin.clickAction(t.client, { userId: riley, channelId: channel, ts: card.ts, actionId: ActionIds.telemetryShare, timeoutMs: 2_000 });
      expect(whileWorking).toHaveLength(1);
      expect(whileWorking[0]).toBeLessThanOrEqual(2 * 60_000);
      await vi.waitFor(async () => {
        const kept = (await holds()).map((d) => d.data.expiresAt - Date.now());
        expect(kept).toHaveLength(1);
        expect(kept[0]).toBeGreaterThan(23 * 3_600_000);
      }, { timeout: 5_000 });
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a click whose work failed is not held against the next one', () => {
  it('Refresh that could not be asked for: the next click refreshes', async () => {
    const chart = await t.standin.waitFor(() => charts().at(-1));
    const spy = vi.spyOn(t.bot.services.queries, 'requestDelivery').mockRejectedValueOnce(new Error('the store did not answer'));
    try {
      const failed = await t.standin.clickAction(t.client, { userId: riley, channelId: channel, ts: chart.ts, actionId: ActionIds.queryRefresh, timeoutMs: 2_000 });
      expect(JSON.stringify(failed.replies)).not.toContain('already on its way');
      const before = uploads();
      const again = await t.standin.clickAction(t.client, { userId: riley, channelId: channel, ts: chart.ts, actionId: ActionIds.queryRefresh, timeoutMs: 2_000 });
      expect(JSON.stringify(again.replies)).not.toContain('already on its way');
      await t.standin.waitFor(() => uploads() > before, { timeoutMs: 15_000 });
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('Share whose lookup failed: told so, and the next click shares the card once', async () => {
    const { replies } = await t.standin.runCommand(t.client, { command: '/telemetry', text: 'globex', userId: riley, channelId: channel });
    const card = replies.find((r) => r.message?.ephemeral)?.message ?? t.standin.conversation(channel, { visibleTo: riley }).filter((m) => m.ephemeral).at(-1)!;
    const shared = () => t.standin.conversation(channel).filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`<@${riley}>`) && /Globex/.test(JSON.stringify(m.blocks ?? [])));
    const before = shared().length;
    const spy = vi.spyOn(t.bot.services.telemetry, 'cardFor').mockRejectedValueOnce(new Error('the warehouse did not answer'));
    try {
      const failed = await t.standin.clickAction(t.client, { userId: riley, channelId: channel, ts: card.ts, actionId: ActionIds.telemetryShare, timeoutMs: 2_000 });
      expect(JSON.stringify(failed.replies)).toMatch(/went wrong|could not|try again/i);
      expect(shared()).toHaveLength(before);
      await t.standin.clickAction(t.client, { userId: riley, channelId: channel, ts: card.ts, actionId: ActionIds.telemetryShare, timeoutMs: 2_000 });
      await t.standin.waitFor(() => shared().length > before, { timeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 300));
      expect(shared()).toHaveLength(before + 1);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('Share of a customer no longer in the warehouse: each click says so (none is taken for a share on its way)', async () => {
    const { replies } = await t.standin.runCommand(t.client, { command: '/telemetry', text: 'acme', userId: riley, channelId: channel });
    const card = replies.find((r) => r.message?.ephemeral)?.message ?? t.standin.conversation(channel, { visibleTo: riley }).filter((m) => m.ephemeral).at(-1)!;
    const spy = vi.spyOn(t.bot.services.telemetry, 'cardFor').mockResolvedValue(null);
    try {
      for (let i = 0; i < 2; i++) {
        const click = await t.standin.clickAction(t.client, { userId: riley, channelId: channel, ts: card.ts, actionId: ActionIds.telemetryShare, timeoutMs: 2_000 });
        expect(JSON.stringify(click.replies)).toContain('no longer in the warehouse');
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('once: a repeat runs nothing; work that throws is forgotten and its error rethrown, even when forgetting fails', async () => {
    const { clicks, adapters } = t.bot.services;
    const scope = `test:${Date.now()}`;
    const work = vi.fn(async () => 'done');
    expect(await clicks.once(scope, 60_000, work)).toEqual({ repeated: false, value: 'done' });
    expect(await clicks.once(scope, 60_000, work)).toEqual({ repeated: true });
    expect(work).toHaveBeenCalledTimes(1);

    const failing = `${scope}:failing`;
    await expect(clicks.once(failing, 60_000, () => Promise.reject(new Error('no effect')))).rejects.toThrow('no effect');
    expect(await clicks.once(failing, 60_000, work)).toEqual({ repeated: false, value: 'done' });

    const stuck = `${scope}:stuck`;
    const del = vi.spyOn(adapters.store, 'runTransaction').mockRejectedValueOnce(new Error('store down'));
    try {
      await expect(clicks.once(stuck, 60_000, () => Promise.reject(new Error('no effect')))).rejects.toThrow('no effect');
      expect(del).toHaveBeenCalledTimes(1);
    } finally {
      del.mockRestore();
    }
    // Not forgotten (the store was down): it stays used until its time runs out.
    expect(await clicks.once(stuck, 60_000, work)).toEqual({ repeated: true });
  });

  it('forgetClick frees only the click it names: not a later click on the same button, taken after the first one\'s hold ran out', async () => {
    const { clicks, adapters } = t.bot.services;
    const scope = `test:${Date.now()}:forget`;
    const name = async (ttlMs: number) => {
      const taken = await clicks.once(scope, ttlMs, async (click) => click);
      if (taken.repeated) throw new Error('the click was not taken');
      return taken.value;
    };
    const first = await name(30);
    await new Promise((r) => setTimeout(r, 80));
    const second = await name(60_000);
    expect(second).not.toBe(first);
    // The first click's delivery comes to nothing late: the second, still on its way, stays held.
    await adapters.store.runTransaction((tx) => forgetClick(tx, first));
    expect(await clicks.once(scope, 60_000, async () => 'third')).toEqual({ repeated: true });
    await adapters.store.runTransaction((tx) => forgetClick(tx, second));
    expect(await clicks.once(scope, 60_000, async () => 'third')).toEqual({ repeated: false, value: 'third' });
  });
});

describe('a rate-limited call', () => {
  it('fails fast for the user it hit and does not delay another user\'s modal', async () => {
    // Slack rate-limits Riley's views.open for 30 s.
    t.standin.failNextHttp('views.open', 429, { 'Retry-After': '30' });
    const started = Date.now();
    const first = await t.standin.runCommand(t.client, { command: '/looker-access', userId: riley, channelId: channel, timeoutMs: 5_000 });
    expect(JSON.stringify(first.replies)).toContain('could not open the Looker access form');
    expect(Date.now() - started).toBeLessThan(3_000);
    const other = Date.now();
    await t.standin.runCommand(t.client, { command: '/looker-access', userId: blake, channelId: channel, timeoutMs: 300 });
    const modal = await t.standin.waitFor(() => t.standin.modals(blake).at(-1), { timeoutMs: 5_000 });
    expect(modal).toBeDefined();
    // Blake's modal opened well within the life of his trigger (3 s), not after Riley's 30 s.
    expect(Date.now() - other).toBeLessThan(2_500);
  });
});
