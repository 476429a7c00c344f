/**
 * `/telemetry` end to end: signed requests through the real Bolt HTTP receiver,
 * replies through response_url to the Slack stand-in, on the 1M-row demo warehouse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { forgedClickOn, startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { signSlackRequest } from '../src/slack-standin/signing.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { ActionIds } from '../src/ids.js';
import type { Warehouse } from '../src/ports/warehouse.js';
import { CostCapError, WarehouseError, WarehouseTimeoutError } from '../src/errors.js';

const user = StandinDefaults.users.regular;
const channel = StandinDefaults.channel;

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot();
}, 120_000);
afterAll(async () => t?.stop());

async function telemetry(text: string) {
  const { ack, replies } = await t.standin.runCommand(t.client, { command: '/telemetry', text, userId: user, channelId: channel });
  expect(ack.status).toBe(200);
  expect(replies.length).toBeGreaterThan(0);
  const reply = replies[0]!;
  const body = (reply.via === 'response_url' ? reply.body : reply.via === 'ack' ? reply.body : reply.args) as { text?: string; blocks?: unknown[]; response_type?: string };
  return { ack, reply, body, text: blocksToText({ text: body.text, blocks: body.blocks ?? [] }) };
}

describe('/telemetry through the signed HTTP receiver', () => {
  it('answers Acme Corp with its three instances and their levels, ephemeral, shareable', async () => {
    const { body, text, reply } = await telemetry('acme');
    expect(reply.via).toBe('response_url');
    expect(body.response_type).toBe('ephemeral');
    expect(text).toContain('Acme Corp: 3 instances');
    expect(text).toContain('3 instances');
    expect(text).toContain('Full pings + user-level data');
    expect(text).toContain('Critical pings');
    expect(text).toMatch(/Full pings(?! \+)/);
    expect(text).toContain('Managed');
    expect(text).toContain('Self-hosted');
    expect(text).toContain('Share in channel');
    expect(text).toContain('data updated');
    // Best level first (the card shows 12: the best must never be the ones left out).
    const listed = text.slice(text.indexOf('Also known as'));
    const order = [/Full pings \+ user-level data/, /Full pings(?! \+)/, /Critical pings/].map((re) => listed.search(re));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(reply.message?.ephemeral?.user).toBe(user);
  });

  it.each(['Acme Corp', 'acme.com', 'acm', 'ACME Inc', 'acme crop', 'https://www.acme.com/pricing', 'acme.com/about?x=1', 'jane.doe@acme.com'])('%s finds Acme Corp', async (q) => {
    const { text } = await telemetry(q);
    expect(text).toContain('Acme Corp: 3 instances');
  });

  it.each([
    ['globex', 'No telemetry'],
    ['initech', 'Critical pings'],
    ['umbrella', 'Full pings'],
    ['hooli', 'Full pings + user-level data'],
  ])('%s is at level %s', async (q, level) => {
    const { text } = await telemetry(q);
    expect(text).toContain(`1 × ${level}`);
  });

  it('says where to look, and that there is nothing to look at for no telemetry', async () => {
    expect((await telemetry('globex')).text).toContain('Nothing to look at');
    expect((await telemetry('umbrella')).text).toContain('server instances overview');
  });

  it('does not say there is nothing in Looker for an instance that stopped pinging before the window (Vandelay, 45 days ago)', async () => {
    const { text } = await telemetry('vandelay');
    expect(text).toContain('1 × No telemetry');
    expect(text).toMatch(/Last ping received[^\n]*45 days ago/);
    expect(text).not.toContain('Nothing to look at');
    expect(text).not.toContain('We have no data');
    expect(text).toContain('No pings in the last 30 days');
    expect(text).toMatch(/Looker: server instances overview, for its usage until \d{4}-\d{2}-\d{2}/);
  });

  it('lets the user pick among several matches, then shows the card in place', async () => {
    const { text, reply } = await telemetry('stark');
    expect(text).toContain('Several customers match');
    const blocks = JSON.stringify((reply as { body: unknown }).body);
    expect(blocks).toContain(ActionIds.telemetryPickCustomer);
    const picked = await t.standin.clickAction(t.client, {
      userId: user,
      channelId: channel,
      ts: reply.message!.ts,
      actionId: JSON.parse(blocks).blocks[1].elements[0].action_id,
    });
    expect(picked.ack.status).toBe(200);
    const after = t.standin.message(channel, reply.message!.ts);
    expect(blocksToText({ text: after?.text, blocks: after?.blocks ?? [] })).toMatch(/Stark[^\n]*: \d+ instances?/);
  });

  it('shares the card in the channel for everyone, removing the ephemeral copy', async () => {
    const { reply } = await telemetry('initech');
    const shared = await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: reply.message!.ts, actionId: ActionIds.telemetryShare });
    expect(shared.ack.status).toBe(200);
    const visible = t.standin.conversation(channel).filter((m) => !m.ephemeral && (m.text ?? '').includes('Initech'));
    expect(visible.length).toBe(1);
    expect(JSON.stringify(visible[0]!.blocks)).toContain(`shared by <@${user}>`);
    expect(t.standin.message(channel, reply.message!.ts)).toBeUndefined();
  });

  it('says nothing more when the card is shared but Slack will not remove the private copy', async () => {
    const { reply } = await telemetry('initech');
    const before = t.standin.responses.length;
    const visible = () => t.standin.conversation(channel).filter((m) => !m.ephemeral && (m.text ?? '').includes('Initech')).length;
    const sharedBefore = visible();
    // The share's post goes through; the removal after it is refused (its response URL used up, say).
    const hold = t.standin.holdNext('response_url');
    const click = t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: reply.message!.ts, actionId: ActionIds.telemetryShare });
    await hold.arrived;
    t.standin.failNext('response_url', 'used_url');
    hold.release();
    await click;
    await t.standin.waitFor(() => (t.standin.responses.slice(before).some((r) => r.error === 'used_url') ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect(visible()).toBe(sharedBefore + 1);
    const after = t.standin.responses.slice(before);
    expect(after.map((r) => (r.body['delete_original'] ? 'delete' : String(r.body['response_type'])))).toEqual(['in_channel', 'delete']);
    expect(t.standin.message(channel, reply.message!.ts)).toBeDefined();
  });

  it('refuses a forged share of an unknown customer without posting anything', async () => {
    const before = t.standin.conversation(channel).filter((m) => !m.ephemeral).length;
    const { reply } = await telemetry('initech');
    const responses = t.standin.responses.length;
    // A payload Slack never sent: a Share click carrying an ID that was not on the button.
    const res = await t.client.blockAction({
      userId: user,
      channelId: channel,
      container: { type: 'message', message_ts: reply.message!.ts, channel_id: channel, is_ephemeral: true },
      actions: [{ action_id: ActionIds.telemetryShare, block_id: 'b', value: "x' OR 1=1 --" }],
    });
    expect(res.status).toBe(200);
    await t.standin.waitFor(() => t.standin.responses.length > responses);
    expect(t.standin.conversation(channel).filter((m) => !m.ephemeral).length).toBe(before);
    expect(JSON.stringify(t.standin.responses.slice(responses))).toContain('no longer in the warehouse');
  });

  /** Initech's card, shared in the channel by the regular user: everyone sees it. */
  async function sharedCard() {
    const { reply } = await telemetry('initech');
    await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: reply.message!.ts, actionId: ActionIds.telemetryShare });
    // The share ends by removing the private copy: its post is awaited, so that it is not counted after.
    await t.standin.waitFor(() => (t.standin.message(channel, reply.message!.ts) === undefined ? true : undefined));
    return t.standin.conversation(channel).filter((m) => !m.ephemeral && (m.text ?? '').includes('Initech')).at(-1)!;
  }
  const answeredAcme = (from: number) => t.standin.waitFor(() => (t.standin.responses.slice(from).some((r) => JSON.stringify(r.body).includes('Acme Corp')) ? true : undefined));

  it('answers a forged pick on a card in the channel apart, leaving the card as everyone sees it', async () => {
    const card = await sharedCard();
    const shown = JSON.stringify(card.blocks);
    // The picker's action, clicked on the shared card (which has no picker).
    const picked = await forgedClickOn(t, { userId: StandinDefaults.users.bizops, channelId: channel, message: card, action: { action_id: `${ActionIds.telemetryPickCustomer}_0`, value: 'acme' } });
    expect(picked.status).toBe(200);
    await answeredAcme(picked.from);
    const answered = t.standin.responses.slice(picked.from).map((r) => r.body);
    // The card as a reply of its own (after a "Looking up" note, on a slow machine), never in place.
    expect([...new Set(answered.map((b) => b['replace_original']))]).toEqual([false]);
    expect(answered.at(-1)!['response_type']).toBe('ephemeral');
    expect(JSON.stringify(t.standin.message(channel, card.ts)?.blocks)).toBe(shown);
  });

  it('removes nothing everyone sees for a forged Share on a message in the channel', async () => {
    const card = await sharedCard();
    // Share, clicked on the card already shared (which has no Share button).
    const shared = await forgedClickOn(t, { userId: StandinDefaults.users.bizops, channelId: channel, message: card, action: { action_id: ActionIds.telemetryShare, value: 'acme' } });
    expect(shared.status).toBe(200);
    await answeredAcme(shared.from);
    await new Promise((r) => setTimeout(r, 300)); // a removal would have come by now
    expect(t.standin.responses.slice(shared.from).filter((r) => r.body['delete_original'])).toEqual([]);
    expect(t.standin.message(channel, card.ts)).toBeDefined();
  });

  it('says no match with the closest names', async () => {
    const { text } = await telemetry('Globx Intergalactic Holdings');
    expect(text).toMatch(/No customer matches|Globex[^\n]*: \d+ instances?/);
    const none = await telemetry('qqqqzzzz');
    expect(none.text).toContain('No customer matches');
  });

  it.each([
    ['', 'Usage'],
    ['a', "shows a customer's instances"],
    ['x'.repeat(5000), 'longer than any customer name'],
    ["'; DROP TABLE customers; --", 'No customer matches'],
    ['"acme"', 'Acme Corp: 3 instances'],
    ["acme's", 'Acme Corp: 3 instances'],
    ['telemetry for acme please', 'Acme Corp: 3 instances'],
    ['acme industries', 'No customer matches'],
    ['🚀🔥', 'Usage'],
    ['%_%', 'Usage'],
  ])('answers %j clearly', async (q, expected) => {
    const { text } = await telemetry(q);
    if (expected === 'Usage') expect(text).toMatch(/shows a customer's instances|No customer matches/);
    else expect(text).toContain(expected);
    expect(text).not.toMatch(/\bat .*\.(js|ts):\d+/);
  });

  it('shows the usage for text of only spaces and invisible characters', async () => {
    const { text } = await telemetry('\n\t \u200b\u2060');
    expect(text).toMatch(/shows a customer's instances/);
    expect(text).not.toContain('No customer matches');
  });

  it.each(['telemetry', 'for', 'status please?'])('shows the usage for words that only ask (%j), not "did you mean"', async (words) => {
    const { text } = await telemetry(words);
    expect(text).toMatch(/shows a customer's instances/);
    expect(text).not.toContain('No customer matches');
  });

  it('still knows every customer after an injection attempt', async () => {
    expect((await telemetry('acme')).text).toContain('Acme Corp: 3 instances');
  });

  it('rejects unsigned, wrongly signed and stale requests with 401, running no listener', async () => {
    const body = new URLSearchParams({ command: '/telemetry', text: 'acme', user_id: user, channel_id: channel, response_url: `${t.standin.url}/response/x`, team_id: 'T0ANALYTIC' }).toString();
    const calls = t.standin.responses.length;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await t.client.raw(body, form)).status).toBe(401);
    expect((await t.client.raw(body, { ...form, ...signSlackRequest('wrong-secret', body) })).status).toBe(401);
    const stale = signSlackRequest(t.signingSecret, body, Math.floor(Date.now() / 1000) - 6 * 60);
    expect((await t.client.raw(body, { ...form, ...stale })).status).toBe(401);
    const tampered = signSlackRequest(t.signingSecret, body);
    expect((await t.client.raw(body.replace('acme', 'globex'), { ...form, ...tampered })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.standin.responses.length).toBe(calls);
  });

  it('serves /healthz', async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, warehouse: 'embedded', store: 'embedded' });
  });

  it('registers exactly the commands manifest.yml declares, all on /slack/events', () => {
    const manifest = parse(readFileSync(new URL('../manifest.yml', import.meta.url), 'utf8'));
    const declared = manifest.features.slash_commands.map((c: { command: string }) => c.command).sort();
    expect(declared).toEqual([...t.bot.commands].sort());
    for (const c of manifest.features.slash_commands) expect(c.url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.oauth_config.scopes.bot).toContain('commands');
  });

  it('never logs the bot token or signing secret', () => {
    const all = t.logs.join('\n');
    expect(all).not.toContain(t.config.slack.botToken!);
    expect(all).not.toContain(t.signingSecret);
  });
});

/** A warehouse that fails the way a real one does, for the fault tests. */
function failingWarehouse(real: Warehouse, mode: { fail: 'error' | 'timeout' | 'cost' | 'none' }): Warehouse {
  return {
    kind: real.kind,
    async query(sql, params, options) {
      if (sql.includes('{{customers}}')) return real.query(sql, params, options);
      if (mode.fail === 'error') throw new WarehouseError('backend 500: internal error at node_modules/x.js:1');
      // What the BigQuery adapter throws for bytesBilledLimitExceeded.
      if (mode.fail === 'cost') throw new CostCapError(12 * 1024 ** 3, 10 * 1024 ** 3);
      if (mode.fail === 'timeout') throw new WarehouseTimeoutError('query did not finish within 20000 ms');
      return real.query(sql, params, options);
    },
    dryRun: (sql, params, options) => real.dryRun(sql, params, options),
    tableFreshness: (tables) => real.tableFreshness(tables),
    close: () => real.close(),
  };
}

describe('/telemetry when the warehouse fails', () => {
  let f: TestBot;
  const mode: { fail: 'error' | 'timeout' | 'cost' | 'none' } = { fail: 'none' };
  beforeAll(async () => {
    const { openEmbeddedWarehouse } = await import('../src/adapters/warehouse/duckdb.js');
    const { freshDataDir } = await import('./support/harness.js');
    const real = await openEmbeddedWarehouse({ dataDir: await freshDataDir(), timeoutMs: 20_000 });
    f = await startTestBot({ warehouse: failingWarehouse(real, mode) });
  }, 120_000);
  afterAll(async () => {
    await f?.stop();
    await f?.warehouse.close();
  });

  it.each([
    ['error', 'could not reach the warehouse'],
    ['timeout', 'took too long'],
  ] as const)('on %s tells the user what failed, without a trace, and keeps serving', async (fail, expected) => {
    mode.fail = fail;
    const { ack, replies } = await f.standin.runCommand(f.client, { command: '/telemetry', text: 'acme', userId: user, channelId: channel });
    expect(ack.status).toBe(200);
    const text = JSON.stringify(replies);
    expect(text).toContain(expected);
    expect(text).toContain('try again');
    expect(text).not.toContain('node_modules');
    mode.fail = 'none';
    const ok = await f.standin.runCommand(f.client, { command: '/telemetry', text: 'acme', userId: user, channelId: channel });
    expect(JSON.stringify(ok.replies)).toContain('Acme Corp: 3 instances');
  });

  it('says a lookup over the cost cap is over the cost cap, not that the warehouse is unreachable and to try again', async () => {
    mode.fail = 'cost';
    const { replies } = await f.standin.runCommand(f.client, { command: '/telemetry', text: 'acme', userId: user, channelId: channel });
    mode.fail = 'none';
    const text = JSON.stringify(replies);
    expect(text).toContain('cost cap');
    expect(text).not.toContain('could not reach the warehouse');
    expect(text).not.toContain('try again');
  });

  it('lets Share be clicked again after a share the warehouse failed, and then shares once', async () => {
    mode.fail = 'none';
    const { replies } = await f.standin.runCommand(f.client, { command: '/telemetry', text: 'initech', userId: user, channelId: channel });
    const ts = replies[0]!.message!.ts;
    const shared = () => f.standin.conversation(channel).filter((m) => !m.ephemeral && (m.text ?? '').includes('Initech'));
    const before = f.standin.responses.length;
    mode.fail = 'timeout';
    await f.standin.clickAction(f.client, { userId: user, channelId: channel, ts, actionId: ActionIds.telemetryShare });
    await f.standin.waitFor(() => f.standin.responses.length > before);
    expect(JSON.stringify(f.standin.responses.slice(before))).toContain('took too long');
    expect(shared()).toHaveLength(0);
    // The person was told to try again: the next click shares.
    mode.fail = 'none';
    await f.standin.clickAction(f.client, { userId: user, channelId: channel, ts, actionId: ActionIds.telemetryShare });
    await f.standin.waitFor(() => shared().length > 0);
    expect(shared()).toHaveLength(1);
    expect(f.standin.message(channel, ts)).toBeUndefined();
  });
});

describe('/telemetry among customers with similar names', () => {
  let s: TestBot;
  beforeAll(async () => {
    const { openEmbeddedWarehouse } = await import('../src/adapters/warehouse/duckdb.js');
    const { freshDataDir } = await import('./support/harness.js');
    const warehouse = await openEmbeddedWarehouse({ dataDir: await freshDataDir(), timeoutMs: 20_000 });
    const db = await warehouse.connection();
    // Added before the bot starts: it reads the customer list at start-up.
    await db.run(`INSERT INTO customers (customer_id, name, aliases, domain, created_at) VALUES
      ('acme-labs', 'Acme Labs', '', 'acmelabs.io', now()),
      ('acme-rockets', 'Acme Rockets', '', NULL, now()),
      ('acme-anvils', 'Acme Anvils & <Co>', '', NULL, now()),
      ('acme-tnt', 'Acme TNT', '', NULL, now()),
      ('wayne-gotham', 'Wayne Enterprises', '', NULL, now()),
      ('wayne-metropolis', 'Wayne Enterprises', '', NULL, now())`);
    // Hostings the handbook does not list, as a warehouse may hold them.
    await db.run(`INSERT INTO instances (site_id, customer_id, hosting, version, created_at) VALUES
      ('tnt-1', 'acme-tnt', 'toString', '5.0.0', now()),
      ('tnt-2', 'acme-tnt', 'on-prem <k8s> & co', '5.0.0', now()),
      ('tnt-3', 'acme-tnt', '', '5.0.0', now()),
      ('tnt-4', 'acme-tnt', ' Managed ', '5.0.0', now())`);
    db.closeSync();
    s = await startTestBot({ warehouse });
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    await s?.warehouse.close();
  });

  const card = async (text: string) => {
    const { replies } = await s.standin.runCommand(s.client, { command: '/telemetry', text, userId: user, channelId: channel });
    const body = (replies[0] as { body: { text?: string; blocks?: unknown[] } }).body;
    return blocksToText({ text: body.text, blocks: body.blocks as never[] });
  };

  it('shows the exact match and names the others that also match, so none is hidden', async () => {
    const text = await card('acme');
    expect(text).toContain('Acme Corp: 3 instances');
    // Closest first (the shortest names that start with it), as the picker lists them.
    expect(text).toContain('Also matching “acme”: *Acme TNT*, *Acme Labs*, *Acme Anvils & <Co>* and 1 more. Type more of the name to see them.');
    // Typing more of the name reaches one of them.
    expect(await card('acme labs')).toContain('Acme Labs: no instances on record');
    expect(await card('acme labs')).not.toContain('Also matching');
  });

  it('tells apart two customers of the same name in the picker, and the one picked is the one shown', async () => {
    const { replies } = await s.standin.runCommand(s.client, { command: '/telemetry', text: 'wayne enterprises', userId: user, channelId: channel });
    const picker = replies[0]!;
    const buttons = (picker.message!.blocks![1] as { elements: Array<{ action_id: string; text: { text: string }; value: string }> }).elements;
    expect(buttons.map((b) => b.text.text)).toEqual(['Wayne Enterprises · wayne-gotham', 'Wayne Enterprises · wayne-metropolis']);
    await s.standin.clickAction(s.client, { userId: user, channelId: channel, ts: picker.message!.ts, actionId: buttons[1]!.action_id });
    const after = s.standin.message(channel, picker.message!.ts);
    expect(JSON.stringify(after?.blocks)).toContain('"value":"wayne-metropolis"');
  });

  it('names hostings it does not know as such, escaped', async () => {
    const { replies } = await s.standin.runCommand(s.client, { command: '/telemetry', text: 'acme tnt', userId: user, channelId: channel });
    const sections = JSON.stringify((replies[0] as { body: unknown }).body);
    expect(sections).toContain('Acme TNT: 4 instances');
    expect(sections).toContain('· other hosting: toString');
    expect(sections).toContain('· other hosting: on-prem &lt;k8s&gt; &amp; co');
    expect(sections).toContain('· hosting unknown');
    expect(sections).toContain('· Managed');
    expect(sections).not.toContain('function');
    expect(sections).not.toContain('<k8s>');
  });
});
