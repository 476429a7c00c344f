/**
 * The Slack facts (src/slack-standin/facts/), the checker, and the stand-in
 * recording what Slack refuses or ignores while answering as Slack would.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkCommandAck,
  checkResponseUrlBody,
  checkScopes,
  checkViewSubmissionAck,
  checkWebApiCall,
  slackWebApiFacts,
} from './support/vendor-facts/slack.js';
import { SlackStandin, StandinDefaults, type Violation } from '../src/slack-standin/server.js';
import { encodeResponseUrlId } from '../src/slack-standin/bot-client.js';
import { readAppManifest } from '../src/slack-standin/manifest.js';

const FORM = { contentType: 'application/x-www-form-urlencoded' };
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('the Slack facts', () => {
  it('give every method its source, arguments, content types and documented errors; sources are dated', () => {
    for (const s of slackWebApiFacts.sources) expect(s.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const names = slackWebApiFacts.methods.map((m) => m.method);
    expect(new Set(names).size).toBe(names.length);
    for (const m of slackWebApiFacts.methods) {
      expect(m.source).toContain(`docs.slack.dev/reference/methods/${m.method}`);
      expect(m.contentTypes.length).toBeGreaterThan(0);
      expect(m.response).toBeTruthy();
    }
  });

  it('describe every method the stand-in implements, and those the bot and Bolt call', () => {
    const described = new Set(slackWebApiFacts.methods.map((m) => m.method));
    expect(new SlackStandin().methods.filter((m) => !described.has(m))).toEqual([]);
    for (const m of [
      'auth.test', 'chat.postMessage', 'chat.postEphemeral', 'chat.update', 'chat.getPermalink', 'conversations.open', 'conversations.history', 'conversations.members',
      'conversations.replies', 'usergroups.users.list', 'users.info', 'views.open', 'views.update', 'views.publish', 'files.getUploadURLExternal',
      'files.completeUploadExternal',
    ]) expect(described.has(m)).toBe(true);
  });
});

describe('checkWebApiCall', () => {
  it('accepts what the reference documents, in a form or as JSON', () => {
    expect(checkWebApiCall('chat.postMessage', { channel: 'C0ANALYTIC', text: 'hi', blocks: [section('hi')], metadata: { event_type: 'x', event_payload: {} } }, FORM).problems).toEqual([]);
    expect(checkWebApiCall('conversations.history', { channel: 'C0ANALYTIC', oldest: '1700000000', limit: '200', include_all_metadata: 'true' }, FORM).problems).toEqual([]);
    expect(checkWebApiCall('files.getUploadURLExternal', { filename: 'a.png', length: 12, alt_txt: 'A chart' }, { contentType: 'application/json' }).problems).toEqual([]);
    // Bolt's listener client adds team_id to every call.
    expect(checkWebApiCall('views.open', { trigger_id: '1.2.3', view: { type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks: [] }, team_id: 'T1' }, FORM).problems).toEqual([]);
  });

  it('flags an argument the method does not take, which Slack ignores (no answer changes)', () => {
    const { problems } = checkWebApiCall('files.getUploadURLExternal', { filename: 'a.png', length: '12', alt_text: 'A chart' }, FORM);
    expect(problems).toEqual([{ message: expect.stringContaining('does not take "alt_text"') }]);
  });

  it("answers as Slack does: missing, mistyped, none of text/blocks, over Block Kit's limits, unknown method", () => {
    const answers = (method: string, args: Record<string, unknown>) => checkWebApiCall(method, args, FORM).problems.map((p) => p.answer);
    expect(answers('chat.postMessage', { text: 'hi' })).toEqual(['channel_not_found']);
    expect(answers('chat.postMessage', { channel: 'C0ANALYTIC' })).toEqual(['no_text']);
    expect(answers('files.getUploadURLExternal', { filename: 'a.png', length: 'twelve' })).toEqual(['missing_argument']);
    expect(answers('chat.update', { channel: 'C0ANALYTIC', ts: '1.2', text: 'x'.repeat(4001) })).toEqual(['msg_too_long']);
    expect(answers('chat.postMessage', { channel: 'C0ANALYTIC', text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) })).toEqual(['invalid_blocks']);
    expect(answers('views.update', { view: { type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks: [] } })).toEqual(['invalid_arguments']);
    expect(answers('chat.scheduleMessage', { channel: 'C0ANALYTIC', text: 'x', post_at: '1' })).toEqual(['unknown_method']);
  });

  it("checks the bot's scopes: a conversation's type picks the scope it needs; any other call needs one of the method's", () => {
    const needed = (method: string, args: Record<string, unknown>, granted: string[]) => checkScopes(method, args, new Set(granted)).map((p) => p.extra?.['needed']);
    expect(needed('conversations.info', { channel: 'C0ANALYTIC' }, ['channels:read'])).toEqual([]);
    expect(needed('conversations.info', { channel: 'C0ANALYTIC' }, ['groups:read', 'im:read'])).toEqual(['channels:read']);
    expect(needed('conversations.info', { channel: 'G0PRIVATE' }, ['channels:read'])).toEqual(['groups:read']);
    expect(needed('conversations.history', { channel: 'D0U0BIZOPS' }, ['channels:history', 'groups:history'])).toEqual(['im:history']);
    expect(needed('usergroups.users.list', { usergroup: 'S0BIZOPS' }, ['users:read'])).toEqual(['usergroups:read']);
    expect(needed('usergroups.users.list', { usergroup: 'S0BIZOPS' }, ['usergroups:read'])).toEqual([]);
    // auth.test needs no scope.
    expect(needed('auth.test', {}, [])).toEqual([]);
    expect(checkScopes('conversations.info', { channel: 'C1' }, new Set(['chat:write']))).toEqual([
      { message: expect.stringContaining('channels:read'), answer: 'missing_scope', extra: { needed: 'channels:read', provided: 'chat:write' } },
    ]);
  });

  it('checks response_url posts and ack bodies', () => {
    expect(checkResponseUrlBody({ response_type: 'ephemeral', replace_original: false, text: 'hi', blocks: [section('hi')] })).toEqual([]);
    expect(checkResponseUrlBody({ delete_original: true })).toEqual([]);
    expect(checkResponseUrlBody({ response_type: 'public', text: 'x' }).map((p) => p.answer)).toEqual(['invalid_arguments']);
    expect(checkCommandAck({})).toEqual([]);
    expect(checkCommandAck({ text: 'x', channel: 'C0ANALYTIC' })).toEqual([{ message: expect.stringContaining('does not take "channel"') }]);
    const view = { blocks: [{ type: 'input', block_id: 'why', label: { type: 'plain_text', text: 'Why' }, element: { type: 'plain_text_input', action_id: 'a' } }] };
    expect(checkViewSubmissionAck({ response_action: 'errors', errors: { why: 'Say more' } }, view)).toEqual([]);
    expect(checkViewSubmissionAck({ response_action: 'errors', errors: { because: 'Say more' } }, view).map((p) => p.answer)).toEqual(['invalid_arguments']);
    expect(checkViewSubmissionAck({ response_action: 'update' }, view).map((p) => p.answer)).toEqual(['invalid_arguments']);
  });
});

describe('the stand-in records what Slack refuses or ignores, and answers as Slack would', () => {
  const seen: Violation[] = [];
  const standin = new SlackStandin({ onViolation: (v) => seen.push(v) });
  let client: WebClient;
  let url = '';

  beforeAll(async () => {
    ({ url } = await standin.start());
    client = new WebClient('xoxb-test', { slackApiUrl: `${url}/api/`, retryConfig: { retries: 0 } });
  });
  afterAll(() => standin.stop());

  it('an ignored argument: the call succeeds, the argument is dropped, the violation is told and kept', async () => {
    seen.length = 0;
    const res = (await client.apiCall('files.getUploadURLExternal', { filename: 'a.png', length: 3, alt_text: 'A chart' })) as { ok?: boolean; file_id?: string };
    expect(res.ok).toBe(true);
    expect(standin.file(String(res.file_id))?.alt_txt).toBeUndefined();
    expect(seen).toEqual([expect.objectContaining({ where: 'Web API', message: expect.stringContaining('alt_text') })]);
    expect(standin.takeViolations()).toHaveLength(1);
    expect(standin.takeViolations()).toEqual([]);
  });

  it('a response_url post over the 50-block limit: HTTP 400 invalid_blocks, nothing posted', async () => {
    const id = encodeResponseUrlId({ channelId: StandinDefaults.channel, userId: StandinDefaults.users.regular });
    const blocks = Array.from({ length: 51 }, (_, i) => section(`line ${i}`));
    const res = await fetch(`${url}/response/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'list', blocks }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ok: false, error: 'invalid_blocks' });
    expect(standin.conversation(StandinDefaults.channel)).toHaveLength(0);
    expect(standin.takeViolations()).toEqual([expect.objectContaining({ where: 'response_url', answer: 'invalid_blocks' })]);
  });

  it("a call that needs a scope manifest.yml does not grant: missing_scope, with what was needed and provided, as Slack answers it", async () => {
    const granted = readAppManifest()?.botScopes ?? [];
    expect(granted).toEqual(expect.arrayContaining(['channels:read', 'groups:read', 'chat:write']));
    expect(granted).not.toContain('im:read');
    const dm = standin.dmChannelId(StandinDefaults.users.bizops);
    const error = await client.conversations.info({ channel: dm }).then(() => undefined, (e: { data?: unknown }) => e.data);
    expect(error).toMatchObject({ ok: false, error: 'missing_scope', needed: 'im:read', provided: granted.join(',') });
    expect(standin.takeViolations()).toEqual([expect.objectContaining({ where: 'Web API', answer: 'missing_scope', message: expect.stringContaining('needs the bot scope im:read') })]);
    // A public channel needs channels:read, which the manifest grants.
    expect((await client.conversations.info({ channel: StandinDefaults.channel })).channel).toMatchObject({ id: StandinDefaults.channel, is_member: true });
    // With the scope granted, the same call answers.
    const granting = new SlackStandin({ scopes: [...granted, 'im:read'] });
    const other = new WebClient('xoxb-test', { slackApiUrl: `${(await granting.start()).url}/api/`, retryConfig: { retries: 0 } });
    try {
      expect((await other.conversations.info({ channel: dm })).channel).toMatchObject({ is_im: true, user: StandinDefaults.users.bizops });
      expect(granting.takeViolations()).toEqual([]);
    } finally {
      await granting.stop();
    }
    expect(standin.takeViolations()).toEqual([]);
  });

  it('an upload whose bytes differ from the length declared', async () => {
    const res = (await client.apiCall('files.getUploadURLExternal', { filename: 'a.csv', length: 10 })) as { upload_url?: string };
    await fetch(String(res.upload_url), { method: 'POST', body: 'abc' });
    expect(standin.takeViolations()).toEqual([expect.objectContaining({ where: 'upload', message: expect.stringContaining('3 bytes arrived') })]);
  });
});
