/**
 * Notices due together in one busy channel (Looker access request cards, as after a restart with a backlog), with
 * Slack's real posting pace (1 a second per channel, a burst of 3). Counts, not durations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SLACK_POST_PACE } from '../src/slack/gateway.js';
import { defaultUsers } from '../src/slack-standin/types.js';
import { StandinDefaults, startTestBot, type TestBot } from './support/harness.js';
import { JOBS, type JobDoc } from '../src/jobs/model.js';
import { LOOKER_ACCESS_REQUESTS, type LookerAccessRequest } from '../src/services/looker-access.js';

const channel = StandinDefaults.channel;
const AT = Date.parse('2026-12-01T09:00:00Z');
const people = Array.from({ length: 9 }, (_, i) => ({ id: `U0BUSY${i}`, name: `busy${i}`, realName: `Busy ${i}`, email: `busy${i}@example.com`, tz: 'UTC' }));

let t: TestBot | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

function start(): Promise<TestBot> {
  return startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' }, standinOptions: { users: [...defaultUsers, ...people] }, botOptions: { postPace: SLACK_POST_PACE } });
}

/** Nine elevated requests whose cards all fall due at once: made while the runner was stopped (a process down). */
async function requestAll(bot: TestBot): Promise<void> {
  bot.setTime(AT);
  await bot.bot.jobs.stop();
  for (const [i, p] of people.entries()) {
    const request = { requesterId: p.id, subjectId: p.id, email: p.email, team: 'engineering' as const, level: 'develop' as const, reason: 'a busy morning', durationDays: 7 };
    const made = await bot.bot.services.lookerAccess.submit({ viewId: `V0BUSY${i}`, request });
    if (made.kind !== 'created') throw new Error(`not made: ${JSON.stringify(made)}`);
  }
  bot.standin.calls.length = 0;
}

/**
 * Starts the runner (its poll timer, its clock moving with real time) and waits until every card is recorded and no
 * notice is pending; `advanceMs` moves its clock on by that much more at each look (a retry's wait, without waiting it).
 */
async function runAll(bot: TestBot, advanceMs = 0): Promise<LookerAccessRequest[]> {
  bot.bot.jobs.start(1_000);
  bot.bot.jobs.kick();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const requests = (await bot.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS)).map((d) => d.data);
    const pending = (await bot.store.list<JobDoc>(JOBS)).filter((j) => j.data.state === 'pending' && j.data.kind.startsWith('notice'));
    if ((requests.every((r) => r.ts) && !pending.length) || Date.now() > deadline) return requests;
    if (advanceMs) bot.advance(advanceMs);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The bot's posts, by the job key they carry: each should be there once. */
function postsByKey(bot: TestBot, prefix: string, where = channel): Map<string, number> {
  const keys = new Map<string, number>();
  for (const m of bot.standin.conversation(where)) {
    const key = (m as { metadata?: { event_payload?: { key?: string } } }).metadata?.event_payload?.key;
    if (key?.startsWith(prefix)) keys.set(key, (keys.get(key) ?? 0) + 1);
  }
  return keys;
}

/** Every card once, recorded where it is; every requester told once where it is. */
function expectEachOnce(bot: TestBot, requests: LookerAccessRequest[]): void {
  expect(requests).toHaveLength(people.length);
  const cards = postsByKey(bot, 'looker.card');
  expect(cards.size).toBe(people.length);
  expect([...cards.values()].every((n) => n === 1)).toBe(true);
  for (const r of requests) {
    expect(r.ts).toBeTruthy();
    const card = bot.standin.message(channel, r.ts!) as { metadata?: { event_payload?: { key?: string } } } | undefined;
    expect(card?.metadata?.event_payload?.key).toBe(`looker.card:${r.id}`);
  }
  for (const p of people) {
    const dms = bot.standin.callsTo('chat.postMessage').filter((c) => (c.args as { channel?: string }).channel === p.id);
    expect(dms).toHaveLength(1);
  }
}

describe('request cards due together in one channel, at Slack pace', () => {
  it("a card put back for its channel's turn (it posted nothing) does not read the channel's history at every turn", async () => {
    // Measured at 200 cards due at once: 3,375 conversations.history calls (Slack's Tier 3, about 50 a minute), as
    // every waiting card looked again at each turn. Here 9: 3 post at once, the rest wait or are put back; none of
    // those has posted anything when it is put back, so none needs to look.
    t = await start();
    await requestAll(t);
    const requests = await runAll(t);
    expectEachOnce(t, requests);
    expect(t.standin.callsTo('conversations.history').length).toBe(0);
    const failed = (await t.store.list<JobDoc>(JOBS)).filter((j) => j.data.state === 'failed');
    expect(failed.map((j) => j.id)).toEqual([]);
  }, 90_000);

  it('a card put back for its turn, whose post Slack then took with the answer lost (as a kill -9 right after it), is posted once', async () => {
    // The put-back card does not look before posting (above); its retry, a later attempt, does, as after a crash.
    t = await start();
    await requestAll(t);
    let posts = 0;
    const off = t.standin.onApplied((call) => {
      const key = (call.args as { metadata?: { event_payload?: { key?: string } } }).metadata?.event_payload?.key;
      if (call.method !== 'chat.postMessage' || !key?.startsWith('looker.card')) return;
      // The 7th: past the burst of 3 and the 2 s a post may wait, so one that was put back.
      if (++posts === 7) {
        off();
        throw new Error('the answer is lost');
      }
    });
    const requests = await runAll(t, 2_000);
    expect(posts).toBeGreaterThanOrEqual(7);
    expectEachOnce(t, requests);
    // Only the retry looked.
    expect(t.standin.callsTo('conversations.history').length).toBeGreaterThan(0);
  }, 90_000);
});

describe("a card's edit that Slack rate-limits (chat.update is limited per workspace: many cards changed at once meet it)", () => {
  it('is put back until the Retry-After without spending an attempt, and the card ends saying what is so', async () => {
    // Nine 429s in a row for one card's edit: more than a notice's 8 attempts. Spent on them, the card was left
    // pending, its buttons still there, after the request was denied.
    t = await start();
    await requestAll(t);
    const requests = await runAll(t);
    expectEachOnce(t, requests);
    const denied = requests[0]!;
    t.standin.failNextHttp('chat.update', 429, { 'Retry-After': '1' }, 9);
    const outcome = await t.bot.services.lookerAccess.decide({ requestId: denied.id, deciderId: 'U0ADMIN', decision: 'deny', reason: 'not this week' });
    expect(outcome.kind).toBe('decided');
    // The runner's clock moves on with each look (a retry's wait, without waiting it); Slack's Retry-After is real time.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const jobs = (await t.store.list<JobDoc>(JOBS)).filter((j) => j.data.kind.startsWith('notice'));
      if (!jobs.some((j) => j.data.state === 'pending') || Date.now() > deadline) break;
      t.advance(2_000);
      await new Promise((r) => setTimeout(r, 200));
    }
    const failed = (await t.store.list<JobDoc>(JOBS)).filter((j) => j.data.state === 'failed');
    expect(failed.map((j) => j.id)).toEqual([]);
    // Every 429 was met by one edit, then the edit Slack took: none sent into the limit while it held.
    const edits = t.standin.callsTo('chat.update').filter((c) => (c.args as { ts?: string }).ts === denied.ts);
    expect(edits.length).toBe(10);
    const card = t.standin.message(channel, denied.ts!) as { text?: string; blocks?: Array<{ type: string }> } | undefined;
    expect(card?.text).toMatch(/denied/i);
    expect(JSON.stringify(card?.blocks)).not.toContain('"actions"');
  }, 90_000);
});
