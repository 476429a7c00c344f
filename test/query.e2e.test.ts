/**
 * `/query` end to end: signed requests through the real Bolt HTTP receiver, the
 * real Web API client (the chart and CSV uploads in three documented steps) against the Slack stand-in, the
 * embedded demo warehouse (1M pings) and store.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadImage } from '@napi-rs/canvas';
import { clickTwiceWithOneTrigger, commandTwiceWithOneTrigger, startTestBot, freshDataDir, StandinDefaults, type TestBot } from './support/harness.js';
import { findElement } from '../src/slack-standin/views.js';
import { blockKitViolations } from './support/block-limits.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { ActionIds, BlockIds, CallbackIds } from '../src/ids.js';
import type { Warehouse } from '../src/ports/warehouse.js';
import type { StoredMessage } from '../src/slack-standin/server.js';
import { ChartRenderError, WarehouseError, WarehouseTimeoutError } from '../src/errors.js';
import { createChartRenderer, type ChartRenderer } from '../src/charts/renderer.js';
import type { KnownBlock } from '@slack/types';
import { JOBS, type JobDoc } from '../src/jobs/model.js';
import { QUERY_DELIVER_JOB } from '../src/services/query.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import type { Store } from '../src/ports/store.js';
import { faultyStore } from './support/faulty-store.js';

const user = StandinDefaults.users.regular;
const channel = StandinDefaults.channel;
const WAIT = { timeoutMs: 30_000, settleMs: 300 };

/** The embedded warehouse, counting the queries that reach it and failing on demand. */
function instrumented(real: Warehouse, mode: { fail: 'none' | 'error' | 'timeout' }) {
  const queries: string[] = [];
  const w: Warehouse = {
    kind: real.kind,
    async query(sql, params, options) {
      if (!sql.includes('FROM {{customers}}') || sql.includes('JOIN')) {
        if (mode.fail === 'error') throw new WarehouseError('Syntax error at node_modules/duckdb.js:42 (internal)');
        if (mode.fail === 'timeout') throw new WarehouseTimeoutError('query did not finish within 20000 ms');
        queries.push(sql);
      }
      return real.query(sql, params, options);
    },
    dryRun: (sql, params, options) => real.dryRun(sql, params, options),
    tableFreshness: (t) => real.tableFreshness(t),
    close: async () => {},
  };
  return { w, queries };
}

let t: TestBot;
let real: Warehouse;
const mode: { fail: 'none' | 'error' | 'timeout' } = { fail: 'none' };
let counted: ReturnType<typeof instrumented>;

beforeAll(async () => {
  const { openEmbeddedWarehouse } = await import('../src/adapters/warehouse/duckdb.js');
  real = await openEmbeddedWarehouse({ dataDir: await freshDataDir(), timeoutMs: 60_000 });
  counted = instrumented(real, mode);
  t = await startTestBot({ warehouse: counted.w });
}, 120_000);
afterAll(async () => {
  await t?.stop();
  await real?.close();
});

async function query(text: string, channelId = channel) {
  const { ack, replies } = await t.standin.runCommand(t.client, { command: '/query', text, userId: user, channelId, ...WAIT });
  expect(ack.status).toBe(200);
  const all = replies.map((r) => {
    const body = (r.via === 'web_api' ? r.args : r.body) as { text?: string; blocks?: unknown[] };
    return blocksToText({ text: body.text, blocks: body.blocks ?? [] });
  });
  return { ack, replies, text: all.join('\n') };
}

/** Visible messages in the channel posted since `before`. */
const newMessages = (before: number): StoredMessage[] => t.standin.conversation(channel).filter((m) => !m.ephemeral).slice(before);
const visibleCount = () => t.standin.conversation(channel).filter((m) => !m.ephemeral).length;

describe('/query through the signed HTTP receiver', () => {
  it('lists the catalog, and searches it', async () => {
    const { text, replies } = await query('');
    expect(replies[0]!.via).toBe('response_url');
    expect((replies[0] as { body: { response_type?: string } }).body.response_type).toBe('ephemeral');
    for (const n of ['weekly-active-instances', 'instances-by-telemetry-level', 'version-adoption', 'customer-pings-per-day', 'user-event-volume', 'top-customers-by-active-users']) {
      expect(text).toContain(`/query ${n}`);
    }
    const search = await query('list version');
    expect(search.text).toContain('2 of 8 saved queries match “version”');
    expect(search.text).toContain('version-adoption');
    expect(search.text).not.toContain('weekly-active-instances');
    const blocks = (replies[0] as unknown as { body: { blocks: KnownBlock[] } }).body.blocks;
    expect(blockKitViolations(blocks)).toEqual([]);
  });

  it('posts one chart when its retry\'s look for the first upload is rate-limited: put back by the Retry-After, no attempt spent', async () => {
    const before = visibleCount();
    let lost = false;
    const off = t.standin.onApplied((call) => {
      if (call.method !== 'files.completeUploadExternal' || lost) return;
      // Shared, but the answer is lost: the job tries again, and first looks for it; Slack rate-limits that look.
      lost = true;
      t.standin.failNextHttp('conversations.history', 429, { 'Retry-After': '1' });
      throw new Error('the answer is lost');
    });
    const job = async () => (await t.store.list<JobDoc>(JOBS)).map((j) => j.data).find((j) => j.kind === QUERY_DELIVER_JOB && JSON.stringify(j.payload).includes('"weeks":"11"'));
    const shift = t.now().getTime() - Date.now();
    try {
      await t.standin.runCommand(t.client, { command: '/query', text: 'weekly-active-instances weeks=11', userId: user, channelId: channel, timeoutMs: 300 });
      await vi.waitFor(() => expect(lost).toBe(true), { timeout: 15_000, interval: 50 });
      await vi.waitFor(
        async () => {
          t.advance(1_000);
          await t.drain();
          expect(await job()).toMatchObject({ state: 'done' });
        },
        { timeout: 20_000, interval: 200 },
      );
    } finally {
      off();
      t.setTime(Date.now() + shift); // the clock as the tests after this one expect it
    }
    // Attempt 1 lost its answer; attempt 2 was put back by the 429 and then found the chart: no third attempt.
    expect((await job())!.attempts).toBe(2);
    const charts = newMessages(before).filter((m) => (m.files ?? []).some((f) => f.name?.startsWith('weekly-active-instances-')));
    expect(charts).toHaveLength(1);
  });

  it('uploads the chart into the channel, its alt text as alt_txt: one message with image, summary, footer and buttons', async () => {
    const before = visibleCount();
    const calls = t.standin.calls.length;
    const { replies } = await query('weekly-active-instances weeks=8');
    expect(replies.some((r) => r.via === 'web_api' && r.method === 'files.completeUploadExternal')).toBe(true);

    const made = t.standin.calls.slice(calls);
    const getUrl = made.find((c) => c.method === 'files.getUploadURLExternal')!;
    expect(String(getUrl.args['filename'])).toMatch(/^weekly-active-instances-[0-9a-f]{6}\.png$/);
    // files.getUploadURLExternal takes alt_txt: @slack/web-api's filesUploadV2 sent alt_text, which Slack drops.
    expect(getUrl.args).not.toHaveProperty('alt_text');
    expect(String(getUrl.args.alt_txt)).toMatch(/^Line chart: Weekly active instances \(Weeks: 8 · Hosting: All hosting\)/);
    const complete = made.find((c) => c.method === 'files.completeUploadExternal')!;
    expect(complete.args.channel_id).toBe(channel);
    expect(complete.error).toBeUndefined();

    const posted = newMessages(before);
    expect(posted).toHaveLength(1);
    const message = posted[0]!;
    expect(message.files).toHaveLength(1);
    expect(message.files![0]!.name).toMatch(/^weekly-active-instances-[0-9a-f]{6}\.png$/);
    expect(message.files![0]).toMatchObject({ title: 'Weekly active instances', mimetype: 'image/png' });
    const text = blocksToText({ text: message.text, blocks: message.blocks ?? [] });
    expect(text).toContain('Weekly active instances');
    expect(text).toMatch(/\d+ rows, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}/);
    expect(text).toContain('Weeks: *8*');
    expect(text).toMatch(/MB processed/);
    expect(text).toContain('fresh run');
    expect(text).toMatch(/pings updated (just now|\d+ \w+ ago)/);
    expect(text).toMatch(/instances updated (just now|\d+ \w+ ago)/);
    expect(text).toContain(`requested by @${user}`);
    for (const b of ['Refresh', 'Show as table', 'Download CSV']) expect(text).toContain(b);
    expect(blockKitViolations((message.blocks ?? []) as KnownBlock[])).toEqual([]);

    // The bytes that reached Slack are the chart: a 1600×800 PNG.
    const file = t.standin.file(message.files![0]!.id)!;
    expect(file.size).toBeGreaterThan(10_000);
    expect(file.alt_txt).toMatch(/^Line chart: Weekly active instances/);
    const image = await loadImage(file.bytes!);
    expect([image.width, image.height]).toEqual([1600, 800]);
  });

  it('serves the same question from the cache, saying so', async () => {
    const runs = counted.queries.length;
    const before = visibleCount();
    await query('weekly-active-instances weeks=8');
    const text = blocksToText({ blocks: newMessages(before)[0]!.blocks ?? [] });
    expect(text).toContain('Cached result from');
    expect(text).toContain('nothing processed now');
    expect(text).not.toMatch(/MB processed/);
    expect(counted.queries.length).toBe(runs);
  });

  it('runs it once when two people ask at once', async () => {
    const runs = counted.queries.length;
    const before = visibleCount();
    await Promise.all([
      t.standin.runCommand(t.client, { command: '/query', text: 'version-adoption weeks=5', userId: user, channelId: channel, ...WAIT }),
      t.standin.runCommand(t.client, { command: '/query', text: 'version-adoption weeks=5', userId: StandinDefaults.users.bizops, channelId: channel, ...WAIT }),
    ]);
    await t.standin.waitFor(() => newMessages(before).length >= 2, { timeoutMs: 20_000 });
    expect(newMessages(before).filter((m) => m.files?.length)).toHaveLength(2);
    expect(counted.queries.length - runs).toBe(1);
  });

  it('posts one result for the same /query sent twice at once (a double Enter), and tells the second it is on its way', async () => {
    const runs = counted.queries.length;
    const before = visibleCount();
    // The same question, the second spelled differently (canonical values compare): one result.
    const [a, b] = await Promise.all([
      t.standin.runCommand(t.client, { command: '/query', text: 'version-adoption weeks=3', userId: user, channelId: channel, ...WAIT }),
      t.standin.runCommand(t.client, { command: '/query', text: 'version-adoption  weeks=03', userId: user, channelId: channel, ...WAIT }),
    ]);
    await t.standin.waitFor(() => newMessages(before).some((m) => m.files?.length), { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(newMessages(before).filter((m) => m.files?.length)).toHaveLength(1);
    expect(counted.queries.length - runs).toBe(1);
    const told = [a, b].map((r) => JSON.stringify(r.replies)).filter((text) => text.includes('it is already running, and its result is on its way'));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('ephemeral');
    // Someone else asking the same is their question: it posts (from the cache); other values are another question: it runs.
    const theirs = await t.standin.runCommand(t.client, { command: '/query', text: 'version-adoption weeks=3', userId: StandinDefaults.users.bizops, channelId: channel, ...WAIT });
    expect(JSON.stringify(theirs.replies)).not.toContain('already running');
    const c = await t.standin.runCommand(t.client, { command: '/query', text: 'version-adoption weeks=2', userId: user, channelId: channel, ...WAIT });
    expect(JSON.stringify(c.replies)).not.toContain('already running');
    await t.standin.waitFor(() => (newMessages(before).filter((m) => m.files?.length).length === 3 ? true : undefined), { timeoutMs: 20_000 });
  });

  it('shows one table for a double click on Show as table, and tells the second click', async () => {
    const before = visibleCount();
    await query('top-customers-by-active-users limit=4');
    const message = newMessages(before)[0]!;
    const clicks = await Promise.all([1, 2].map(() => t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: message.ts, actionId: ActionIds.queryShowTable, ...WAIT })));
    const texts = clicks.map((c) => JSON.stringify(c.replies));
    expect(texts.filter((text) => text.includes('active_users'))).toHaveLength(1);
    expect(texts.filter((text) => text.includes('You asked for the table of this result a moment ago'))).toHaveLength(1);
    // Someone else's click is theirs: the table is shown to them too.
    const theirs = await t.standin.clickAction(t.client, { userId: StandinDefaults.users.bizops, channelId: channel, ts: message.ts, actionId: ActionIds.queryShowTable, ...WAIT });
    expect(JSON.stringify(theirs.replies)).toContain('active_users');
  });

  it('posts table queries as monospaced text within Slack limits, saying how many rows were left out', async () => {
    const before = visibleCount();
    await query('instances-on-version version=5');
    const message = newMessages(before)[0]!;
    expect(message.files).toBeUndefined();
    const blocks = (message.blocks ?? []) as KnownBlock[];
    expect(blockKitViolations(blocks)).toEqual([]);
    const text = blocksToText({ blocks });
    expect(text).toContain('```');
    expect(text).toMatch(/customer\s+site_id\s+hosting\s+version/);
    expect(text).toMatch(/[\d,]+ more rows not shown: use Download CSV/);
    expect(text).toContain('Download CSV');
  });

  it('answers no rows plainly; a customer that sent no pings is a line at 0, not "no rows"', async () => {
    let before = visibleCount();
    await query('instances-on-version version=9.9');
    expect(blocksToText({ blocks: newMessages(before)[0]!.blocks ?? [] })).toContain('returned no rows for Version prefix *9.9*');
    before = visibleCount();
    await query('customer-pings-per-day customer=globex since=-7d');
    const silent = await t.standin.waitFor(() => newMessages(before).find((m) => m.files?.length));
    const summary = blocksToText({ blocks: silent.blocks ?? [] });
    expect(summary).not.toContain('no rows');
    expect(summary).toMatch(/1[0-4] rows/); // a day's critical and full pings, each 0, for each of the last 7 days the pipeline received pings
  });

  it('Show as table, Download CSV and Refresh work on the chart message', async () => {
    const before = visibleCount();
    await query('top-customers-by-active-users limit=5');
    const message = newMessages(before)[0]!;

    const table = await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: message.ts, actionId: ActionIds.queryShowTable, ...WAIT });
    expect(table.ack.status).toBe(200);
    const tableText = JSON.stringify(table.replies);
    expect(tableText).toContain('active_users');
    expect(tableText).toContain('nothing processed now');
    expect(tableText).toContain('ephemeral');

    const calls = t.standin.calls.length;
    const csvClick = await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: message.ts, actionId: ActionIds.queryDownloadCsv, ...WAIT });
    // The first click already says where the file goes (a thread the clicker may not have open).
    expect(JSON.stringify(csvClick.replies)).toContain("will be in this result's thread in a moment");
    await t.standin.waitFor(() => t.standin.calls.slice(calls).some((c) => c.method === 'files.completeUploadExternal'), { timeoutMs: 20_000 });
    const csvCall = t.standin.calls.slice(calls).find((c) => c.method === 'files.completeUploadExternal')!;
    expect(csvCall.args).toMatchObject({ channel_id: channel, thread_ts: message.ts });
    const csvMessage = t.standin.conversation(channel).find((m) => m.thread_ts === message.ts && m.files?.length)!;
    const csv = t.standin.file(csvMessage.files![0]!.id)!.bytes!.toString('utf8');
    expect(csv.split('\r\n')[0]).toBe('customer,active_users,events');
    expect(csv.trim().split('\r\n')).toHaveLength(6);

    const runs = counted.queries.length;
    const beforeRefresh = visibleCount();
    await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: message.ts, actionId: ActionIds.queryRefresh, ...WAIT });
    await t.standin.waitFor(() => newMessages(beforeRefresh).some((m) => m.files?.some((f) => f.name.endsWith('.png'))), { timeoutMs: 20_000 });
    expect(counted.queries.length).toBe(runs + 1);
    expect(blocksToText({ blocks: newMessages(beforeRefresh).find((m) => m.files?.length)!.blocks ?? [] })).toContain('fresh run');
  });

  it('Run on the list posts a query that needs nothing into the channel, and opens the modal of one that needs a value', async () => {
    const list = await query('list hosting');
    expect(list.text).toContain('instances-by-hosting');
    const ephemeral = t.standin.conversation(channel).filter((m) => m.ephemeral && (m.text ?? '').startsWith('Saved queries matching')).at(-1)!;
    const before = visibleCount();
    const run = await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: ephemeral.ts, actionId: ActionIds.queryRun, ...WAIT });
    expect(run.ack.status).toBe(200);
    await t.standin.waitFor(() => newMessages(before).some((m) => m.files?.some((f) => /^instances-by-hosting-[0-9a-f]{6}\.png$/.test(f.name))), { timeoutMs: 20_000 });
    // A second click on the same Run (a double click, a repeated delivery) posts nothing more, and says why.
    const again = await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: ephemeral.ts, actionId: ActionIds.queryRun, ...WAIT });
    expect(JSON.stringify(again.replies)).toContain('already running from this button');
    await new Promise((r) => setTimeout(r, 300));
    expect(newMessages(before).filter((m) => m.files?.some((f) => /^instances-by-hosting-[0-9a-f]{6}\.png$/.test(f.name)))).toHaveLength(1);

    await query('list customer');
    const needsCustomer = t.standin.conversation(channel).filter((m) => m.ephemeral && (m.text ?? '').startsWith('Saved queries matching')).at(-1)!;
    expect(blocksToText({ blocks: needsCustomer.blocks ?? [] })).toContain('customer-pings-per-day');
    const opened = await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: needsCustomer.ts, actionId: ActionIds.queryRun, ...WAIT });
    expect(opened.replies.some((r) => r.via === 'web_api' && r.method === 'views.open')).toBe(true);
    const modal = t.standin.modals(user).at(-1)!;
    expect(JSON.parse(modal.private_metadata ?? '{}')).toMatchObject({ q: 'customer-pings-per-day', c: channel });
    await t.standin.closeView(t.client, { userId: user });
  });

  it('says nothing more when the command or the Run click that opens the parameters form arrives again (its trigger opened the form already)', async () => {
    const asked = await commandTwiceWithOneTrigger(t, { command: '/query', text: 'customer-pings-per-day since=2001-01-01', userId: user, channelId: channel });
    expect(asked).toEqual({ statuses: [200, 200], opens: ['ok', 'exchanged_trigger_id'], said: [], openForms: [CallbackIds.queryParams] });

    await query('list customer');
    const list = t.standin.conversation(channel).filter((m) => m.ephemeral && (m.text ?? '').startsWith('Saved queries matching')).at(-1)!;
    const run = findElement(list.blocks ?? [], ActionIds.queryRun)!;
    expect(String(run.element['value'])).toContain('customer-pings-per-day');
    const clicked = await clickTwiceWithOneTrigger(t, {
      userId: user,
      channelId: channel,
      container: { type: 'message', message_ts: list.ts, channel_id: channel, is_ephemeral: true },
      actions: [{ action_id: ActionIds.queryRun, block_id: run.blockId, value: String(run.element['value']) }],
    });
    expect(clicked).toEqual({ statuses: [200, 200], opens: ['ok', 'exchanged_trigger_id'], said: [], openForms: [CallbackIds.queryParams] });
    // Said in the log, for whoever looks into a command that "said nothing".
    expect(t.logs.filter((l) => l.includes('query form already opened by an earlier delivery'))).toHaveLength(2);
  });

  it('Run that could not be started is not held against the next click', async () => {
    await query('list adoption');
    const list = t.standin.conversation(channel).filter((m) => m.ephemeral && (m.text ?? '').startsWith('Saved queries matching')).at(-1)!;
    expect(blocksToText({ blocks: list.blocks ?? [] })).toContain('version-adoption');
    const spy = vi.spyOn(t.bot.services.queries, 'requestDelivery').mockRejectedValueOnce(new Error('the store did not answer'));
    try {
      const failed = await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: list.ts, actionId: ActionIds.queryRun, ...WAIT });
      expect(JSON.stringify(failed.replies)).not.toContain('already running');
      const before = visibleCount();
      const again = await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: list.ts, actionId: ActionIds.queryRun, ...WAIT });
      expect(JSON.stringify(again.replies)).not.toContain('already running');
      await t.standin.waitFor(() => newMessages(before).some((m) => m.files?.some((f) => /^version-adoption-[0-9a-f]{6}\.png$/.test(f.name))), { timeoutMs: 20_000 });
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('"Did you mean …?" has a Run button for each suggestion', async () => {
    const miss = await query('weekly-activ');
    expect(miss.text).toContain('Did you mean `weekly-active-instances`');
    const reply = t.standin.conversation(channel).filter((m) => m.ephemeral && (m.text ?? '').includes('There is no saved query')).at(-1)!;
    const button = JSON.stringify(reply.blocks);
    expect(button).toContain(`"action_id":"${ActionIds.queryRun}"`);
    const before = visibleCount();
    await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: reply.ts, actionId: ActionIds.queryRun, ...WAIT });
    await t.standin.waitFor(() => newMessages(before).some((m) => m.files?.some((f) => /^weekly-active-instances-[0-9a-f]{6}\.png$/.test(f.name))), { timeoutMs: 20_000 });
  });

  it('"Did you mean …?" runs the suggestion with the values typed, not its defaults', async () => {
    await query('weekly-activ weeks=4 hosting=managed');
    const reply = t.standin.conversation(channel).filter((m) => m.ephemeral && (m.text ?? '').includes('There is no saved query')).at(-1)!;
    const before = visibleCount();
    await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: reply.ts, actionId: ActionIds.queryRun, ...WAIT });
    const posted = await t.standin.waitFor(() => newMessages(before).find((m) => m.files?.some((f) => /^weekly-active-instances-[0-9a-f]{6}\.png$/.test(f.name))), { timeoutMs: 20_000 });
    expect(blocksToText({ blocks: posted.blocks ?? [] })).toContain('Weeks: *4* · Hosting: *Managed*');
    // The same for `/query subscribe` mistyped: its Subscribe… opens the form with them.
    await query('subscribe weekly-activ weeks=4');
    const near = t.standin.conversation(channel).filter((m) => m.ephemeral && (m.text ?? '').includes('There is no saved query')).at(-1)!;
    await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: near.ts, actionId: ActionIds.querySubscribe, ...WAIT });
    const form = await t.standin.waitFor(() => t.standin.modals(user).at(-1));
    expect(JSON.stringify(form.blocks)).toContain('"initial_value":"4"');
    await t.standin.closeView(t.client, { userId: user, clearAll: true });
  });

  it('refuses forged button values without running or posting anything', async () => {
    const before = visibleCount();
    await query('instances-by-hosting');
    const message = newMessages(before)[0]!;
    const runs = counted.queries.length;
    for (const [value, expected] of [
      ['not json', 'does not carry a query I know'],
      [JSON.stringify({ q: 'drop-everything', p: {} }), 'no longer in the catalog'],
      // A value the bot never writes (a number, a list) refuses the click whole: it does not run with that value dropped.
      [JSON.stringify({ q: 'weekly-active-instances', p: { weeks: 4, hosting: 'cloud' } }), 'does not carry a query I know'],
      [JSON.stringify({ q: 'weekly-active-instances', p: { weeks: '4', hosting: ['cloud'] } }), 'does not carry a query I know'],
      [JSON.stringify({ q: 'weekly-active-instances', p: { weeks: '999' } }), '*Weeks* (`weeks`): must be from 1 to 13, got 999'],
      [JSON.stringify({ q: 'customer-pings-per-day', p: { customer: "x' OR 1=1 --" } }), 'no customer matches'],
    ] as const) {
      const responses = t.standin.responses.length;
      const res = await t.client.blockAction({
        userId: user, channelId: channel,
        message: { ts: message.ts, type: 'message', text: '' },
        container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false },
        actions: [{ action_id: ActionIds.queryRefresh, block_id: BlockIds.queryResultActions, type: 'button', value }],
      });
      expect(res.status).toBe(200);
      await t.standin.waitFor(() => t.standin.responses.length > responses, { timeoutMs: 10_000 });
      expect(JSON.stringify(t.standin.responses.slice(responses))).toContain(expected);
    }
    expect(counted.queries.length).toBe(runs);
    expect(visibleCount()).toBe(before + 1);
  });

  it('takes a Refresh whose value is the same request written differently (keys reordered, spaces) for the same click; a different one runs', async () => {
    const before = visibleCount();
    await query('weekly-active-instances weeks=7 hosting=cloud');
    const message = newMessages(before)[0]!;
    const refresh = async (value: string) => {
      const responses = t.standin.responses.length;
      const res = await t.client.blockAction({
        userId: user, channelId: channel,
        message: { ts: message.ts, type: 'message', text: '' },
        container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false },
        actions: [{ action_id: ActionIds.queryRefresh, block_id: BlockIds.queryResultActions, type: 'button', value }],
      });
      expect(res.status).toBe(200);
      return responses;
    };
    const afterFirst = visibleCount();
    await refresh(JSON.stringify({ q: 'weekly-active-instances', p: { weeks: '7', hosting: 'cloud' } }));
    await t.standin.waitFor(() => newMessages(afterFirst).some((m) => m.files?.length), { timeoutMs: 20_000 });
    for (const value of [
      JSON.stringify({ p: { hosting: 'cloud', weeks: '7' }, q: 'weekly-active-instances' }),
      '{ "q" : "weekly-active-instances",\n  "p" : { "weeks" : "7" , "hosting" : "cloud" } }',
    ]) {
      const responses = await refresh(value);
      await t.standin.waitFor(() => t.standin.responses.length > responses, { timeoutMs: 10_000 });
      expect(JSON.stringify(t.standin.responses.slice(responses))).toContain('A refresh of this result is already on its way');
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(newMessages(afterFirst).filter((m) => m.files?.length)).toHaveLength(1);
    // Other values are another request: it runs.
    await refresh(JSON.stringify({ q: 'weekly-active-instances', p: { weeks: '6', hosting: 'cloud' } }));
    await t.standin.waitFor(() => (newMessages(afterFirst).filter((m) => m.files?.length).length === 2 ? true : undefined), { timeoutMs: 20_000 });
    expect(blocksToText({ blocks: newMessages(afterFirst).filter((m) => m.files?.length)[1]!.blocks ?? [] })).toContain('Weeks: *6*');
    // Download CSV is keyed the same way.
    const csv = async (value: string) => {
      const responses = t.standin.responses.length;
      await t.client.blockAction({
        userId: user, channelId: channel,
        message: { ts: message.ts, type: 'message', text: '' },
        container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false },
        actions: [{ action_id: ActionIds.queryDownloadCsv, block_id: BlockIds.queryResultActions, type: 'button', value }],
      });
      await t.standin.waitFor(() => t.standin.responses.length > responses, { timeoutMs: 10_000 });
      return JSON.stringify(t.standin.responses.slice(responses));
    };
    expect(await csv(JSON.stringify({ q: 'weekly-active-instances', p: { weeks: '7', hosting: 'cloud' } }))).toContain('in a moment');
    expect(await csv(JSON.stringify({ p: { hosting: 'cloud', weeks: '7' }, q: 'weekly-active-instances' }))).toContain('is already in this result');
  });

  it('answers a malformed parameters submission (no state, a null state or block) with the form\'s errors at once, and runs nothing', async () => {
    const before = counted.queries.length;
    const metadata = JSON.stringify({ q: 'customer-pings-per-day', c: channel });
    const states = [undefined, { values: null }, { values: { [`${BlockIds.queryParamPrefix}customer`]: null } }];
    for (const [i, state] of states.entries()) {
      const ack = await t.client.viewSubmission({ userId: user, view: { id: `VQMALFORMED${i}`, callback_id: CallbackIds.queryParams, private_metadata: metadata, ...(state === undefined ? {} : { state }) } });
      expect(ack.status, JSON.stringify(state)).toBe(200);
      expect(ack.json, JSON.stringify(state)).toMatchObject({ response_action: 'errors' });
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(counted.queries.length).toBe(before);
  });

  it('says so, and runs nothing, when a form\'s saved query left the catalog after it opened (or the form is not one it opened)', async () => {
    const before = counted.queries.length;
    const gone = await t.client.viewSubmission({ userId: user, view: { id: 'VQGONE1', callback_id: CallbackIds.queryParams, private_metadata: JSON.stringify({ q: 'renamed-<query>', c: channel }) } });
    expect(gone.status).toBe(200);
    const note = gone.json as { response_action?: string; view?: { blocks: KnownBlock[]; submit?: unknown } };
    expect(note.response_action).toBe('update');
    expect(note.view?.submit).toBeUndefined();
    expect(blocksToText(note.view!.blocks)).toContain('The saved query “renamed-<query>” is no longer in the catalog (it may have been renamed or removed), so nothing was run.');
    expect(blockKitViolations(note.view!.blocks, 'modal')).toEqual([]);
    const unknown = await t.client.viewSubmission({ userId: user, view: { id: 'VQGONE2', callback_id: CallbackIds.queryParams, private_metadata: '{"q":' } });
    expect(blocksToText((unknown.json as { view: { blocks: KnownBlock[] } }).view.blocks)).toContain('nothing was saved');
    await new Promise((r) => setTimeout(r, 300));
    expect(counted.queries.length).toBe(before);
  });

  it("fills in and bounds a form's dates by the day the bot's clock reads, as the run that follows checks them", async () => {
    const shift = t.now().getTime() - Date.now();
    t.setTime(Date.parse('2026-03-01T12:00:00Z'));
    try {
      await query('customer-pings-per-day since=2001-01-01');
      const bounded = JSON.stringify(t.standin.modals(user).at(-1)!.blocks);
      // -365d and -1d from 2026-03-01: the hint and the refusal name the same first day.
      expect(bounded).toContain('"text":"A day from 2025-03-01 to yesterday"');
      expect(bounded).toContain('⚠ Must be on or after 2025-03-01, got 2001-01-01');
      await t.standin.closeView(t.client, { userId: user });
      await query('customer-pings-per-day');
      // Its default, -30d.
      expect(JSON.stringify(t.standin.modals(user).at(-1)!.blocks)).toContain('"initial_date":"2026-01-30"');
      await t.standin.closeView(t.client, { userId: user });
    } finally {
      t.setTime(Date.now() + shift);
    }
  });

  it('opens a modal for missing or invalid parameters, validates inline, then runs', async () => {
    const { replies } = await query('customer-pings-per-day since=2001-01-01');
    expect(replies.some((r) => r.via === 'web_api' && r.method === 'views.open')).toBe(true);
    const modal = t.standin.modals(user).at(-1)!;
    expect(modal.callback_id).toBe(CallbackIds.queryParams);
    const modalJson = JSON.stringify(modal.blocks);
    // The customer was not given: an empty required input, no warning. The date was wrong: said in its empty picker,
    // where it goes away once a day is picked (nothing at the top that would stay after the fix).
    expect(modalJson).not.toContain('required');
    expect(modalJson).toMatch(/"placeholder":\{"type":"plain_text","text":"⚠ Must be on or after \d{4}-\d{2}-\d{2}, got 2001-01-01"\}/);
    expect(modalJson).not.toContain('"initial_date":"2001-01-01"');
    expect(blocksToText(modal.blocks)).not.toContain('must be on or after');
    // A date picker takes a day: its hint gives the days it takes, not "-30d".
    expect(modalJson).toMatch(/"hint":\{"type":"plain_text","text":"A day from \d{4}-\d{2}-\d{2} to yesterday"\}/);
    expect(modalJson).not.toContain('-30d');
    expect(modalJson).toContain('"type":"datepicker"');
    expect(blockKitViolations(modal.blocks as KnownBlock[], 'modal')).toEqual([]);

    const several = await t.standin.submitView(t.client, { userId: user, values: { [`${ActionIds.queryParamInputPrefix}customer`]: 'stark', [`${ActionIds.queryParamInputPrefix}since`]: '2001-01-01' }, timeoutMs: 500 });
    expect(several.responseAction).toBe('errors');
    expect(several.errors?.[`${BlockIds.queryParamPrefix}customer`]).toContain('matches several customers');
    // Under the input whose label is shown: no `since:` key in front.
    expect(several.errors?.[`${BlockIds.queryParamPrefix}since`]).toMatch(/^Must be on or after/);
    // Field errors are plain text, where nothing formats: what was typed is quoted as typed, marks and all.
    const marked = await t.standin.submitView(t.client, { userId: user, values: { [`${ActionIds.queryParamInputPrefix}customer`]: '*zq_* ~x~ `y`', [`${ActionIds.queryParamInputPrefix}since`]: '2001-01-01' }, timeoutMs: 500 });
    expect(marked.errors?.[`${BlockIds.queryParamPrefix}customer`]).toContain('No customer matches “*zq_* ~x~ `y`”');

    const before = visibleCount();
    const done = await t.standin.submitView(t.client, { userId: user, values: { [`${ActionIds.queryParamInputPrefix}customer`]: 'Acme Corp', [`${ActionIds.queryParamInputPrefix}since`]: new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10) }, ...WAIT });
    expect(done.responseAction).toBeUndefined();
    await t.standin.waitFor(() => newMessages(before).some((m) => m.files?.length), { timeoutMs: 20_000 });
    const text = blocksToText({ blocks: newMessages(before)[0]!.blocks ?? [] });
    expect(text).toContain('Customer: *Acme Corp*');
  });

  it('opens number, select and date inputs with the values given', async () => {
    await query('weekly-active-instances weeks=500 hosting=mars');
    const modal = t.standin.modals(user).at(-1)!;
    const json = JSON.stringify(modal.blocks);
    expect(json).toContain('"type":"number_input"');
    expect(json).toContain('"type":"static_select"');
    expect(json).toContain('"text":"⚠ Must be from 1 to 13, got 500"');
    expect(json).toContain('"text":"⚠ Expects one of all, cloud, self-hosted, managed; got “mars”"');
    expect(json).not.toContain('"initial_value":"500"');
  });

  it.each([
    ['a near miss', 'weekly-active', 'There is no saved query “weekly-active”. Did you mean `weekly-active-instances`'],
    ['a name after run, as the buttons say', 'run  weekly-active', 'There is no saved query “weekly-active”. Did you mean `weekly-active-instances`'],
    ['run alone (which one? the list, as /query alone)', 'run', 'saved queries. Press *Run*'],
    ['a subcommand missing its s', 'subscription', 'There is no saved query “subscription”. Did you mean `/query subscriptions`?'],
    ['list misspelt', 'lsit version', 'Did you mean `/query list`?'],
    // Stopping a delivery is its Delete (or Pause) in the list: not `/query subscribe`, which makes another.
    ['unsubscribe, as people type it to stop a delivery', 'unsubscribe weekly-active-instances', '`/query subscriptions`'],
    ['12,000 characters', 'x'.repeat(12_000), 'too long for `/query`'],
    ['SQL', "'; DROP TABLE pings; --", 'There is no saved query'],
  ])('answers %s clearly', async (_what, text, expected) => {
    const r = await query(text);
    expect(r.text).toContain(expected);
    expect(r.text).not.toMatch(/\.(js|ts):\d+/);
  });

  it('finds a query whose name is typed with Unicode hyphens (‐ ‑ – −)', async () => {
    for (const name of ['weekly\u2010active\u2011instances', 'weekly\u2013active\u2212instances']) {
      const before = visibleCount();
      const r = await query(`${name} weeks=2`);
      expect(r.text).not.toContain('There is no saved query');
      await t.standin.waitFor(() => newMessages(before).some((m) => m.files?.some((f) => /^weekly-active-instances-[0-9a-f]{6}\.png$/.test(f.name))), { timeoutMs: 20_000 });
    }
  });

  it('says a text parameter\'s own limit for 201 characters', async () => {
    await query(`instances-on-version version=${'5'.repeat(201)}`);
    const json = JSON.stringify(t.standin.modals(user).at(-1)!.blocks);
    expect(json).toContain('⚠ At most 20 characters (got 201)');
    expect(json).toContain('A version like 5.4 or 5.4.1, up to 20 characters, default “5.4”');
    await t.standin.closeView(t.client, { userId: user });
  });

  it('names the parameter when a 5,000-character value is given', async () => {
    await query(`weekly-active-instances weeks=${'9'.repeat(5000)}`);
    expect(JSON.stringify(t.standin.modals(user).at(-1)!.blocks)).toContain('⚠ At most 200 characters (got 5,000)');
  });

  it('tells the user once, privately, when Slack keeps refusing the upload until the delivery gives up', async () => {
    t.standin.failNext('files.getUploadURLExternal', 'internal_error', 3);
    const before = visibleCount();
    await query('instances-by-hosting');
    const told = () => t.standin.conversation(channel, { visibleTo: user }).filter((m) => m.ephemeral && /I could not post the result of instances-by-hosting/.test(blocksToText({ text: m.text, blocks: m.blocks ?? [] })));
    await t.standin.waitFor(() => (told().length ? true : undefined), { timeoutMs: 30_000 });
    expect(blocksToText({ text: told()[0]!.text, blocks: told()[0]!.blocks ?? [] })).toContain('Slack kept refusing it');
    await new Promise((r) => setTimeout(r, 500));
    expect(told()).toHaveLength(1);
    expect(visibleCount()).toBe(before);
    // The job that told it is on record (durable), and done.
    const jobs = await t.store.list<{ kind: string; state: string }>('jobs');
    expect(jobs.filter((j) => j.data.kind === 'query.gave_up').map((j) => j.data.state)).toContain('done');
  }, 40_000);

  it('tells the user to invite the bot when the upload fails with not_in_channel, and keeps serving', async () => {
    t.standin.failNext('files.completeUploadExternal', 'not_in_channel');
    const r = await query('instances-by-hosting');
    expect(r.text).toContain('Invite me with `/invite @analytics-bot`');
    const before = visibleCount();
    await query('instances-by-hosting');
    expect(newMessages(before)[0]!.files).toHaveLength(1);
  });

  it.each([
    ['error', 'The warehouse could not run that query'],
    ['timeout', 'took too long to answer, so the query was cancelled'],
  ] as const)('on a warehouse %s tells the user which, without a trace, and keeps serving', async (fail, expected) => {
    mode.fail = fail;
    const before = visibleCount();
    const r = await query(`user-event-volume since=-${fail === 'error' ? 3 : 4}d`);
    mode.fail = 'none';
    expect(r.text).toContain(expected);
    expect(r.text).not.toContain('node_modules');
    expect(visibleCount()).toBe(before);
    await query(`user-event-volume since=-${fail === 'error' ? 3 : 4}d`);
    expect(newMessages(before).some((m) => m.files?.length)).toBe(true);
  });
});

describe('/query when the chart cannot be drawn', () => {
  let c: TestBot;
  const real = createChartRenderer();
  let crash = true;
  // The error the renderer gives when a chart's worker thread dies under it; the next chart is drawn as usual.
  const charts: ChartRenderer = {
    density: real.density,
    render: (spec) => (crash ? Promise.reject(new ChartRenderError('chart failed: its worker thread stopped while working on it (exit code 1)')) : real.render(spec)),
    close: () => real.close(),
  };
  beforeAll(async () => {
    c = await startTestBot({ charts });
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
    await real.close();
  });

  it('tells the user the chart could not be drawn, without a trace, logs why, and keeps serving', async () => {
    const run = () => c.standin.runCommand(c.client, { command: '/query', text: 'instances-by-hosting', userId: user, channelId: channel, ...WAIT });
    const posted = () => c.standin.conversation(channel).filter((m) => !m.ephemeral && m.files?.length).length;
    const { replies } = await run();
    const text = replies.map((r) => JSON.stringify(r.via === 'web_api' ? r.args : r.body)).join('\n');
    expect(text).toContain('The query ran, but I could not draw its chart.');
    expect(text).not.toContain('worker thread');
    expect(posted()).toBe(0);
    expect(c.logs.some((l) => l.includes('"query chart could not be drawn"') && l.includes('chart_render_failed'))).toBe(true);
    crash = false;
    await run();
    expect(posted()).toBe(1);
  });
});

describe('/query over the cost cap', () => {
  let c: TestBot;
  beforeAll(async () => {
    c = await startTestBot({ env: { QUERY_MAX_BYTES: String(1024 ** 2) } });
  }, 120_000);
  afterAll(async () => c?.stop());

  it('tells the estimate and the cap, and runs nothing', async () => {
    const before = c.standin.conversation(channel).length;
    const { replies } = await c.standin.runCommand(c.client, { command: '/query', text: 'instances-by-telemetry-level', userId: user, channelId: channel, ...WAIT });
    const text = JSON.stringify(replies);
    expect(text).toMatch(/would process about \*[\d.]+ MB\*, over the cap of \*1 MB\*/);
    expect(c.standin.callsTo('files.getUploadURLExternal')).toHaveLength(0);
    expect(c.standin.conversation(channel).filter((m) => !m.ephemeral).length).toBe(before);
  });
});

describe('/query on a cold instance (the customer list not loaded yet)', () => {
  let c: TestBot;
  let release: () => void;
  let released: boolean;
  let listFails: boolean;
  // The customer list's read waits until the test lets it through, as a slow BigQuery would on a cold start.
  beforeEach(async () => {
    released = false;
    listFails = false;
    const gate = new Promise<void>((r) => {
      release = () => {
        released = true;
        r();
      };
    });
    const w: Warehouse = {
      kind: real.kind,
      async query(sql, params, options) {
        if (sql.includes('FROM {{customers}}') && !sql.includes('JOIN')) {
          await gate;
          if (listFails) throw new WarehouseTimeoutError('query timed out after 30000 ms');
        }
        return real.query(sql, params, options);
      },
      dryRun: (sql, params, options) => real.dryRun(sql, params, options),
      tableFreshness: (tables) => real.tableFreshness(tables),
      close: async () => {},
    };
    c = await startTestBot({ warehouse: w });
  }, 120_000);
  afterEach(async () => {
    release();
    await c?.stop();
  });

  const top = () => c.standin.modals(user).at(-1);
  const lastDays = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

  it('answers the form at once, before the customer list is read, then shows its problems or runs it', async () => {
    await c.standin.runCommand(c.client, { command: '/query', text: 'customer-pings-per-day', userId: user, channelId: channel, timeoutMs: 2000 });
    const modal = await c.standin.waitFor(() => top());
    expect(modal.callback_id).toBe(CallbackIds.queryParams);

    // Slack gives a submission 3 s: a customer list that takes longer must not hold up the answer.
    const late = setTimeout(release, 4000);
    const input = (customer: string) => ({ [`${ActionIds.queryParamInputPrefix}customer`]: customer, [`${ActionIds.queryParamInputPrefix}since`]: lastDays(5) });
    const several = await c.standin.submitView(c.client, { userId: user, viewId: modal.id, values: input('stark'), timeoutMs: 300 });
    clearTimeout(late);
    expect(several.ack.status).toBe(200);
    expect(several.ack.ms).toBeLessThan(1500);
    expect(released, 'answered before the customer list was read').toBe(false);
    expect(several.responseAction).toBe('update');
    expect(blocksToText(top()!.blocks)).toContain('Checking');

    // Once the list is in, the form is back, saying what was wrong with the customer.
    release();
    const again = await c.standin.waitFor(() => (JSON.stringify(top()?.blocks ?? []).includes('matches several customers') ? top() : undefined), { timeoutMs: 20_000 });
    expect(again.id).toBe(modal.id);
    expect(again.callback_id).toBe(CallbackIds.queryParams);
    expect(blockKitViolations(again.blocks as KnownBlock[], 'modal')).toEqual([]);

    // Warm now: the next submission is checked in the ack, as usual, and runs.
    const before = c.standin.conversation(channel).filter((m) => !m.ephemeral).length;
    const done = await c.standin.submitView(c.client, { userId: user, viewId: again.id, values: input('Acme Corp'), ...WAIT });
    expect(done.responseAction).toBeUndefined();
    await c.standin.waitFor(() => c.standin.conversation(channel).filter((m) => !m.ephemeral).slice(before).find((m) => m.files?.length), { timeoutMs: 20_000 });
  }, 60_000);

  it('runs a submission whose customer checks out once the list is in, and says so in the form', async () => {
    await c.standin.runCommand(c.client, { command: '/query', text: 'customer-pings-per-day', userId: user, channelId: channel, timeoutMs: 2000 });
    const modal = await c.standin.waitFor(() => top());
    const before = c.standin.conversation(channel).filter((m) => !m.ephemeral).length;
    const late = setTimeout(release, 4000);
    const r = await c.standin.submitView(c.client, { userId: user, viewId: modal.id, values: { [`${ActionIds.queryParamInputPrefix}customer`]: 'Acme Corp', [`${ActionIds.queryParamInputPrefix}since`]: lastDays(5) }, timeoutMs: 300 });
    clearTimeout(late);
    expect(r.ack.ms).toBeLessThan(1500);
    expect(released).toBe(false);
    release();
    const chart = await c.standin.waitFor(() => c.standin.conversation(channel).filter((m) => !m.ephemeral).slice(before).find((m) => m.files?.length), { timeoutMs: 20_000 });
    expect(blocksToText({ blocks: chart.blocks ?? [] })).toContain('Customer: *Acme Corp*');
    await c.standin.waitFor(() => (blocksToText(top()?.blocks ?? []).includes('on its way') ? true : undefined), { timeoutMs: 10_000 });
  }, 60_000);

  it('opens the form at once for a command whose customer it cannot check yet, and fills it in when the list is in', async () => {
    // Later than a trigger ID lives (3 s): a form opened only after the list is read could not open at all.
    const late = setTimeout(release, 3500);
    const { ack } = await c.standin.runCommand(c.client, { command: '/query', text: 'customer-pings-per-day customer=stark since=2001-01-01', userId: user, channelId: channel, timeoutMs: 1500 });
    expect(ack.status).toBe(200);
    const opened = await c.standin.waitFor(() => top(), { timeoutMs: 2500 });
    expect(released).toBe(false);
    expect(blocksToText(opened.blocks)).toContain('Checking');
    const form = await c.standin.waitFor(() => (top()?.callback_id === CallbackIds.queryParams ? top() : undefined), { timeoutMs: 20_000 });
    clearTimeout(late);
    expect(form.id).toBe(opened.id);
    const json = JSON.stringify(form.blocks);
    expect(json).toContain('matches several customers');
    expect(json).toMatch(/⚠ Must be on or after \d{4}-\d{2}-\d{2}, got 2001-01-01/);
    expect(blockKitViolations(form.blocks as KnownBlock[], 'modal')).toEqual([]);
    // No "needs fixing" note instead of the form.
    expect(c.standin.conversation(channel, { visibleTo: user }).some((m) => m.ephemeral && /needs fixing/.test(m.text ?? ''))).toBe(false);
  }, 60_000);

  it('says nothing more when the same command arrives again while its checking form is open: the form, once the list is in, says it all', async () => {
    const cmd = { command: '/query', text: 'customer-pings-per-day customer=stark since=2001-01-01', userId: user, channelId: channel };
    const first = await c.client.command(cmd);
    const opened = await c.standin.waitFor(() => top(), { timeoutMs: 2500 });
    expect(blocksToText(opened.blocks)).toContain('Checking');
    const opens = () => c.standin.callsTo('views.open');
    const before = opens().length;
    const again = await c.client.command({ ...cmd, triggerId: first.triggerId });
    await c.standin.waitFor(() => (opens().length > before ? true : undefined), { timeoutMs: 2500 });
    expect(opens().at(-1)).toMatchObject({ error: 'exchanged_trigger_id' });
    release();
    const form = await c.standin.waitFor(() => (top()?.callback_id === CallbackIds.queryParams ? top() : undefined), { timeoutMs: 20_000 });
    expect(form.id).toBe(opened.id);
    // Time for a reply the second delivery should not send.
    await new Promise((r) => setTimeout(r, 1000));
    const ids = new Set([first.responseUrl, again.responseUrl].map((url) => url.split('/').pop()));
    expect(c.standin.responses.filter((r) => ids.has(r.id))).toEqual([]);
  }, 60_000);

  it('says what was wrong in the channel when the person closed the checking form before the list was in', async () => {
    const { ack } = await c.standin.runCommand(c.client, { command: '/query', text: 'customer-pings-per-day customer=stark since=2001-01-01', userId: user, channelId: channel, timeoutMs: 1500 });
    expect(ack.status).toBe(200);
    const opened = await c.standin.waitFor(() => top(), { timeoutMs: 2500 });
    expect(blocksToText(opened.blocks)).toContain('Checking');
    await c.standin.closeView(c.client, { userId: user });
    release();
    // Slack answers views.update on a closed modal with not_found: the problems go to the channel, for this person.
    const told = await c.standin.waitFor(() => c.standin.conversation(channel, { visibleTo: user }).find((m) => m.ephemeral && /needs fixing/.test(blocksToText({ text: m.text ?? '', blocks: m.blocks ?? [] }))), { timeoutMs: 20_000 });
    expect(blocksToText({ blocks: told.blocks ?? [] })).toContain('matches several customers');
    expect(c.standin.modals(user)).toEqual([]);
    expect(c.standin.callsTo('views.update').at(-1)).toMatchObject({ args: { view_id: opened.id }, error: 'not_found' });
  }, 60_000);

  it('says the customer could not be checked when the list read times out: no query ran, so no "fewer weeks"', async () => {
    listFails = true;
    const late = setTimeout(release, 2500);
    const before = c.standin.conversation(channel).filter((m) => !m.ephemeral).length;
    const { ack } = await c.standin.runCommand(c.client, { command: '/query', text: `customer-pings-per-day customer="Acme Corp" since=${lastDays(5)}`, userId: user, channelId: channel, timeoutMs: 1500 });
    expect(ack.status).toBe(200);
    const note = await c.standin.waitFor(() => (top() && /could not check the customer/.test(blocksToText(top()!.blocks)) ? top() : undefined), { timeoutMs: 20_000 });
    clearTimeout(late);
    const said = blocksToText(note.blocks);
    expect(said).toContain('the warehouse did not answer in time. No query ran.');
    expect(said).not.toMatch(/fewer weeks|was cancelled/);
    const told = await c.standin.waitFor(() => c.standin.conversation(channel, { visibleTo: user }).find((m) => m.ephemeral && /could not check the customer/.test(m.text ?? '')));
    expect(told.text).not.toContain('fewer weeks');
    expect(c.standin.conversation(channel).filter((m) => !m.ephemeral).length).toBe(before);
  }, 60_000);

  it('answers a command as on a warm instance when the list is in soon: the result goes, and no form opens', async () => {
    setTimeout(release, 300);
    const before = c.standin.conversation(channel).filter((m) => !m.ephemeral).length;
    const { ack } = await c.standin.runCommand(c.client, { command: '/query', text: `customer-pings-per-day customer="Acme Corp" since=${lastDays(5)}`, userId: user, channelId: channel, timeoutMs: 1500 });
    expect(ack.status).toBe(200);
    const chart = await c.standin.waitFor(() => c.standin.conversation(channel).filter((m) => !m.ephemeral).slice(before).find((m) => m.files?.length), { timeoutMs: 20_000 });
    expect(blocksToText({ blocks: chart.blocks ?? [] })).toContain('Customer: *Acme Corp*');
    expect(released).toBe(true);
    expect(c.standin.modals(user)).toEqual([]);
  }, 60_000);
});

describe('/query when its delivery cannot be recorded, or comes to nothing', () => {
  let c: TestBot;
  let store: Store;
  const failing = new Set<string>();
  beforeAll(async () => {
    store = await openEmbeddedStore(await freshDataDir());
    c = await startTestBot({ store: faultyStore(store, failing) });
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
    await store?.close();
  });
  afterEach(() => failing.clear());

  const visible = () => c.standin.conversation(channel).filter((m) => !m.ephemeral);
  const ephemeralsSince = (n: number) => c.standin.callsTo('chat.postEphemeral').slice(n).map((call) => String(call.args['text']));

  it('tells the person who typed it that nothing is on its way, and logs no unhandled error', async () => {
    const before = visible().length;
    failing.add('runTransaction');
    const { ack, replies } = await c.standin.runCommand(c.client, { command: '/query', text: 'weekly-active-instances weeks=3', userId: user, channelId: channel, ...WAIT });
    failing.clear();
    expect(ack.status).toBe(200);
    const said = replies.map((r) => blocksToText((r.via === 'web_api' ? r.args : r.body) as { text?: string; blocks?: unknown[] })).join('\n');
    expect(said).toContain('I could not reach my state store.');
    expect(said).not.toContain('disk I/O');
    expect(visible().length).toBe(before);
    expect(c.logs.filter((l) => l.includes('unhandled listener error'))).toEqual([]);
  });

  it('tells the person who filled in the form, once it has closed, privately where they asked', async () => {
    await c.standin.closeView(c.client, { userId: user, clearAll: true });
    await c.standin.runCommand(c.client, { command: '/query', text: 'weekly-active-instances weeks=500', userId: user, channelId: channel, ...WAIT });
    expect(c.standin.modals(user).at(-1)?.callback_id).toBe(CallbackIds.queryParams);
    const before = visible().length;
    const told = c.standin.callsTo('chat.postEphemeral').length;
    failing.add('runTransaction');
    const values = { [`${ActionIds.queryParamInputPrefix}weeks`]: '4', [`${ActionIds.queryParamInputPrefix}hosting`]: 'cloud' };
    const submitted = await c.standin.submitView(c.client, { userId: user, values, timeoutMs: 10_000 });
    expect(submitted.ack.status).toBe(200);
    const said = await c.standin.waitFor(() => ephemeralsSince(told).find((text) => text.includes('state store')), { timeoutMs: 10_000 });
    failing.clear();
    expect(said).toContain('I could not reach my state store.');
    expect(c.standin.callsTo('chat.postEphemeral').at(-1)!.args).toMatchObject({ channel, user });
    expect(visible().length).toBe(before);
    expect(c.logs.filter((l) => l.includes('unhandled listener error'))).toEqual([]);
  });

  it('takes Download CSV again at once after a first that came to nothing (Slack kept refusing it; the bot not in the channel)', async () => {
    await c.standin.runCommand(c.client, { command: '/query', text: 'instances-by-hosting', userId: user, channelId: channel, ...WAIT });
    const result = await c.standin.waitFor(() => visible().find((m) => !m.thread_ts && m.files?.some((f) => f.name.endsWith('.png'))), { timeoutMs: 20_000 });
    const csvs = () => c.standin.conversation(channel).filter((m) => m.thread_ts === result.ts && m.files?.some((f) => f.name.endsWith('.csv')));
    const click = async () => JSON.stringify((await c.standin.clickAction(c.client, { userId: user, channelId: channel, ts: result.ts, actionId: ActionIds.queryDownloadCsv, ...WAIT })).replies);
    // Gave up: the three tries refused.
    let told = c.standin.callsTo('chat.postEphemeral').length;
    c.standin.failNext('files.getUploadURLExternal', 'internal_error', 10);
    expect(await click()).toContain("will be in this result's thread in a moment");
    await c.standin.waitFor(() => ephemeralsSince(told).find((text) => text.includes('Slack kept refusing it')), { timeoutMs: 40_000 });
    c.standin.clearFaults('files.getUploadURLExternal');
    // Told why (the bot not in the channel): nothing came either.
    told = c.standin.callsTo('chat.postEphemeral').length;
    c.standin.failNext('files.completeUploadExternal', 'not_in_channel', 1);
    expect(await click()).toContain("will be in this result's thread in a moment");
    await c.standin.waitFor(() => ephemeralsSince(told).find((text) => text.includes('/invite')), { timeoutMs: 20_000 });
    expect(csvs()).toHaveLength(0);
    // The next click is taken, not "already in this result's thread".
    expect(await click()).toContain("will be in this result's thread in a moment");
    await c.standin.waitFor(() => (csvs().length === 1 ? true : undefined), { timeoutMs: 20_000 });
    // Once it is there, a click within the hold is pointed at it.
    expect(await click()).toContain("The CSV of this result is already in this result's thread");
    expect(csvs()).toHaveLength(1);
  }, 90_000);

  it('says why at once when Slack refuses the result for good (the channel archived), not "try again later" after retries', async () => {
    const told = c.standin.callsTo('chat.postEphemeral').length;
    const tries = c.standin.callsTo('files.completeUploadExternal').length;
    c.standin.failNext('files.completeUploadExternal', 'is_archived', 1);
    await c.standin.runCommand(c.client, { command: '/query', text: 'instances-by-hosting', userId: user, channelId: channel, ...WAIT });
    const said = await c.standin.waitFor(() => ephemeralsSince(told).find((text) => text.includes('archived')), { timeoutMs: 20_000 });
    expect(said).toContain(`I could not post the result of \`instances-by-hosting\`: <#${channel}> is archived. Run it in another channel.`);
    await c.drain();
    expect(c.standin.callsTo('files.completeUploadExternal').length - tries).toBe(1);
    expect(ephemeralsSince(told).filter((text) => /kept refusing|try again later/.test(text))).toEqual([]);
  });

  it('waits out the Retry-After of an upload Slack rate-limits, without spending an attempt, then posts the chart once', async () => {
    const before = visible().length;
    const shift = c.now().getTime() - Date.now();
    const calls = () => c.standin.callsTo('files.getUploadURLExternal').length;
    const tries = calls();
    c.standin.failNextHttp('files.getUploadURLExternal', 429, { 'Retry-After': '30' }, 1);
    const job = async () => (await c.store.list<JobDoc>(JOBS)).map((j) => j.data).find((j) => j.kind === QUERY_DELIVER_JOB && JSON.stringify(j.payload).includes('"weeks":"7"'));
    try {
      const asked = c.now().getTime();
      await c.standin.runCommand(c.client, { command: '/query', text: 'weekly-active-instances weeks=7', userId: user, channelId: channel, timeoutMs: 300 });
      // Deferred: let go (a job being run is held, its runAt its lease's end, which can be as far off), due after the wait.
      await vi.waitFor(async () => {
        const deferred = await job();
        expect(deferred?.holder).toBeNull();
        expect(deferred?.runAt ?? 0).toBeGreaterThanOrEqual(asked + 30_000);
      }, { timeout: 20_000, interval: 100 });
      expect(await job()).toMatchObject({ state: 'pending', attempts: 0 });
      // Not asked again before then.
      c.advance(20_000);
      await c.drain();
      expect(calls() - tries).toBe(1);
      c.advance(12_000);
      await vi.waitFor(async () => {
        await c.drain();
        expect(await job()).toMatchObject({ state: 'done' });
      }, { timeout: 20_000, interval: 200 });
    } finally {
      c.setTime(Date.now() + shift);
    }
    expect(calls() - tries).toBe(2);
    expect(visible().slice(before).filter((m) => (m.files ?? []).some((f) => f.name.startsWith('weekly-active-instances-')))).toHaveLength(1);
  });
});
