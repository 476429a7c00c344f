/**
 * `/pipeline status`, alerts and reruns end to end: signed requests through
 * the real Bolt HTTP receiver, the Slack stand-in, the embedded demo
 * warehouse and store, and the simulated runner (a rerun refreshes the demo
 * table after a moment). Checks are ticked by hand (interval 0).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import type { StoredMessage } from '../src/slack-standin/server.js';
import { ActionIds } from '../src/ids.js';
import { refreshDemoTables } from '../src/adapters/warehouse/demo-sources.js';
import type { EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';

const regular = StandinDefaults.users.regular;
const bizops = StandinDefaults.users.bizops;
const channel = StandinDefaults.channel;
const TASKS_SECRET = 'tasks-secret-for-tests-0123456789';

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot({
    env: { FRESHNESS_CHECK_INTERVAL_MS: '0', PIPELINES_SIMULATED_RUN_MS: '300', RERUN_POLL_MS: '50', TASKS_SECRET },
  });
}, 120_000);
afterAll(async () => t?.stop());

/** A click as Slack sends it from the card at `ts`, with the action as given (a value forged, or from an old card). */
const clickOn = (userId: string, ts: string, action: Record<string, unknown>) =>
  t.client.blockAction({ userId, channelId: channel, container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false }, actions: [{ block_id: 'b', ...action } as never] });

const render = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text, blocks: m?.blocks ?? [] });

async function pipeline(text: string, userId: string = regular) {
  const { ack, replies } = await t.standin.runCommand(t.client, { command: '/pipeline', text, userId, channelId: channel, timeoutMs: 10_000 });
  expect(ack.status).toBe(200);
  const reply = replies.find((r) => r.via === 'response_url');
  const body = (reply?.body ?? {}) as { text?: string; blocks?: unknown[]; response_type?: string };
  return { body, text: render(body) };
}

const topLevel = () => t.standin.conversation(channel).filter((m) => !m.thread_ts && !m.ephemeral);
const alertOf = (name: string) => topLevel().filter((m) => m.text.includes(`${name} is stale`) || m.text.includes(`${name} recovered`)).at(-1);
const thread = (ts: string) => t.standin.conversation(channel).filter((m) => m.thread_ts === ts);
const rerunMessages = (name: string) => t.standin.conversation(channel).filter((m) => m.text.startsWith(`Rerun of ${name}`));
/** A scheduled check: measure, record the alerts, deliver them. */
const check = async () => {
  await t.bot.services.freshness.check();
  await t.drain();
};

describe('/pipeline status', () => {
  it('lists every source with last update, SLA and state, worst first', async () => {
    const { body, text } = await pipeline('status');
    expect(body.response_type).toBe('ephemeral');
    const order = ['HubSpot', 'GitHub', 'Sales targets', 'Salesforce', 'Production Postgres'].map((n) => text.indexOf(n));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toMatch(/2 stale, 1 unknown, 2 fresh/);
    expect(text).toMatch(/HubSpot.*\n.*last update .*30 h ago.*SLA 26 h.*4 h late/);
    expect(text).toContain('sheets_sales_targets does not exist in the warehouse: check its name in the sources file');
  });

  it.each([
    ['', /Usage|status/],
    ['help', /rerun .*source.*: rerun a source/],
    ['rerun', /Which source\?/],
    ['rerun nosuch', /No source is called “nosuch”\. Sources:/],
    ['rerun hubspt', /No source is called “hubspt”\. Did you mean `hubspot`\?/],
    ['rerun hub', /No source is called “hub”\. Did you mean `hubspot`\?/],
    ['rerun postgres', /No source is called “postgres”\. Did you mean `prod_postgres`\?/],
    ['rerun force hubspot', /No source is called “force hubspot”\. Did you mean `hubspot`\?/],
    ['rerun hubspot salesforce', /No source is called “hubspot salesforce”\. Did you mean `hubspot` or `salesforce`\?/],
    ['rerun \u200b', /Which source\?/],
    ['rerun \u200bhubspt\u200b', /No source is called “hubspt”\. Did you mean `hubspot`\?/],
    [`rerun ${'x'.repeat(5000)}`, /No source is called/],
    ["rerun '; DROP TABLE hubspot_contacts; --", /No source is called/],
    ['frobnicate', /Usage|status/],
  ])('answers /pipeline %# clearly', async (text, expected) => {
    const reply = await pipeline(text, bizops);
    expect(reply.text).toMatch(expected);
    expect(reply.text).not.toMatch(/\bat .*\.(js|ts):\d+/);
    expect(rerunMessages('HubSpot').length).toBe(0);
  });

  it('reads a name with the sentence\'s punctuation after it as the name', async () => {
    for (const typed of ['HubSpot!', 'hubspot.', 'hubspot?!', "'hubspot'", '“HubSpot”', '`hubspot`']) expect(t.bot.services.freshness.reruns.find(typed)?.id, typed).toBe('hubspot');
    const reply = await pipeline('rerun HubSpot! force', bizops);
    expect(reply.text).not.toMatch(/No source is called/);
    expect(reply.text).toMatch(/HubSpot/);
    expect(rerunMessages('HubSpot').length).toBe(0);
  });

  it('gives the same help as /pipeline help with no subcommand, and says which word it does not know', async () => {
    const help = (await pipeline('help')).text;
    expect(help).toContain('/pipeline status');
    expect((await pipeline('')).text).toBe(help);
    const unknown = (await pipeline('frob now')).text;
    expect(unknown).toBe(`:warning: I don't know “frob”.\n${help}`);
    expect(unknown).not.toMatch(/Usage:/);
    expect(JSON.stringify((await pipeline('<b>&')).body.blocks)).toContain('I don\'t know “&lt;b&gt;&amp;”.');
    // Slack has no escape for * _ ~ `: what was typed shows as lookalikes, formatting nothing.
    expect(JSON.stringify((await pipeline('*zq*_`x')).body.blocks)).toContain('I don\'t know “∗zq∗ˍˋx”.');
    // A word of only invisible characters is no word: the help, not 'I don't know “​”'.
    expect((await pipeline('\u200b')).text).toBe(help);
    expect((await pipeline('\u200b status \u2060')).text).not.toMatch(/I don't know/);
  });

  it.each([
    ['stat hubspot', 'I don\'t know “stat”. Did you mean `/pipeline status`?'],
    ['rerum hubspot', 'I don\'t know “rerum”. Did you mean `/pipeline rerun`?'],
    ['STATSU', 'I don\'t know “STATSU”. Did you mean `/pipeline status`?'],
    ['re', 'I don\'t know “re”. Did you mean `/pipeline request` or `/pipeline rerun`?'],
  ])('suggests the subcommand a mistyped /pipeline %s was meant to be, and runs nothing', async (text, warning) => {
    const help = (await pipeline('help')).text;
    expect((await pipeline(text, bizops)).text).toBe(`:warning: ${warning}\n${help}`);
    expect(rerunMessages('HubSpot').length).toBe(0);
  });

  it('suggests nothing for a word far from every subcommand, or a single letter', async () => {
    // One letter begins two subcommands: too little to guess from.
    expect((await pipeline('r')).text).toMatch(/^:warning: I don't know “r”\.\n/);
    expect((await pipeline('frobnicate')).text).not.toMatch(/Did you mean/);
  });
});

describe('alerts and reruns', () => {
  let hubspotAlert: StoredMessage;

  it('posts one alert per stale source on a check', async () => {
    await check();
    await check();
    expect(topLevel().filter((m) => /is stale/.test(m.text)).map((m) => m.text).sort()).toEqual([
      expect.stringMatching(/GitHub is stale/),
      expect.stringMatching(/HubSpot is stale/),
    ]);
    hubspotAlert = alertOf('HubSpot')!;
  });

  it('refuses the Rerun button to someone outside BizOps, checked on the server, and offers to ask BizOps', async () => {
    const { replies } = await t.standin.clickAction(t.client, { userId: regular, channelId: channel, ts: hubspotAlert.ts, actionId: ActionIds.freshnessRerun, timeoutMs: 15_000 });
    const text = render(replies[0]?.via === 'response_url' ? replies[0].body : undefined);
    expect(text).toMatch(/Only <!subteam\^S0BIZOPS> can rerun|Only @.* can rerun|Only .* can rerun/);
    expect(JSON.stringify(replies[0])).toContain(ActionIds.rerunRequest);
    expect(rerunMessages('HubSpot').length).toBe(0);
    expect(t.standin.callsTo('usergroups.users.list').at(-1)?.args['usergroup']).toBe(StandinDefaults.usergroups.bizops);

    const reply = replies[0]!.message!;
    const asked = await t.standin.clickAction(t.client, { userId: regular, channelId: channel, ts: reply.ts, actionId: ActionIds.rerunRequest, timeoutMs: 15_000 });
    expect(render(asked.replies.find((r) => r.via === 'response_url')?.body)).toMatch(/I asked BizOps to rerun HubSpot in the thread of its alert in/);
    const request = thread(hubspotAlert.ts).find((m) => m.text.includes('asks'));
    expect(request?.text).toContain(`<@${regular}> asks <!subteam^S0BIZOPS> to rerun *HubSpot*`);
    const again = await t.standin.clickAction(t.client, { userId: regular, channelId: channel, ts: reply.ts, actionId: ActionIds.rerunRequest, timeoutMs: 15_000 });
    expect(render(again.replies.find((r) => r.via === 'response_url')?.body)).toMatch(/already asked/);
    expect(thread(hubspotAlert.ts).filter((m) => m.text.includes('asks')).length).toBe(1);
  });

  it('refuses "Ask BizOps to rerun" for a source with no pipeline to rerun (a forged value): BizOps are not asked for what they cannot do', async () => {
    const forged = await clickOn(regular, hubspotAlert.ts, { action_id: ActionIds.rerunRequest, type: 'button', value: 'google_sheets' });
    expect(forged.status).toBe(200);
    await t.standin.waitFor(() => t.standin.responses.some((r) => JSON.stringify(r.body).includes('Sales targets (Google Sheets) has no pipeline I can rerun')), { timeoutMs: 15_000 });
    expect(t.standin.conversation(channel).filter((m) => m.text.includes('to rerun *Sales targets')).length).toBe(0);
  });

  it('answers "Ask BizOps to rerun" clicked while a rerun is running (a button from before it started) with that rerun, and does not ask BizOps', async () => {
    await t.store.put('rerun_locks', 'salesforce', {
      runKey: 'other', requestedBy: StandinDefaults.users.lookerAdmin, startedAt: new Date().toISOString(), link: null, expiresAt: Date.now() + 3_600_000,
    });
    const click = await clickOn(regular, hubspotAlert.ts, { action_id: ActionIds.rerunRequest, type: 'button', value: 'salesforce' });
    expect(click.status).toBe(200);
    const answer = await t.standin.waitFor(() => t.standin.responses.find((r) => JSON.stringify(r.body).includes('Salesforce is already rerunning')), { timeoutMs: 15_000 });
    expect(JSON.stringify(answer.body)).toContain(`requested by <@${StandinDefaults.users.lookerAdmin}>`);
    expect(t.standin.conversation(channel).filter((m) => m.text.includes('to rerun *Salesforce')).length).toBe(0);
    await t.store.delete('rerun_locks', 'salesforce');
  });

  it('snoozes and acknowledges from the alert', async () => {
    await t.standin.clickAction(t.client, { userId: regular, channelId: channel, ts: hubspotAlert.ts, actionId: ActionIds.freshnessSnooze, value: 'hubspot:4', timeoutMs: 15_000 });
    // The click is answered at once; the card is redrawn by a job after it.
    await t.standin.waitFor(() => (/snoozed until/.test(render(t.standin.message(channel, hubspotAlert.ts))) ? true : undefined), { timeoutMs: 15_000 });
    expect(render(t.standin.message(channel, hubspotAlert.ts))).toMatch(/snoozed until .* by <@U0REGULAR>|snoozed until/);
    // Snoozed again (Slack delivering the click twice, a double click before the card is redrawn; whoever clicks): nothing changes, nothing more is recorded.
    const snoozes = async () => (await t.bot.services.audit.recent(100)).filter((e) => e.action === 'freshness.alert_snoozed' && e.subject === 'hubspot');
    expect((await snoozes()).length).toBe(1);
    const until = (await t.bot.services.freshness.alerts.get('hubspot'))?.snoozedUntil;
    for (const userId of [regular, bizops]) {
      const again = await clickOn(userId, hubspotAlert.ts, { action_id: ActionIds.freshnessSnooze, type: 'overflow', selected_option: { text: { type: 'plain_text', text: 'Snooze reminders 4 h' }, value: 'hubspot:4' } });
      expect(again.status).toBe(200);
    }
    await t.standin.waitFor(() => t.standin.responses.filter((r) => JSON.stringify(r.body).includes(`already snoozed until <!date^${Math.floor(until! / 1000)}^`)).length === 2 ? true : undefined, { timeoutMs: 15_000 });
    expect(t.standin.responses.filter((r) => JSON.stringify(r.body).includes(`by <@${regular}>`) && JSON.stringify(r.body).includes('already snoozed')).length).toBe(2);
    expect((await snoozes()).length).toBe(1);
    expect((await t.bot.services.freshness.alerts.get('hubspot'))?.snoozedUntil).toBe(until);
    const forged = await clickOn(regular, hubspotAlert.ts, { action_id: ActionIds.freshnessSnooze, type: 'overflow', selected_option: { text: { type: 'plain_text', text: 'x' }, value: 'hubspot:9999' } });
    expect(forged.status).toBe(200);
    await t.standin.waitFor(() => t.standin.responses.some((r) => JSON.stringify(r.body).includes('not a snooze I know')), { timeoutMs: 15_000 });
    const github = alertOf('GitHub')!;
    // A button acts on the alert it is on: GitHub's value on HubSpot's card (forged, or an old card) changes neither.
    const elsewhere = (action: Record<string, unknown>) => clickOn(regular, hubspotAlert.ts, action);
    const noLonger = () => t.standin.responses.filter((r) => JSON.stringify(r.body).includes('That alert is no longer open')).length;
    const refusedBefore = noLonger();
    await elsewhere({ action_id: ActionIds.freshnessAcknowledge, type: 'button', value: 'github' });
    await elsewhere({ action_id: ActionIds.freshnessSnooze, type: 'overflow', selected_option: { text: { type: 'plain_text', text: 'x' }, value: 'github:1' } });
    await t.standin.waitFor(() => (noLonger() === refusedBefore + 2 ? true : undefined), { timeoutMs: 15_000 });
    expect(await t.bot.services.freshness.alerts.get('github')).toMatchObject({ acknowledgedBy: null, snoozedUntil: null });
    await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: github.ts, actionId: ActionIds.freshnessAcknowledge, timeoutMs: 15_000 });
    await t.standin.waitFor(() => (render(t.standin.message(channel, github.ts)).includes('acknowledged by') ? true : undefined), { timeoutMs: 15_000 });
    expect(render(t.standin.message(channel, github.ts))).toContain('acknowledged by');
    // Acknowledged again (Slack delivering the click twice, a click on a card not yet redrawn): nothing changes, nothing more is recorded.
    const acks = async () => (await t.bot.services.audit.recent(100)).filter((e) => e.action === 'freshness.alert_acknowledged' && e.subject === 'github').length;
    expect(await acks()).toBe(1);
    const again = await clickOn(regular, github.ts, { action_id: ActionIds.freshnessAcknowledge, type: 'button', value: 'github' });
    expect(again.status).toBe(200);
    await t.standin.waitFor(() => t.standin.responses.some((r) => JSON.stringify(r.body).includes(`already acknowledged by <@${bizops}>`)), { timeoutMs: 15_000 });
    expect(await acks()).toBe(1);
    expect(render(t.standin.message(channel, github.ts))).toMatch(new RegExp(`acknowledged by <?@${bizops}`));
  });

  it('tells a Snooze or Acknowledge the card never offered (a tampered value) that the button is not valid, and changes nothing', async () => {
    const before = { hubspot: await t.bot.services.freshness.alerts.get('hubspot'), github: await t.bot.services.freshness.alerts.get('github') };
    const audits = (await t.bot.services.audit.recent(100)).length;
    // Clicked in HubSpot's card as Slack sends it (with the message), the value changed on the way.
    const tampered = async (actionId: string, given: Record<string, unknown>, value?: string) => {
      const { replies } = await t.standin.clickAction(t.client, { userId: regular, channelId: channel, ts: hubspotAlert.ts, actionId, ...(value ? { value } : {}), extra: given, timeoutMs: 15_000 });
      return render(replies.find((r) => r.via === 'response_url')?.body);
    };
    const option = (value: string) => ({ selected_option: { text: { type: 'plain_text', text: 'Snooze reminders 1 h' }, value } });
    for (const value of ['github:1', 'hubspot:9999', 'hubspot:1:x']) {
      expect(await tampered(ActionIds.freshnessSnooze, option(value), 'hubspot:1'), value).toContain('That button is not valid');
    }
    expect(await tampered(ActionIds.freshnessAcknowledge, { value: 'github' })).toContain('That button is not valid');
    expect(await t.bot.services.freshness.alerts.get('hubspot')).toEqual(before.hubspot);
    expect(await t.bot.services.freshness.alerts.get('github')).toEqual(before.github);
    expect((await t.bot.services.audit.recent(100)).length).toBe(audits);
  });

  it('reruns from the alert for BizOps: one message in the thread, edited through to the freshness check; the alert recovers and links to it', async () => {
    const { replies } = await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: hubspotAlert.ts, actionId: ActionIds.freshnessRerun, timeoutMs: 15_000 });
    expect(render(replies.find((r) => r.via === 'response_url')?.body)).toMatch(/Rerun of HubSpot started: follow it/);
    const done = await t.standin.waitFor(() => rerunMessages('HubSpot').find((m) => render(m).includes('Freshness check')), { timeoutMs: 15_000 });
    expect(rerunMessages('HubSpot').length).toBe(1);
    expect(done.thread_ts).toBe(hubspotAlert.ts);
    const text = render(done);
    expect(text).toMatch(/succeeded/);
    expect(JSON.stringify(done.blocks)).toContain(`Requested by <@${bizops}>`);
    expect(text).toMatch(/HubSpot is fresh/);
    expect(done.edited).toBeDefined();
    const alert = await t.standin.waitFor(() => {
      const m = t.standin.message(channel, hubspotAlert.ts);
      return m && /recovered/.test(m.text) ? m : undefined;
    }, { timeoutMs: 15_000 });
    expect(JSON.stringify(alert.blocks)).toContain('/archives/');
    await t.standin.waitFor(() => thread(hubspotAlert.ts).find((m) => /fresh again/.test(m.text)), { timeoutMs: 15_000 });
    const status = await pipeline('status');
    expect(status.text).toMatch(/1 stale, 1 unknown, 3 fresh/);
  });

  it('answers "Ask BizOps to rerun" for a source fresh again (the button of an old alert) that it is fresh, and does not ask BizOps', async () => {
    const admin = StandinDefaults.users.lookerAdmin;
    const asks = () => t.standin.conversation(channel).filter((m) => m.text.includes('to rerun *HubSpot*')).length;
    const before = asks();
    const click = await clickOn(admin, hubspotAlert.ts, { action_id: ActionIds.rerunRequest, type: 'button', value: 'hubspot' });
    expect(click.status).toBe(200);
    const answer = await t.standin.waitFor(() => t.standin.responses.find((r) => JSON.stringify(r.body).includes('HubSpot is fresh')), { timeoutMs: 15_000 });
    const text = render(answer.body as { text?: string; blocks?: unknown[] });
    expect(JSON.stringify(answer.body)).toMatch(/last update <!date\^\d+\^/);
    expect(text).toContain('I did not ask BizOps');
    expect((answer.body as { response_type?: string }).response_type).toBe('ephemeral');
    await t.drain();
    expect(asks()).toBe(before);
    expect((await t.bot.services.audit.recent(100)).filter((e) => e.action === 'pipeline.rerun_asked' && e.actor === admin)).toEqual([]);
  });

  it('answers BizOps\' Rerun on a source fresh again (the button of an old alert or /pipeline status) that it is fresh, and starts nothing', async () => {
    const count = rerunMessages('HubSpot').length;
    const requested = async () => (await t.bot.services.audit.recent(200)).filter((e) => e.action === 'pipeline.rerun_requested' && e.subject === 'hubspot').length;
    const before = await requested();
    const click = await clickOn(bizops, hubspotAlert.ts, { action_id: ActionIds.freshnessRerun, type: 'button', value: 'hubspot' });
    expect(click.status).toBe(200);
    const answer = await t.standin.waitFor(() => t.standin.responses.find((r) => JSON.stringify(r.body).includes('so I started nothing')), { timeoutMs: 15_000 });
    expect(render(answer.body as { text?: string; blocks?: unknown[] })).toMatch(/HubSpot is fresh\*?, last update .*there is nothing to rerun, so I started nothing\. To rerun it all the same, type `\/pipeline rerun hubspot`/);
    await t.drain();
    expect(rerunMessages('HubSpot').length).toBe(count);
    expect(await requested()).toBe(before);
  });

  it('starts exactly one rerun under a double click, and tells the second click so', async () => {
    const github = alertOf('GitHub')!;
    const clicks = await Promise.all([
      t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: github.ts, actionId: ActionIds.freshnessRerun, timeoutMs: 15_000 }),
      t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: github.ts, actionId: ActionIds.freshnessRerun, timeoutMs: 15_000 }),
    ]);
    const answers = clicks.map((c) => render(c.replies.find((r) => r.via === 'response_url')?.body));
    expect(answers.filter((a) => /Rerun of GitHub started/.test(a)).length).toBe(1);
    expect(answers.filter((a) => /already rerunning .*I started nothing/.test(a)).length).toBe(1);
    const cmd = await pipeline('rerun github', bizops);
    expect(cmd.text).toMatch(/already rerunning|started/);
    await t.standin.waitFor(() => rerunMessages('GitHub').find((m) => render(m).includes('Freshness check')), { timeoutMs: 15_000 });
    expect(rerunMessages('GitHub').length).toBe(/Rerun of GitHub started/.test(cmd.text) ? 2 : 1);
  });

  it('reruns from the command, and says when a source has nothing to rerun', async () => {
    const reply = await pipeline('rerun Salesforce', bizops);
    expect(reply.text).toMatch(/Rerun of Salesforce started/);
    const msg = await t.standin.waitFor(() => rerunMessages('Salesforce').find((m) => render(m).includes('Freshness check')), { timeoutMs: 15_000 });
    expect(msg.thread_ts).toBeUndefined();
    expect((await pipeline('rerun google_sheets', bizops)).text).toMatch(/has no pipeline I can rerun/);
  });

  it('respects a rerun another replica is following, and takes over a lock that outlived its time', async () => {
    const lock = (expiresInMs: number) => ({
      runKey: 'other', requestedBy: StandinDefaults.users.lookerAdmin, startedAt: new Date().toISOString(), link: null, expiresAt: Date.now() + expiresInMs,
    });
    const count = rerunMessages('Salesforce').length;
    await t.store.put('rerun_locks', 'salesforce', lock(3_600_000));
    const busy = await pipeline('rerun salesforce', bizops);
    expect(busy.text).toMatch(/already rerunning[\s\S]*I started nothing/);
    expect(JSON.stringify(busy.body)).toContain(`<@${StandinDefaults.users.lookerAdmin}>`);
    await t.store.put('rerun_locks', 'salesforce', lock(-1000));
    expect(await t.bot.services.freshness.freshness.activeRerun('salesforce')).toBeUndefined();
    expect((await pipeline('rerun salesforce', bizops)).text).toMatch(/Rerun of Salesforce started/);
    await t.standin.waitFor(() => rerunMessages('Salesforce').slice(count).find((m) => render(m).includes('Freshness check')), { timeoutMs: 15_000 });
    expect(rerunMessages('Salesforce').length).toBe(count + 1);
  });

  it('starts nothing when Slack cannot say who is in BizOps', async () => {
    const count = rerunMessages('Salesforce').length;
    t.standin.failNext('usergroups.users.list', 'internal_error');
    const reply = await pipeline('rerun salesforce', bizops);
    expect(reply.text).toMatch(/could not check with Slack whether you are in BizOps/);
    expect(rerunMessages('Salesforce').length).toBe(count);
  });

  it('offers the forced rerun only behind a confirm dialog', async () => {
    const { body, text } = await pipeline('rerun hubspot force', bizops);
    expect(text).toMatch(/Force a rerun of HubSpot\?/);
    const button = JSON.stringify(body.blocks);
    expect(button).toContain(ActionIds.rerunForce);
    expect(button).toContain('"confirm"');
    expect(rerunMessages('HubSpot').length).toBe(1);
    const refused = await pipeline('rerun hubspot force', regular);
    expect(refused.text).toMatch(/Only .* can rerun/);
    expect(JSON.stringify(refused.body)).not.toContain(ActionIds.rerunForce);
  });

  it('does not offer to force a rerun while one of the bot\'s is under way (its click would be refused): it says which', async () => {
    await t.store.put('rerun_locks', 'salesforce', { runKey: 'other', requestedBy: bizops, startedAt: new Date().toISOString(), link: null, expiresAt: Date.now() + 3_600_000 });
    try {
      const { body, text } = await pipeline('rerun salesforce force', bizops);
      expect(text).toMatch(/Salesforce is already rerunning \(requested by .*\)\. I started nothing\./);
      expect(JSON.stringify(body.blocks)).not.toContain(ActionIds.rerunForce);
    } finally {
      await t.store.put('rerun_locks', 'salesforce', { runKey: 'other', requestedBy: bizops, startedAt: new Date().toISOString(), link: null, expiresAt: Date.now() - 1_000 });
    }
  });

  it('refuses forged clicks: unknown source, and a non-member forcing', async () => {
    const before = t.standin.conversation(channel).filter((m) => !m.ephemeral).length;
    const res = await clickOn(bizops, hubspotAlert.ts, { action_id: ActionIds.freshnessRerun, type: 'button', value: "x' OR 1=1 --" });
    expect(res.status).toBe(200);
    await t.standin.waitFor(() => t.standin.responses.some((r) => JSON.stringify(r.body).includes('No source is called')), { timeoutMs: 15_000 });
    const forced = await clickOn(regular, hubspotAlert.ts, { action_id: ActionIds.rerunForce, type: 'button', value: 'hubspot' });
    expect(forced.status).toBe(200);
    await t.standin.waitFor(() => t.standin.responses.filter((r) => JSON.stringify(r.body).includes(ActionIds.rerunRequest)).length >= 2, { timeoutMs: 15_000 });
    expect(t.standin.conversation(channel).filter((m) => !m.ephemeral).length).toBe(before);
  });

  it("keeps a rerun's message in its alert's thread when Slack's answer was lost and the source recovered before the retry", async () => {
    const tables = ['salesforce_accounts', 'salesforce_opportunities'];
    const warehouse = t.warehouse as EmbeddedWarehouse;
    await refreshDemoTables(warehouse, tables, new Date(Date.now() - 9 * 3_600_000));
    await check();
    const alert = (await t.bot.services.freshness.alerts.get('salesforce'))!;
    expect(alert).toMatchObject({ state: 'open', ts: expect.any(String) });
    const before = rerunMessages('Salesforce').length;
    let lost = false;
    const off = t.standin.onApplied(async (call) => {
      if (call.method !== 'chat.postMessage' || !String(call.args['text'] ?? '').startsWith('Rerun of Salesforce')) return;
      off();
      // The sync was quick: the source recovers while Slack's answer is on its way back, and that answer is lost.
      await refreshDemoTables(warehouse, tables, new Date());
      await t.bot.services.freshness.check(); // recorded now; its edits run later (this post's job is still running)
      lost = true;
      throw new Error('the answer is lost');
    });
    try {
      expect((await t.bot.services.freshness.reruns.rerun({ source: 'salesforce', userId: bizops, force: false, linkWaitMs: 0 })).kind).toBe('started');
      await t.standin.waitFor(() => (lost ? true : undefined), { timeoutMs: 15_000 });
      await t.standin.waitFor(() => rerunMessages('Salesforce').slice(before).find((m) => render(m).includes('Freshness check')), { timeoutMs: 20_000 });
    } finally {
      off();
    }
    expect((await t.bot.services.freshness.alerts.get('salesforce'))?.state).toBe('closed');
    const messages = rerunMessages('Salesforce').slice(before);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.thread_ts).toBe(alert.ts);
    // Chosen once and kept with the rerun, so a later retry looks there whatever the alert does next.
    const reruns = (await t.store.list<{ sourceId: string; startedAt: string; threadTs?: string | null }>('reruns')).map((d) => d.data).filter((d) => d.sourceId === 'salesforce');
    expect(reruns.sort((a, b) => a.startedAt.localeCompare(b.startedAt)).at(-1)!.threadTs).toBe(alert.ts);
  });
});

/** A check on `bot` and the jobs it records, run while a hook on Slack is armed; `off` disarms it after. */
async function checkWhile(bot: TestBot, off: () => void): Promise<void> {
  try {
    await bot.bot.services.freshness.check();
    await bot.drain();
  } finally {
    off();
  }
}

/** Reruns that end in a moment, followed closely. */
const QUICK_RERUNS = { PIPELINES_SIMULATED_RUN_MS: '300', RERUN_POLL_MS: '50' };

/**
 * A bot of its own for the describe this is called in (every demo source as it starts, checks ticked by hand),
 * given to `set` before its tests and stopped after them.
 */
function withOwnBot(set: (bot: TestBot) => void, env: Record<string, string> = {}): void {
  let bot: TestBot | undefined;
  beforeAll(async () => set((bot = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0', TASKS_SECRET, ...env } }))), 120_000);
  afterAll(async () => bot?.stop());
}

/**
 * Slack takes `bot`'s first post whose text `matches`, and while its answer is on its way back HubSpot's own sync
 * lands and a check recovers the source; then that answer is lost (as if the bot were killed). `lost()` says
 * whether it has happened; `off()` stops watching.
 */
function loseAnswerAsHubspotRecovers(bot: TestBot, matches: (text: string) => boolean): { lost: () => boolean; off: () => void } {
  let lost = false;
  const off = bot.standin.onApplied(async (call) => {
    if (call.method !== 'chat.postMessage' || !matches(String(call.args['text'] ?? ''))) return;
    off();
    await refreshDemoTables(bot.warehouse as EmbeddedWarehouse, ['hubspot_contacts', 'hubspot_companies'], new Date());
    await bot.bot.services.freshness.check();
    lost = true;
    throw new Error('the answer is lost');
  });
  return { lost: () => lost, off };
}

describe("asking BizOps when Slack's answer is lost (a bot of its own: every demo source as it starts)", () => {
  let own: TestBot;
  withOwnBot((bot) => (own = bot));

  it("asks once, in the alert's thread, when the source recovered before the retry", async () => {
    await own.bot.services.freshness.check();
    await own.drain();
    const alert = (await own.bot.services.freshness.alerts.get('hubspot'))!;
    expect(alert).toMatchObject({ state: 'open', ts: expect.any(String) });
    const asks = () => own.standin.conversation(channel).filter((m) => m.text.includes('to rerun *HubSpot*'));
    const { lost, off } = loseAnswerAsHubspotRecovers(own, (text) => text.includes('to rerun *HubSpot*'));
    try {
      await own.bot.services.freshness.reruns.requestFromBizops('hubspot', regular);
      await own.standin.waitFor(() => (lost() ? true : undefined), { timeoutMs: 15_000 });
      // The ask's job tries again after its backoff: until it is done.
      const askDone = async () => (await own.store.list<{ state: string }>('jobs')).some((j) => j.id.startsWith('notice:rerun.asked:hubspot') && j.data.state === 'done');
      for (let i = 0; i < 150 && !(await askDone()); i++) {
        await own.drain();
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(await askDone()).toBe(true);
    } finally {
      off();
    }
    expect((await own.bot.services.freshness.alerts.get('hubspot'))?.state).toBe('closed');
    expect(asks()).toHaveLength(1);
    expect(asks()[0]!.thread_ts).toBe(alert.ts);
  });
});

describe("a rerun that ends before its message is recorded (a bot of its own: Slack's answer to the post is lost)", () => {
  let own: TestBot;
  withOwnBot((bot) => (own = bot), QUICK_RERUNS);

  it('still links the recovered alert to the rerun: its card says who reran it', async () => {
    await own.bot.services.freshness.check();
    await own.drain();
    const alert = (await own.bot.services.freshness.alerts.get('hubspot'))!;
    expect(alert).toMatchObject({ state: 'open', ts: expect.any(String) });
    // The bot finds its post on its next attempt, after the recovery.
    const { lost, off } = loseAnswerAsHubspotRecovers(own, (text) => text.startsWith('Rerun of HubSpot'));
    try {
      expect(await own.bot.services.freshness.reruns.rerun({ source: 'hubspot', userId: bizops, force: false })).toMatchObject({ kind: 'started' });
      const linked = async () => {
        const a = await own.bot.services.freshness.alerts.get('hubspot');
        return lost() && a?.state === 'closed' && a.rerunLink ? a : undefined;
      };
      for (let i = 0; i < 100 && !(await linked()); i++) {
        await own.drain();
        await new Promise((r) => setTimeout(r, 100));
      }
      const closed = await own.bot.services.freshness.alerts.get('hubspot');
      expect(lost()).toBe(true);
      expect(closed).toMatchObject({ state: 'closed', rerunBy: bizops, rerunLink: expect.stringContaining('/archives/') });
      // Linked after it recovered: the path under test, not a link recorded in time.
      const actions = (await own.store.recentAudit(200)).filter((e) => e.subject === 'hubspot').map((e) => e.action).reverse();
      expect(actions.indexOf('freshness.alert_recovered')).toBeGreaterThan(-1);
      expect(actions.indexOf('freshness.alert_rerun_linked')).toBeGreaterThan(actions.indexOf('freshness.alert_recovered'));
    } finally {
      off();
    }
    const card = await own.standin.waitFor(() => {
      const m = own.standin.message(channel, alert.ts!);
      return m && /recovered/.test(m.text) && JSON.stringify(m.blocks).includes('/archives/') ? m : undefined;
    }, { timeoutMs: 15_000 });
    expect(JSON.stringify(card.blocks)).toContain(`|rerun> by <@${bizops}>`);
    expect(own.standin.conversation(channel).filter((m) => m.text.startsWith('Rerun of HubSpot'))).toHaveLength(1);
  });
});

describe('a rerun started before its alert opened, that does not finish (a bot of its own: the sync takes 10 minutes)', () => {
  let own: TestBot;
  withOwnBot((bot) => (own = bot), { PIPELINES_SIMULATED_RUN_MS: '600000', RERUN_POLL_MS: '50', RERUN_TIMEOUT_SECONDS: '120' });
  const card = (ts: string) => JSON.stringify(own.standin.message(channel, ts)?.blocks ?? []);

  it("is linked from the alert that opens while it runs, and the card says how it ended: not \"rerun requested\" for ever", async () => {
    // BizOps rerun HubSpot from /pipeline status before any check alerted: its message is at the top of the channel.
    expect(await own.bot.services.freshness.reruns.rerun({ source: 'hubspot', userId: bizops, force: false })).toMatchObject({ kind: 'started' });
    const message = await own.standin.waitFor(() => own.standin.conversation(channel).find((m) => m.text.startsWith('Rerun of HubSpot: running')), { timeoutMs: 15_000 });
    const link = await vi.waitFor(async () => {
      const l = (await own.bot.services.freshness.freshness.activeRerun('hubspot'))?.link;
      if (!l) throw new Error('not recorded yet');
      return l;
    }, { timeout: 15_000 });
    // The check, while it runs, finds HubSpot stale: the card says a rerun is under way, and links it.
    await own.bot.services.freshness.check();
    await own.drain();
    const alert = (await own.bot.services.freshness.alerts.get('hubspot'))!;
    expect(alert).toMatchObject({ state: 'open', rerunLink: link, rerunBy: bizops, ts: expect.any(String) });
    expect(card(alert.ts!)).toContain(`:arrows_counterclockwise: <${link}|rerun requested> by <@${bizops}>`);
    expect(message.thread_ts).toBeUndefined();
    // Two minutes on, the bot stops following it: its message and the card say it did not finish.
    own.advance(121_000);
    await vi.waitFor(async () => {
      await own.drain();
      expect(render(own.standin.message(channel, message.ts))).toMatch(/not finished/);
    }, { timeout: 15_000, interval: 100 });
    await own.standin.waitFor(() => (card(alert.ts!).includes(`:warning: <${link}|rerun not finished> by <@${bizops}>`) ? true : undefined), { timeoutMs: 15_000 });
    expect(card(alert.ts!)).not.toContain('rerun requested');
    expect(await own.bot.services.freshness.freshness.activeRerun('hubspot')).toBeUndefined();
  });
});

describe("an alert Slack took whose answer was lost, the source recovering before the retry (a bot of its own)", () => {
  let own: TestBot;
  withOwnBot((bot) => (own = bot));
  const thread = (ts: string) => own.standin.conversation(channel).filter((m) => m.thread_ts === ts);

  it('finds the card, edits it to recovered and replies in its thread: no stale card left with live buttons', async () => {
    const alerts = own.bot.services.freshness.alerts;
    const { lost, off } = loseAnswerAsHubspotRecovers(own, (text) => text.includes('HubSpot is stale'));
    try {
      await own.bot.services.freshness.check();
      const replied = () => {
        const card = own.standin.conversation(channel).find((m) => !m.thread_ts && /HubSpot (is stale|recovered)/.test(m.text));
        return card && thread(card.ts).some((m) => /fresh again/.test(m.text)) ? card : undefined;
      };
      for (let i = 0; i < 60 && !replied(); i++) {
        await own.drain();
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      off();
    }
    expect(lost()).toBe(true);
    const alert = (await alerts.get('hubspot'))!;
    expect(alert).toMatchObject({ state: 'closed', ts: expect.any(String) });
    const cards = own.standin.conversation(channel).filter((m) => !m.thread_ts && /HubSpot (is stale|recovered)/.test(m.text));
    expect(cards.map((m) => m.ts)).toEqual([alert.ts]);
    expect(cards[0]!.text).toMatch(/HubSpot recovered/);
    expect(thread(alert.ts!).filter((m) => /fresh again/.test(m.text))).toHaveLength(1);
  });
});

describe("an alert Slack took whose job then stopped for good (a bot of its own: a process that kept dying)", () => {
  let own: TestBot;
  withOwnBot((bot) => (own = bot));

  it('is found by the job a click starts afresh, and brought up to date: not a second card', async () => {
    const key = 'notice:freshness.alert:hubspot:1';
    let lost = false;
    const off = own.standin.onApplied(async (call) => {
      if (call.method !== 'chat.postMessage' || !String(call.args['text'] ?? '').includes('HubSpot is stale')) return;
      off();
      // Slack took the post; the process dies before hearing so, as it did at every try: the runner gives the job up.
      await own.store.runTransaction(async (tx) => {
        const j = (await tx.get<{ state: string }>('jobs', key))!.data;
        tx.put('jobs', key, { ...j, state: 'failed', runAt: null, holder: null, claimedAt: null, finishedAt: Date.now(), lastError: 'job_never_finished' });
      });
      lost = true;
      throw new Error('the answer is lost');
    });
    await checkWhile(own, off);
    expect(lost).toBe(true);
    const cards = () => own.standin.conversation(channel).filter((m) => !m.thread_ts && /HubSpot is stale/.test(m.text));
    expect(cards()).toHaveLength(1);
    expect((await own.bot.services.freshness.alerts.get('hubspot'))?.ts).toBeNull();
    // Acknowledged from the card people see: the alert's job runs again, from its first attempt.
    expect(await own.bot.services.freshness.alerts.acknowledge('hubspot', bizops)).toMatchObject({ ok: true });
    await own.drain();
    expect(cards()).toHaveLength(1);
    expect((await own.bot.services.freshness.alerts.get('hubspot'))?.ts).toBe(cards()[0]!.ts);
    expect(render(cards()[0])).toMatch(/acknowledged by/);
  });
});

describe("a card Slack shows whose post is not recorded yet (a bot of its own: Slack's answer to the alert's post is lost)", () => {
  let own: TestBot;
  withOwnBot((bot) => (own = bot), QUICK_RERUNS);
  const cards = (name: string) => own.standin.conversation(channel).filter((m) => !m.thread_ts && new RegExp(`${name} (is stale|recovered)`).test(m.text));

  it("puts the rerun clicked on it, and BizOps' ask, in that card's thread: not at the top of the channel", async () => {
    let lost = 0;
    const off = own.standin.onApplied(async (call) => {
      if (call.method !== 'chat.postMessage' || !/(HubSpot|GitHub) is stale/.test(String(call.args['text'] ?? ''))) return;
      if (++lost === 2) off();
      // Slack took the post; its answer is lost (the process killed): the alert's job waits to try again.
      throw new Error('the answer is lost');
    });
    await checkWhile(own, off);
    expect(lost).toBe(2);
    const [hubspot, github] = [cards('HubSpot'), cards('GitHub')];
    expect([hubspot.length, github.length]).toEqual([1, 1]);
    expect((await own.bot.services.freshness.alerts.get('hubspot'))?.ts).toBeNull();
    // BizOps click Rerun on the HubSpot card they see; someone else asks BizOps to rerun GitHub.
    const { replies } = await own.standin.clickAction(own.client, { userId: bizops, channelId: channel, ts: hubspot[0]!.ts, actionId: ActionIds.freshnessRerun, timeoutMs: 15_000 });
    expect(render(replies.find((r) => r.via === 'response_url')?.body)).toMatch(/Rerun of HubSpot started/);
    expect(await own.bot.services.freshness.reruns.requestFromBizops('github', regular)).toMatchObject({ kind: 'posted' });
    const rerun = await own.standin.waitFor(() => own.standin.conversation(channel).find((m) => m.text.startsWith('Rerun of HubSpot') && render(m).includes('Freshness check')), { timeoutMs: 20_000 });
    expect(rerun.thread_ts).toBe(hubspot[0]!.ts);
    // Linked to the alert whose card it is, for that card to say who reran it once its post is recorded.
    expect(await own.bot.services.freshness.alerts.get('hubspot')).toMatchObject({ rerunBy: bizops, rerunLink: expect.stringContaining('/archives/') });
    const ask = await own.standin.waitFor(() => own.standin.conversation(channel).find((m) => m.text.includes('to rerun *GitHub*')), { timeoutMs: 15_000 });
    expect(ask.thread_ts).toBe(github[0]!.ts);
    // HubSpot fresh again: its card, found by the alert's next try, says it recovered and who reran it.
    const recovered = () => {
      const m = own.standin.message(channel, hubspot[0]!.ts);
      return m && /recovered/.test(m.text) && JSON.stringify(m.blocks).includes(`|rerun> by <@${bizops}>`) ? m : undefined;
    };
    for (let i = 0; i < 100 && !recovered(); i++) {
      await own.drain();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovered()).toBeDefined();
    expect((await own.bot.services.freshness.alerts.get('hubspot'))?.ts).toBe(hubspot[0]!.ts);
    expect([cards('HubSpot').length, cards('GitHub').length]).toEqual([1, 1]);
  });
});

describe("an ask to BizOps whose answer was lost (a bot of its own)", () => {
  let own: TestBot;
  withOwnBot((bot) => (own = bot));

  /** Slack takes the first post whose text `matches`, then its answer is lost, after `meanwhile`. */
  const lose = (matches: RegExp, meanwhile: () => Promise<void> = async () => {}) => {
    const off = own.standin.onApplied(async (call) => {
      if (call.method !== 'chat.postMessage' || !matches.test(String(call.args['text'] ?? ''))) return;
      off();
      await meanwhile();
      throw new Error('the answer is lost');
    });
    return off;
  };
  const askDone = async (source: string) => (await own.store.list<{ state: string }>('jobs')).some((j) => j.id.startsWith(`notice:rerun.asked:${source}`) && j.data.state === 'done');
  /** Someone asks BizOps to rerun `source` while the hook `off` disarms is armed; the ask's job runs to its end. */
  const askWhile = async (source: string, off: () => void) => {
    try {
      expect(await own.bot.services.freshness.reruns.requestFromBizops(source, regular)).toMatchObject({ kind: 'posted' });
      for (let i = 0; i < 150 && !(await askDone(source)); i++) {
        await own.drain();
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      off();
    }
    expect(await askDone(source)).toBe(true);
  };

  it('posted at the top of the channel when its first try found no card: the next try, which would find the card, looks where the first posted: asked once', async () => {
    // GitHub's card is in Slack, its post not recorded.
    const offAlert = lose(/GitHub is stale/);
    await checkWhile(own, offAlert);
    const card = own.standin.conversation(channel).find((m) => !m.thread_ts && /GitHub is stale/.test(m.text))!;
    expect((await own.bot.services.freshness.alerts.get('github'))?.ts).toBeNull();
    // The ask's first try cannot look (Slack refuses the history call): it asks at the top of the channel, and that answer is lost.
    own.standin.failNext('conversations.history', 'missing_scope', 1);
    const offAsk = lose(/to rerun \*GitHub\*/);
    const asks = () => own.standin.conversation(channel).filter((m) => m.text.includes('to rerun *GitHub*'));
    await askWhile('github', offAsk);
    expect(asks()).toHaveLength(1);
    expect(asks()[0]!.thread_ts).toBeUndefined();
    expect(own.standin.conversation(channel).filter((m) => m.thread_ts === card.ts && m.text.includes('to rerun *GitHub*'))).toEqual([]);
  });

  it("posted in the card's thread: the next try looks there, though the alert it was chosen from is gone meanwhile: asked once", async () => {
    const card = own.standin.conversation(channel).find((m) => !m.thread_ts && /HubSpot is stale/.test(m.text))!;
    expect((await own.bot.services.freshness.alerts.get('hubspot'))?.ts).toBe(card.ts);
    const asks = () => own.standin.conversation(channel).filter((m) => m.text.includes('to rerun *HubSpot*'));
    const off = lose(/to rerun \*HubSpot\*/, () => own.store.delete('freshness_alerts', 'hubspot'));
    await askWhile('hubspot', off);
    expect(asks()).toHaveLength(1);
    expect(asks()[0]!.thread_ts).toBe(card.ts);
  });
});

describe("alerts and reruns' messages Slack refuses for longer than their retries (a bot of its own, its clock moved on)", () => {
  let own: TestBot;
  withOwnBot((bot) => (own = bot), QUICK_RERUNS);
  const topLevel = () => own.standin.conversation(channel).filter((m) => !m.thread_ts && !m.ephemeral);
  const rerunMessages = (name: string) => own.standin.conversation(channel).filter((m) => m.text.startsWith(`Rerun of ${name}`));

  /** What `probe` finds, the due jobs run meanwhile (the simulated run takes a moment of real time). */
  async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 75; i++) {
      await own.drain();
      const found = await probe();
      if (found) return found;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('not found within 15 s');
  }
  const job = async (key: string) => (await own.store.list<{ state: string; attempts: number; runAt: number | null; lastError: string | null }>('jobs')).find((j) => j.id === key)?.data;
  /** Minutes pass, a few at a time, while Slack keeps refusing: until the job has given up its retries and waits to be tried again later. */
  async function untilPutBack(key: string) {
    for (let i = 0; i < 30; i++) {
      own.advance(3 * 60_000);
      await own.drain();
      const j = await job(key);
      if (j?.state !== 'pending' || (j.attempts === 0 && j.lastError)) return j;
    }
    return job(key);
  }

  it('posts the alert once Slack takes it again: it is tried again later, not dropped for good', async () => {
    own.standin.failNextHttp('chat.postMessage', 503, {}, 1_000);
    try {
      await own.bot.services.freshness.check();
      const key = 'notice:freshness.alert:hubspot:1';
      const waiting = await untilPutBack(key);
      expect(waiting).toMatchObject({ state: 'pending', attempts: 0, lastError: expect.stringContaining('503') });
      expect(waiting!.runAt!).toBeGreaterThanOrEqual(own.now().getTime() + 9 * 60_000);
      expect(topLevel().filter((m) => m.text.includes('HubSpot is stale'))).toHaveLength(0);
      own.standin.clearFaults('chat.postMessage');
      own.advance(waiting!.runAt! - own.now().getTime() + 1_000);
      await own.drain();
    } finally {
      own.standin.clearFaults('chat.postMessage');
    }
    const cards = topLevel().filter((m) => m.text.includes('HubSpot is stale'));
    expect(cards).toHaveLength(1);
    expect((await own.bot.services.freshness.alerts.get('hubspot'))?.ts).toBe(cards[0]!.ts);
  });

  it("makes a rerun's last edit once Slack takes it again: its message does not say it is running for ever", async () => {
    const f = own.bot.services.freshness;
    const started = await f.reruns.rerun({ source: 'hubspot', userId: bizops, force: false });
    expect(started).toMatchObject({ kind: 'started' });
    const message = await until(async () => rerunMessages('HubSpot')[0]);
    // Slack refuses every edit from here: the run goes on to its end and its freshness check.
    own.standin.failNextHttp('chat.update', 503, {}, 1_000);
    try {
      const runKey = (await own.store.list<{ sourceId: string; after?: unknown; phase: string }>('reruns')).find((r) => r.data.sourceId === 'hubspot')!;
      const ended = await until(async () => {
        const doc = (await own.store.get<{ phase: string; after?: unknown }>('reruns', runKey.id))?.data;
        return doc?.phase === 'succeeded' && doc.after ? doc : undefined;
      });
      expect(ended.phase).toBe('succeeded');
      const waiting = await untilPutBack(`notice:rerun.message:${runKey.id}`);
      expect(waiting).toMatchObject({ state: 'pending', attempts: 0 });
      expect(render(own.standin.message(channel, message.ts))).not.toMatch(/succeeded/);
      own.standin.clearFaults('chat.update');
      own.advance(waiting!.runAt! - own.now().getTime() + 1_000);
      await own.drain();
    } finally {
      own.standin.clearFaults('chat.update');
    }
    const text = render(own.standin.message(channel, message.ts));
    expect(text).toMatch(/succeeded/);
    expect(text).toMatch(/Freshness check/);
    expect(rerunMessages('HubSpot')).toHaveLength(1);
  });
});

describe('POST /tasks/check-freshness', () => {
  const post = (headers: Record<string, string>) => fetch(`${t.url}/tasks/check-freshness`, { method: 'POST', headers });

  it('refuses a missing or wrong secret', async () => {
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post({ authorization: `Bearer ${TASKS_SECRET}x` })).status).toBe(401);
    expect((await post({ authorization: TASKS_SECRET })).status).toBe(401);
  });

  it('runs the check with the shared secret', async () => {
    const res = await post({ authorization: `Bearer ${TASKS_SECRET}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; checked: boolean; sources: Array<{ id: string; state: string }> };
    expect(body.ok).toBe(true);
    expect(body.checked).toBe(true);
    expect(body.sources.map((s) => s.id).sort()).toEqual(['github', 'google_sheets', 'hubspot', 'prod_postgres', 'salesforce']);
  });

  it('never logs the tasks secret', () => {
    expect(t.logs.join('\n')).not.toContain(TASKS_SECRET);
  });
});
