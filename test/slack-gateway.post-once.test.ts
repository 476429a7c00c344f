/**
 * The gateway's post-once: a retried job looks for the message an earlier
 * attempt posted before posting again. Slack pages conversations.history and
 * .replies, and "fewer than the requested number of items may be returned,
 * even if the end of the conversation history hasn't been reached": the look
 * must follow next_cursor, or a busy channel gets the message twice. So
 * must the look for an earlier upload (findFile), or a chart is posted twice.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOK_DEFER_FOR_MS, METADATA_EVENT, SlackGateway } from '../src/slack/gateway.js';
import { DeferJob } from '../src/jobs/runner.js';
import { SlackApiError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { SlackStandin, StandinDefaults } from '../src/slack-standin/server.js';
import { uploadFile } from '../src/slack/uploads.js';
import { readBody } from '../src/slack-standin/http.js';
import { loopbackServer } from './support/ports.js';

const channel = StandinDefaults.channel;
const standin = new SlackStandin({ pageSize: 2 });
let gateway: SlackGateway;

beforeAll(async () => {
  const { url } = await standin.start();
  const client = new WebClient('xoxb-test', { slackApiUrl: `${url}/api/`, retryConfig: { retries: 0 } });
  // Without the post pace: this test posts several messages in a row to one channel.
  gateway = new SlackGateway(client, createLogger({ level: 'warn', secrets: [], write: () => {} }), Date.now, { perSecond: 1000, burst: 1000 });
});
afterAll(() => standin.stop());

describe('postOnce when Slack answers history in small pages', () => {
  it('finds the earlier post on a later page of the channel, and does not post again', async () => {
    const since = Date.now() - 1000;
    const first = await gateway.postOnce({ channel }, { text: 'the card' }, { key: 'card:1', mayExist: false, since });
    for (let i = 0; i < 5; i++) await gateway.postOnce({ channel }, { text: `later ${i}` }, { key: `other:${i}`, mayExist: false, since });
    const again = await gateway.postOnce({ channel }, { text: 'the card' }, { key: 'card:1', mayExist: true, since });
    expect(again).toEqual(first);
    expect(standin.conversation(channel).filter((m) => m.text === 'the card')).toHaveLength(1);
  });

  it('finds a tagged post by its key and tag, or by its key alone (as a version that knows no tags looks), never with another tag', async () => {
    const since = Date.now() - 1000;
    const a = await gateway.postOnce({ channel }, { text: 'alert A' }, { key: 'run:1:fired', tag: 'aaa', mayExist: false, since });
    // Another tag of the same key (the alert's check edited between attempts): not taken for it, posted.
    const b = await gateway.postOnce({ channel }, { text: 'alert B' }, { key: 'run:1:fired', tag: 'bbb', mayExist: true, since });
    expect(b.ts).not.toBe(a.ts);
    expect(await gateway.findPosted({ channel }, 'run:1:fired', since, 'aaa')).toEqual(a);
    expect(await gateway.findPosted({ channel }, 'run:1:fired', since, 'bbb')).toEqual(b);
    expect(await gateway.findPosted({ channel }, 'run:1:fired', since, 'ccc')).toBeNull();
    expect(await gateway.findPosted({ channel }, 'run:1:fired', since)).not.toBeNull();
    // One an earlier version posted with no tag is found with any.
    const old = await gateway.postOnce({ channel }, { text: 'alert, untagged' }, { key: 'run:2:fired', mayExist: false, since });
    expect(await gateway.findPosted({ channel }, 'run:2:fired', since, 'aaa')).toEqual(old);
  });

  it('finds the earlier reply on a later page of the thread', async () => {
    const since = Date.now() - 1000;
    const parent = await gateway.postOnce({ channel }, { text: 'alert' }, { key: 'alert:1', mayExist: false, since });
    const reply = await gateway.postOnce({ channel, threadTs: parent.ts }, { text: 'reminder' }, { key: 'reminder:1', mayExist: false, since });
    for (let i = 0; i < 4; i++) await gateway.postOnce({ channel, threadTs: parent.ts }, { text: `note ${i}` }, { key: `note:${i}`, mayExist: false, since });
    // Oldest first: parent, reminder, then four notes. Look for the last one, beyond the first page.
    const last = standin.conversation(channel).filter((m) => m.text === 'note 3')[0]!;
    const again = await gateway.postOnce({ channel, threadTs: parent.ts }, { text: 'note 3' }, { key: 'note:3', mayExist: true, since });
    expect(again).toEqual({ channel, ts: last.ts });
    expect(reply.ts).not.toBe(last.ts);
    expect(standin.conversation(channel).filter((m) => m.text === 'note 3')).toHaveLength(1);
  });
});

describe('findFile when Slack answers history in small pages', () => {
  const png = Buffer.from(Array.from({ length: 2_000 }, (_, i) => i % 251));
  const client = () => new WebClient('xoxb-test', { slackApiUrl: `${standin.url}/api/`, retryConfig: { retries: 0 } });

  it('finds the earlier upload on a later page of the channel, so a retried delivery does not upload it again', async () => {
    const since = Date.now() - 1000;
    await uploadFile(client(), { channelId: channel, bytes: png, filename: 'weekly-chart.png', title: 'Weekly chart' });
    for (let i = 0; i < 5; i++) await gateway.postOnce({ channel }, { text: `after the chart ${i}` }, { key: `after-chart:${i}`, mayExist: false, since });
    expect(await gateway.findFile({ channel }, 'weekly-chart.png', since)).toBe(true);
    expect(await gateway.findFile({ channel }, 'never-uploaded.png', since)).toBe(false);
  });

  it('finds the earlier upload on a later page of the thread', async () => {
    const since = Date.now() - 1000;
    const parent = await gateway.postOnce({ channel }, { text: 'query thread' }, { key: 'thread-for-file:1', mayExist: false, since });
    for (let i = 0; i < 4; i++) await gateway.postOnce({ channel, threadTs: parent.ts }, { text: `before the chart ${i}` }, { key: `before-chart:${i}`, mayExist: false, since });
    // Oldest first: the parent, four replies, then the chart: beyond the first pages of two.
    await uploadFile(client(), { channelId: channel, threadTs: parent.ts, bytes: png, filename: 'thread-chart.png', title: 'Thread chart' });
    expect(await gateway.findFile({ channel, threadTs: parent.ts }, 'thread-chart.png', since)).toBe(true);
  });
});

describe('the look for an earlier post follows next_cursor, whether or not has_more is there', () => {
  // Slack's OpenAPI (slack-api-specs web-api/slack_web_openapi_v2.json) requires only ok and messages in a
  // conversations.replies answer, has_more not; its pagination guide: "a response_metadata object that
  // includes a next_cursor when there are additional results". A thread page without has_more is not the end.
  it('reads the next page of a thread when the answer has a next_cursor and no has_more', async () => {
    const thread = 'C0THREAD01';
    const parentTs = '1700000000.000100';
    const message = (ts: string, key?: string) => ({ type: 'message', ts, text: `m ${ts}`, ...(key ? { metadata: { event_type: METADATA_EVENT, event_payload: { key } } } : {}) });
    const seen: string[] = [];
    const server = await loopbackServer(async (req, res) => {
      const args = new URLSearchParams((await readBody(req)).toString('utf8'));
      seen.push(`${req.url} ${args.get('cursor') ?? ''}`);
      const page = args.get('cursor') === 'page2'
        ? { ok: true, messages: [message(parentTs), message('1700000000.000300', 'wanted:1')], response_metadata: { next_cursor: '' } }
        : { ok: true, messages: [message(parentTs), message('1700000000.000200', 'other:1')], response_metadata: { next_cursor: 'page2' } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
    });
    try {
      const client = new WebClient('xoxb-test', { slackApiUrl: `${server.url}/api/`, retryConfig: { retries: 0 } });
      const paged = new SlackGateway(client, createLogger({ level: 'warn', secrets: [], write: () => {} }), Date.now, { perSecond: 1000, burst: 1000 });
      expect(await paged.findPosted({ channel: thread, threadTs: parentTs }, 'wanted:1', Date.now() - 1000)).toEqual({ channel: thread, ts: '1700000000.000300' });
      expect(seen).toEqual(['/api/conversations.replies ', '/api/conversations.replies page2']);
    } finally {
      await server.close();
    }
  });
});

describe('postOnce when Slack answers 429 with Retry-After', () => {
  it("holds the channel's other posts until then (their jobs are deferred to it), and lets other conversations post", async () => {
    const runnerClock = () => 9_000_000;
    const paced = new SlackGateway(new WebClient('xoxb-test', { slackApiUrl: `${standin.url}/api/`, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true }),
      createLogger({ level: 'warn', secrets: [], write: () => {} }), runnerClock);
    standin.failNextHttp('chat.postMessage', 429, { 'Retry-After': '30' });
    const before = standin.callsTo('chat.postMessage').length;
    const limited = paced.postOnce({ channel }, { text: 'first' }, { key: 'rl:1', mayExist: false, since: Date.now() });
    // Slack took nothing: the post's own job is put back by the Retry-After, without spending an attempt.
    await expect(limited).rejects.toSatisfy((e) => e instanceof DeferJob && e.untilMs === runnerClock() + 30_000);
    // The next post to that channel is not sent into the limit: its job is deferred by about the Retry-After.
    const next = paced.postOnce({ channel }, { text: 'second' }, { key: 'rl:2', mayExist: false, since: Date.now() });
    await expect(next).rejects.toSatisfy((e) => e instanceof DeferJob && e.untilMs > runnerClock() + 29_000 && e.untilMs <= runnerClock() + 30_000);
    expect(standin.callsTo('chat.postMessage').length).toBe(before + 1);
    // A DM is another conversation, with its own turn.
    await paced.postOnce({ channel: StandinDefaults.users.regular }, { text: 'elsewhere' }, { key: 'rl:3', mayExist: false, since: Date.now() });
    expect(standin.callsTo('chat.postMessage').length).toBe(before + 2);
  });
});

describe('update when Slack answers 429 with Retry-After', () => {
  it("holds this process's other edits, in any channel, until then: their jobs are put back without spending an attempt", async () => {
    const runnerClock = () => 9_000_000;
    const editing = new SlackGateway(new WebClient('xoxb-test', { slackApiUrl: `${standin.url}/api/`, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true }),
      createLogger({ level: 'warn', secrets: [], write: () => {} }), runnerClock, { perSecond: 1000, burst: 1000 });
    const card = await editing.postOnce({ channel }, { text: 'pending' }, { key: 'edit:1', mayExist: false, since: Date.now() });
    const dm = await editing.postOnce({ channel: StandinDefaults.users.regular }, { text: 'pending' }, { key: 'edit:2', mayExist: false, since: Date.now() });
    standin.failNextHttp('chat.update', 429, { 'Retry-After': '30' });
    const before = standin.callsTo('chat.update').length;
    const young = runnerClock() - 60_000;
    await expect(editing.update(card, { text: 'denied' }, young)).rejects.toSatisfy((e) => e instanceof DeferJob && e.untilMs >= runnerClock() + 30_000 && e.untilMs < runnerClock() + 32_000);
    // Slack's limit on edits is the workspace's: an edit elsewhere is not sent into it.
    await expect(editing.update(dm, { text: 'denied' }, young)).rejects.toSatisfy((e) => e instanceof DeferJob && e.untilMs > runnerClock() + 29_000 && e.untilMs < runnerClock() + 32_000);
    expect(standin.callsTo('chat.update').length).toBe(before + 1);
    // Posts are paced apart: the hold is on edits alone.
    await editing.postOnce({ channel }, { text: 'another' }, { key: 'edit:3', mayExist: false, since: Date.now() });
  });

  it('spends attempts once the job has been put back for long enough (it does not wait for ever)', async () => {
    const runnerClock = () => 9_000_000;
    const editing = new SlackGateway(new WebClient('xoxb-test', { slackApiUrl: `${standin.url}/api/`, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true }),
      createLogger({ level: 'warn', secrets: [], write: () => {} }), runnerClock, { perSecond: 1000, burst: 1000 });
    const card = await editing.postOnce({ channel }, { text: 'pending' }, { key: 'edit:4', mayExist: false, since: Date.now() });
    standin.failNextHttp('chat.update', 429, { 'Retry-After': '30' });
    const old = runnerClock() - LOOK_DEFER_FOR_MS;
    await expect(editing.update(card, { text: 'denied' }, old)).rejects.toSatisfy((e) => e instanceof SlackApiError && e.slackError === 'ratelimited' && e.retryable && e.retryAfterMs === 30_000);
    // While the hold lasts, such a job is not put back either: it is sent, and Slack's answer counts.
    await editing.update(card, { text: 'denied' }, old);
    expect((standin.message(channel, card.ts) as { text?: string }).text).toBe('denied');
  });
});

describe('a look for an earlier post or upload that Slack does not answer', () => {
  const runnerClock = () => 7_000_000;
  const looking = () =>
    new SlackGateway(new WebClient('xoxb-test', { slackApiUrl: `${standin.url}/api/`, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true }), createLogger({ level: 'warn', secrets: [], write: () => {} }), runnerClock);

  it('is tried again by the job, not taken for "nothing there" (which would post or upload it twice)', async () => {
    standin.failNextHttp('conversations.history', 503);
    await expect(looking().findFile({ channel }, 'any.png', Date.now())).rejects.toSatisfy((e) => e instanceof SlackApiError && e.slackError === 'http_503' && e.retryable);
    standin.failNext('conversations.history', 'internal_error');
    await expect(looking().findPosted({ channel }, 'any-key', Date.now())).rejects.toSatisfy((e) => e instanceof SlackApiError && e.retryable);
  });

  it('names the call that failed: a thread is read by conversations.replies, a DM opened by conversations.open', async () => {
    standin.failNext('conversations.replies', 'internal_error');
    await expect(looking().findPosted({ channel, threadTs: '1700000000.000100' }, 'any-key', Date.now())).rejects.toSatisfy((e) =>
      e instanceof SlackApiError && e.message === 'Slack conversations.replies failed: internal_error');
    standin.failNext('conversations.open', 'internal_error');
    await expect(looking().findFile({ channel: StandinDefaults.users.regular }, 'any.png', Date.now())).rejects.toSatisfy((e) =>
      e instanceof SlackApiError && e.message === 'Slack conversations.open failed: internal_error');
    standin.failNext('conversations.history', 'internal_error');
    await expect(looking().findFile({ channel }, 'any.png', Date.now())).rejects.toSatisfy((e) =>
      e instanceof SlackApiError && e.message === 'Slack conversations.history failed: internal_error');
  });

  it('waits out a rate limit without spending an attempt: the job is put back by its Retry-After (a little apart)', async () => {
    const young = runnerClock() - 60_000;
    for (const look of [(g: SlackGateway) => g.findFile({ channel }, 'any.png', young), (g: SlackGateway) => g.findPosted({ channel }, 'any-key', young)]) {
      standin.failNextHttp('conversations.history', 429, { 'Retry-After': '20' });
      await expect(look(looking())).rejects.toSatisfy((e) => e instanceof DeferJob && e.untilMs >= runnerClock() + 20_000 && e.untilMs < runnerClock() + 22_000);
    }
  });

  it('spends attempts on a rate limit once the job has been put back for long enough (it does not wait for ever)', async () => {
    const old = runnerClock() - LOOK_DEFER_FOR_MS;
    standin.failNextHttp('conversations.history', 429, { 'Retry-After': '20' });
    await expect(looking().findFile({ channel }, 'any.png', old)).rejects.toSatisfy((e) => e instanceof SlackApiError && e.slackError === 'ratelimited' && e.retryable);
  });

  it('posts when the look cannot work on a retry (no history scope, or the bot not in the channel)', async () => {
    standin.failNext('conversations.history', 'missing_scope');
    expect(await looking().findFile({ channel }, 'any.png', Date.now())).toBe(false);
    standin.failNext('conversations.history', 'not_in_channel');
    expect(await looking().findFile({ channel }, 'any.png', Date.now())).toBe(false);
    standin.failNext('conversations.history', 'missing_scope');
    expect(await looking().findPosted({ channel }, 'any-key', Date.now())).toBeNull();
  });
});
