/**
 * Scheduled deliveries due together in one busy channel, with Slack's real posting pace
 * (1 a second per channel, a burst of 3) and Slack's 429s. Counts, not durations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SLACK_POST_PACE } from '../src/slack/gateway.js';
import { defaultUsers } from '../src/slack-standin/types.js';
import { StandinDefaults, startTestBot, type TestBot } from './support/harness.js';
import { JOBS, type JobDoc } from '../src/jobs/model.js';
import { SUBSCRIPTIONS, type Subscription } from '../src/services/subscriptions.js';

const channel = StandinDefaults.channel;
const DUE = Date.parse('2026-12-01T09:00:00Z');
const owners = Array.from({ length: 9 }, (_, i) => ({ id: `U0SCALE${i}`, name: `scale${i}`, realName: `Scale ${i}`, email: `scale${i}@example.com`, tz: 'UTC' }));

let t: TestBot | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function subscribe(bot: TestBot, n: number): Promise<void> {
  bot.setTime(DUE - 3_600_000);
  for (let i = 0; i < n; i++) {
    const saved = await bot.bot.services.subscriptions.create(owners[i % owners.length]!.id, {
      kind: 'delivery', query: 'weekly-active-instances', params: { weeks: String(i + 1) }, channel,
      schedule: { kind: 'daily', time: '09:00', tz: 'UTC' }, format: 'table',
    }, `scale-${i}`);
    if (!saved.ok) throw new Error(`not saved: ${JSON.stringify(saved)}`);
  }
}

/**
 * Lets the bot's own runner (its poll timer, its clock moving with real time from DUE) deliver, until every run is
 * recorded; `advanceMs` moves its clock on by that much more at each look (a retry's wait, without waiting it).
 */
async function runAll(bot: TestBot, advanceMs = 0): Promise<Array<string | undefined>> {
  bot.standin.calls.length = 0;
  bot.setTime(DUE);
  bot.bot.jobs.kick();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const outcomes = (await bot.bot.services.subscriptions.listAll()).map((s) => (s.lastRun?.dueAt === DUE ? s.lastRun.outcome : undefined));
    const pending = (await bot.store.list<JobDoc>(JOBS)).filter((j) => j.data.state === 'pending' && j.data.kind.startsWith('notice'));
    if ((outcomes.every(Boolean) && !pending.length) || Date.now() > deadline) return outcomes;
    if (advanceMs) bot.advance(advanceMs);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The bot's messages in the channel, by the job key they carry: each should be there once. */
function postsByKey(bot: TestBot): Map<string, number> {
  const keys = new Map<string, number>();
  for (const m of bot.standin.conversation(channel)) {
    const key = (m as { metadata?: { event_payload?: { key?: string } } }).metadata?.event_payload?.key;
    if (key?.startsWith('subscription.run')) keys.set(key, (keys.get(key) ?? 0) + 1);
  }
  return keys;
}

describe('deliveries due together in one channel, at Slack pace', () => {
  it("a run put back for its channel's turn (it posted nothing) does not read the channel's history at every turn", async () => {
    // Measured at 300 due at once, 200 of them in one channel: 1,509 conversations.history calls (Slack's Tier 3, about
    // 50 a minute) for 300 deliveries, as every waiting run looked again at each turn. Here 9 in one channel: 3 post at
    // once, 6 wait; none of those 6 has posted anything when it is put back, so none needs to look.
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' }, standinOptions: { users: [...defaultUsers, ...owners] }, botOptions: { postPace: SLACK_POST_PACE } });
    await subscribe(t, 9);
    const outcomes = await runAll(t);
    expect(outcomes).toEqual(Array(9).fill('delivered'));
    const posts = postsByKey(t);
    expect(posts.size).toBe(9);
    expect([...posts.values()].every((n) => n === 1)).toBe(true);
    expect(t.standin.callsTo('conversations.history').length).toBe(0);
  }, 90_000);

  it("a run put back for its turn, whose post Slack then took with the answer lost (as a kill -9 right after it), is not posted twice", async () => {
    // The put-back run does not look before posting (above); its retry, a later attempt, does, as after a crash.
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' }, standinOptions: { users: [...defaultUsers, ...owners] }, botOptions: { postPace: SLACK_POST_PACE } });
    await subscribe(t, 9);
    let posts = 0;
    const off = t.standin.onApplied((call) => {
      const key = (call.args as { metadata?: { event_payload?: { key?: string } } }).metadata?.event_payload?.key;
      if (call.method !== 'chat.postMessage' || !key?.startsWith('subscription.run')) return;
      // The 7th: past the burst of 3 and the 2 s a run may wait, so one that was put back.
      if (++posts === 7) {
        off();
        throw new Error('the answer is lost');
      }
    });
    const outcomes = await runAll(t, 2_000);
    expect(posts).toBeGreaterThanOrEqual(7);
    expect(outcomes).toEqual(Array(9).fill('delivered'));
    const byKey = postsByKey(t);
    expect(byKey.size).toBe(9);
    expect([...byKey.values()].every((n) => n === 1)).toBe(true);
    // Only the retry looked.
    expect(t.standin.callsTo('conversations.history').length).toBeGreaterThan(0);
  }, 90_000);

  it('a delivery that Slack answers 429 (Retry-After) three times in a row is still delivered, once', async () => {
    // A rate limit is Slack saying "later", not a failure of the run: it must not spend the run's 3 attempts and drop
    // it ("Slack was unavailable"). Two replicas sharing a busy channel's burst meet 429s by design (README, Runs).
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' }, standinOptions: { users: [...defaultUsers, ...owners] } });
    await subscribe(t, 1);
    t.standin.failNextHttp('chat.postMessage', 429, { 'Retry-After': '1' }, 3);
    const outcomes = await runAll(t);
    expect(t.standin.callsTo('chat.postMessage').filter((c) => c.error === 'http_429')).toHaveLength(3);
    expect(outcomes).toEqual(['delivered']);
    expect([...postsByKey(t).values()]).toEqual([1]);
    const failed = (await t.store.list<JobDoc>(JOBS)).filter((j) => j.data.state === 'failed');
    expect(failed.map((j) => j.id)).toEqual([]);
  }, 90_000);

  it.each(['files.getUploadURLExternal', 'files.completeUploadExternal'])('a chart and CSV delivery whose upload Slack answers 429 (Retry-After) three times at %s is still delivered, each file once', async (method) => {
    // As for a post: a 429 at any of an upload's steps shares nothing, and is Slack saying "later", not a failure.
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' }, standinOptions: { users: [...defaultUsers, ...owners] } });
    t.setTime(DUE - 3_600_000);
    const saved = await t.bot.services.subscriptions.create(owners[0]!.id, {
      kind: 'delivery', query: 'weekly-active-instances', params: { weeks: '4' }, channel,
      schedule: { kind: 'daily', time: '09:00', tz: 'UTC' }, format: 'chart_csv',
    }, 'upload-429');
    if (!saved.ok) throw new Error(`not saved: ${JSON.stringify(saved)}`);
    t.standin.failNextHttp(method, 429, { 'Retry-After': '1' }, 3);
    const outcomes = await runAll(t);
    expect(t.standin.callsTo(method).filter((c) => c.error === 'http_429')).toHaveLength(3);
    expect(outcomes).toEqual(['delivered']);
    const shared = t.standin.conversation(channel).flatMap((m) => (m as { files?: Array<{ name?: string }> }).files ?? []).map((f) => f.name?.split('.').pop());
    expect(shared.sort()).toEqual(['csv', 'png']);
    const failed = (await t.store.list<JobDoc>(JOBS)).filter((j) => j.data.state === 'failed');
    expect(failed.map((j) => j.id)).toEqual([]);
  }, 90_000);
});

describe('a chart and CSV delivery of a query that is now a table', () => {
  it('whose CSV Slack answers 429 after the table was posted posts the table once', async () => {
    // Saved as a chart and CSV before a reviewed change made its query a table: the run posts the table, then the
    // CSV. Put back between the two (a 429 on the CSV), it looks for the table it posted rather than posting it again.
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' }, standinOptions: { users: [...defaultUsers, ...owners] } });
    t.setTime(DUE - 3_600_000);
    const saved = await t.bot.services.subscriptions.create(owners[0]!.id, {
      kind: 'delivery', query: 'instances-on-version', params: { version: '5' }, channel,
      schedule: { kind: 'daily', time: '09:00', tz: 'UTC' }, format: 'csv',
    }, 'table-csv-429');
    if (!saved.ok) throw new Error(`not saved: ${JSON.stringify(saved)}`);
    await t.store.runTransaction(async (tx) => {
      const cur = (await tx.get<Subscription>(SUBSCRIPTIONS, saved.subscription.id))!.data;
      tx.put(SUBSCRIPTIONS, cur.id, { ...cur, format: 'chart_csv' });
    });
    t.standin.failNextHttp('files.getUploadURLExternal', 429, { 'Retry-After': '1' }, 1);
    const outcomes = await runAll(t);
    expect(t.standin.callsTo('files.getUploadURLExternal').filter((c) => c.error === 'http_429')).toHaveLength(1);
    expect(outcomes).toEqual(['delivered']);
    expect([...postsByKey(t).values()]).toEqual([1]);
    const shared = t.standin.conversation(channel).flatMap((m) => (m as { files?: Array<{ name?: string }> }).files ?? []).map((f) => f.name?.split('.').pop());
    expect(shared).toEqual(['csv']);
  }, 90_000);
});
