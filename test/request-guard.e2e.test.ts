/**
 * The receiver's security holes, end to end through the real Bolt
 * HTTP receiver with requests signed as Slack signs them:
 * - a signed payload that is JSON but not an object is answered 400 and the
 *   bot keeps serving (before: Bolt read `body.ssl_check` of null outside any
 *   try, and the rejection stopped the process);
 * - a signature timestamp more than 5 minutes from now is refused in either
 *   direction (before: Bolt accepted any future one).
 * And the process-level handlers, on a stand-in process object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { signSlackRequest } from '../src/slack-standin/signing.js';
import { checkSlackRequest } from '../src/slack/request-guard.js';
import { ActionIds } from '../src/ids.js';
import { installProcessGuards } from '../src/process-guards.js';
import { createLogger } from '../src/logger.js';
import { EventEmitter } from 'node:events';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { requestPath } from '../src/foreground.js';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot();
}, 120_000);
afterAll(async () => t?.stop());

const FORM = 'application/x-www-form-urlencoded';
const signed = (body: string, contentType = FORM, at = Math.floor(Date.now() / 1000)) =>
  t.client.raw(body, { 'content-type': contentType, ...signSlackRequest(t.signingSecret, body, at) });
const stillServing = async () => {
  const ack = await t.client.command({ command: '/telemetry', text: 'acme', userId: StandinDefaults.users.regular, channelId: StandinDefaults.channel });
  expect(ack.status).toBe(200);
};

describe('payloads that are not JSON objects', () => {
  it.each(['null', '1', '"x"', '[]', 'true'])('answers 400 to a signed payload=%s, and keeps serving', async (json) => {
    const ack = await signed(new URLSearchParams({ payload: json }).toString());
    expect(ack.status).toBe(400);
    await stillServing();
  });

  it.each(['null', '[]', '42'])('answers 400 to a signed JSON body %s (the Events API form)', async (json) => {
    expect((await signed(json, 'application/json')).status).toBe(400);
    await stillServing();
  });

  it('answers 401, not 400, when such a payload is not signed', async () => {
    const ack = await t.client.raw('payload=null', { 'content-type': FORM, ...signSlackRequest('not-the-secret', 'payload=null') });
    expect(ack.status).toBe(401);
  });

  it('logs the refusal without the body or the signature', () => {
    const line = t.logs.find((l) => l.includes('refused a request to the Slack endpoint'));
    expect(line).toBeDefined();
    expect(line).toContain('not an object');
    expect(line).not.toMatch(/v0=[0-9a-f]{64}/);
  });
});

describe('interaction payloads without a user', () => {
  const payloadWithout = (fields: Record<string, unknown>) =>
    new URLSearchParams({ payload: JSON.stringify({ api_app_id: 'A0STANDIN', token: 'standin-verification-token', team: { id: 'T0STANDIN', domain: 'standin' }, ...fields }) }).toString();

  it('acknowledges a signed block_actions click with no user, changes nothing, and warns without secrets', async () => {
    const { replies } = await t.standin.runCommand(t.client, { command: '/telemetry', text: 'initech', userId: StandinDefaults.users.regular, channelId: StandinDefaults.channel });
    const reply = replies[0]!;
    const shareButton = JSON.stringify(reply.message?.blocks ?? []).includes(ActionIds.telemetryShare);
    expect(shareButton).toBe(true);
    const calls = t.standin.calls.length;
    const responses = t.standin.responses.length;
    const visible = t.standin.conversation(StandinDefaults.channel).filter((m) => !m.ephemeral).length;
    const logs = t.logs.length;

    // The Share click Slack would send for that reply, but with no `user`.
    const body = payloadWithout({
      type: 'block_actions', trigger_id: '1.2.3', channel: { id: StandinDefaults.channel, name: 'analytics' },
      container: { type: 'message', message_ts: reply.message!.ts, channel_id: StandinDefaults.channel, is_ephemeral: true },
      response_url: `${t.standin.url}/response/x`,
      actions: [{ type: 'button', action_id: ActionIds.telemetryShare, block_id: 'b', action_ts: '1.2' }],
    });
    const ack = await signed(body);
    expect(ack.status).toBe(200);
    expect(ack.body).toBe('');
    await new Promise((r) => setTimeout(r, 300));
    expect(t.standin.calls.length).toBe(calls);
    expect(t.standin.responses.length).toBe(responses);
    expect(t.standin.conversation(StandinDefaults.channel).filter((m) => !m.ephemeral).length).toBe(visible);

    const written = t.logs.slice(logs);
    const warning = written.find((l) => l.includes('no user'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ severity: 'WARNING' });
    expect(warning).toContain('block_actions');
    expect(written.join('\n')).not.toContain('standin-verification-token');
    expect(written.join('\n')).not.toMatch(/v0=[0-9a-f]{64}/);
    expect(written.join('\n')).not.toMatch(/ERROR|stack/);
    await stillServing();
  });

  it.each([
    ['a view_submission', { type: 'view_submission', trigger_id: '1.2.3', view: { id: 'V1', type: 'modal', callback_id: 'x', state: { values: {} } } }],
    ['a block_suggestion', { type: 'block_suggestion', action_id: 'a', block_id: 'b', value: 'ab' }],
    ['a shortcut', { type: 'shortcut', callback_id: 'x', trigger_id: '1.2.3' }],
    ['a click whose user is not an object', { type: 'block_actions', user: 'U1', actions: [{ type: 'button', action_id: 'x', block_id: 'b' }] }],
    ['a click whose user is null', { type: 'block_actions', user: null, team: null, actions: [{ type: 'button', action_id: 'x', block_id: 'b' }] }],
  ])('acknowledges %s with no usable user', async (_, fields) => {
    const ack = await signed(payloadWithout(fields));
    expect(ack.status).toBe(200);
    await stillServing();
  });
});

describe('signed payloads with a field Bolt reads unguarded in the wrong shape', () => {
  const user = { id: StandinDefaults.users.regular, team_id: 'T0STANDIN' };
  const form = (payload: Record<string, unknown>) => new URLSearchParams({ payload: JSON.stringify({ team: { id: 'T0STANDIN' }, user, ...payload }) }).toString();

  it.each<[string, Record<string, unknown>, string]>([
    ['a click whose channel is null', { type: 'block_actions', channel: null, actions: [{ type: 'button', action_id: 'x', block_id: 'b' }] }, 'a channel that is not an object'],
    ['a form submission with no view', { type: 'view_submission' }, 'no view'],
    ['a form closing whose view is null', { type: 'view_closed', view: null }, 'no view'],
    // What a submission records once is keyed on its view's ID (a pipeline request's ID is made of it).
    ...['', 42, null, { id: 'V1' }].map((id): [string, Record<string, unknown>, string] => [
      `a form submission whose view ID is ${JSON.stringify(id)}`,
      { type: 'view_submission', view: { id, type: 'modal', callback_id: 'pipeline_request_confirm', private_metadata: '{}', state: { values: {} } } },
      'a view without an ID',
    ]),
  ])('acknowledges %s and ignores it, with a warning', async (_, payload, why) => {
    const calls = t.standin.calls.length;
    const ack = await signed(form(payload));
    expect(ack.status).toBe(200);
    expect(t.logs.some((l) => l.includes('acknowledged and ignored') && l.includes(why))).toBe(true);
    expect(t.standin.calls.length).toBe(calls);
    await stillServing();
  });

  it.each([
    ['an object', { type: 'block_actions', actions: { action_id: 'x' } }],
    ['a number', { type: 'block_actions', actions: 1 }],
    ['a string', { type: 'block_actions', actions: 'query_list_next' }],
    ['missing', { type: 'block_actions' }],
    ['empty', { type: 'block_actions', actions: [] }],
    ['[null]', { type: 'block_actions', actions: [null] }],
    ['an action with a numeric ID', { type: 'block_actions', actions: [{ type: 'button', action_id: 1, block_id: 'b' }] }],
    ['a legacy attachment action (a name, no action ID)', { type: 'interactive_message', callback_id: 'x', actions: [{ name: 'x', type: 'button', value: 'y' }] }],
  ])('acknowledges a click whose actions are %s and ignores it, with a warning and no error', async (_, payload) => {
    const calls = t.standin.calls.length;
    const logs = t.logs.length;
    const ack = await signed(form({ channel: { id: StandinDefaults.channel }, response_url: `${t.standin.url}/response/x`, ...payload }));
    expect(ack.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const written = t.logs.slice(logs);
    expect(written.some((l) => l.includes('acknowledged and ignored') && l.includes('no action'))).toBe(true);
    expect(written.join('\n')).not.toMatch(/"severity":"ERROR"/);
    expect(t.standin.calls.length).toBe(calls);
    await stillServing();
  });

  it.each([
    ['none', { container: { type: 'message', message_ts: '1.000001', channel_id: StandinDefaults.channel, is_ephemeral: false } }],
    ['an empty one', { container: { type: 'message', message_ts: '1.000001', channel_id: StandinDefaults.channel, is_ephemeral: false }, response_url: '' }],
    ['none, and no container', {}],
    ['a blank', { response_url: ' ' }],
    ['not a URL', { response_url: 'not a url' }],
    ['not a web URL', { response_url: 'file:///etc/passwd' }],
  ])('ignores a click outside a modal or App Home whose response_url is %s: the rerun it names does not start', async (_, fields) => {
    const calls = t.standin.calls.length;
    const audit = (await t.bot.services.audit.recent(50)).length;
    const logs = t.logs.length;
    const ack = await signed(form({
      type: 'block_actions', user: { id: StandinDefaults.users.bizops, team_id: 'T0STANDIN' }, trigger_id: '1.2.3', channel: { id: StandinDefaults.channel },
      ...fields,
      actions: [{ type: 'button', action_id: ActionIds.freshnessRerun, block_id: 'b', value: 'github', action_ts: '1.2' }],
    }));
    expect(ack.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.logs.slice(logs).some((l) => l.includes('acknowledged and ignored') && l.includes('no response_url'))).toBe(true);
    // Nothing posted about GitHub (a reply to an earlier test's command may land meanwhile), and no rerun audited.
    expect(t.standin.calls.slice(calls).filter((c) => JSON.stringify(c).includes('GitHub'))).toEqual([]);
    expect((await t.bot.services.audit.recent(50)).length).toBe(audit);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a global shortcut', { type: 'shortcut', callback_id: 'x', trigger_id: '1.2.3' }],
    ['a message shortcut', { type: 'message_action', callback_id: 'x', trigger_id: '1.2.3', channel: { id: StandinDefaults.channel }, message: { ts: '1.2', text: 'hi' } }],
    ['a menu\'s options', { type: 'block_suggestion', action_id: 'a', block_id: 'b', value: 'ab' }],
    ['a form closing', { type: 'view_closed', view: { id: 'V1', type: 'modal', callback_id: 'x' } }],
    ['a legacy dialog', { type: 'dialog_submission', callback_id: 'x', submission: {} }],
    ['a menu\'s options request that also has actions (Bolt takes it as options)', { type: 'block_actions', name: 'x', actions: [{ type: 'button', action_id: 'x', block_id: 'b' }], response_url: 'http://127.0.0.1:9/x' }],
    ...['shortcut', 'message_action', 'dialog_submission', 'view_closed', 'view_submission', 'interactive_message', undefined].map((type) => [
      `a ${type ?? 'untyped payload'} with a click's actions (Bolt would run the click's listener)`,
      { ...(type ? { type } : {}), view: { id: 'V1', type: 'modal', callback_id: 'x' }, response_url: 'http://127.0.0.1:9/x', actions: [{ type: 'button', action_id: ActionIds.freshnessRerun, block_id: 'b', value: 'github' }] },
    ] as [string, Record<string, unknown>]),
  ])('acknowledges %s, a kind the app has no listener for, with a warning and no error', async (_, payload) => {
    const logs = t.logs.length;
    const ack = await signed(form(payload));
    expect(ack.status).toBe(200);
    const written = t.logs.slice(logs);
    expect(written.some((l) => l.includes('acknowledged and ignored') && l.includes('no listener'))).toBe(true);
    expect(written.join('\n')).not.toMatch(/"severity":"ERROR"/);
  });

  it('is not in the way of anything the manifest asks Slack to send: no shortcuts, menu options or workflow steps', () => {
    const manifest = parse(readFileSync(new URL('../manifest.yml', import.meta.url), 'utf8')) as Record<string, Record<string, unknown> | undefined>;
    expect(manifest['features']?.['shortcuts']).toBeUndefined();
    expect(manifest['features']?.['workflow_steps']).toBeUndefined();
    expect(manifest['functions']).toBeUndefined();
    expect(Object.keys((manifest['settings']?.['interactivity'] ?? {}) as object).sort()).toEqual(['is_enabled', 'request_url']);
  });

  it('acknowledges Slack\'s app_rate_limited notice', async () => {
    const ack = await signed(JSON.stringify({ token: 'x', type: 'app_rate_limited', team_id: 'T0STANDIN', minute_rate_limited: 1518467820, api_app_id: 'A0STANDIN' }), 'application/json');
    expect(ack.status).toBe(200);
  });

  it.each([
    ['an empty form', ''],
    ['a form with neither a payload nor a command', 'foo=bar&user_id=U0REGULAR'],
    ['a form with two payloads', 'payload=%7B%7D&payload=%7B%7D'],
    ['an empty JSON object', '{}'],
    ['a JSON body of an unknown type', '{"type":"nonsense","user":{"id":"U0REGULAR"}}'],
    ['a slash command without a response_url', 'command=%2Ftelemetry&text=acme&user_id=U0REGULAR&channel_id=C0ANALYTIC&team_id=T0STANDIN&trigger_id=1.2.3'],
  ])('answers 400 to %s', async (_, body) => {
    const logs = t.logs.length;
    const ack = await signed(body, body.startsWith('{') ? 'application/json' : FORM);
    expect(ack.status).toBe(400);
    expect(t.logs.slice(logs).join('\n')).not.toMatch(/"severity":"ERROR"/);
    await stillServing();
  });

  it('still lets Bolt answer the Events API\'s URL check', async () => {
    const ack = await signed(JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' }), 'application/json');
    expect(ack.status).toBe(200);
    expect(ack.body).toContain('c-123');
  });

  it.each(['null', '"x"', '[]'])('answers 400 to a signed event_callback whose event is %s', async (event) => {
    const ack = await signed(`{"type":"event_callback","team_id":"T0STANDIN","event":${event}}`, 'application/json');
    expect(ack.status).toBe(400);
    await stillServing();
  });
});

describe('signature timestamps', () => {
  const form = () => new URLSearchParams({ command: '/telemetry', text: 'acme', user_id: StandinDefaults.users.regular, channel_id: StandinDefaults.channel, team_id: 'T0STANDIN', response_url: 'http://127.0.0.1:9/x', trigger_id: '1.2.3' }).toString();
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a request stamped more than 5 minutes in the future', async () => {
    expect((await signed(form(), FORM, now() + 6 * 60)).status).toBe(401);
    expect((await signed(form(), FORM, now() + 24 * 3600)).status).toBe(401);
  });

  it('refuses one more than 5 minutes old, as before', async () => {
    expect((await signed(form(), FORM, now() - 6 * 60)).status).toBe(401);
  });

  it('accepts a clock a little off in either direction', async () => {
    expect((await signed(form(), FORM, now() + 4 * 60)).status).toBe(200);
    expect((await signed(form(), FORM, now() - 4 * 60)).status).toBe(200);
  });

  it('checks the window with its own clock', () => {
    const body = 'command=%2Ftelemetry&text=acme&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fx';
    const at = 1_700_000_000;
    const headers = { 'content-type': FORM, ...signSlackRequest('s3cret-signing', body, at) };
    expect(checkSlackRequest(headers, body, { signingSecret: 's3cret-signing', now: () => (at - 301) * 1000 })).toMatchObject({ ok: false, status: 401 });
    expect(checkSlackRequest(headers, body, { signingSecret: 's3cret-signing', now: () => (at + 301) * 1000 })).toMatchObject({ ok: false, status: 401 });
    expect(checkSlackRequest(headers, body, { signingSecret: 's3cret-signing', now: () => (at - 299) * 1000 })).toEqual({ ok: true });
  });

  it('refuses a timestamp with a fraction (Bolt would take one an hour ahead), and a signed payload behind it is not read', async () => {
    const at = `${now() + 3600}.5`;
    const sign = (body: string) => ({ 'x-slack-signature': `v0=${createHmac('sha256', t.signingSecret).update(`v0:${at}:${body}`).digest('hex')}`, 'x-slack-request-timestamp': at });
    expect((await t.client.raw(form(), { 'content-type': FORM, ...sign(form()) })).status).toBe(401);
    expect((await t.client.raw('payload=null', { 'content-type': FORM, ...sign('payload=null') })).status).toBe(401);
    await stillServing();
  });

  it('leaves Slack\'s unsigned ssl_check to Bolt', async () => {
    expect((await t.client.raw('ssl_check=1&token=x', { 'content-type': FORM })).status).toBe(200);
  });
});

/** A request sent with its path exactly as given (fetch would tidy `/slack/./events` before sending it). */
function verbatim(path: string, body: string, headers: Record<string, string>, method = 'POST'): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('the Slack endpoint spelt another way', () => {
  const future = () => Math.floor(Date.now() / 1000) + 3600;
  const command = new URLSearchParams({ command: '/telemetry', text: 'acme', user_id: StandinDefaults.users.regular, channel_id: StandinDefaults.channel, team_id: 'T0STANDIN', response_url: 'http://127.0.0.1:9/x', trigger_id: '1.2.3' }).toString();

  it.each(['/slack/./events', '/slack/x/../events', '/slack/%2e/events', '/slack/events#frag'])('is checked as the endpoint is: %s', async (path) => {
    const nullPayload = 'payload=null';
    expect((await verbatim(path, nullPayload, { 'content-type': FORM, ...signSlackRequest(t.signingSecret, nullPayload) })).status).toBe(400);
    expect((await verbatim(path, command, { 'content-type': FORM, ...signSlackRequest(t.signingSecret, command, future()) })).status).toBe(401);
    await stillServing();
  });

  it('logs a client that goes away in the middle of its body as a paced warning, not an error with a stack', async () => {
    const { hostname, port } = new URL(t.url);
    const errors = () => t.logs.filter((l) => l.includes('request guard failed')).length;
    const before = errors();
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), hostname, () => {
          socket.write(`POST /slack/events HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: ${FORM}\r\nContent-Length: 100000\r\n\r\npayload=%7B`);
          setTimeout(() => socket.destroy(), 50);
        });
        socket.on('close', () => resolve());
        socket.on('error', () => {});
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(errors()).toBe(before);
    expect(t.logs.filter((l) => l.includes('a client went away before its request to the Slack endpoint was read')).length).toBeLessThanOrEqual(1);
    await stillServing();
  });

  it('reads a path as Bolt does', () => {
    expect(['/slack/./events', '/slack/x/../events', '/slack/%2e/events', '/slack/events?x=1#f', '/slack/events'].map(requestPath)).toEqual(Array(5).fill('/slack/events'));
    expect(['/slack/events/', '/slack//../slack/events', '/SLACK/events'].map(requestPath)).toEqual(['/slack/events/', '/slack/slack/events', '/SLACK/events']);
    expect(requestPath('//')).toBeNull();
  });

  it('answers a path Bolt cannot read (//) 404, with no error logged', async () => {
    const errors = t.logs.filter((l) => l.includes('"ERROR"')).length;
    expect((await verbatim('//', '', {}, 'GET')).status).toBe(404);
    expect((await verbatim('//', 'x=1', { 'content-type': FORM })).status).toBe(404);
    expect(t.logs.filter((l) => l.includes('"ERROR"')).length).toBe(errors);
    await stillServing();
  });
});

describe('process-level handlers', () => {
  const setup = () => {
    const lines: string[] = [];
    const proc = new EventEmitter();
    const exits: number[] = [];
    installProcessGuards(createLogger({ write: (l) => lines.push(l) }), { proc: proc as never, exit: (c) => exits.push(c) });
    return { lines, proc, exits };
  };

  it('logs an unhandled rejection with its stack and keeps serving', () => {
    const { lines, proc, exits } = setup();
    proc.emit('unhandledRejection', new Error('nobody awaited me'));
    expect(exits).toEqual([]);
    const entry = JSON.parse(lines[0]!) as { severity: string; message: string; stack?: string };
    expect(entry).toMatchObject({ severity: 'ERROR', message: expect.stringContaining('still serving') });
    expect(entry.stack).toContain('nobody awaited me');
    expect(entry.stack).toMatch(/\n\s+at /);
  });

  it('survives a connection error nobody listened for, and stops on any other uncaught exception', () => {
    const { lines, proc, exits } = setup();
    proc.emit('uncaughtException', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(exits).toEqual([]);
    proc.emit('uncaughtException', new TypeError("Cannot read properties of null (reading 'x')"));
    expect(exits).toEqual([1]);
    const last = JSON.parse(lines.at(-1)!) as { severity: string; stack?: string };
    expect(last.severity).toBe('ERROR');
    expect(last.stack).toContain('TypeError');
  });
});
