/**
 * One Bolt listener per kind, routing by name (src/slack/listeners.ts): each
 * request reaches the listener registered for its name and no other, through
 * a real Bolt App (`processEvent`, as its receivers call it).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { App, LogLevel, ReceiverMultipleAckError, type Receiver } from '@slack/bolt';
import { registerRouted, routedListeners } from '../src/slack/listeners.js';
import { escapeMrkdwn, unescapeMrkdwn } from '../src/blockkit/mrkdwn.js';

const receiver: Receiver = { init: () => {}, start: () => Promise.resolve(), stop: () => Promise.resolve() };

function routedApp() {
  const app = new App({ token: 'xoxb-test', botId: 'B0BOT', botUserId: 'U0BOT', receiver, logLevel: LogLevel.ERROR, tokenVerificationEnabled: false });
  const calls: string[] = [];
  const registered = registerRouted(app, (l) => {
    l.command('/a', async ({ ack, command }) => { await ack(); calls.push(`command /a ${command.text}`); });
    l.command('/b', async ({ ack, command }) => { await ack(); calls.push(`command /b ${command.text}`); });
    l.action('x', async ({ ack, action }) => { await ack(); calls.push(`action x ${'action_id' in action ? action.action_id : ''}`); });
    l.action('y.z', async ({ ack }) => { await ack(); calls.push('action y.z'); });
    l.action(/^pick_(\d+)$/, async ({ ack, context }) => { await ack(); calls.push(`action pick ${String((context.actionIdMatches as string[])[1])}`); });
    l.view('form', async ({ ack, view }) => { await ack(); calls.push(`view form ${view.id}`); });
    l.view('other', async ({ ack }) => { await ack(); calls.push('view other'); });
    l.event('app_home_opened', async ({ event }) => { calls.push(`event ${event.tab}`); });
    return 'registered';
  });
  return { app, calls, registered };
}

const command = (name: string, text: string) => ({
  command: name, text, user_id: 'U1', user_name: 'ana', channel_id: 'C1', channel_name: 'analytics', team_id: 'T1', team_domain: 't',
  response_url: 'https://hooks.slack.com/commands/T1/1/x', trigger_id: '1.2.3', token: 'v', api_app_id: 'A1',
});
const click = (actionId: string) => ({
  type: 'block_actions', user: { id: 'U1', name: 'ana', team_id: 'T1' }, team: { id: 'T1', domain: 't' }, api_app_id: 'A1', token: 'v',
  channel: { id: 'C1', name: 'analytics' }, container: { type: 'message', message_ts: '1.1', channel_id: 'C1', is_ephemeral: false },
  trigger_id: '1.2.3', response_url: 'https://hooks.slack.com/actions/T1/1/x',
  actions: [{ type: 'button', action_id: actionId, block_id: 'b', text: { type: 'plain_text', text: 'Go' }, action_ts: '1.2' }],
});
const submission = (callbackId: string, type = 'view_submission') => ({
  type, user: { id: 'U1', name: 'ana', team_id: 'T1' }, team: { id: 'T1', domain: 't' }, api_app_id: 'A1', token: 'v', trigger_id: '1.2.3',
  view: { id: 'V1', type: 'modal', callback_id: callbackId, team_id: 'T1', private_metadata: '', state: { values: {} }, hash: 'h', blocks: [] },
});
const homeOpened = {
  type: 'event_callback', team_id: 'T1', api_app_id: 'A1', event_id: 'Ev1', event_time: 1, token: 'v',
  event: { type: 'app_home_opened', user: 'U1', channel: 'D1', tab: 'home', event_ts: '1.1' },
};

/** Delivers as Bolt's HTTP receiver does: a second ack throws ReceiverMultipleAckError. Returns what each ack sent. */
async function deliverOnce(app: App, body: Record<string, unknown>): Promise<unknown[]> {
  const sent: unknown[] = [];
  await app.processEvent({
    body,
    ack: async (response?: unknown) => {
      if (sent.length) throw new ReceiverMultipleAckError();
      sent.push(response);
    },
  });
  return sent;
}

async function deliver(app: App, body: Record<string, unknown>): Promise<boolean> {
  let acked = false;
  await app.processEvent({ body, ack: async () => { acked = true; } });
  return acked;
}

describe('listeners routed by name', () => {
  it('hands each command, click, submission and event to its own listener, and returns what registration returned', async () => {
    const { app, calls, registered } = routedApp();
    expect(registered).toBe('registered');
    expect(await deliver(app, command('/b', 'acme'))).toBe(true);
    expect(await deliver(app, click('x'))).toBe(true);
    expect(await deliver(app, click('y.z'))).toBe(true);
    expect(await deliver(app, click('pick_42'))).toBe(true);
    expect(await deliver(app, submission('form'))).toBe(true);
    await deliver(app, homeOpened);
    expect(calls).toEqual(['command /b acme', 'action x x', 'action y.z', 'action pick 42', 'view form V1', 'event home']);
  });

  it('passes over names nobody registered, names that only look alike, and a closed form; acks the clicks and submissions, with nothing', async () => {
    const { app, calls } = routedApp();
    expect(await deliver(app, submission('form', 'view_closed'))).toBe(false);
    // A command nobody registered (Slack sends only the manifest's) is told so.
    for (const name of ['/ab', '/a ']) {
      const [reply] = await deliverOnce(app, command(name, ''));
      expect(reply).toEqual({ response_type: 'ephemeral', text: `analytics-bot does not answer ${name} (any more).` });
    }
    // Unanswered, Slack would show the person an error; nothing runs for them. A form says it is out of date.
    const unclaimed = [click('y_z'), click('xx'), click('pick_'), click(''), submission('for'), submission('')];
    const acks = await Promise.all(unclaimed.map((body) => deliverOnce(app, body)));
    expect(acks.map((a) => a.length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(acks.slice(0, 4).flat()).toEqual([undefined, undefined, undefined, undefined]);
    expect(acks.slice(4).flat()).toEqual([expect.objectContaining({ response_action: 'update', view: expect.objectContaining({ type: 'modal' }) }), expect.anything()]);
    expect(JSON.stringify(acks[4])).toContain('from an earlier version of analytics-bot, and nothing was saved');
    expect(calls).toEqual([]);
    // What is registered still reaches its own listener only, acked once.
    expect(await deliver(app, click('pick_7'))).toBe(true);
    expect(await deliver(app, click('x'))).toBe(true);
    expect(calls).toEqual(['action pick 7', 'action x x']);
  });

  it("gives a command the text as typed: Slack's &amp;, &lt; and &gt; undone, once", async () => {
    const { app, calls } = routedApp();
    await deliver(app, command('/a', 'AT&amp;T &lt;@U1&gt; &amp;lt; &amp;amp; &quot;'));
    expect(calls).toEqual(['command /a AT&T <@U1> &lt; &amp; &quot;']);
    for (const typed of ['AT&T', '<!channel>', '&lt;', '&amp;amp;', 'a > b && c < d', '']) expect(unescapeMrkdwn(escapeMrkdwn(typed))).toBe(typed);
  });

  it('finds a listener registered after the router was installed (a test adds its own so), acked once', async () => {
    const app = new App({ token: 'xoxb-test', botId: 'B0BOT', botUserId: 'U0BOT', receiver, logLevel: LogLevel.ERROR, tokenVerificationEnabled: false });
    const listeners = routedListeners(app);
    const calls: string[] = [];
    expect(await deliverOnce(app, click('direct'))).toEqual([undefined]);
    listeners.action('direct', async ({ ack }) => { await ack(); calls.push('action direct'); });
    listeners.view('direct_form', async ({ ack }) => { await ack({ response_action: 'clear' }); calls.push('view direct'); });
    expect(await deliverOnce(app, click('direct'))).toEqual([undefined]);
    expect(await deliverOnce(app, submission('direct_form'))).toEqual([{ response_action: 'clear' }]);
    expect(calls).toEqual(['action direct', 'view direct']);
  });

  it('leaves what an action ID pattern matches to its own listener, whatever its flags or anchors, acked once', async () => {
    const app = new App({ token: 'xoxb-test', botId: 'B0BOT', botUserId: 'U0BOT', receiver, logLevel: LogLevel.ERROR, tokenVerificationEnabled: false });
    const calls: string[] = [];
    registerRouted(app, (l) => {
      l.action(/pick_\d+/, async ({ ack }) => { await ack(); calls.push('unanchored'); });
      l.action(/^SHOW/gi, async ({ ack }) => { await ack(); calls.push('flags'); });
    });
    for (const id of ['x_pick_3', 'show_more', 'show_less']) expect(await deliverOnce(app, click(id)), id).toEqual([undefined]);
    expect(calls).toEqual(['unanchored', 'flags', 'flags']);
  });

  it('gives a click with no response_url (a modal, App Home) a respond that drops the answer with a warning, named or matched by a pattern', async () => {
    const warned: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (...m: unknown[]) => void warned.push(m.join(' ')), error: () => {}, setLevel: () => {}, getLevel: () => LogLevel.WARN, setName: () => {} };
    const app = new App({ token: 'xoxb-test', botId: 'B0BOT', botUserId: 'U0BOT', receiver, logger, tokenVerificationEnabled: false });
    const answered: string[] = [];
    registerRouted(app, (l) => {
      l.action('list_next', async ({ ack, respond }) => { await ack(); await respond({ text: 'page 2' }); answered.push('list_next'); });
      l.action(/^pick_\d+$/, async ({ ack, respond }) => { await ack(); await respond({ text: 'card' }); answered.push('pick'); });
    });
    const inView = (actionId: string) => {
      const { response_url: _, channel: __, ...body } = click(actionId);
      return { ...body, container: { type: 'view', view_id: 'V1' }, view: { id: 'V1', type: 'home', callback_id: 'home', team_id: 'T1', state: { values: {} }, hash: 'h', blocks: [] } };
    };
    expect(await deliverOnce(app, inView('list_next'))).toEqual([undefined]);
    expect(await deliverOnce(app, inView('pick_3'))).toEqual([undefined]);
    // Each listener ran to its end: respond did not throw.
    expect(answered).toEqual(['list_next', 'pick']);
    expect(warned.filter((w) => w.includes('no response_url'))).toHaveLength(2);
    expect(warned.join('\n')).toContain('"list_next"');
  });

  it('never replaces or removes a message everyone sees through a click\'s response_url; the clicker\'s private one, as asked', async () => {
    const warned: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (...m: unknown[]) => void warned.push(m.join(' ')), error: () => {}, setLevel: () => {}, getLevel: () => LogLevel.WARN, setName: () => {} };
    const app = new App({ token: 'xoxb-test', botId: 'B0BOT', botUserId: 'U0BOT', receiver, logger, tokenVerificationEnabled: false });
    registerRouted(app, (l) => {
      l.action('redraw', async ({ ack, respond }) => { await ack(); await respond({ text: 'page 2', replace_original: true }); await respond({ delete_original: true }); });
      l.action(/^pick_\d+$/, async ({ ack, respond }) => { await ack(); await respond({ text: 'card', replace_original: true }); });
    });
    // What Bolt posts to the click's response_url, on loopback.
    const sent: unknown[] = [];
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => { sent.push(JSON.parse(data)); res.end('ok'); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
    try {
      await deliver(app, { ...click('redraw'), response_url: responseUrl });
      // Slack leaves is_ephemeral out here, and sends the message: one in the conversation.
      await deliver(app, { ...click('pick_1'), response_url: responseUrl, container: { type: 'message', message_ts: '1.1', channel_id: 'C1' }, message: { ts: '1.1', text: 'x' } });
      expect(sent).toEqual([{ text: 'page 2', replace_original: false }, { text: 'card', replace_original: false }]);
      expect(warned.filter((w) => w.includes('asked to remove it'))).toHaveLength(1);
      sent.length = 0;
      await deliver(app, { ...click('redraw'), response_url: responseUrl, container: { type: 'message', message_ts: '1.1', channel_id: 'C1', is_ephemeral: true } });
      expect(sent).toEqual([{ text: 'page 2', replace_original: true }, { delete_original: true }]);
    } finally {
      server.close();
    }
  });

  it('refuses a second listener for the same name', () => {
    const app = new App({ token: 'xoxb-test', botId: 'B0BOT', botUserId: 'U0BOT', receiver, logLevel: LogLevel.ERROR, tokenVerificationEnabled: false });
    const noop = async () => {};
    expect(() => registerRouted(app, (l) => { l.action('x', noop); l.action('x', noop); })).toThrow(/action “x” is already registered/);
    expect(() => registerRouted(app, (l) => { l.command('/a', noop); l.command('/a', noop); })).toThrow(/command “\/a” is already registered/);
    expect(() => registerRouted(app, (l) => { l.view('f', noop); l.view('f', noop); })).toThrow(/view “f” is already registered/);
  });
});
