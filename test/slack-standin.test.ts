import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
// Named imports: a default import of @slack/bolt is the App class under vitest but module.exports under node.
import { App, HTTPReceiver, LogLevel, verifySlackRequest } from '@slack/bolt';
import { WebClient, ErrorCode, type WebAPIPlatformError } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BotClient, makeTriggerId } from '../src/slack-standin/bot-client.js';
import { blocksToText, replyTag } from '../src/slack-standin/render-text.js';
import { SlackStandin, StandinDefaults, type LocalReply } from '../src/slack-standin/server.js';
import { signSlackRequest } from '../src/slack-standin/signing.js';
import { defaultUsers } from '../src/slack-standin/types.js';
import { SlackDirectory, conversationMembership } from '../src/slack/directory.js';
import { silentLogger } from '../src/logger.js';

const C = StandinDefaults.channel;
const { regular, bizops, lookerAdmin } = StandinDefaults.users;

const standin = new SlackStandin();
let url = '';
let client: WebClient;

beforeAll(async () => {
  ({ url } = await standin.start());
  // No retries: a fault injected once must surface once.
  client = new WebClient('xoxb-test', { slackApiUrl: `${url}/api/`, retryConfig: { retries: 0 } });
});
afterAll(() => standin.stop());
afterEach(() => standin.reset());

async function platformError(promise: Promise<unknown>): Promise<WebAPIPlatformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as WebAPIPlatformError;
}

describe('Web API', () => {
  it('answers auth.test with the bot identity', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0ANALYTIC' });
    expect(standin.callsTo('auth.test')).toHaveLength(1);
  });

  it('stores a posted message and updates it in place', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'Running *hubspot*…' } }];
    const posted = await client.chat.postMessage({ channel: C, text: 'Running hubspot', blocks });
    expect(posted.message?.text).toBe('Running hubspot');
    const ts = posted.ts ?? '';
    await client.chat.update({ channel: C, ts, text: 'hubspot done' });
    const stored = standin.message(C, ts);
    expect(stored).toMatchObject({ text: 'hubspot done', user: 'U0BOT', edited: { user: 'U0BOT' } });
    // Slack keeps blocks an update leaves out, and gives them block_ids.
    expect(stored?.blocks).toHaveLength(1);
    expect(blocksToText(stored ?? {})).toBe('Running *hubspot*…');
    expect(standin.conversation(C)).toHaveLength(1);
    expect(standin.callsTo('chat.postMessage')[0]?.args).toMatchObject({ channel: C, blocks });
  });

  it('keeps threads and deletes messages', async () => {
    const parent = await client.chat.postMessage({ channel: C, text: 'alert' });
    const reply = await client.chat.postMessage({ channel: C, text: 'rerun started', thread_ts: parent.ts });
    expect(standin.message(C, parent.ts ?? '')?.reply_count).toBe(1);
    expect(standin.message(C, reply.ts ?? '')?.thread_ts).toBe(parent.ts);
    await client.chat.delete({ channel: C, ts: reply.ts ?? '' });
    expect(standin.conversation(C).map((m) => m.text)).toEqual(['alert']);
    const link = await client.chat.getPermalink({ channel: C, message_ts: parent.ts ?? '' });
    expect(link.permalink).toMatch(/\/archives\/C0ANALYTIC\/p\d{16}$/);
  });

  it('marks ephemeral messages with their user, and cannot update them', async () => {
    const res = await client.chat.postEphemeral({ channel: C, user: regular, text: 'only you' });
    const stored = standin.message(C, res.message_ts ?? '');
    expect(stored?.ephemeral).toEqual({ user: regular });
    expect(standin.conversation(C, { visibleTo: bizops })).toHaveLength(0);
    const err = await platformError(client.chat.update({ channel: C, ts: res.message_ts ?? '', text: 'x' }));
    expect(err.data.error).toBe('cant_update_message');
  });

  it('sends DMs to a user to a D conversation', async () => {
    const res = await client.chat.postMessage({ channel: bizops, text: 'your access was approved' });
    expect(res.channel).toBe(standin.dmChannelId(bizops));
    expect(standin.conversation(bizops).map((m) => m.text)).toEqual(['your access was approved']);
  });

  it('completes the files.uploadV2 flow and shows the file in the thread', async () => {
    const parent = await client.chat.postMessage({ channel: C, text: 'weekly active instances' });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const res = await client.files.uploadV2({
      channel_id: C, thread_ts: parent.ts ?? '', file: png, filename: 'chart.png', title: 'WAI', initial_comment: 'Here you go',
    });
    expect(res.ok).toBe(true);
    expect(standin.callsTo('files.getUploadURLExternal')).toHaveLength(1);
    expect(standin.callsTo('files.completeUploadExternal')).toHaveLength(1);
    const msg = standin.conversation(C).find((m) => m.files);
    expect(msg).toMatchObject({ thread_ts: parent.ts, text: 'Here you go', files: [{ title: 'WAI', name: 'chart.png', mimetype: 'image/png', size: 7 }] });
    const fileId = msg?.files?.[0]?.id ?? '';
    expect(standin.file(fileId)?.bytes).toEqual(png);
    const download = await fetch(`${url}/files/${fileId}`);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(png);
    expect(blocksToText(msg ?? {})).toBe('Here you go\n[file: WAI]');
  });

  it('ignores blocks given with initial_comment when sharing an uploaded file, as files.completeUploadExternal documents', async () => {
    const reserved = (await client.apiCall('files.getUploadURLExternal', { filename: 'x.csv', length: 4 })) as unknown as { upload_url: string; file_id: string };
    expect((await fetch(reserved.upload_url, { method: 'POST', body: 'a,b\n' })).status).toBe(200);
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'the blocks' } }];
    await client.files.completeUploadExternal({ files: [{ id: reserved.file_id, title: 'X' }], channel_id: C, initial_comment: 'the comment', blocks });
    const msg = standin.conversation(C).find((m) => m.files?.[0]?.id === reserved.file_id);
    expect(msg).toMatchObject({ text: 'the comment' });
    expect(msg?.blocks).toBeUndefined();
    expect(standin.takeViolations()).toEqual([]);
  });

  it("answers conversations.open's variations: already_open the second time, user_disabled for a deactivated user", async () => {
    const first = await client.conversations.open({ users: bizops });
    expect(first.channel?.id).toBe(standin.dmChannelId(bizops));
    expect(first).not.toHaveProperty('already_open');
    const again = await client.conversations.open({ users: bizops });
    expect(again).toMatchObject({ no_op: true, already_open: true, channel: { id: standin.dmChannelId(bizops) } });

    const gone = { id: 'U0GONEUSER', name: 'gone', realName: 'Gone User', email: 'gone@example.com', deleted: true };
    const withGone = new SlackStandin({ users: [...defaultUsers, gone] });
    const { url: goneUrl } = await withGone.start();
    try {
      const web = new WebClient('xoxb-test', { slackApiUrl: `${goneUrl}/api/`, retryConfig: { retries: 0 } });
      expect((await platformError(web.conversations.open({ users: gone.id }))).data.error).toBe('user_disabled');
      // Slack keeps a deactivated user, marked deleted; the bot's directory treats them as no one.
      expect((await web.users.info({ user: gone.id })).user).toMatchObject({ id: gone.id, deleted: true });
      expect(await new SlackDirectory(web, silentLogger).profile(gone.id)).toBeNull();
      expect(await new SlackDirectory(web, silentLogger).profile(regular)).toMatchObject({ email: 'riley@example.com' });
    } finally {
      await withGone.stop();
    }
  });

  it('lists usergroup members and describes users', async () => {
    const group = await client.usergroups.users.list({ usergroup: StandinDefaults.usergroups.lookerAdmins });
    expect(group.users).toEqual([lookerAdmin]);
    const info = await client.users.info({ user: regular });
    expect(info.user).toMatchObject({ id: regular, real_name: 'Riley Regular', tz: 'America/Los_Angeles', profile: { email: 'riley@example.com' } });
    expect([-25200, -28800]).toContain(info.user?.tz_offset);
    expect((await platformError(client.users.info({ user: 'U0NOBODY' }))).data.error).toBe('user_not_found');
    expect((await platformError(client.usergroups.users.list({ usergroup: 'S0NONE' }))).data.error).toBe('no_such_subteam');
  });

  it('injects faults: failNext and HTTP 429', async () => {
    standin.failNext('chat.postMessage', 'not_in_channel');
    const err = await platformError(client.chat.postMessage({ channel: C, text: 'hi' }));
    expect(err.code).toBe(ErrorCode.PlatformError);
    expect(err.data.error).toBe('not_in_channel');
    await client.chat.postMessage({ channel: C, text: 'hi again' }); // only the next call failed
    expect(standin.callsTo('chat.postMessage').map((c) => c.error)).toEqual(['not_in_channel', undefined]);

    standin.failNextHttp('chat.postMessage', 429, { 'Retry-After': '7' });
    const strict = new WebClient('xoxb-test', { slackApiUrl: `${url}/api/`, rejectRateLimitedCalls: true });
    await expect(strict.chat.postMessage({ channel: C, text: 'x' })).rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 });
  });

  it('checks the token and rejects unknown methods and channels', async () => {
    const bad = new WebClient('xoxp-not-a-bot', { slackApiUrl: `${url}/api/`, retryConfig: { retries: 0 } });
    expect((await platformError(bad.auth.test())).data.error).toBe('invalid_auth');
    expect((await platformError(client.apiCall('chat.nonsense'))).data.error).toBe('unknown_method');
    expect((await platformError(client.chat.postMessage({ channel: 'C0NOWHERE', text: 'x' }))).data.error).toBe('channel_not_found');
    const header = { type: 'header', text: { type: 'mrkdwn', text: 'headers must be plain_text' } };
    const invalid = await platformError(client.apiCall('chat.postMessage', { channel: C, text: 'x', blocks: [header] }));
    expect(invalid.data.error).toBe('invalid_blocks');
    // Each refused request is a violation: a test that sends one on purpose takes them.
    expect(standin.takeViolations().map((v) => v.answer)).toEqual(['invalid_auth', 'unknown_method', 'invalid_blocks']);
  });

  it('opens, pushes and updates views with Slack trigger rules', async () => {
    const modal = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Looker access' }, blocks: [] };
    const trigger = makeTriggerId(regular);
    const opened = await client.views.open({ trigger_id: trigger, view: { ...modal, callback_id: 'looker' } });
    expect(opened.view?.id).toMatch(/^V[0-9A-Z]+$/);
    expect((await platformError(client.views.open({ trigger_id: trigger, view: modal }))).data.error).toBe('exchanged_trigger_id');
    const stale = makeTriggerId(regular, Date.now() - 3500);
    expect((await platformError(client.views.open({ trigger_id: stale, view: modal }))).data.error).toBe('expired_trigger_id');
    // views.push goes on top of the modal the click was in: a trigger from a message or a command has none.
    expect((await platformError(client.views.push({ trigger_id: makeTriggerId(regular), view: modal }))).data.error).toBe('not_found');
    await client.views.push({ trigger_id: makeTriggerId(regular, Date.now(), opened.view?.id), view: modal });
    expect(standin.modals(regular)).toHaveLength(2);
    // A click in the modal below the top one (it cannot be seen) pushes nothing either.
    expect((await platformError(client.views.push({ trigger_id: makeTriggerId(regular, Date.now(), opened.view?.id), view: modal }))).data.error).toBe('not_found');
    // A Home tab is published, not opened; a view past 250 kB is refused.
    expect((await platformError(client.views.open({ trigger_id: makeTriggerId(regular), view: { type: 'home', blocks: [] } as never }))).data.error).toBe('invalid_arguments');
    const huge = { ...modal, private_metadata: 'x', blocks: Array.from({ length: 90 }, () => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'y'.repeat(2_900) } })) };
    expect((await platformError(client.views.open({ trigger_id: makeTriggerId(regular), view: huge }))).data.error).toBe('view_too_large');
    const updated = await client.views.update({ view_id: opened.view?.id ?? '', hash: opened.view?.hash ?? '', view: { ...modal, callback_id: 'looker2' } });
    expect(updated.view).toMatchObject({ id: opened.view?.id, callback_id: 'looker2' });
    expect((await platformError(client.views.update({ view_id: opened.view?.id ?? '', hash: opened.view?.hash ?? '', view: modal }))).data.error).toBe('hash_conflict');
    // Exactly one of view_id and external_id; a closed modal is not found (bolt-js#1309).
    expect((await platformError(client.views.update({ view_id: opened.view?.id ?? '', external_id: 'x', view: modal }))).data.error).toBe('invalid_arguments');
    standin.takeViolations();
    // No notify_on_close: closing sends nothing to the bot.
    await standin.closeView(new BotClient({ botUrl: 'http://127.0.0.1:9/unused', signingSecret: 's', responseUrlBase: `${url}/response` }), { userId: regular, clearAll: true });
    expect((await platformError(client.views.update({ view_id: opened.view?.id ?? '', view: modal }))).data.error).toBe('not_found');
    const tooLong = { ...modal, title: { type: 'plain_text' as const, text: 'A title that is far too long for Slack' } };
    expect((await platformError(client.views.open({ trigger_id: makeTriggerId(regular), view: tooLong }))).data.error).toBe('invalid_arguments');
    expect(standin.takeViolations()).toEqual([expect.objectContaining({ answer: 'invalid_arguments', message: expect.stringContaining('[json-pointer:/view/title]') })]);
  });
});

describe('message metadata, conversations.history and conversations.replies', () => {
  const metadata = { event_type: 'rerun_started', event_payload: { source: 'hubspot', run: 7 } };
  const api = (method: string, body: unknown) =>
    fetch(`${url}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test' }, body: JSON.stringify(body) })
      .then((r) => r.json() as Promise<Record<string, unknown>>);

  it('stores metadata given as JSON or as a JSON string, replaces it on chat.update, and refuses malformed metadata', async () => {
    // The client sends it form-encoded, as a JSON string.
    const posted = await client.chat.postMessage({ channel: C, text: 'Rerun of HubSpot started', metadata });
    expect(standin.message(C, posted.ts!)?.metadata).toEqual(metadata);
    const asJson = await api('chat.postMessage', { channel: C, text: 'json', metadata });
    const asString = await api('chat.postMessage', { channel: C, text: 'string', metadata: JSON.stringify(metadata) });
    expect(standin.message(C, String(asJson['ts']))?.metadata).toEqual(metadata);
    expect(standin.message(C, String(asString['ts']))?.metadata).toEqual(metadata);

    const done = { event_type: 'rerun_finished', event_payload: { source: 'hubspot', run: 7, ok: true } };
    await client.chat.update({ channel: C, ts: posted.ts!, text: 'Rerun of HubSpot succeeded', metadata: done });
    expect(standin.message(C, posted.ts!)?.metadata).toEqual(done);
    await client.chat.update({ channel: C, ts: posted.ts!, text: 'Rerun of HubSpot succeeded (edited)' });
    expect(standin.message(C, posted.ts!)?.metadata).toEqual(done);

    const before = standin.conversation(C).length;
    expect((await api('chat.postMessage', { channel: C, text: 'x', metadata: '{not json' }))['error']).toBe('invalid_metadata_format');
    expect((await api('chat.postMessage', { channel: C, text: 'x', metadata: [1] }))['error']).toBe('invalid_metadata_format');
    expect((await api('chat.postMessage', { channel: C, text: 'x', metadata: { event_type: 'x' } }))['error']).toBe('invalid_metadata_schema');
    expect((await api('chat.update', { channel: C, ts: posted.ts, text: 'y', metadata: { event_payload: {} } }))['error']).toBe('invalid_metadata_schema');
    expect(standin.conversation(C)).toHaveLength(before);
    expect(standin.message(C, posted.ts!)?.text).toBe('Rerun of HubSpot succeeded (edited)');
    expect(standin.takeViolations().map((v) => v.answer)).toEqual(['invalid_metadata_format', 'invalid_metadata_format', 'invalid_metadata_schema', 'invalid_metadata_schema']);
  });

  it('lists history newest first, top-level messages only, metadata only when asked, paged with next_cursor', async () => {
    const ts: string[] = [];
    for (let i = 1; i <= 5; i++) ts.push((await client.chat.postMessage({ channel: C, text: `m${i}`, metadata: { event_type: 'n', event_payload: { i } } })).ts!);
    await client.chat.postMessage({ channel: C, text: 'reply to m2', thread_ts: ts[1]! });
    await client.chat.postEphemeral({ channel: C, user: regular, text: 'only Riley' });

    const all = await client.conversations.history({ channel: C });
    expect(all.messages?.map((m) => m.text)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    expect(all.has_more).toBe(false);
    expect(all.messages?.every((m) => m.metadata === undefined)).toBe(true);
    const parent = all.messages?.find((m) => m.text === 'm2');
    expect(parent).toMatchObject({ thread_ts: ts[1], reply_count: 1, reply_users: ['U0BOT'] });

    const withMeta = await client.conversations.history({ channel: C, include_all_metadata: true, limit: 1 });
    expect(withMeta.messages?.[0]?.metadata).toEqual({ event_type: 'n', event_payload: { i: 5 } });

    // Pages of two, through the real client's paginate(), which follows response_metadata.next_cursor.
    const pages: string[][] = [];
    for await (const p of client.paginate('conversations.history', { channel: C, limit: 2 })) {
      pages.push(((p as { messages?: Array<{ text?: string }> }).messages ?? []).map((m) => m.text ?? ''));
    }
    expect(pages).toEqual([['m5', 'm4'], ['m3', 'm2'], ['m1']]);

    const window = await client.conversations.history({ channel: C, oldest: ts[1]!, latest: ts[3]! });
    expect(window.messages?.map((m) => m.text)).toEqual(['m3']);
    const inclusive = await client.conversations.history({ channel: C, oldest: ts[1]!, latest: ts[3]!, inclusive: true });
    expect(inclusive.messages?.map((m) => m.text)).toEqual(['m4', 'm3', 'm2']);
  });

  it('lists a thread oldest first, from its parent or any reply, with metadata when asked, paged with next_cursor', async () => {
    const parent = await client.chat.postMessage({ channel: C, text: 'HubSpot is stale', metadata: { event_type: 'alert', event_payload: { source: 'hubspot' } } });
    const replies: string[] = [];
    for (let i = 1; i <= 3; i++) replies.push((await client.chat.postMessage({ channel: C, thread_ts: parent.ts!, text: `r${i}` })).ts!);
    await client.chat.postMessage({ channel: C, text: 'unrelated' });

    const thread = await client.conversations.replies({ channel: C, ts: parent.ts! });
    expect(thread.messages?.map((m) => m.text)).toEqual(['HubSpot is stale', 'r1', 'r2', 'r3']);
    expect(thread.messages?.[0]?.metadata).toBeUndefined();
    expect(thread.messages?.[1]).toMatchObject({ thread_ts: parent.ts, parent_user_id: 'U0BOT' });
    const fromReply = await client.conversations.replies({ channel: C, ts: replies[1]!, include_all_metadata: true });
    expect(fromReply.messages?.map((m) => m.text)).toEqual(['HubSpot is stale', 'r1', 'r2', 'r3']);
    expect(fromReply.messages?.[0]?.metadata).toEqual({ event_type: 'alert', event_payload: { source: 'hubspot' } });

    const first = await client.conversations.replies({ channel: C, ts: parent.ts!, limit: 3 });
    expect(first.messages?.map((m) => m.text)).toEqual(['HubSpot is stale', 'r1', 'r2']);
    expect(first.has_more).toBe(true);
    const next = await client.conversations.replies({ channel: C, ts: parent.ts!, limit: 3, cursor: first.response_metadata?.next_cursor ?? '' });
    expect(next.messages?.map((m) => m.text)).toEqual(['r3']);
    expect(next.has_more).toBe(false);
    const after = await client.conversations.replies({ channel: C, ts: parent.ts!, oldest: replies[0]! });
    expect(after.messages?.map((m) => m.text)).toEqual(['r2', 'r3']);

    const lone = await client.chat.postMessage({ channel: C, text: 'no replies' });
    expect((await client.conversations.replies({ channel: C, ts: lone.ts! })).messages?.map((m) => m.text)).toEqual(['no replies']);
    expect((await platformError(client.conversations.replies({ channel: C, ts: '1.000001' }))).data.error).toBe('thread_not_found');
  });

  it('reads DMs too, and answers channel_not_found, not_in_channel, invalid_cursor like Slack', async () => {
    const dm = await client.chat.postMessage({ channel: bizops, text: 'your rerun finished' });
    const history = await client.conversations.history({ channel: dm.channel! });
    expect(history.messages?.map((m) => m.text)).toEqual(['your rerun finished']);
    expect((await client.conversations.replies({ channel: dm.channel!, ts: dm.ts! })).messages).toHaveLength(1);

    expect((await platformError(client.conversations.history({ channel: 'C0NOWHERE' }))).data.error).toBe('channel_not_found');
    expect((await platformError(client.conversations.history({ channel: '#analytics' }))).data.error).toBe('channel_not_found');
    expect((await platformError(client.conversations.replies({ channel: 'C0NOWHERE', ts: dm.ts! }))).data.error).toBe('channel_not_found');
    expect((await platformError(client.conversations.history({ channel: C, cursor: 'bm9wZQ==' }))).data.error).toBe('invalid_cursor');
    expect((await platformError(client.conversations.history({ channel: C, oldest: 'yesterday' }))).data.error).toBe('invalid_ts_oldest');
    // A channel name where the reference asks for a conversation ID, and a timestamp that is none.
    expect(standin.takeViolations().map((v) => v.answer)).toEqual(['channel_not_found', 'invalid_ts_oldest']);

    const outside = new SlackStandin({ channels: [{ id: C, name: 'analytics' }, { id: 'C0OUTSIDE', name: 'elsewhere', botIsMember: false }] });
    const { url: outsideUrl } = await outside.start();
    try {
      const web = new WebClient('xoxb-test', { slackApiUrl: `${outsideUrl}/api/`, retryConfig: { retries: 0 } });
      expect((await platformError(web.conversations.history({ channel: 'C0OUTSIDE' }))).data.error).toBe('not_in_channel');
      expect((await platformError(web.conversations.replies({ channel: 'C0OUTSIDE', ts: '1.000001' }))).data.error).toBe('not_in_channel');
    } finally {
      await outside.stop();
    }
  });
});

describe('users as the bot meets them', () => {
  it('shows a profile\'s email only to a bot granted users:read.email', async () => {
    const scoped = new SlackStandin({ scopes: ['users:read'] });
    try {
      const web = new WebClient('xoxb-test', { slackApiUrl: `${(await scoped.start()).url}/api/`, retryConfig: { retries: 0 } });
      const info = await web.users.info({ user: regular });
      expect(info.user?.profile).toMatchObject({ real_name: 'Riley Regular' });
      expect(info.user?.profile?.email).toBeUndefined();
      expect(await new SlackDirectory(web, silentLogger).profile(regular)).toMatchObject({ email: null, firstName: 'Riley', lastName: 'Regular' });
      expect(scoped.takeViolations()).toEqual([]);
    } finally {
      await scoped.stop();
    }
  });
});

describe('channels as the bot meets them', () => {
  it('hides a private channel the bot is not in, refuses posts to an archived one, and lets chat:write.public post where the bot was not invited', async () => {
    const channels = [
      { id: C, name: 'analytics' },
      { id: 'C0PUBLIC', name: 'random', botIsMember: false },
      { id: 'C0SECRET', name: 'finance', botIsMember: false, isPrivate: true },
      { id: 'C0PRIVIN', name: 'bizops', isPrivate: true },
      { id: 'C0OLD', name: 'old-analytics', isArchived: true },
    ];
    const standins = [new SlackStandin({ channels }), new SlackStandin({ channels, scopes: ['chat:write', 'channels:read', 'groups:read', 'channels:history', 'groups:history', 'files:write'] })];
    const [withPublic, without] = standins;
    try {
      const web = async (s: SlackStandin) => new WebClient('xoxb-test', { slackApiUrl: `${(await s.start()).url}/api/`, retryConfig: { retries: 0 } });
      const [a, b] = [await web(withPublic!), await web(without!)];
      // A private channel the bot is not in does not exist for it: conversations.info, posts, history.
      expect((await platformError(a.conversations.info({ channel: 'C0SECRET' }))).data.error).toBe('channel_not_found');
      expect((await platformError(a.chat.postMessage({ channel: 'C0SECRET', text: 'x' }))).data.error).toBe('channel_not_found');
      expect((await platformError(a.conversations.history({ channel: 'C0SECRET' }))).data.error).toBe('channel_not_found');
      expect((await a.conversations.info({ channel: 'C0PRIVIN' })).channel).toMatchObject({ is_private: true, is_member: true, is_archived: false });
      // An archived channel: still described and readable, but it takes no posts.
      expect((await a.conversations.info({ channel: 'C0OLD' })).channel).toMatchObject({ is_archived: true, is_private: false });
      expect((await platformError(a.chat.postMessage({ channel: 'C0OLD', text: 'x' }))).data.error).toBe('is_archived');
      expect((await a.conversations.history({ channel: 'C0OLD' })).ok).toBe(true);
      // A public channel the bot was not invited to: chat:write.public (manifest.yml grants it) posts there;
      // reading it back, or sharing a file there, still needs the bot in it.
      expect((await a.conversations.info({ channel: 'C0PUBLIC' })).channel).toMatchObject({ is_member: false, is_private: false });
      const posted = await a.chat.postMessage({ channel: 'C0PUBLIC', text: 'from outside' });
      expect(posted.channel).toBe('C0PUBLIC');
      expect((await platformError(a.conversations.history({ channel: 'C0PUBLIC' }))).data.error).toBe('not_in_channel');
      expect((await platformError(b.chat.postMessage({ channel: 'C0PUBLIC', text: 'x' }))).data.error).toBe('not_in_channel');
      // What the bot's Directory makes of them (a delivery to a channel is checked with it).
      const directory = new SlackDirectory(a, silentLogger);
      expect(await Promise.all(['C0SECRET', 'C0PRIVIN', 'C0OLD', 'C0PUBLIC', C].map((id) => directory.channelAccess(id)))).toEqual(['not_found', 'member', 'not_found', 'not_member', 'member']);
      expect(withPublic!.takeViolations()).toEqual([]);
      expect(without!.takeViolations()).toEqual([]);
    } finally {
      for (const s of standins) await s.stop();
    }
  });
});

describe('conversations.members and who may name a private channel', () => {
  it('pages the members by cursor as Slack does; the Directory follows the cursor and says unknown, never yes, when pages remain', async () => {
    const channels = [
      { id: C, name: 'analytics' },
      { id: 'C0PRIV', name: 'finance', isPrivate: true, members: ['U0X1', 'U0X2', 'U0X3', regular] },
      { id: 'C0SECRET', name: 'board', isPrivate: true, botIsMember: false, members: [regular] },
      { id: 'C0EMPTY', name: 'quiet', members: [] },
    ];
    const paged = new SlackStandin({ channels, pageSize: 2 });
    try {
      const web = new WebClient('xoxb-test', { slackApiUrl: `${(await paged.start()).url}/api/`, retryConfig: { retries: 0 } });
      // Two a page, whatever the limit asked; the cursor continues; the bot, in it, is listed too.
      const first = await web.conversations.members({ channel: 'C0PRIV', limit: 1000 });
      expect(first.members).toEqual(['U0X1', 'U0X2']);
      expect(first.response_metadata?.next_cursor).toBeTruthy();
      const everyone = async (channel: string) => {
        const all: string[] = [];
        for await (const page of web.paginate('conversations.members', { channel })) all.push(...((page as { members?: string[] }).members ?? []));
        return all;
      };
      expect(await everyone('C0PRIV')).toEqual(['U0X1', 'U0X2', 'U0X3', regular, 'U0BOT']);
      // A channel declared without members: everyone in the workspace.
      expect(await everyone(C)).toEqual([regular, bizops, lookerAdmin, 'U0BOT']);
      // Slack's refusals: a private channel the bot is not in does not exist for it; a cursor that is none; a limit below 1.
      expect((await platformError(web.conversations.members({ channel: 'C0SECRET' }))).data.error).toBe('channel_not_found');
      expect((await platformError(web.conversations.members({ channel: 'C0PRIV', cursor: 'bm9wZQ==' }))).data.error).toBe('invalid_cursor');
      expect((await platformError(web.conversations.members({ channel: 'C0PRIV', limit: 0 }))).data.error).toBe('invalid_limit');
      expect(paged.takeViolations().map((v) => v.message)).toEqual([expect.stringContaining('limit')]);

      // The Directory, for a person: 5 members at 2 a page are 3 pages.
      paged.reset();
      const within = (pages: number) => new SlackDirectory(web, silentLogger, { memberPages: pages });
      expect(await within(2).channelAccess('C0PRIV', regular)).toBe('member');
      const calls = paged.callsTo('conversations.members');
      expect(calls.map((c) => [c.args['limit'], c.args['cursor'] ?? null])).toEqual([['1000', null], ['1000', first.response_metadata?.next_cursor]]);
      // Not found with a page left to read: unknown; all pages read: not in it, told as a channel that does not exist.
      expect(await within(2).channelAccess('C0PRIV', bizops)).toBe('unknown');
      expect(await conversationMembership(web, 'C0PRIV', bizops, silentLogger, 2)).toBe('unknown');
      expect(await within(3).channelAccess('C0PRIV', bizops)).toBe('not_found');
      expect(await conversationMembership(web, 'C0PRIV', bizops, silentLogger, 3)).toBe('not_member');
      // Slack could not be asked: unknown.
      paged.failNext('conversations.members', 'fetch_members_failed');
      expect(await within(3).channelAccess('C0PRIV', regular)).toBe('unknown');
      // Without a person, and for a public channel or a DM, nobody's membership is asked.
      paged.reset();
      expect(await within(3).channelAccess('C0PRIV')).toBe('member');
      expect(await within(3).channelAccess('C0EMPTY', bizops)).toBe('member');
      expect(await within(3).channelAccess('C0SECRET', regular)).toBe('not_found');
      expect(await within(3).channelAccess(`D0${bizops}`, regular)).toBe('member');
      expect(paged.callsTo('conversations.members')).toEqual([]);
      expect(paged.takeViolations()).toEqual([]);
    } finally {
      await paged.stop();
    }
  });
});

describe('onApplied', () => {
  it('runs after the call is applied and before the bot hears the answer, and unsubscribes', async () => {
    const seen: Array<{ method: string; stored: boolean; error?: string }> = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const off = standin.onApplied(async (call) => {
      const ts = typeof call.result['ts'] === 'string' ? call.result['ts'] : '';
      seen.push({ method: call.method, stored: standin.message(C, ts) !== undefined, ...(call.error ? { error: call.error } : {}) });
      if (call.method === 'chat.postMessage') await held;
    });
    let answered = false;
    const posting = client.chat.postMessage({ channel: C, text: 'the effect' }).then((r) => {
      answered = true;
      return r;
    });
    await standin.waitFor(() => seen.length === 1);
    // Slack has the message; the bot does not know its ts yet.
    expect(seen[0]).toEqual({ method: 'chat.postMessage', stored: true });
    expect(standin.conversation(C).map((m) => m.text)).toEqual(['the effect']);
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    release();
    expect((await posting).ts).toBe(standin.conversation(C)[0]?.ts);

    await platformError(client.chat.postMessage({ channel: 'C0NOWHERE', text: 'x' }));
    expect(seen.at(-1)).toEqual({ method: 'chat.postMessage', stored: false, error: 'channel_not_found' });
    off();
    await client.auth.test();
    expect(seen).toHaveLength(2);
  });

  it('drops the answer quietly when the caller has gone by then, and keeps serving', async () => {
    let gone!: () => void;
    const hookDone = new Promise<void>((resolve) => (gone = resolve));
    const body = JSON.stringify({ channel: C, text: 'posted, never answered' });
    const req = request(`${url}/api/chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test' } });
    req.on('error', () => {});
    const off = standin.onApplied(async () => {
      // The bot dies between Slack applying the call and answering it.
      req.destroy();
      await new Promise((r) => setTimeout(r, 100));
      gone();
    });
    req.end(body);
    await hookDone;
    off();
    await new Promise((r) => setTimeout(r, 50));
    expect(standin.conversation(C).map((m) => m.text)).toEqual(['posted, never answered']);
    expect(standin.callsTo('chat.postMessage')[0]?.result).toMatchObject({ ok: true });
    // The stand-in is fine: the next call is answered.
    await expect(client.chat.postMessage({ channel: C, text: 'next' })).resolves.toMatchObject({ ok: true });
  });

  it('answers HTTP 500 when a hook throws; the call stays applied', async () => {
    const off = standin.onApplied(() => {
      throw new Error('test hook failed');
    });
    try {
      const err = await platformError(client.chat.postMessage({ channel: C, text: 'applied anyway' }));
      expect(err.message).toMatch(/500/);
      expect(standin.conversation(C).map((m) => m.text)).toEqual(['applied anyway']);
    } finally {
      off();
    }
  });
});

describe('onArrival', () => {
  it("makes a call or response_url post 'lost': nothing applied or recorded, no answer; others pass; unsubscribes", async () => {
    const bot = new BotClient({ botUrl: 'http://127.0.0.1:9/unused', signingSecret: 's', responseUrlBase: `${url}/response` });
    const responseUrl = bot.responseUrl({ channelId: C, userId: regular });
    const arrived: string[] = [];
    const off = standin.onArrival((call) => {
      arrived.push(`${call.method} ${String(call.args['text'] ?? '')}`);
      return /lost/.test(String(call.args['text'] ?? '')) ? 'lost' : undefined;
    });
    const lost = await client.chat.postMessage({ channel: C, text: 'lost on the way' }).then(() => 'answered', (e: Error) => e.message);
    expect(lost).not.toBe('answered');
    const lostPost = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'lost too' }) })
      .then((r) => `HTTP ${r.status}`, () => 'no answer');
    expect(lostPost).toBe('no answer');
    await expect(client.chat.postMessage({ channel: C, text: 'kept' })).resolves.toMatchObject({ ok: true });
    expect(arrived).toEqual(['chat.postMessage lost on the way', 'response_url lost too', 'chat.postMessage kept']);
    expect({ messages: standin.conversation(C).map((m) => m.text), calls: standin.callsTo('chat.postMessage').length, responses: standin.responses.length })
      .toEqual({ messages: ['kept'], calls: 1, responses: 0 });
    off();
    await expect(client.chat.postMessage({ channel: C, text: 'lost? not any more' })).resolves.toMatchObject({ ok: true });
    expect(arrived).toHaveLength(3);
  });
});

describe('response_url', () => {
  const post = (responseUrl: string, body: unknown) =>
    fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('posts ephemeral by default, in_channel on request, and replace_original replaces the source message (a command has none)', async () => {
    const bot = new BotClient({ botUrl: 'http://127.0.0.1:9/unused', signingSecret: 's', responseUrlBase: `${url}/response` });
    const commandUrl = bot.responseUrl({ channelId: C, userId: regular });
    expect((await post(commandUrl, { text: 'Working…' })).status).toBe(200);
    // A command's response_url has no original message: Slack posts a replace_original as a new one, and it is told.
    await post(commandUrl, { text: 'acme: 2 instances', replace_original: true });
    let messages = standin.conversation(C);
    expect(messages.map((m) => m.text)).toEqual(['Working…', 'acme: 2 instances']);
    expect(messages[1]).toMatchObject({ ephemeral: { user: regular }, via: 'response_url' });
    expect(standin.takeViolations().map((v) => v.message)).toEqual([expect.stringMatching(/replace_original \(Slack posts it as a new message\) on a slash command's response_url, which has no original message/)]);

    const shared = await client.chat.postMessage({ channel: C, text: 'Request from Riley [Approve]' });
    const actionUrl = bot.responseUrl({ channelId: C, userId: lookerAdmin, messageTs: shared.ts ?? '' });
    await post(actionUrl, { replace_original: true, text: 'Approved by Alex' });
    expect(standin.message(C, shared.ts ?? '')?.text).toBe('Approved by Alex');
    await post(actionUrl, { response_type: 'in_channel', text: 'Looker updated' });
    messages = standin.conversation(C);
    expect(messages.at(-1)).toMatchObject({ text: 'Looker updated' });
    expect(messages.at(-1)?.ephemeral).toBeUndefined();
    await post(actionUrl, { delete_original: true });
    expect(standin.message(C, shared.ts ?? '')).toBeUndefined();

    expect(standin.responses.map((r) => r.body['text'] ?? '(delete)')).toEqual(['Working…', 'acme: 2 instances', 'Approved by Alex', 'Looker updated', '(delete)']);
    // Slack allows five posts per response_url.
    await post(actionUrl, { text: '4' });
    await post(actionUrl, { text: '5' });
    expect((await post(actionUrl, { text: '6' })).status).toBe(404);
    expect(standin.responses.at(-1)?.error).toBe('used_url');
  });
});

describe('signing', () => {
  it("matches Slack's documented example", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', body, 1531420618)).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    });
  });

  it("is accepted by Bolt's verifier, and a stale or tampered one is not", () => {
    const body = 'payload=%7B%7D';
    const now = Date.now();
    const headers = signSlackRequest('secret', body, Math.floor(now / 1000));
    const verify = (h: typeof headers, b = body) =>
      verifySlackRequest({ signingSecret: 'secret', body: b, nowMilliseconds: now, headers: { ...h, 'x-slack-request-timestamp': Number(h['x-slack-request-timestamp']) } });
    expect(() => verify(headers)).not.toThrow();
    expect(() => verify(headers, 'payload=%7B%22x%22%7D')).toThrow();
    expect(() => verify(signSlackRequest('secret', body, Math.floor(now / 1000) - 600))).toThrow();
  });
});

describe('blocksToText', () => {
  it('renders a sample message', () => {
    const text = blocksToText([
      { type: 'header', text: { type: 'plain_text', text: 'acme' } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'Owner <@U0REGULAR>, see <https://looker.example.com/x|Looker> &amp; more' },
        fields: [{ type: 'mrkdwn', text: '*Level*\nFull pings' }],
        accessory: { type: 'button', text: { type: 'plain_text', text: 'Share' }, action_id: 'share' },
      },
      { type: 'divider' },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'fresh as of 09:00' }, { type: 'image', image_url: 'x', alt_text: 'clock' }] },
      {
        type: 'actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Rerun' }, action_id: 'rerun' },
          { type: 'static_select', placeholder: { type: 'plain_text', text: 'Customer' }, action_id: 'pick', options: [
            { text: { type: 'plain_text', text: 'Acme' }, value: 'a' },
            { text: { type: 'plain_text', text: 'Acme Corp' }, value: 'b' },
          ] },
        ],
      },
      { type: 'image', image_url: 'https://x/chart.png', alt_text: 'chart' },
      { type: 'rich_text', elements: [{ type: 'rich_text_list', style: 'bullet', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'one' }] }] }] },
      { type: 'input', label: { type: 'plain_text', text: 'Why' }, element: { type: 'plain_text_input', action_id: 'why' }, optional: true },
    ]);
    expect(text).toBe(
      [
        '# acme',
        'Owner @U0REGULAR, see Looker (https://looker.example.com/x) & more',
        '  *Level* Full pings',
        '  [Share]',
        '────────',
        'fresh as of 09:00 · [image: clock]',
        '[Rerun] [Select: Customer ▾ Acme | Acme Corp]',
        '[image: chart]',
        '• one',
        'Why (optional): […]',
      ].join('\n'),
    );
    expect(blocksToText('plain &lt;text&gt;')).toBe('plain <text>');
  });

  it('marks what a form starts with chosen: a radio button, checkboxes, a person or a channel picked in advance', () => {
    const opt = (value: string) => ({ text: { type: 'plain_text', text: value }, value });
    const input = (element: Record<string, unknown>) => ({ type: 'input', label: { type: 'plain_text', text: 'F' }, element: { action_id: 'a', ...element } });
    const text = blocksToText([
      input({ type: 'radio_buttons', options: [opt('View'), opt('Develop')], initial_option: opt('View') }),
      input({ type: 'checkboxes', options: [opt('DM'), opt('CSV')], initial_options: [opt('CSV')] }),
      input({ type: 'users_select', initial_user: 'U0REGULAR' }),
      input({ type: 'conversations_select', initial_conversation: 'C0ANALYTICS' }),
      input({ type: 'radio_buttons', options: [opt('View'), opt('Develop')] }),
    ]);
    expect(text.split('\n')).toEqual(['F: (•) View  ( ) Develop', 'F: [ ] DM  [x] CSV', 'F: [Select: @U0REGULAR ▾]', 'F: [Select: #C0ANALYTICS ▾]', 'F: ( ) View  ( ) Develop']);
  });
});

describe('with a real Bolt app on the HTTP receiver', () => {
  const signingSecret = 'standin-secret';
  let server: Server;
  let bot: BotClient;
  const seen: string[] = [];

  beforeAll(async () => {
    const receiver = new HTTPReceiver({ signingSecret, endpoints: '/slack/events', processBeforeResponse: false, logLevel: LogLevel.ERROR });
    const app = new App({ token: 'xoxb-test', receiver, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: `${url}/api/`, retryConfig: { retries: 0 } } });
    app.command('/telemetry', async ({ ack, command, respond, client: web }) => {
      if (command.text === 'help') return ack({ response_type: 'ephemeral', text: 'Usage: /telemetry <customer>' });
      await ack();
      seen.push(`${command.user_name} ${command.channel_name} ${command.text}`);
      if (command.text === 'modal') {
        await web.views.open({
          trigger_id: command.trigger_id,
          view: {
            type: 'modal', callback_id: 'why', title: { type: 'plain_text', text: 'Why?' }, submit: { type: 'plain_text', text: 'Send' },
            blocks: [{ type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'reason' } }],
          },
        });
        return;
      }
      await respond({
        text: `telemetry for ${command.text}`,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `*${command.text}*: Full pings` } },
          { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Share' }, action_id: 'share', value: command.text }] },
        ],
      });
    });
    app.action('share', async ({ ack, respond, body, action }) => {
      await ack();
      const value = action.type === 'button' ? action.value : '';
      await respond({ response_type: 'in_channel', text: `${body.user.id} shared ${value}` });
      await respond({ delete_original: true });
    });
    app.view('why', async ({ ack, view }) => {
      const reason = view.state.values['reason']?.['reason']?.value ?? '';
      if (reason.length < 3) return ack({ response_action: 'errors', errors: { reason: 'Say a bit more' } });
      await ack();
    });
    server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    const { port } = server.address() as AddressInfo;
    bot = new BotClient({ botUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret, responseUrlBase: `${url}/response` });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('runs a command and clicks a button in its ephemeral reply', async () => {
    const { ack, replies } = await standin.runCommand(bot, { command: '/telemetry', text: 'acme', userId: regular, channelId: C });
    expect(ack.status).toBe(200);
    expect(ack.ms).toBeLessThan(3000);
    expect(seen.at(-1)).toBe('riley analytics acme');
    expect(replies).toHaveLength(1);
    const card = replies[0]?.message;
    expect(card).toMatchObject({ ephemeral: { user: regular } });
    expect(blocksToText(card ?? {})).toBe('*acme*: Full pings\n[Share]');

    const clicked = await standin.clickAction(bot, { userId: regular, channelId: C, ts: card?.ts ?? '', actionId: 'share' });
    expect(clicked.ack.status).toBe(200);
    expect(clicked.replies.map((r) => r.via)).toEqual(['response_url', 'response_url']);
    expect(standin.conversation(C).map((m) => [m.text, Boolean(m.ephemeral)])).toEqual([['U0REGULAR shared acme', false]]);
  });

  it('serves POST /local/command for the CLI once a bot is connected', async () => {
    const local = (body: unknown) => fetch(`${url}/local/command`, { method: 'POST', body: JSON.stringify(body) });
    expect((await local({ command: '/telemetry', text: 'acme' })).status).toBe(503);
    standin.connectBot(bot);
    const res = await local({ command: '/telemetry', text: 'acme', userId: bizops, settleMs: 50 });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { ack: { status: number }; replies: LocalReply[] };
    expect(json.ack.status).toBe(200);
    expect(json.replies).toMatchObject([{ kind: 'message', ephemeral: true, channel: C, text: 'telemetry for acme' }]);
    expect(seen.at(-1)).toBe('blake analytics acme');
    expect((await local({ command: 'telemetry' })).status).toBe(400);
  });

  it('shows a command ack body the way Slack does', async () => {
    const { replies } = await standin.runCommand(bot, { command: '/telemetry', text: 'help', userId: regular, channelId: C, timeoutMs: 200 });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ via: 'ack', message: { text: 'Usage: /telemetry <customer>', ephemeral: { user: regular }, via: 'ack' } });
  });

  it('opens a modal from a command and validates its submission', async () => {
    const { replies } = await standin.runCommand(bot, { command: '/telemetry', text: 'modal', userId: bizops, channelId: C });
    expect(replies.map((r) => (r.via === 'web_api' ? r.method : r.via))).toEqual(['views.open']);
    expect(standin.modals(bizops).map((v) => v.callback_id)).toEqual(['why']);
    const rejected = await standin.submitView(bot, { userId: bizops, values: { reason: 'no' }, settleMs: 0, timeoutMs: 50 });
    expect(rejected).toMatchObject({ responseAction: 'errors', errors: { reason: 'Say a bit more' } });
    expect(standin.modals(bizops)).toHaveLength(1);
    await standin.submitView(bot, { userId: bizops, values: { reason: 'quarterly review' }, settleMs: 0, timeoutMs: 50 });
    expect(standin.modals(bizops)).toHaveLength(0);
  });

  it('is rejected by the receiver when unsigned, wrongly signed or stale', async () => {
    const body = new URLSearchParams({ command: '/telemetry', text: 'acme' }).toString();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await bot.raw(body, form)).status).toBe(401);
    expect((await bot.raw(body, { ...form, ...signSlackRequest('wrong-secret', body) })).status).toBe(401);
    const stale = signSlackRequest(signingSecret, body, Math.floor(Date.now() / 1000) - 600);
    expect((await bot.raw(body, { ...form, ...stale })).status).toBe(401);
  });

  it('waitFor resolves on a change and times out with recent activity', async () => {
    const later = standin.waitFor(() => standin.conversation(C).find((m) => m.text === 'late'));
    setTimeout(() => void client.chat.postMessage({ channel: C, text: 'late' }), 20);
    expect((await later).text).toBe('late');
    await expect(standin.waitFor(() => false, { timeoutMs: 50 })).rejects.toThrow(/chat.postMessage: late/);
  });
});

describe('the terminal client\'s tags', () => {
  it('tags each reply by what it is and where it went', () => {
    expect(replyTag({ kind: 'modal', text: 'Modal: New alert' })).toBe('[modal: New alert]');
    expect(replyTag({ kind: 'modal' })).toBe('[modal]');
    expect(replyTag({ kind: 'message', channel: 'D0U0REGULAR' })).toBe('[DM to U0REGULAR]');
    expect(replyTag({ kind: 'message', channel: 'D0SOMETHING' })).toBe('[DM]');
    expect(replyTag({ kind: 'message', channel: 'C0ANALYTIC', ephemeral: true })).toBe('[only visible to you]');
    expect(replyTag({ kind: 'message', channel: 'C0ANALYTIC' })).toBe('[in channel C0ANALYTIC]');
    expect(replyTag({ kind: 'error', text: 'x failed' })).toBe('[error]');
  });
});
