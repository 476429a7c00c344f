/**
 * The stand-in's local routes and the page's server, without a browser: what
 * the page sends, and what bad input gets (a clear answer, and no change).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { createLocalPage, type LocalPage } from '../src/slack-standin/web/page.js';
import { SlackStandin } from '../src/slack-standin/server.js';
import { describeCommands, whereDataLives } from '../src/local.js';
import { loadConfig } from '../src/config.js';

const { regular, bizops } = StandinDefaults.users;
const channel = StandinDefaults.channel;

let t: TestBot;
let page: LocalPage;
let url: string;

beforeAll(async () => {
  const standin = new SlackStandin();
  page = createLocalPage(standin);
  url = (await standin.start({ port: 0, host: '127.0.0.1', fallback: page.handle })).url;
  t = await startTestBot({ standin });
  standin.connectBot(t.client);
  page.setCommands([{ command: '/telemetry', description: 'A customer', usageHint: 'acme' }]);
}, 120_000);

afterAll(async () => {
  page?.close();
  await t?.stop();
  await t?.standin.stop();
});

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** An ephemeral /telemetry card shown to `userId`. */
async function card(userId: string) {
  const res = await post('/local/command', { command: '/telemetry', text: 'initech', userId, settleMs: 50 });
  expect(res.status).toBe(200);
  return t.standin.conversation(channel).filter((m) => m.ephemeral?.user === userId).at(-1)!;
}

describe('the page server', () => {
  it('serves the page, its static files and its compiled code, and nothing outside them', async () => {
    const html = await fetch(`${url}/`);
    expect(html.headers.get('content-type')).toContain('text/html');
    const script = /<script src="([^"]+)" type="module">/.exec(await html.text())?.[1];
    expect(script).toBe('/js/slack-standin/web/client/app.js');
    for (const file of ['/static/style.css', '/static/favicon.svg', script!, '/js/blockkit/mrkdwn.js', '/js/blockkit/limits.js']) {
      const res = await fetch(`${url}${file}`);
      expect(res.status, file).toBe(200);
      if (file.endsWith('.js')) expect(res.headers.get('content-type')).toContain('text/javascript');
    }
    const bad = [
      '/static/../page.ts', '/static/..%2Fpage.ts', '/static/%2e%2e%2fserver.ts', '/static/nope.js', '/static/app.js',
      '/js/slack-standin/web/client/app.ts', '/js/..%2F..%2Fpackage.json', '/js/blockkit/%2e%2e/%2e%2e/src/main.js', '/js/nope.js', '/js/blockkit/',
      // Malformed %-encoding names nothing (not a 500).
      '/static/%', '/js/%zz.js', '/files/%', '/files/F0%E0%A4%A',
    ];
    for (const path of bad) expect((await fetch(`${url}${path}`)).status, path).toBe(404);
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
  });

  it('gives each user their own view of the state: ephemeral messages only to their owner', async () => {
    const mine = await card(regular);
    const state = async (user: string) => (await (await fetch(`${url}/local/state?user=${user}`)).json()) as {
      me: string; commands: Array<{ command: string }>; conversations: Record<string, Array<{ ts: string; ephemeral: boolean }>>;
    };
    const riley = await state(regular);
    expect(riley.me).toBe(regular);
    expect(riley.commands.map((c) => c.command)).toEqual(['/telemetry']);
    expect(riley.conversations[channel]!.find((m) => m.ts === mine.ts)?.ephemeral).toBe(true);
    const blake = await state(bizops);
    expect(blake.conversations[channel]!.some((m) => m.ts === mine.ts)).toBe(false);
    expect((await fetch(`${url}/local/state?user=U0NOBODY`)).status).toBe(400);
  });

  it('streams a change event when the bot posts', async () => {
    const controller = new AbortController();
    const res = await fetch(`${url}/local/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const seen: string[] = [];
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen.push(new TextDecoder().decode(value));
        if (seen.join('').includes('event: change')) return;
      }
    })();
    await t.bot.app.client.chat.postMessage({ channel, text: 'A scheduled message' });
    await read;
    controller.abort();
    expect(seen.join('')).toMatch(/event: change\ndata: \{"kind":"message","channel":"C0ANALYTIC"/);
  });
});

describe('POST /local/action, /local/submit, /local/close, /local/home', () => {
  it('clicks a button in a message as the user, through the signed receiver', async () => {
    const m = await card(regular);
    const res = await post('/local/action', { userId: regular, channelId: channel, ts: m.ts, actionId: 'telemetry_share', settleMs: 50 });
    expect(res.status).toBe(200);
    expect(res.body['ack']).toMatchObject({ status: 200 });
    await t.standin.waitFor(() => t.standin.conversation(channel).some((x) => !x.ephemeral && x.text.includes('Initech')));
    expect(t.standin.message(channel, m.ts)).toBeUndefined();
  });

  it("refuses a click on someone else's ephemeral message, and changes nothing", async () => {
    const m = await card(regular);
    const calls = t.standin.calls.length;
    const res = await post('/local/action', { userId: bizops, channelId: channel, ts: m.ts, actionId: 'telemetry_share' });
    expect(res.status).toBe(404);
    expect(String(res.body['error'])).toContain('No such message');
    expect(t.standin.calls.length).toBe(calls);
    expect(t.standin.message(channel, m.ts)).toBeDefined();
  });

  it.each([
    ['malformed JSON', '{"userId":', 400, 'JSON object'],
    ['not an object', '[1,2]', 400, 'JSON object'],
    ['an unknown user', { userId: 'U0NOBODY', actionId: 'x', channelId: channel, ts: '1.2' }, 400, 'Unknown user U0NOBODY'],
    ['no action ID', { userId: regular, channelId: channel, ts: '1.2' }, 400, 'actionId is required'],
    ['an unknown message', { userId: regular, actionId: 'telemetry_share', channelId: channel, ts: '1.2' }, 404, 'No such message'],
    ['a view that is not open', { userId: regular, actionId: 'x', viewId: 'VNOPE' }, 404, 'No view VNOPE'],
  ])('answers %s with a clear error', async (_what, body, status, error) => {
    const calls = t.standin.calls.length;
    const res = await post('/local/action', body);
    expect(res.status).toBe(status);
    expect(String(res.body['error'])).toContain(error);
    expect(t.standin.calls.length).toBe(calls);
  });

  it("refuses a command typed in a conversation the user cannot see (a channel that does not exist, another user's DM), and sends the bot nothing", async () => {
    const before = { calls: t.standin.calls.length };
    for (const channelId of ['CNOPE', t.standin.dmChannelId(regular), regular]) {
      const res = await post('/local/command', { command: '/telemetry', text: 'initech', userId: bizops, channelId, settleMs: 50 });
      expect(res.status, channelId).toBe(400);
      expect(String(res.body['error'])).toContain(`${bizops} cannot type in`);
    }
    expect(t.standin.calls.length).toBe(before.calls);
    expect(t.standin.conversation('CNOPE')).toEqual([]);
    expect(t.standin.conversation(regular).filter((m) => m.ephemeral?.user === bizops)).toEqual([]);
    // Their own DM with the bot, by its ID or their user ID, and the channel by name, are theirs to type in.
    for (const channelId of [t.standin.dmChannelId(bizops), bizops, '#analytics']) {
      expect((await post('/local/command', { command: '/telemetry', text: 'initech', userId: bizops, channelId, settleMs: 50 })).status, channelId).toBe(200);
    }
  });

  it("refuses a click on a message in another user's DM with the bot, and changes nothing", async () => {
    const posted = await t.bot.app.client.chat.postMessage({
      channel: regular, text: 'A card for Riley',
      blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'telemetry_share', text: { type: 'plain_text', text: 'Share' }, value: 'x' }] }],
    });
    const dm = t.standin.dmChannelId(regular);
    const calls = t.standin.calls.length;
    for (const channelId of [dm, regular]) {
      const res = await post('/local/action', { userId: bizops, channelId, ts: posted.ts, actionId: 'telemetry_share', settleMs: 50 });
      expect(res.status, channelId).toBe(404);
      expect(String(res.body['error'])).toContain('No such message');
    }
    expect(t.standin.calls.length).toBe(calls);
    expect((await post('/local/action', { userId: regular, channelId: dm, ts: posted.ts, actionId: 'telemetry_share', settleMs: 50 })).status).toBe(200);
  });

  it('answers an element the message does not have, and an option the select does not have', async () => {
    const m = await card(regular);
    const missing = await post('/local/action', { userId: regular, channelId: channel, ts: m.ts, actionId: 'no_such_action' });
    expect(missing.status).toBe(400);
    expect(String(missing.body['error'])).toContain('no element "no_such_action"');
    // A click names its block (two items of a list share action IDs): an element elsewhere is not clicked.
    const calls = t.standin.calls.length;
    const elsewhere = await post('/local/action', { userId: regular, channelId: channel, ts: m.ts, actionId: 'telemetry_share', blockId: 'no_such_block' });
    expect(elsewhere.status).toBe(400);
    expect(String(elsewhere.body['error'])).toContain('no element "telemetry_share" in block "no_such_block"');
    expect(t.standin.calls.length).toBe(calls);
    const blockId = (m.blocks ?? []).map((b) => b as { block_id?: string; elements?: Array<{ action_id?: string }> }).find((b) => b.elements?.some((e) => e.action_id === 'telemetry_share'))?.block_id;
    expect(blockId).toBeTruthy();
    const there = await post('/local/action', { userId: regular, channelId: channel, ts: m.ts, actionId: 'telemetry_share', blockId, settleMs: 50 });
    expect(there.status).toBe(200);
  });

  it('submits, closes and opens Home only for a user with something open', async () => {
    expect((await post('/local/submit', { userId: regular })).status).toBe(404);
    expect((await post('/local/close', { userId: regular })).status).toBe(404);
    expect((await post('/local/submit', { userId: regular, values: { a: 3 } })).status).toBe(404);
    const home = await post('/local/home', { userId: regular });
    expect(home.status).toBe(200);
    expect(home.body['ack']).toMatchObject({ status: 200 });
  });

  it('closes only the view it names: a late second close of a closed view leaves the next one open', async () => {
    await t.standin.runCommand(t.client, { command: '/looker-access', userId: bizops, channelId: channel, timeoutMs: 5_000 });
    const [modal] = t.standin.modals(bizops);
    expect(modal).toBeDefined();
    const stale = await post('/local/close', { userId: bizops, viewId: 'VALREADYCLOSED' });
    expect(stale).toEqual({ status: 200, body: { closed: false } });
    expect(t.standin.modals(bizops)).toHaveLength(1);
    expect((await post('/local/close', { userId: bizops, viewId: modal!.id })).body).toMatchObject({ closed: true });
    expect(t.standin.modals(bizops)).toHaveLength(0);
  });

  it('sends app_home_opened as a signed event the receiver accepts, with the view already published', async () => {
    const published: Array<{ user: string; view?: unknown }> = [];
    t.bot.app.event('app_home_opened', async ({ event }) => {
      published.push({ user: event.user, view: event.view });
    });
    const ack = await t.standin.openHome(t.client, { userId: bizops });
    expect(ack.status).toBe(200);
    await t.standin.waitFor(() => published.find((p) => p.user === bizops));
  });
});

describe('describeCommands', () => {
  it('describes registered commands from manifest.yml, and lists unlisted ones bare', () => {
    const commands = describeCommands(['/telemetry', '/not-in-manifest']);
    expect(commands[0]).toMatchObject({ command: '/telemetry', usageHint: 'acme | Acme Corp | acme.com' });
    expect(commands[0]!.description).toContain("A customer's instances");
    expect(commands.at(-1)).toEqual({ command: '/not-in-manifest', description: '', usageHint: '' });
    expect(commands.map((c) => c.command)).not.toContain('/unregistered');
    const query = describeCommands(['/query'])[0]!.usageHint;
    for (const word of ['subscribe', 'alert', 'subscriptions']) expect(query).toMatch(new RegExp(`\\b${word}\\b`));
  });
});

describe('whereDataLives', () => {
  it('names the warehouse and store the bot really uses, and the data directory only for what is embedded', () => {
    const at = (env: Record<string, string>) => whereDataLives(loadConfig({ DATA_DIR: '/tmp/d', ...env }));
    expect(at({})).toBe('on the embedded warehouse and store in /tmp/d');
    expect(at({ STORE: 'firestore', GOOGLE_CLOUD_PROJECT: 'p1', FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' })).toBe(
      'on the embedded warehouse in /tmp/d and Firestore (project p1, emulator at 127.0.0.1:8080)',
    );
    expect(at({ WAREHOUSE: 'bigquery', BIGQUERY_PROJECT: 'wh' })).toBe('on BigQuery (project wh) and the embedded store in /tmp/d');
    expect(at({ WAREHOUSE: 'bigquery', BIGQUERY_PROJECT: 'wh', STORE: 'firestore', GOOGLE_CLOUD_PROJECT: 'p1' })).toBe('on BigQuery (project wh) and Firestore (project p1)');
  });
});
