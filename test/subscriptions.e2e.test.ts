/**
 * Scheduled deliveries and threshold alerts end to end: the modal through the
 * real receiver with signed requests, the stand-in, the embedded warehouse
 * and store, and the job runner on a clock the test moves. Bad input is
 * refused inline and stores nothing; deliveries land at their instants (in
 * the subscriber's time zone, through a daylight-saving change), once, after
 * a restart too; a bot that was down sends a missed run once within the
 * grace and skips it after; an alert fires, stays quiet, resolves and fires
 * again; failures reach the owner once and pause after three; a run put back
 * for the channel's turn between two posts posts each once; two replicas on
 * Firestore deliver once.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clickTwiceWithOneTrigger, commandTwiceWithOneTrigger, forgedClickOn, startTestBot, startTestBots, freshDataDir, StandinDefaults, embedded, type TestBot } from './support/harness.js';
import { findElement } from '../src/slack-standin/views.js';
import { firestoreAvailable } from './support/firestore-emulator.js';
import { catalogWithCustomerCount } from './support/catalog-dir.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import { openEmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { SlackStandin, type StandinUser, type StoredMessage } from '../src/slack-standin/server.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import type { KnownBlock } from '@slack/types';
import { ActionIds, BlockIds, CallbackIds } from '../src/ids.js';
import { SUBSCRIPTIONS, alertCheckOf, runJob, subscriptionRef, type SaveResult, type Subscription } from '../src/services/subscriptions.js';
import { enqueueAll } from '../src/jobs/model.js';
import { noticeJob } from '../src/ports/notices.js';
import type { Store, StoreTx } from '../src/ports/store.js';
import { modalDataOf, subscriptionModal, subscriptionSavedMessage } from '../views/subscriptions.js';
import { WarehouseError } from '../src/errors.js';

const CHANNEL = StandinDefaults.channel;
const OUTSIDE = 'C0NOTMEMB';
const RILEY = StandinDefaults.users.regular;
const BLAKE = StandinDefaults.users.bizops;
const users: StandinUser[] = [
  { id: RILEY, name: 'riley', realName: 'Riley Regular', email: 'riley@example.com', tz: 'America/New_York' },
  { id: BLAKE, name: 'blake', realName: 'Blake Bizops', email: 'blake@example.com' },
  { id: StandinDefaults.users.lookerAdmin, name: 'alex', realName: 'Alex Admin', email: 'alex@example.com' },
];
/** Private channels the bot is in: Blake is in the one and not Riley, Riley in the other and not Blake. */
const PRIVATE = 'C0PRIVATE';
const RILEYS = 'C0RILEYS';
const channels = [
  { id: CHANNEL, name: 'analytics' }, { id: OUTSIDE, name: 'random', botIsMember: false },
  { id: PRIVATE, name: 'bizops-only', isPrivate: true, members: [BLAKE] }, { id: RILEYS, name: 'riley-team', isPrivate: true, members: [RILEY] },
];

const catalogDir = () => catalogWithCustomerCount('subs-queries-');

const text = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text ?? '', blocks: (m?.blocks ?? []) as never });
const at = (iso: string) => Date.parse(iso);

function driver(get: () => TestBot) {
  return {
    /** `/query subscribe …` or `/query alert …`: the modal it opens. */
    async open(words: string, userId: string = RILEY, channelId = CHANNEL) {
      const t = get();
      const before = t.standin.modals(userId).at(-1)?.id;
      await t.standin.runCommand(t.client, { command: '/query', text: words, userId, channelId, timeoutMs: 300 });
      return t.standin.waitFor(() => {
        const top = t.standin.modals(userId).at(-1);
        return top && top.id !== before ? top : undefined;
      });
    },
    /** Picks a schedule kind (the modal redraws). */
    async kind(viewId: string, kind: string, userId = RILEY) {
      const t = get();
      await t.standin.clickAction(t.client, { userId, viewId, actionId: ActionIds.subscriptionScheduleKind, value: kind, timeoutMs: 300 });
      await t.standin.waitFor(() => (JSON.stringify(t.standin.view(viewId)?.blocks ?? []).includes(kind === 'cron' ? ActionIds.subscriptionCron : ActionIds.subscriptionScheduleKind) ? true : undefined));
    },
    async submit(viewId: string, values: Record<string, string | string[]>, userId: string = RILEY) {
      const t = get();
      return t.standin.submitView(t.client, { userId, viewId, values, timeoutMs: 300 });
    },
    async subscriptions(): Promise<Subscription[]> {
      return (await get().store.list<Subscription>(SUBSCRIPTIONS)).map((d) => d.data);
    },
    /**
     * Saves a delivery from `/query subscribe <words>` to the channel, daily at 09:00 unless `values` say
     * otherwise (a cron needs `cron`: its inputs are drawn first), and returns it.
     */
    async subscribe(words: string, values: Record<string, string | string[]>, options: { cron?: boolean } = {}): Promise<Subscription> {
      const earlier = new Set((await this.subscriptions()).map((s) => s.id));
      const modal = await this.open(`subscribe ${words}`);
      if (options.cron) await this.kind(modal.id, 'cron');
      const saved = await this.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), ...values });
      expect(saved.responseAction).toBeUndefined();
      return (await this.subscriptions()).find((s) => !earlier.has(s.id))!;
    },
    /** Messages the bot posted in a channel (or a DM) that carry a subscription's footer or alert. */
    posts(channel: string, ref?: string): StoredMessage[] {
      return get().standin.conversation(channel).filter((m) => !m.ephemeral && /SUB-/.test(JSON.stringify(m.blocks ?? [])) && (!ref || JSON.stringify(m.blocks ?? []).includes(ref)));
    },
    async tick(iso: string) {
      const t = get();
      t.setTime(at(iso));
      await t.drain();
    },
  };
}

/** Makes the warehouse's next dry run (the cost check) take 2.5 s, past the 2 s a form may wait; `next` does so again. */
function slowDryRuns(t: TestBot): { next(): void; restore(): void } {
  const warehouse = t.warehouse as { dryRun: TestBot['warehouse']['dryRun'] };
  const dryRun = warehouse.dryRun;
  let slow = true;
  warehouse.dryRun = async (...args) => {
    if (slow) {
      slow = false;
      await new Promise((r) => setTimeout(r, 2_500));
    }
    return dryRun.apply(t.warehouse, args);
  };
  return { next: () => void (slow = true), restore: () => void (warehouse.dryRun = dryRun) };
}

const schedule = (kind: string, time = '09:00') => ({ [ActionIds.subscriptionScheduleKind]: kind, [ActionIds.subscriptionTime]: time });
const ref = (s: Subscription) => `SUB-${s.id.replace(/^sub_/, '').slice(-6).toUpperCase()}`;

describe('scheduled deliveries', () => {
  let t: TestBot;
  let queries: string;
  const d = driver(() => t);
  beforeAll(async () => {
    queries = await catalogDir();
    // No poll timer: these tests set the clock and then act (an edit at 09:00:20 with the 09:00 run not yet
    // taken), and a timer that ran the due job in between would change what they test. Jobs still run when
    // asked for (drain) and when something is enqueued (the runner's kick); the other suites run with the timer.
    t = await startTestBot({ env: { QUERIES_DIR: queries, FRESHNESS_CHECK_INTERVAL_MS: '0', SUBSCRIPTIONS_PER_OWNER: '6', JOBS_POLL_MS: '3600000' }, standinOptions: { users, channels } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await rm(queries, { recursive: true, force: true });
  });

  it('refuses bad input on the field it is about, and stores nothing', async () => {
    const modal = await d.open('subscribe weekly-active-instances weeks=4');
    // The modal knows the subscriber's time zone and keeps the parameters given.
    expect(text(modal)).toContain('America/New_York');
    expect(JSON.stringify(modal.blocks)).toContain('"initial_value":"4"');
    const cases: Array<[Record<string, string | string[]>, string, RegExp]> = [
      [{ [ActionIds.subscriptionChannel]: 'C0GHOST', ...schedule('daily'), [ActionIds.subscriptionFormat]: 'chart' }, BlockIds.subscriptionChannel, /cannot see that channel: if it is private, invite me/],
      [{ [ActionIds.subscriptionChannel]: OUTSIDE, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'chart' }, BlockIds.subscriptionChannel, /not in that channel: invite me/],
      // Someone's DM (a tampered form: it offers channels only) is refused, whoever's it is.
      [{ [ActionIds.subscriptionChannel]: 'D0U0ADMIN', ...schedule('daily'), [ActionIds.subscriptionFormat]: 'chart' }, BlockIds.subscriptionChannel, /Pick a channel here, or tick/],
      [{ [ActionIds.subscriptionChannel]: StandinDefaults.users.lookerAdmin, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'chart' }, BlockIds.subscriptionChannel, /Pick a channel here, or tick/],
      [{ [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', ''), [ActionIds.subscriptionFormat]: 'chart' }, BlockIds.subscriptionTime, /Pick a time/],
      [{ [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'chart', [`${ActionIds.subscriptionParamPrefix}weeks`]: '40' }, `${BlockIds.subscriptionParamPrefix}weeks`, /^Must be from 1 to 13, got 40$/],
      // Plain text, where nothing formats: what was typed is quoted as typed, not with the lookalikes a message uses.
      [{ [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'chart', [`${ActionIds.subscriptionParamPrefix}weeks`]: '*4*_' }, `${BlockIds.subscriptionParamPrefix}weeks`, /^Expects a whole number from 1 to 13, got “\*4\*_”$/],
    ];
    for (const [values, block, message] of cases) {
      const r = await d.submit(modal.id, values);
      expect(r.responseAction).toBe('errors');
      expect(r.errors?.[block]).toMatch(message);
    }
    // Submitted before the form was redrawn for the kind picked (no cron, day or date input yet): what is
    // missing is said on "How often", a block the form has (Slack refuses errors on one it has not).
    for (const [kind, message] of [['cron', /cron expression/], ['weekly', /day/i], ['monthly', /day of the month|date/i]] as const) {
      const r = await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, [ActionIds.subscriptionScheduleKind]: kind, [ActionIds.subscriptionTime]: '09:00', [ActionIds.subscriptionFormat]: 'chart' });
      expect(r.responseAction).toBe('errors');
      expect(Object.keys(r.errors ?? {})).toEqual([BlockIds.subscriptionScheduleKind]);
      expect(r.errors?.[BlockIds.subscriptionScheduleKind]).toMatch(message);
    }
    expect(t.standin.takeViolations()).toEqual([]);
    // A cron expression that is not one, or runs too often.
    await d.kind(modal.id, 'cron');
    for (const [cron, message] of [['61 9 * * *', /has 61 where a minute is 0 to 59/], ['0 9 * * MON-XYZ', /“XYZ”, which is not a month \(“JAN” to “DEC”\) or a weekday/], ['*/5 * * * *', /15 minutes apart/], ['H * * * *', /“H” \(a time picked at random\)/], ['0 9', /five fields: .*\(e\.g\. “0 9 \* \* 1”\)/]] as const) {
      // Field errors are plain text: the bot's code spans come as quotes, not as backticks shown as typed.
      const r = await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, [ActionIds.subscriptionScheduleKind]: 'cron', [ActionIds.subscriptionCron]: cron, [ActionIds.subscriptionFormat]: 'chart' });
      expect(r.errors?.[BlockIds.subscriptionCron]).toMatch(message);
    }
    expect(await d.subscriptions()).toEqual([]);
  });

  it('says so, and saves nothing, when the form\'s saved query left the catalog after it opened (or the form is not one it opened)', async () => {
    const gone = await t.client.viewSubmission({ userId: RILEY, view: { id: 'VSGONE1', callback_id: CallbackIds.subscription, private_metadata: JSON.stringify({ k: 'delivery', q: 'renamed-query', tz: 'UTC' }) } });
    expect(gone.status).toBe(200);
    const note = gone.json as { response_action?: string; view?: { blocks: KnownBlock[] } };
    expect(note.response_action).toBe('update');
    expect(blocksToText(note.view!.blocks)).toContain('The saved query “renamed-query” is no longer in the catalog (it may have been renamed or removed), so nothing was saved.');
    const unknown = await t.client.viewSubmission({ userId: RILEY, view: { id: 'VSGONE2', callback_id: CallbackIds.subscription, private_metadata: '{"k":"weekly"}' } });
    expect(blocksToText((unknown.json as { view: { blocks: KnownBlock[] } }).view.blocks)).toContain('This form is from an earlier version of analytics-bot, and nothing was saved.');
    expect(await d.subscriptions()).toEqual([]);
  });

  it('answers a malformed submission (a "Send to me" tick that is not a list of options) with the form\'s errors at once, and stores nothing', async () => {
    const metadata = JSON.stringify({ k: 'delivery', q: 'weekly-active-instances', tz: 'America/New_York' });
    for (const [i, selected] of [[null], 'dm', [{ value: 'dm' }, 7], { value: 'dm' }].entries()) {
      const state = { values: { [BlockIds.subscriptionDm]: { [ActionIds.subscriptionDm]: { type: 'checkboxes', selected_options: selected } } } };
      const ack = await t.client.viewSubmission({ userId: RILEY, view: { id: `VSMALFORMED${i}`, callback_id: CallbackIds.subscription, private_metadata: metadata, state } });
      expect(ack.status, JSON.stringify(selected)).toBe(200);
      expect(ack.json, JSON.stringify(selected)).toMatchObject({ response_action: 'errors' });
    }
    // Its blocks malformed too (not a list, a block that is null): the errors still go on a block, at once.
    for (const [i, blocks] of [[null, { type: 'input', block_id: BlockIds.subscriptionChannel }], { type: 'input' }].entries()) {
      const ack = await t.client.viewSubmission({ userId: RILEY, view: { id: `VSBLOCKS${i}`, callback_id: CallbackIds.subscription, private_metadata: metadata, blocks, state: { values: {} } } });
      expect(ack.status, JSON.stringify(blocks)).toBe(200);
      expect(ack.json, JSON.stringify(blocks)).toMatchObject({ response_action: 'errors' });
    }
    expect(await d.subscriptions()).toEqual([]);
  });

  it('opens the form for a command with long or stray parameters (the modal keeps only the query\'s own, each as long as its input takes)', async () => {
    const stray = 'x'.repeat(3_000);
    const modal = await d.open(`subscribe weekly-active-instances weeks=4 note=${stray}`);
    expect(JSON.stringify(modal.blocks)).toContain('"initial_value":"4"');
    expect(modal.private_metadata).not.toContain(stray);
    await t.standin.closeView(t.client, { userId: RILEY });
    const long = await d.open(`subscribe weekly-active-instances weeks=${'9'.repeat(2_950)}`);
    expect(JSON.stringify(long.blocks)).toContain(`"initial_value":"${'9'.repeat(200)}"`);
    const r = await d.submit(long.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'chart' });
    expect(r.errors?.[`${BlockIds.subscriptionParamPrefix}weeks`]).toBeTruthy();
    await t.standin.closeView(t.client, { userId: RILEY });
    expect(await d.subscriptions()).toEqual([]);
  });

  it('offers a choice parameter\'s choices to pick from, the one given picked (in any case, or by its label)', async () => {
    type Select = { block_id?: string; optional?: boolean; element: { type: string; options: Array<{ value: string }>; initial_option?: { value: string } } };
    const hosting = (m: { blocks: unknown[] }) => (m.blocks as Select[]).find((b) => b.block_id === `${BlockIds.subscriptionParamPrefix}hosting`)!;
    const block = hosting(await d.open('subscribe weekly-active-instances hosting=CLOUD'));
    expect(block.element.type).toBe('static_select');
    expect(block.element.options.map((o) => o.value)).toEqual(['all', 'cloud', 'self-hosted', 'managed']);
    expect(block.element.initial_option?.value).toBe('cloud');
    await t.standin.closeView(t.client, { userId: RILEY });
    expect(hosting(await d.open('subscribe weekly-active-instances hosting="sourcegraph cloud"')).element.initial_option?.value).toBe('cloud');
    await t.standin.closeView(t.client, { userId: RILEY });
    // None given, or given empty: its default picked.
    expect(hosting(await d.open('subscribe weekly-active-instances')).element.initial_option?.value).toBe('all');
    await t.standin.closeView(t.client, { userId: RILEY });
    expect(hosting(await d.open('subscribe weekly-active-instances hosting=')).element.initial_option?.value).toBe('all');
    await t.standin.closeView(t.client, { userId: RILEY });
    // What the form has no field for is said at its top, not dropped without a word; none, nothing said.
    const unused = await d.open('subscribe weekly-active-instances weeks=3 foo=bar <!channel>');
    expect(text(unused)).toContain('Not used from your command (it takes weeks, hosting): foo=bar <!channel>');
    expect(JSON.stringify(unused.blocks)).toContain('foo=bar &lt;!channel&gt;'); // shown, not a mention
    await t.standin.closeView(t.client, { userId: RILEY });
    expect(text(await d.open('alert weekly-active-instances weeks=3'))).not.toContain('Not used');
    await t.standin.closeView(t.client, { userId: RILEY });
    // Given twice with different values: the last is filled in, and the other is said not used, not dropped without a word.
    const twice = await d.open('subscribe weekly-active-instances weeks=4 weeks=5');
    expect(JSON.stringify(twice.blocks)).toContain('"initial_value":"5"');
    expect(text(twice)).toContain('Not used from your command (it takes weeks, hosting): weeks=4');
    await t.standin.closeView(t.client, { userId: RILEY });
    // One that is none of them: nothing picked, and said so where the choice is made.
    // It must then be picked (Slack's client checks a required input): its default in its place would run a broader query.
    const mars = hosting(await d.open('subscribe weekly-active-instances hosting=mars')) as Select & { element: { placeholder: { text: string } } };
    expect(mars.element.initial_option).toBeUndefined();
    expect(mars.element.placeholder.text).toBe('“mars” is not one of these: pick one');
    expect(mars.optional).toBeUndefined();
    expect(hosting(await d.open('subscribe weekly-active-instances hosting=cloud')).optional).toBe(true);
    await t.standin.closeView(t.client, { userId: RILEY });
    await t.standin.closeView(t.client, { userId: RILEY });
    expect((hosting(await d.open(`subscribe weekly-active-instances hosting=${'m'.repeat(60)}`)).element as unknown as { placeholder: { text: string } }).placeholder.text).toMatch(/^“m{29}…” is not one of these: pick one$/);
    await t.standin.closeView(t.client, { userId: RILEY });
    // Redrawn for another schedule kind, the pick stays.
    const kept = await d.open('subscribe weekly-active-instances hosting=managed');
    await d.kind(kept.id, 'weekly');
    expect(hosting(t.standin.view(kept.id)!).element.initial_option?.value).toBe('managed');
    await t.standin.closeView(t.client, { userId: RILEY });
    // One saved before choices were kept in one spelling (`CLOUD`) opens for an edit with its choice picked.
    const query = t.bot.services.queries.catalog.get('weekly-active-instances')!;
    const old = { id: 'sub_old', owner: RILEY, kind: 'delivery', query: query.name, params: { hosting: 'CLOUD' }, target: { kind: 'dm' }, schedule: { kind: 'daily', time: '09:00', tz: 'America/New_York' }, format: 'chart' } as unknown as Subscription;
    expect(hosting(subscriptionModal(modalDataOf(old, query))).element.initial_option?.value).toBe('cloud');
    // Picked, it is saved as the choice's value.
    const picked = await d.open('subscribe weekly-active-instances');
    const r = await d.submit(picked.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '06:20'), [ActionIds.subscriptionFormat]: 'chart', [`${ActionIds.subscriptionParamPrefix}hosting`]: 'managed' });
    expect(r.responseAction).toBeUndefined();
    const [sub] = await d.subscriptions();
    expect(sub!.params).toMatchObject({ hosting: 'managed' });
    await t.bot.services.subscriptions.remove(sub!.id, RILEY);
  });

  it('answers a mistyped name with the near ones, each with Subscribe… (or Alert…) that opens the form', async () => {
    for (const [word, action, title] of [['subscribe', ActionIds.querySubscribe, 'Schedule a delivery'], ['alert', ActionIds.queryAlert, 'New alert']] as const) {
      const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: `${word} weekly-activ`, userId: RILEY, channelId: CHANNEL });
      const reply = replies.find((r) => r.message?.ephemeral)?.message;
      expect(text(reply)).toContain('Did you mean `weekly-active-instances`');
      expect(JSON.stringify(reply?.blocks)).toContain(action);
      expect(JSON.stringify(reply?.blocks)).not.toContain(ActionIds.queryRun);
      const before = t.standin.modals(RILEY).at(-1)?.id;
      await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: reply!.ts, actionId: action, timeoutMs: 300 });
      const modal = await t.standin.waitFor(() => {
        const top = t.standin.modals(RILEY).at(-1);
        return top && top.id !== before ? top : undefined;
      });
      expect((modal.title as { text?: string } | undefined)?.text).toBe(title);
      expect(text(modal)).toContain('Weekly active instances');
      await t.standin.closeView(t.client, { userId: RILEY });
    }
    // Underscores for hyphens are not a typo: the form opens at once.
    const snake = await d.open('subscribe Weekly_Active_Instances');
    expect(text(snake)).toContain('Weekly active instances');
    await t.standin.closeView(t.client, { userId: RILEY });
    expect(await d.subscriptions()).toEqual([]);
  });

  it('answers a Subscribe… or Alert… button whose value is not what the bot writes, and opens nothing', async () => {
    const ts = (await t.standin.runCommand(t.client, { command: '/query', text: 'subscribe weekly-activ', userId: RILEY, channelId: CHANNEL })).replies.find((r) => r.message?.ephemeral)!.message!.ts;
    const before = t.standin.modals(RILEY).at(-1)?.id;
    const calls = t.standin.calls.length;
    for (const actionId of [ActionIds.querySubscribe, ActionIds.queryAlert]) {
      for (const value of [
        JSON.stringify({ q: 'weekly-active-instances', p: ['8'] }),
        JSON.stringify({ q: 'weekly-active-instances', p: { weeks: 8 } }),
        JSON.stringify({ q: 'weekly-active-instances', p: { weeks: { $gt: '' } } }),
        JSON.stringify({ q: 'weekly-active-instances', p: null }),
        JSON.stringify({ q: 'weekly-active-instances' }),
        'weekly-active-instances',
      ]) {
        const responses = t.standin.responses.length;
        const res = await t.client.blockAction({
          userId: RILEY, channelId: CHANNEL,
          message: { ts, type: 'message', text: '' },
          container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: true },
          actions: [{ action_id: actionId, block_id: 'b', type: 'button', value }],
        });
        expect(res.status).toBe(200);
        await t.standin.waitFor(() => t.standin.responses.length > responses, { timeoutMs: 5000 });
        const answer = JSON.stringify(t.standin.responses.slice(responses));
        expect(answer, value).toContain('That button does not carry a query I know');
        expect(answer).toContain('ephemeral');
      }
    }
    await new Promise((res) => setTimeout(res, 300));
    expect(t.standin.modals(RILEY).at(-1)?.id).toBe(before);
    expect(t.standin.calls.slice(calls).filter((c) => c.method === 'views.open')).toEqual([]);
  });

  it('says nothing more when what opens its form arrives again with the same trigger (/query subscribe, Subscribe… on a near name, Edit)', async () => {
    const once = { statuses: [200, 200], opens: ['ok', 'exchanged_trigger_id'], said: [], openForms: [CallbackIds.subscription] };
    expect(await commandTwiceWithOneTrigger(t, { command: '/query', text: 'subscribe weekly-active-instances', userId: RILEY, channelId: CHANNEL })).toEqual(once);

    const clickIn = (m: StoredMessage, actionId: string, blockId?: string) => {
      const button = findElement(m.blocks ?? [], actionId, blockId)!;
      return {
        userId: RILEY, channelId: CHANNEL,
        container: { type: 'message', message_ts: m.ts, channel_id: CHANNEL, is_ephemeral: true },
        actions: [{ action_id: actionId, block_id: button.blockId, value: String(button.element['value']) }],
      };
    };
    const near = (await t.standin.runCommand(t.client, { command: '/query', text: 'subscribe weekly-activ', userId: RILEY, channelId: CHANNEL })).replies.find((r) => r.message?.ephemeral)!.message!;
    expect(await clickTwiceWithOneTrigger(t, clickIn(near, ActionIds.querySubscribe))).toEqual(once);

    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '05:55'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [sub] = await d.subscriptions();
    const list = (await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL })).replies.find((r) => r.message?.ephemeral)!.message!;
    expect(await clickTwiceWithOneTrigger(t, clickIn(list, ActionIds.subscriptionEdit, `${BlockIds.subscriptionActions}.${sub!.id}.listed`))).toEqual(once);
    expect(t.logs.filter((l) => l.includes('exchanged_trigger_id') && /"severity":"(WARNING|ERROR)"/.test(l))).toEqual([]);
    expect(t.logs.filter((l) => /subscription (edit )?form already opened by an earlier delivery/.test(l))).toHaveLength(3);
    expect((await t.bot.services.subscriptions.remove(sub!.id, RILEY)).ok).toBe(true);
    expect(await d.subscriptions()).toEqual([]);
  });

  it('answers an alert on a query with no number to watch, instead of a form that can never be sent', async () => {
    const before = t.standin.modals(RILEY).at(-1)?.id;
    const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'alert instances-on-version', userId: RILEY, channelId: CHANNEL });
    const reply = replies.find((r) => r.message?.ephemeral)?.message;
    expect(text(reply)).toMatch(/Instances on a version\*? has no number to watch/);
    expect(text(reply)).toContain('/query subscribe instances-on-version');
    await new Promise((res) => setTimeout(res, 300));
    expect(t.standin.modals(RILEY).at(-1)?.id).toBe(before);
    expect(await d.subscriptions()).toEqual([]);
  });

  it('refuses a query over the cost cap when it is saved', async () => {
    const capped = await startTestBot({ env: { QUERIES_DIR: queries, QUERY_MAX_BYTES: String(1024 ** 2), FRESHNESS_CHECK_INTERVAL_MS: '0' }, standinOptions: { users, channels } });
    try {
      const c = driver(() => capped);
      const modal = await c.open('subscribe instances-by-telemetry-level');
      const r = await c.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'chart' });
      expect(r.errors?.[BlockIds.subscriptionChannel]).toMatch(/over the cap of 1 MB: it cannot be scheduled/);
      expect(await c.subscriptions()).toEqual([]);
    } finally {
      await capped.stop();
    }
  });

  it('delivers at its instant in the subscriber\'s time zone, once, with a footer and Manage, then schedules the next', async () => {
    t.setTime(at('2026-12-01T13:00:00Z')); // Tuesday, 08:00 in New York
    const modal = await d.open('subscribe weekly-active-instances weeks=4');
    const r = await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('weekdays'), [ActionIds.subscriptionFormat]: 'chart', [`${ActionIds.subscriptionParamPrefix}weeks`]: '4' });
    expect(r.responseAction).toBeUndefined();
    const [sub] = await d.subscriptions();
    expect(sub).toMatchObject({ owner: RILEY, query: 'weekly-active-instances', params: { weeks: '4' }, status: 'active', nextRunAt: at('2026-12-01T14:00:00Z') });
    await t.standin.waitFor(() => t.standin.conversation(RILEY).find((m) => /Scheduled a delivery/.test(text(m))));
    await d.tick('2026-12-01T13:59:00Z');
    expect(d.posts(CHANNEL)).toHaveLength(0);
    await d.tick('2026-12-01T14:00:30Z');
    const first = d.posts(CHANNEL);
    expect(first).toHaveLength(1);
    expect(first[0]!.files?.[0]?.name).toMatch(/^weekly-active-instances_SUB-[A-Z0-9]{6}_20261201-1400\.png$/);
    // The chart's description reached Slack (as files.getUploadURLExternal's alt_txt; filesUploadV2 sent alt_text, which Slack drops).
    expect(first[0]!.files?.[0]?.alt_txt).toMatch(/^Line chart: Weekly active instances/);
    expect(text(first[0])).toMatch(/Scheduled delivery `SUB-.*Weekdays at 09:00 \(America\/New_York\).*set up by/s);
    expect(JSON.stringify(first[0]!.blocks)).toContain(ActionIds.subscriptionManage);
    await d.tick('2026-12-01T14:30:00Z');
    expect(d.posts(CHANNEL)).toHaveLength(1);
    expect((await d.subscriptions())[0]).toMatchObject({ nextRunAt: at('2026-12-02T14:00:00Z'), lastRun: { outcome: 'delivered', dueAt: at('2026-12-01T14:00:00Z') } });
  });

  it('answers a forged list click on a delivery in the channel apart, leaving the delivery as everyone sees it', async () => {
    const [sub] = await d.subscriptions();
    const delivered = d.posts(CHANNEL).at(-1)!;
    const shown = JSON.stringify(delivered.blocks);
    // Pause by someone who may not (not the owner, not BizOps), its block ID naming an item of
    // /query subscriptions' list, clicked on the delivery in the channel.
    const res = await forgedClickOn(t, {
      userId: StandinDefaults.users.lookerAdmin,
      channelId: CHANNEL,
      message: delivered,
      action: { action_id: ActionIds.subscriptionPause, block_id: `${BlockIds.subscriptionActions}.${sub!.id}.listed`, value: sub!.id },
    });
    expect(res.status).toBe(200);
    await t.standin.waitFor(() => (t.standin.responses.length > res.from ? true : undefined));
    expect(t.standin.responses.slice(res.from).map((r) => r.body['replace_original'])).toEqual([false]);
    expect(JSON.stringify(t.standin.message(CHANNEL, delivered.ts)?.blocks)).toBe(shown);
    expect((await t.bot.services.subscriptions.get(sub!.id))!.status).toBe('active');
  });

  it('sends a missed run once within the grace, and skips it after (never a burst)', async () => {
    // Down from 14:00 to 14:40: within the hour's grace, the run goes out once when the bot is back.
    await d.tick('2026-12-02T14:40:00Z');
    expect(d.posts(CHANNEL)).toHaveLength(2);
    // Down for a day and a half: Thursday's and Friday's runs are long past; one is skipped, none is sent late.
    await d.tick('2026-12-04T20:00:00Z');
    expect(d.posts(CHANNEL)).toHaveLength(2);
    const [sub] = await d.subscriptions();
    expect(sub!.lastRun).toMatchObject({ outcome: 'missed', dueAt: at('2026-12-03T14:00:00Z') });
    expect(sub!.nextRunAt).toBe(at('2026-12-07T14:00:00Z')); // the next Monday: the weekend is skipped
    await d.tick('2026-12-07T14:00:10Z');
    expect(d.posts(CHANNEL)).toHaveLength(3);
  });

  it('pauses, resumes and deletes from Manage (owner or BizOps), refusing others', async () => {
    const [sub] = await d.subscriptions();
    const post = d.posts(CHANNEL).at(-1)!;
    const manage = await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: post.ts, actionId: ActionIds.subscriptionManage, timeoutMs: 1_000 });
    expect(JSON.stringify(manage.replies)).toContain(ActionIds.subscriptionPause);
    const outsider = await t.standin.clickAction(t.client, { userId: StandinDefaults.users.lookerAdmin, channelId: CHANNEL, ts: post.ts, actionId: ActionIds.subscriptionManage, timeoutMs: 1_000 });
    expect(JSON.stringify(outsider.replies)).toMatch(/Only its owner or BizOps/);
    // Answered apart: the delivery everyone sees is not replaced by the refusal.
    expect(t.standin.conversation(CHANNEL).find((m) => m.ts === post.ts)!.blocks).toEqual(post.blocks);
    expect((await t.bot.services.subscriptions.pause(sub!.id, StandinDefaults.users.lookerAdmin)).ok).toBe(false);
    expect((await t.bot.services.subscriptions.pause(sub!.id, BLAKE)).ok).toBe(true);
    await d.tick('2026-12-08T14:00:10Z');
    expect(d.posts(CHANNEL)).toHaveLength(3);
    expect((await t.bot.services.subscriptions.resume(sub!.id, RILEY)).ok).toBe(true);
    expect((await d.subscriptions())[0]!.nextRunAt).toBe(at('2026-12-09T14:00:00Z'));
    await d.tick('2026-12-09T14:00:10Z');
    expect(d.posts(CHANNEL)).toHaveLength(4);
    expect((await t.bot.services.subscriptions.remove(sub!.id, RILEY)).ok).toBe(true);
    await d.tick('2026-12-10T14:00:10Z');
    expect(d.posts(CHANNEL)).toHaveLength(4);
    expect(await d.subscriptions()).toEqual([]);
    // Each change is in the audit log, by whom; the refused pause is not.
    const audit = (await t.store.recentAudit(100)).filter((e) => e.subject === sub!.id).map((e) => `${e.action} ${e.actor}`);
    expect(audit).toEqual(expect.arrayContaining([`subscription.created ${RILEY}`, `subscription.paused ${BLAKE}`, `subscription.resumed ${RILEY}`, `subscription.deleted ${RILEY}`]));
    expect(audit.filter((a) => a.startsWith('subscription.paused'))).toHaveLength(1);
  });

  it('tells the owner when BizOps pauses, resumes, changes or deletes theirs, once each; not when they do it themselves', async () => {
    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '08:10'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const sub = (await d.subscriptions()).find((s) => s.owner === RILEY && 'time' in s.schedule && s.schedule.time === '08:10')!;
    const told = () => t.standin.conversation(RILEY).filter((m) => !m.ephemeral && text(m).includes(ref(sub)) && /\(BizOps\)/.test(text(m)));
    try {
      const subs = t.bot.services.subscriptions;
      expect((await subs.pause(sub.id, RILEY)).ok).toBe(true);
      expect((await subs.resume(sub.id, RILEY)).ok).toBe(true);
      await t.drain();
      expect(told()).toEqual([]);

      expect((await subs.pause(sub.id, BLAKE)).ok).toBe(true);
      expect((await subs.pause(sub.id, BLAKE)).ok).toBe(false); // already paused: nothing more to tell
      await t.drain();
      expect(told().map(text)).toEqual([expect.stringMatching(new RegExp(`@${BLAKE} \\(BizOps\\) paused your scheduled delivery .*${ref(sub)}.*It is paused: it does not run until it is resumed`))]);
      expect(JSON.stringify(told()[0]!.blocks)).toContain(ActionIds.subscriptionManage);

      expect((await subs.resume(sub.id, BLAKE)).ok).toBe(true);
      const draft = { kind: 'delivery' as const, query: 'instances-by-hosting', params: {}, channel: CHANNEL, schedule: { kind: 'daily', time: '08:20', tz: 'America/New_York' }, format: 'table' };
      expect((await subs.update(sub.id, BLAKE, draft)).ok).toBe(true);
      // Saved again with nothing changed (pressed again after a slow save): nothing more to tell.
      expect((await subs.update(sub.id, BLAKE, draft)).ok).toBe(true);
      await t.drain();
      expect(told().slice(1).map(text)).toEqual([
        expect.stringMatching(/resumed your scheduled delivery .*next run/),
        expect.stringMatching(/changed your scheduled delivery .*Now: every day at 08:20/),
      ]);

      // Two Deletes at once (a double click, two of BizOps): one deletes it, and it is told once.
      const removed = await Promise.all([subs.remove(sub.id, BLAKE), subs.remove(sub.id, BLAKE)]);
      expect(removed.map((r) => r.ok).sort()).toEqual([false, true]);
      await t.drain();
      const deleted = told().at(-1)!;
      expect(told()).toHaveLength(4);
      expect(text(deleted)).toMatch(/deleted your scheduled delivery .*It will not run again\. To have it back, set it up again with `\/query subscribe instances-by-hosting`/);
      // Nothing left to manage.
      expect(JSON.stringify(deleted.blocks)).not.toContain(ActionIds.subscriptionManage);
    } finally {
      await t.bot.services.subscriptions.remove(sub.id, RILEY);
    }
  });

  it('keeps 09:00 local through a daylight-saving change (New York, 8 March 2026)', async () => {
    t.setTime(at('2026-03-01T12:00:00Z'));
    const modal = await d.open('subscribe instances-by-hosting');
    await d.kind(modal.id, 'weekly');
    const r = await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, [ActionIds.subscriptionScheduleKind]: 'weekly', [ActionIds.subscriptionDay]: 'mon', [ActionIds.subscriptionTime]: '09:00', [ActionIds.subscriptionFormat]: 'table' });
    expect(r.errors).toBeUndefined();
    const sub = (await d.subscriptions()).find((s) => s.query === 'instances-by-hosting')!;
    expect(sub.nextRunAt).toBe(at('2026-03-02T14:00:00Z'));
    await d.tick('2026-03-02T14:00:05Z');
    expect((await t.bot.services.subscriptions.get(sub.id))!.nextRunAt).toBe(at('2026-03-09T13:00:00Z'));
    await d.tick('2026-03-09T13:00:05Z');
    expect(d.posts(CHANNEL, ref(sub)), JSON.stringify([await t.bot.services.subscriptions.get(sub.id), t.standin.conversation(CHANNEL).slice(-3), t.standin.conversation(RILEY).slice(-3)])).toHaveLength(2);
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  it('tells its owner once per failed run, and pauses after three in a row, saying so', async () => {
    t.setTime(at('2026-12-14T10:00:00Z'));
    const modal = await d.open('subscribe instances-by-hosting');
    await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' });
    const sub = (await d.subscriptions())[0]!;
    const dms = () => t.standin.conversation(RILEY).filter((m) => /failed/.test(text(m)) && text(m).includes(ref(sub)));
    for (const [i, day] of ['2026-12-14', '2026-12-15', '2026-12-16'].entries()) {
      // The bot was removed from the channel: every post is refused.
      t.standin.failNext('chat.postMessage', 'not_in_channel');
      await d.tick(`${day}T14:00:05Z`);
      expect(dms()).toHaveLength(i + 1);
      expect(text(dms().at(-1))).toMatch(/can no longer post there: I was removed from its channel. Invite me back/);
      // The channel is a link in the DM, not escaped text.
      expect(JSON.stringify(dms().at(-1)!.blocks)).toContain(`in <#${CHANNEL}> failed`);
    }
    const paused = (await t.bot.services.subscriptions.get(sub.id))!;
    expect(paused).toMatchObject({ status: 'paused', consecutiveFailures: 3, nextRunAt: null });
    expect(text(dms().at(-1))).toMatch(/failed 3 times in a row, so I paused it/);
    await d.tick('2026-12-17T14:00:05Z');
    expect(dms()).toHaveLength(3);
    const audit = (await t.store.recentAudit(100)).filter((e) => e.subject === sub.id).map((e) => e.action);
    expect(audit.filter((a) => a === 'subscription.run_failed')).toHaveLength(2);
    expect(audit.filter((a) => a === 'subscription.paused_after_failures')).toHaveLength(1);
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  it('keeps a subscription on when Slack fails for everyone (a revoked token, an outage): such runs pause nothing', async () => {
    t.setTime(at('2027-02-01T10:00:00Z'));
    const sub = await d.subscribe('instances-by-hosting', { [ActionIds.subscriptionFormat]: 'table' });
    const subs = t.bot.services.subscriptions;
    const dms = () => t.standin.conversation(RILEY).filter((m) => /failed/.test(text(m)) && text(m).includes(ref(sub)));
    // Two days the app's token is refused (given up at once), a third Slack is down through every attempt.
    for (const day of ['2027-02-01', '2027-02-02']) {
      t.standin.failNext('chat.postMessage', 'invalid_auth');
      await d.tick(`${day}T14:00:05Z`);
      // Recorded, and no DM tried with the token Slack refuses.
      expect((await subs.get(sub.id))!.lastRun).toMatchObject({ outcome: 'failed', message: 'Slack refused my token: whoever runs analytics-bot must reinstall it' });
      expect(dms()).toHaveLength(0);
    }
    t.standin.failNext('chat.postMessage', 'service_unavailable', 3);
    for (const time of ['14:00:05', '14:10:00', '14:20:00', '14:40:00']) await d.tick(`2027-02-03T${time}Z`);
    const after = (await subs.get(sub.id))!;
    expect(after).toMatchObject({ status: 'active', consecutiveFailures: 0, nextRunAt: at('2027-02-04T14:00:00Z') });
    // Each failed run is still its last run, and told, with Slack's own code.
    expect(after.lastRun).toMatchObject({ outcome: 'failed', dueAt: at('2027-02-03T14:00:00Z'), message: 'Slack was unavailable (Slack chat.postMessage failed: service_unavailable)' });
    expect(dms()).toHaveLength(1);
    expect(text(dms()[0])).toMatch(/failed: Slack was unavailable \(Slack chat\.postMessage failed: service_unavailable\)\. It stays on/);
    await d.tick('2027-02-04T14:00:05Z');
    expect(d.posts(CHANNEL, ref(sub))).toHaveLength(1);
    expect((await subs.get(sub.id))!.lastRun).toMatchObject({ outcome: 'delivered' });
    await subs.remove(sub.id, RILEY);
  });

  it('keeps a channel subscription on when Slack says the app\'s account is inactive (account_inactive: the token\'s workspace or bot user): not "I was removed from its channel"', async () => {
    t.setTime(at('2027-02-05T10:00:00Z'));
    const sub = await d.subscribe('instances-by-hosting', { [ActionIds.subscriptionFormat]: 'table' });
    const subs = t.bot.services.subscriptions;
    const dms = () => t.standin.conversation(RILEY).filter((m) => /failed|paused/.test(text(m)) && text(m).includes(ref(sub)));
    // Slack's common error: "Authentication token is for a deleted user or workspace when using a bot token".
    for (const day of ['2027-02-05', '2027-02-06', '2027-02-07']) {
      t.standin.failNext('chat.postMessage', 'account_inactive');
      await d.tick(`${day}T14:00:05Z`);
      expect((await subs.get(sub.id))!.lastRun).toMatchObject({ outcome: 'failed', message: 'Slack refused my token: whoever runs analytics-bot must reinstall it' });
    }
    expect(await subs.get(sub.id)).toMatchObject({ status: 'active', consecutiveFailures: 0 });
    expect(dms()).toHaveLength(0);
    await subs.remove(sub.id, RILEY);
  });

  it('tells the owner why a run failed in plain words, not the warehouse\'s text or a program error\'s', async () => {
    t.setTime(at('2027-02-08T10:00:00Z'));
    // Parameters no other test runs: no result cached from another run stands in for the failing warehouse.
    const sub = await d.subscribe('weekly-active-instances weeks=11', { [ActionIds.subscriptionFormat]: 'table', [`${ActionIds.subscriptionParamPrefix}weeks`]: '11' });
    const subs = t.bot.services.subscriptions;
    const dms = () => t.standin.conversation(RILEY).filter((m) => /failed/.test(text(m)) && text(m).includes(ref(sub)));
    const warehouse = t.warehouse as { query: TestBot['warehouse']['query'] };
    const query = warehouse.query;
    let failWith: Error = new WarehouseError('Catalog Error: Table with name pings_renamed does not exist!');
    warehouse.query = async () => {
      throw failWith;
    };
    try {
      for (const time of ['14:00:05', '14:10:00', '14:20:00', '14:40:00']) await d.tick(`2027-02-08T${time}Z`);
      expect(dms()).toHaveLength(1);
      expect(text(dms()[0])).toMatch(/failed: the warehouse could not run the query\. It stays on/);
      expect((await subs.get(sub.id))!.lastRun).toMatchObject({ outcome: 'failed', message: 'the warehouse could not run the query' });
      failWith = new TypeError("Cannot read properties of undefined (reading 'rows')");
      for (const time of ['14:00:05', '14:10:00', '14:20:00', '14:40:00']) await d.tick(`2027-02-09T${time}Z`);
      expect(dms()).toHaveLength(2);
      expect(text(dms()[1])).toMatch(/failed: something went wrong on my side \(the details are in my logs\)\./);
      expect(JSON.stringify(dms())).not.toMatch(/Catalog Error|pings_renamed|Cannot read|TypeError/);
      expect(t.logs.join('\n')).toContain('Cannot read properties');
      // A refusal keeps its own words: the cost cap, a destination gone (see the tests above).
    } finally {
      warehouse.query = query;
    }
    await subs.remove(sub.id, RILEY);
  });

  it('sends one run, the latest, when the bot comes back after two times of a frequent schedule (every 15 minutes, an hour of grace)', async () => {
    t.setTime(at('2027-03-01T09:50:00Z'));
    const sub = await d.subscribe('instances-by-hosting', { [ActionIds.subscriptionScheduleKind]: 'cron', [ActionIds.subscriptionCron]: '*/15 * * * *', [ActionIds.subscriptionFormat]: 'table' }, { cron: true });
    expect(sub.nextRunAt).toBe(at('2027-03-01T10:00:00Z'));
    // Down from 09:59 to 10:20: the 10:00 run and the 10:15 one are both within the grace; only 10:15's goes out.
    await d.tick('2027-03-01T10:20:00Z');
    expect(d.posts(CHANNEL, ref(sub))).toHaveLength(1);
    const after = (await t.bot.services.subscriptions.get(sub.id))!;
    expect(after).toMatchObject({ lastRun: { outcome: 'delivered', dueAt: at('2027-03-01T10:15:00Z') }, nextRunAt: at('2027-03-01T10:30:00Z') });
    await d.tick('2027-03-01T10:30:05Z');
    expect(d.posts(CHANNEL, ref(sub))).toHaveLength(2);
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  it('counts a run still failing when its next time comes as a failure, told to its owner, not as a missed run', async () => {
    t.setTime(at('2027-03-08T09:50:00Z'));
    // Parameters no other test runs: no cached result stands in for the failing warehouse.
    const sub = await d.subscribe('weekly-active-instances weeks=12', { [ActionIds.subscriptionScheduleKind]: 'cron', [ActionIds.subscriptionCron]: '*/15 * * * *', [ActionIds.subscriptionFormat]: 'table', [`${ActionIds.subscriptionParamPrefix}weeks`]: '12' }, { cron: true });
    const dms = () => t.standin.conversation(RILEY).filter((m) => /failed/.test(text(m)) && text(m).includes(ref(sub)));
    const warehouse = t.warehouse as { query: TestBot['warehouse']['query'] };
    const query = warehouse.query;
    warehouse.query = async () => {
      throw new WarehouseError('the warehouse is overloaded');
    };
    try {
      await d.tick('2027-03-08T10:00:05Z'); // the first attempt fails
      await d.tick('2027-03-08T10:02:00Z'); // the second too
      await d.tick('2027-03-08T10:16:00Z'); // the third comes after 10:15
    } finally {
      warehouse.query = query;
    }
    const told = dms().map(text).find((m) => m.includes('kept failing until its next run was due'));
    expect(told).toBeDefined();
    // What comes next: the 10:15 run, due already (and failing too while the DM is told), is running now; not "next" at a past time.
    expect(told).toContain('It stays on: the run due 2027-03-08 10:15 UTC is running now.');
    const after = (await t.bot.services.subscriptions.get(sub.id))!;
    expect(after.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(after.lastRun)).not.toContain('missed');
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  // Past the grace, the retry finishes what was begun; within it, it posts what is missing. Either way it first looks
  // in Slack for what went out: a look that fails (a 5xx) is tried again, not taken for "nothing went out".
  for (const { back, day, historyFails } of [
    { back: '15:30:00', day: '16', historyFails: 0 },
    { back: '15:30:00', day: '15', historyFails: 2 },
    { back: '14:03:00', day: '14', historyFails: 1 },
  ]) {
    const when = back === '15:30:00' ? 'past the grace' : 'within the grace';
    it(`finishes a delivery whose chart went out when its retry comes ${when}${historyFails ? `, its look in Slack failing once (read ${historyFails})` : ''}: the CSV follows, nothing twice`, async () => {
      // Times before the real now: Slack stamps what it takes with its own clock, and a retry looks for it from its run's time.
      t.setTime(at(`2026-11-${day}T10:00:00Z`));
      const sub = await d.subscribe(`weekly-active-instances weeks=${Number(day) - 7}`, { [ActionIds.subscriptionFormat]: 'chart_csv', [`${ActionIds.subscriptionParamPrefix}weeks`]: String(Number(day) - 7) });
      let lost = false;
      const off = t.standin.onApplied((call) => {
        if (lost || call.method !== 'files.completeUploadExternal') return;
        lost = true;
        off();
        throw new Error('the answer is lost');
      });
      await d.tick(`2026-11-${day}T14:00:05Z`); // the chart is in the channel; the run does not know it
      expect(lost).toBe(true);
      const files = () => t.standin.conversation(CHANNEL).flatMap((m) => m.files ?? []).filter((f) => f.name?.includes(ref(sub))).map((f) => f.name!.split('.').pop());
      expect(files()).toEqual(['png']);
      let reads = 0;
      const failRead = t.standin.onApplied((call) => {
        // A read of history answered with a 500 (a hook that throws makes the stand-in answer so).
        if (call.method === 'conversations.history' && ++reads === historyFails) throw new Error('Slack had a moment');
      });
      try {
        await d.tick(`2026-11-${day}T${back}Z`); // its retry, the bot back
      } finally {
        failRead();
      }
      if (historyFails) await d.tick(`2026-11-${day}T${back.replace(/^(\d\d):(\d)/, (_, h: string, m: string) => `${h}:${Number(m) + 1}`)}Z`); // and again
      expect(files()).toEqual(['png', 'csv']);
      expect((await t.bot.services.subscriptions.get(sub.id))!).toMatchObject({ lastRun: { outcome: 'delivered', dueAt: at(`2026-11-${day}T14:00:00Z`) }, nextRunAt: at(`2026-11-${Number(day) + 1}T14:00:00Z`) });
      await t.bot.services.subscriptions.remove(sub.id, RILEY);
    });
  }

  it('tells of the failed run as it was, though another run went well before the DM could go', async () => {
    t.setTime(at('2027-01-11T10:00:00Z'));
    const sub = await d.subscribe('instances-by-hosting', { [ActionIds.subscriptionFormat]: 'table' });
    const dms = () => t.standin.conversation(RILEY).filter((m) => /failed/.test(text(m)) && text(m).includes(ref(sub)));
    t.standin.failNext('chat.postMessage', 'not_in_channel'); // the run: given up at once
    t.standin.failNext('chat.postMessage', 'internal_error'); // the DM about it: tried again later
    await d.tick('2027-01-11T14:00:05Z');
    expect(dms()).toHaveLength(0);
    expect((await t.bot.services.subscriptions.runNow(sub.id, RILEY)).ok).toBe(true); // invited back, a Run now goes well
    await t.drain();
    expect((await t.bot.services.subscriptions.get(sub.id))!.lastRun).toMatchObject({ manual: true, outcome: 'delivered' });
    await d.tick('2027-01-11T14:05:00Z');
    expect(dms()).toHaveLength(1);
    const said = text(dms()[0]);
    expect(said).toMatch(/The run due .* failed: I can no longer post there: I was removed from its channel/);
    expect(said).not.toMatch(/The run you asked for|no reason given/);
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  it('does not count a failed run toward the pause when the subscription was paused and resumed while it ran', async () => {
    t.setTime(at('2027-01-18T10:00:00Z'));
    const sub = await d.subscribe('instances-by-hosting', { [ActionIds.subscriptionFormat]: 'table' });
    const subs = t.bot.services.subscriptions;
    let replaced = false;
    const off = t.standin.onApplied(async (call) => {
      if (replaced || call.method !== 'chat.postMessage' || call.error !== 'not_in_channel') return;
      replaced = true;
      // While the refused run is still on its way to giving up, its owner pauses and resumes it: a new count, a new next run.
      expect((await subs.pause(sub.id, RILEY)).ok).toBe(true);
      expect((await subs.resume(sub.id, RILEY)).ok).toBe(true);
    });
    try {
      t.standin.failNext('chat.postMessage', 'not_in_channel');
      await d.tick('2027-01-18T14:00:05Z');
    } finally {
      off();
    }
    expect(replaced).toBe(true);
    const after = (await subs.get(sub.id))!;
    // Nor is it the subscription's last run: the list would say "failed" after the new run went well.
    expect(after).toMatchObject({ status: 'active', consecutiveFailures: 0, lastRun: null });
    expect(t.standin.conversation(RILEY).filter((m) => /failed/.test(text(m)) && text(m).includes(ref(sub)))).toHaveLength(1); // still told
    await subs.remove(sub.id, RILEY);
  });

  it.each([
    ['user_not_visible', /can no longer send you DMs \(your Slack account may be deactivated, or hidden from me\)/],
    ['messages_tab_disabled', /can no longer send you DMs: my Messages tab is turned off in Slack/],
  ])('gives up a DM run at once when Slack refuses the DM with %s, and says why', async (code, said) => {
    t.setTime(at('2026-12-21T10:00:00Z'));
    const earlier = new Set((await d.subscriptions()).map((s) => s.id));
    const modal = await d.open('subscribe instances-by-hosting');
    await d.submit(modal.id, { [ActionIds.subscriptionDm]: ['dm'], ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' });
    const sub = (await d.subscriptions()).find((s) => !earlier.has(s.id))!;
    expect(sub.target.kind).toBe('dm');
    const posts = t.standin.callsTo('chat.postMessage').length;
    t.standin.failNext('chat.postMessage', code);
    await d.tick('2026-12-21T14:00:05Z');
    // The run's one try (refused), then the notice to its owner: no retry.
    expect(t.standin.callsTo('chat.postMessage').slice(posts).map((c) => c.error ?? 'ok')).toEqual([code, 'ok']);
    expect((await t.bot.services.subscriptions.get(sub.id))!.consecutiveFailures).toBe(1);
    const failed = (await t.store.recentAudit(50)).find((e) => e.subject === sub.id && e.action === 'subscription.run_failed');
    expect(JSON.stringify(failed?.after)).toMatch(said);
    expect(JSON.stringify(failed?.after)).not.toContain(code);
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  it('keeps a relative date relative: the Subscribe… button on a chart carries what was typed', async () => {
    t.setTime(Date.now());
    await t.standin.runCommand(t.client, { command: '/query', text: 'customer-pings-per-day customer=acme since=-14d', userId: RILEY, channelId: CHANNEL, timeoutMs: 300 });
    const chart = await t.standin.waitFor(() => t.standin.conversation(CHANNEL).filter((m) => m.files?.some((f) => /^customer-pings-per-day-[0-9a-f]{6}\.png$/.test(f.name))).at(-1), { timeoutMs: 15_000 });
    const before = t.standin.modals(RILEY).at(-1)?.id;
    await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: chart.ts, actionId: ActionIds.querySubscribe, timeoutMs: 300 });
    const modal = await t.standin.waitFor(() => {
      const top = t.standin.modals(RILEY).at(-1);
      return top && top.id !== before ? top : undefined;
    });
    expect(JSON.stringify(modal.blocks)).toContain('"initial_value":"-14d"');
    expect(JSON.stringify(modal.blocks)).toContain('stays relative');
  });

  it('keeps a default relative date relative in a chart posted by Run on /query list: its Subscribe… does not pin today\'s date', async () => {
    t.setTime(Date.now());
    await t.standin.closeView(t.client, { userId: RILEY, clearAll: true });
    const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'list event volume', userId: RILEY, channelId: CHANNEL });
    const list = replies.find((r) => r.message?.ephemeral)!.message!;
    const charts = () => t.standin.conversation(CHANNEL).filter((m) => m.files?.some((f) => /^user-event-volume-[0-9a-f]{6}\.png$/.test(f.name)));
    const before = charts().length;
    await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.queryRun, timeoutMs: 300 });
    const chart = await t.standin.waitFor(() => (charts().length > before ? charts().at(-1) : undefined), { timeoutMs: 15_000 });
    // Its buttons carry the values as given (none: the defaults, -30d among them), not the day -30d was on the day it ran.
    const values = JSON.stringify(chart.blocks).match(/"value":"(?:[^"\\]|\\.)*"/g) ?? [];
    expect(values.length).toBeGreaterThan(0);
    expect(values.filter((v) => /\d{4}-\d{2}-\d{2}/.test(v))).toEqual([]);
    await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: chart.ts, actionId: ActionIds.querySubscribe, timeoutMs: 300 });
    const modal = await t.standin.waitFor(() => t.standin.modals(RILEY).at(-1));
    expect(JSON.stringify(modal.blocks)).toContain('"initial_value":"-30d"');
    await t.standin.closeView(t.client, { userId: RILEY, clearAll: true });
  });

  it('refuses more than the per-owner limit, saying how to make room', async () => {
    const made: string[] = [];
    for (let i = 0; i < 6; i++) {
      const modal = await d.open('subscribe instances-by-hosting');
      // Each at its own time: the same one twice is refused as a copy (below).
      const r = await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', `0${i}:30`), [ActionIds.subscriptionFormat]: 'table' });
      expect(r.responseAction).toBeUndefined();
      made.push(modal.id);
    }
    const modal = await d.open('subscribe instances-by-hosting');
    const r = await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' });
    expect(r.errors?.[BlockIds.subscriptionChannel]).toMatch(/the most one person may have \(6\).*\/query subscriptions/);
    const list = await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL });
    expect(JSON.stringify(list.replies)).toMatch(/Your scheduled deliveries and alerts\* \(6\)/);
    for (const s of await d.subscriptions()) await t.bot.services.subscriptions.remove(s.id, RILEY);
  });

  it('lists everyone\'s a page at a time (the oldest are reached too), by keys: one deleted or added elsewhere between pages hides none, and a click on page 2 redraws page 2', async () => {
    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '06:05'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [template] = await d.subscriptions();
    // 23 more of someone else's, older than it: 24 in all, for BizOps' list of everyone's. The last two were made in
    // the same millisecond: their IDs order them.
    const others = Array.from({ length: 23 }, (_, i): Subscription => ({ ...template!, id: `sub_paged${String(i).padStart(6, '0')}`, owner: 'U0PAGED', createdAt: template!.createdAt - Math.min(i + 1, 22) * 1_000 }));
    const put = (subs: Subscription[]) => t.bot.services.adapters.store.runTransaction(async (tx) => {
      for (const o of subs) tx.put(SUBSCRIPTIONS, o.id, o);
    });
    await put(others);
    const newer: Subscription = { ...template!, id: 'sub_pagednewer', owner: 'U0PAGED', createdAt: template!.createdAt + 1_000 };
    try {
      const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: BLAKE, channelId: CHANNEL });
      const list = replies.find((r) => r.message?.ephemeral)!.message!;
      expect(text(list)).toContain('Page 1 of 2: 1 to 20 of 24, newest first.');
      expect(text(list)).toContain(ref(template!));
      expect(text(list)).toContain(ref(others[18]!));
      expect(text(list)).not.toContain(ref(others[19]!));
      const shown = () => t.standin.conversation(CHANNEL).find((m) => m.ts === list.ts)!;
      const shownRefs = () => others.filter((o) => text(shown()).includes(ref(o))).map((o) => o.id);
      // One on page 1 is deleted by its owner while BizOps read it: Next starts after the last one page 1 showed, so
      // the 20th of 23 left (the 21st of them before) is not skipped.
      await t.bot.services.subscriptions.remove(others[3]!.id, 'U0PAGED');
      await t.standin.clickAction(t.client, { userId: BLAKE, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionsNext, timeoutMs: 2_000 });
      expect(text(shown())).toContain('Page 2 of 2: 20 to 23 of 23, newest first.');
      expect(shownRefs()).toEqual(others.slice(19).map((o) => o.id));
      expect(JSON.stringify(shown().blocks)).toContain(ActionIds.subscriptionsPrevious);
      expect(JSON.stringify(shown().blocks)).not.toContain(ActionIds.subscriptionsNext);
      // A newer one is made: Pause on page 2, as drawn, redraws the page it was clicked on (from its first item), with it.
      await put([newer]);
      const oldest = others.at(-1)!;
      const blockId = (shown().blocks as Array<{ block_id?: string }>).map((b) => b.block_id ?? '').find((id) => id.startsWith(`${BlockIds.subscriptionActions}.${oldest.id}.listed.`))!;
      await t.standin.clickAction(t.client, { userId: BLAKE, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionPause, blockId, timeoutMs: 2_000 });
      expect((await t.bot.services.subscriptions.get(oldest.id))!.status).toBe('paused');
      expect(text(shown())).toContain(`Paused \`${ref(oldest)}\`.`);
      expect(text(shown())).toContain('Page 2 of 2: 21 to 24 of 24, newest first.');
      expect(shownRefs()).toEqual(others.slice(19).map((o) => o.id));
      // Edit from page 2, saved: drawn again at page 2, from the item it started at.
      await t.standin.clickAction(t.client, { userId: BLAKE, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionEdit, blockId, timeoutMs: 2_000 });
      const form = await t.standin.waitFor(() => t.standin.modals(BLAKE).at(-1));
      expect((await d.submit(form.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '06:35'), [ActionIds.subscriptionFormat]: 'table' }, BLAKE)).responseAction).toBeUndefined();
      await vi.waitFor(() => expect(text(shown())).toContain(`Saved the changes to \`${ref(oldest)}\`.`), { timeout: 5_000 });
      expect(text(shown())).toContain('Page 2 of 2: 21 to 24 of 24, newest first.');
      expect(shownRefs()).toEqual(others.slice(19).map((o) => o.id));
      // Previous ends before page 2's first: the 20 newer, the new one first.
      await t.standin.clickAction(t.client, { userId: BLAKE, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionsPrevious, timeoutMs: 2_000 });
      expect(text(shown())).toContain('Page 1 of 2: 1 to 20 of 24, newest first.');
      expect(text(shown())).toContain(ref(newer));
      expect(shownRefs()).toEqual(others.slice(0, 19).filter((o) => o.id !== others[3]!.id).map((o) => o.id));
      // Forged values, each clicked on the page the button would not show, so that the page each draws is seen to be
      // drawn (a click that failed would leave the list as it was): a key past the end shows the last page; one that
      // does not parse, the first, as does an old page number.
      const click = async (actionId: string, value: string) => {
        const { replies } = await t.standin.clickAction(t.client, { userId: BLAKE, channelId: CHANNEL, ts: list.ts, actionId, extra: { value }, timeoutMs: 2_000 });
        expect(replies.map((r) => JSON.stringify(r.via === 'web_api' ? r.args : r.body)).join('\n')).not.toContain('could not show');
      };
      await click(ActionIds.subscriptionsNext, 'a.1.sub_zzzzzzzz');
      expect(text(shown())).toContain('Page 2 of 2');
      await click(ActionIds.subscriptionsPrevious, '<!channel>');
      expect(text(shown())).toContain('Page 1 of 2');
      await t.standin.clickAction(t.client, { userId: BLAKE, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionsNext, timeoutMs: 2_000 });
      expect(text(shown())).toContain('Page 2 of 2');
      await click(ActionIds.subscriptionsPrevious, '1');
      expect(text(shown())).toContain('Page 1 of 2');
    } finally {
      await t.bot.services.adapters.store.runTransaction(async (tx) => {
        for (const o of [...others, newer]) tx.delete(SUBSCRIPTIONS, o.id);
      });
      await t.bot.services.subscriptions.remove(template!.id, RILEY);
    }
  });

  it('redraws /query subscriptions after Pause, Resume or Delete on it: the item clicked, not the first, and the list stays a list', async () => {
    for (const time of ['06:15', '06:45']) {
      const modal = await d.open('subscribe instances-by-hosting');
      expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', time), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    }
    const timeOf = (s: Subscription) => ('time' in s.schedule ? s.schedule.time : '');
    const [early, late] = (await d.subscriptions()).sort((a, b) => timeOf(a).localeCompare(timeOf(b)));
    const listOf = async () => {
      const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL });
      return replies.find((r) => r.message?.ephemeral)!.message!;
    };
    const list = await listOf();
    const blockOf = (s: Subscription) => `${BlockIds.subscriptionActions}.${s.id}.listed`;
    const click = async (ts: string, actionId: string, s: Subscription) => {
      await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts, actionId, blockId: blockOf(s), timeoutMs: 2_000 });
      return t.standin.conversation(CHANNEL).find((m) => m.ts === ts)!;
    };

    // Pause on the second item pauses that one, and the message is still the whole list.
    let shown = await click(list.ts, ActionIds.subscriptionPause, late!);
    expect((await t.bot.services.subscriptions.get(late!.id))!.status).toBe('paused');
    expect((await t.bot.services.subscriptions.get(early!.id))!.status).toBe('active');
    expect(text(shown)).toContain(`Paused \`${ref(late!)}\`.`);
    expect(text(shown)).toMatch(/Your scheduled deliveries and alerts\* \(2\)/);
    expect(JSON.stringify(shown.blocks)).toContain(blockOf(early!));

    shown = await click(list.ts, ActionIds.subscriptionResume, late!);
    expect((await t.bot.services.subscriptions.get(late!.id))!.status).toBe('active');
    expect(text(shown)).toContain(`Resumed \`${ref(late!)}\`.`);

    // Delete on the second item deletes that one; the list is drawn without it, and says so.
    shown = await click(list.ts, ActionIds.subscriptionDelete, late!);
    expect(await t.bot.services.subscriptions.get(late!.id)).toBeNull();
    expect(await t.bot.services.subscriptions.get(early!.id)).not.toBeNull();
    expect(text(shown)).toContain(`Deleted \`${ref(late!)}\`. It will not run again.`);
    expect(text(shown)).toMatch(/Your scheduled deliveries and alerts\* \(1\)/);
    expect(JSON.stringify(shown.blocks)).not.toContain(late!.id);

    // Paused elsewhere (by BizOps): Pause on the list says it already is, and draws it as it now is.
    expect((await t.bot.services.subscriptions.pause(early!.id, BLAKE)).ok).toBe(true);
    shown = await click(list.ts, ActionIds.subscriptionPause, early!);
    expect(text(shown)).toMatch(/It is already paused \(changed since this was shown\)\. Nothing was changed\.[\s\S]*\(1\)[\s\S]*Paused/);
    expect(JSON.stringify(shown.blocks)).toContain(ActionIds.subscriptionResume);
    // And resumed elsewhere: Resume on a list that still shows it paused says it is already on.
    expect((await t.bot.services.subscriptions.resume(early!.id, BLAKE)).ok).toBe(true);
    shown = await click(list.ts, ActionIds.subscriptionResume, early!);
    expect(text(shown)).toMatch(/It is already on \(changed since this was shown\)\. Nothing was changed\./);
    expect(JSON.stringify(shown.blocks)).toContain(ActionIds.subscriptionPause);

    // Deleted elsewhere: Delete on the list says so, and the list is drawn without it.
    expect((await t.bot.services.subscriptions.remove(early!.id, BLAKE)).ok).toBe(true);
    shown = await click(list.ts, ActionIds.subscriptionDelete, early!);
    expect(text(shown)).toMatch(/no longer exists\.[\s\S]*No scheduled deliveries or alerts of yours\. Start one/);
    expect(await d.subscriptions()).toEqual([]);

    // From Manage (one item, under a delivery), Delete redraws that item in place: what was done, and no controls.
    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '06:30'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [only] = await d.subscriptions();
    await click((await listOf()).ts, ActionIds.subscriptionRunNow, only!);
    await t.drain();
    const delivered = await t.standin.waitFor(() => d.posts(CHANNEL, ref(only!)).at(-1));
    const manage = await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: delivered.ts, actionId: ActionIds.subscriptionManage, timeoutMs: 2_000 });
    const item = manage.replies.find((r) => r.message?.ephemeral)!.message!;
    await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: item.ts, actionId: ActionIds.subscriptionDelete, blockId: `${BlockIds.subscriptionActions}.${only!.id}`, timeoutMs: 2_000 });
    expect(await d.subscriptions()).toEqual([]);
    const redrawn = t.standin.conversation(CHANNEL).find((m) => m.ts === item.ts)!;
    expect(text(redrawn)).toContain(`:wastebasket: Deleted \`${ref(only!)}\`. It will not run again.`);
    expect(JSON.stringify(redrawn.blocks)).not.toContain(ActionIds.subscriptionDelete);

    // A forged click without a block_id is done and answered as such, not failed ("could not do that").
    const another = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(another.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '06:40'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [forged] = await d.subscriptions();
    const fromLog = t.logs.length;
    const shownList = await listOf();
    const paused = await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: shownList.ts, actionId: ActionIds.subscriptionPause, extra: { block_id: null }, timeoutMs: 2_000 });
    expect((await t.bot.services.subscriptions.get(forged!.id))!.status).toBe('paused');
    expect(JSON.stringify(paused.replies)).toContain('Paused');
    expect(JSON.stringify(paused.replies)).not.toContain('could not do that');
    expect(t.logs.slice(fromLog).filter((l) => /"severity":"ERROR"/.test(l))).toEqual([]);
    await t.bot.services.subscriptions.remove(forged!.id, RILEY);
  });

  it('redraws /query subscriptions, at its page, and Manage\'s item, once an Edit opened from them is saved; past its response_url, the DM says it', async () => {
    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '07:05'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [sub] = await d.subscriptions();
    const saved = () => t.standin.conversation(RILEY).filter((m) => text(m).includes(`Saved the delivery of *Instances by hosting* (\`${ref(sub!)}\`)`));
    const shown = (ts: string) => t.standin.conversation(CHANNEL).find((m) => m.ts === ts)!;
    /** Edit clicked in the message at `ts`, saved at `time`; `weekly`: on Mondays, the form redrawn for it first. */
    const editAndSave = async (ts: string, blockId: string, time: string, weekly = false) => {
      await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts, actionId: ActionIds.subscriptionEdit, blockId, timeoutMs: 2_000 });
      const form = await t.standin.waitFor(() => t.standin.modals(RILEY).at(-1));
      if (weekly) await d.kind(form.id, 'weekly');
      const when = weekly ? { ...schedule('weekly', time), [ActionIds.subscriptionDay]: 'mon' } : schedule('daily', time);
      expect((await d.submit(form.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...when, [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
      expect((await t.bot.services.subscriptions.get(sub!.id))!.schedule).toMatchObject({ time });
    };
    try {
      // From the list: drawn again with the new time, headed by what was done, and still the list.
      const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL });
      const list = replies.find((r) => r.message?.ephemeral)!.message!;
      expect(text(list)).toMatch(/7:05/);
      await editAndSave(list.ts, `${BlockIds.subscriptionActions}.${sub!.id}.listed`, '07:50');
      await vi.waitFor(() => expect(text(shown(list.ts))).toContain(`:white_check_mark: Saved the changes to \`${ref(sub!)}\`.`), { timeout: 5_000 });
      expect(text(shown(list.ts))).toMatch(/7:50/);
      expect(text(shown(list.ts))).not.toMatch(/7:05/);
      expect(text(shown(list.ts))).toMatch(/Your scheduled deliveries and alerts\* \(1\)/);
      expect(saved()).toHaveLength(1);

      // From Manage's item (under a delivery), the form redrawn for another kind of schedule before it is saved: that
      // item is drawn again; the delivery, seen by the channel, stays.
      await t.bot.services.subscriptions.runNow(sub!.id, RILEY);
      await t.drain();
      const delivered = await t.standin.waitFor(() => d.posts(CHANNEL, ref(sub!)).at(-1));
      const manage = await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: delivered.ts, actionId: ActionIds.subscriptionManage, timeoutMs: 2_000 });
      const item = manage.replies.find((r) => r.message?.ephemeral)!.message!;
      await editAndSave(item.ts, `${BlockIds.subscriptionActions}.${sub!.id}`, '08:20', true);
      await vi.waitFor(() => expect(text(shown(item.ts))).toContain(`Saved the changes to \`${ref(sub!)}\`.`), { timeout: 5_000 });
      expect(text(shown(item.ts))).toMatch(/Monday at 08:20/);
      expect(JSON.stringify(shown(item.ts).blocks)).toContain(ActionIds.subscriptionEdit);
      expect(text(shown(delivered.ts))).not.toContain('Saved the changes');

      // A response_url Slack no longer takes (past its 30 minutes): saved, said by DM, the list left as it was, nothing failed.
      const fromLog = t.logs.length;
      t.standin.failNext('response_url', 'expired_url');
      await editAndSave(list.ts, `${BlockIds.subscriptionActions}.${sub!.id}.listed`, '09:10');
      await vi.waitFor(() => expect(saved()).toHaveLength(3), { timeout: 5_000 });
      await vi.waitFor(() => expect(t.logs.slice(fromLog).join('\n')).toContain('not drawn again'), { timeout: 5_000 });
      expect(text(shown(list.ts))).toMatch(/7:50/);
      expect(t.logs.slice(fromLog).filter((l) => /"severity":"(ERROR|WARNING)"/.test(l))).toEqual([]);
      // The response_url kept in the form is a credential: no line of the bot's own names it.
      expect(t.logs.slice(fromLog).filter((l) => !/"severity":"DEBUG"/.test(l) && l.includes('/response/'))).toEqual([]);
    } finally {
      await t.bot.services.subscriptions.remove(sub!.id, RILEY);
    }
  });

  it('Manage on App Home opens a modal with the controls, each redrawing it in place (a Home click has no response_url)', async () => {
    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '05:15'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [sub] = await d.subscriptions();
    const fromLog = t.logs.length;
    const publishes = t.standin.callsTo('views.publish').length;
    expect((await t.standin.openHome(t.client, { userId: RILEY })).status).toBe(200);
    await t.standin.waitFor(() => t.standin.callsTo('views.publish').length > publishes && t.standin.callsTo('views.publish').at(-1)?.result);
    const home = t.standin.homeView(RILEY)!;
    expect(JSON.stringify(home.blocks)).toContain(ActionIds.subscriptionManage);
    const top = () => t.standin.modals(RILEY).at(-1);
    const click = async (viewId: string, actionId: string) => {
      await t.standin.clickAction(t.client, { userId: RILEY, viewId, actionId, timeoutMs: 300 });
      return t.standin.view(viewId);
    };

    await t.standin.clickAction(t.client, { userId: RILEY, viewId: home.id, actionId: ActionIds.subscriptionManage, timeoutMs: 300 });
    const manage = await t.standin.waitFor(() => top());
    expect((manage.title as { text?: string }).text).toBe('Scheduled delivery');
    expect(text(manage)).toContain(ref(sub!));
    expect(JSON.stringify(manage.blocks)).toContain(ActionIds.subscriptionPause);

    let shown = await click(manage.id, ActionIds.subscriptionPause);
    expect((await t.bot.services.subscriptions.get(sub!.id))!.status).toBe('paused');
    expect(text(shown)).toContain(`Paused \`${ref(sub!)}\`.`);
    expect(JSON.stringify(shown!.blocks)).toContain(ActionIds.subscriptionResume);
    // Home, behind the modal, is drawn again: closing the modal shows it paused.
    await t.standin.waitFor(() => (/Paused/.test(text(t.standin.homeView(RILEY))) ? true : undefined));

    shown = await click(manage.id, ActionIds.subscriptionResume);
    expect((await t.bot.services.subscriptions.get(sub!.id))!.status).toBe('active');
    expect(text(shown)).toContain(`Resumed \`${ref(sub!)}\`.`);

    // Edit goes on top of it; closing the form comes back to it.
    await click(manage.id, ActionIds.subscriptionEdit);
    const form = await t.standin.waitFor(() => (top()?.id !== manage.id ? top() : undefined));
    expect((form.title as { text?: string }).text).toBe('Edit delivery');
    expect(JSON.stringify(form.blocks)).toContain('Send it to me as a DM instead');
    await t.standin.closeView(t.client, { userId: RILEY });
    expect(top()?.id).toBe(manage.id);
    // Saved from on top of it, both close (the Manage modal would show the old time), and the DM says so.
    await click(manage.id, ActionIds.subscriptionEdit);
    const again = await t.standin.waitFor(() => (top()?.id !== manage.id ? top() : undefined));
    const saved = await d.submit(again.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '05:45'), [ActionIds.subscriptionFormat]: 'table' });
    expect(saved.responseAction).toBe('clear');
    expect(top()).toBeUndefined();
    expect((await t.bot.services.subscriptions.get(sub!.id))!.schedule).toMatchObject({ time: '05:45' });
    await t.standin.clickAction(t.client, { userId: RILEY, viewId: home.id, actionId: ActionIds.subscriptionManage, timeoutMs: 300 });
    await t.standin.waitFor(() => (top() && top()!.id !== manage.id ? top() : undefined));
    const reopened = top()!;

    shown = await click(reopened.id, ActionIds.subscriptionDelete);
    expect(await d.subscriptions()).toEqual([]);
    expect(text(shown)).toContain(`Deleted \`${ref(sub!)}\`. It will not run again.`);
    expect(JSON.stringify(shown!.blocks)).not.toContain(ActionIds.subscriptionRunNow);
    await t.standin.closeView(t.client, { userId: RILEY });
    await t.standin.waitFor(() => (!text(t.standin.homeView(RILEY)).includes(ref(sub!)) ? true : undefined));

    // Deleted elsewhere while its modal is open: the next click there says it is gone.
    const other = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(other.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '05:20'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [second] = await d.subscriptions();
    await t.standin.openHome(t.client, { userId: RILEY });
    await t.standin.waitFor(() => (text(t.standin.homeView(RILEY)).includes(ref(second!)) ? true : undefined));
    await t.standin.clickAction(t.client, { userId: RILEY, viewId: t.standin.homeView(RILEY)!.id, actionId: ActionIds.subscriptionManage, timeoutMs: 300 });
    const open = await t.standin.waitFor(() => top());
    // Its edit form open too: saved after the delete, the form says so in its place, naming it and how to start again.
    await click(open.id, ActionIds.subscriptionEdit);
    const editing = await t.standin.waitFor(() => (top()?.id !== open.id ? top() : undefined));
    expect((await t.bot.services.subscriptions.remove(second!.id, BLAKE)).ok).toBe(true);
    const late = await d.submit(editing.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '06:20'), [ActionIds.subscriptionFormat]: 'table' });
    expect(late.responseAction).toBe('update');
    expect(text(top())).toBe(`:wastebasket: The scheduled delivery \`${ref(second!)}\` was deleted after this form was opened, so your changes were not saved. To set it up again: \`/query subscribe instances-by-hosting\`.`);
    expect(await d.subscriptions()).toEqual([]);
    await t.standin.closeView(t.client, { userId: RILEY });
    expect(top()?.id).toBe(open.id);
    const missing = await click(open.id, ActionIds.subscriptionPause);
    expect(text(missing)).toContain('no longer exists');
    expect(JSON.stringify(missing!.blocks)).not.toContain(ActionIds.subscriptionResume);
    await t.standin.closeView(t.client, { userId: RILEY });
    expect(t.logs.slice(fromLog).filter((l) => /"severity":"ERROR"|not drawn/.test(l))).toEqual([]);
  });

  it('refuses the same delivery twice (a copy would post everything twice), saying which one it is; another time, or another owner, is saved', async () => {
    const values = { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '07:45'), [ActionIds.subscriptionFormat]: 'table' };
    expect((await d.submit((await d.open('subscribe instances-by-hosting')).id, values)).responseAction).toBeUndefined();
    const [first] = await d.subscriptions();
    const copy = await d.submit((await d.open('subscribe instances-by-hosting')).id, values);
    expect(copy.responseAction).toBe('errors');
    expect(copy.errors?.[BlockIds.subscriptionChannel]).toBe(`You already have this delivery: ${subscriptionRef(first!.id)}. Change something about it, or manage it with /query subscriptions.`);
    expect(await d.subscriptions()).toHaveLength(1);
    await t.standin.closeView(t.client, { userId: RILEY });
    expect((await d.submit((await d.open('subscribe instances-by-hosting')).id, { ...values, ...schedule('daily', '07:50') })).responseAction).toBeUndefined();
    expect((await d.submit((await d.open('subscribe instances-by-hosting', BLAKE)).id, values, BLAKE)).responseAction).toBeUndefined();
    expect(await d.subscriptions()).toHaveLength(3);
    // An edit that would make one the copy of another is refused too, by its owner or by BizOps; an edit that
    // changes nothing is not (it is not a copy of itself).
    const later = (await d.subscriptions()).find((x) => x.owner === RILEY && x.id !== first!.id)!;
    const draft = { kind: 'delivery' as const, query: 'instances-by-hosting', params: {}, channel: CHANNEL, schedule: { kind: 'daily', time: '07:45', tz: 'America/New_York' }, format: 'table' };
    const own = await t.bot.services.subscriptions.update(later.id, RILEY, draft);
    expect(own).toMatchObject({ ok: false, errors: { limit: `You already have this delivery: ${subscriptionRef(first!.id)}. Change something about it, or manage it with /query subscriptions.` } });
    expect(await t.bot.services.subscriptions.update(later.id, BLAKE, draft)).toMatchObject({ ok: false, errors: { limit: expect.stringMatching(/^Its owner already has this delivery: /) } });
    expect((await t.bot.services.subscriptions.get(later.id))!.schedule).toMatchObject({ time: '07:50' });
    expect(await t.bot.services.subscriptions.update(first!.id, RILEY, draft)).toMatchObject({ ok: true });
    for (const s of await d.subscriptions()) await t.bot.services.subscriptions.remove(s.id, s.owner);
  });

  it('counts a customer written another way (a name, a domain, another case) as the same customer: the copy is refused', async () => {
    const subs = t.bot.services.subscriptions;
    const draft = (customer: string, since = '-14d') => ({ kind: 'delivery' as const, query: 'customer-pings-per-day', params: { customer, since }, channel: CHANNEL, schedule: { kind: 'daily', time: '06:05' }, format: 'chart' });
    const made = await subs.create(RILEY, draft('acme'), `customer-twin-${randomUUID()}`);
    if (!made.ok) throw new Error(JSON.stringify(made));
    const refusal = `You already have this delivery: ${subscriptionRef(made.subscription.id)}. Change something about it, or manage it with /query subscriptions.`;
    for (const written of ['ACME.com', 'Acme Corp', 'https://www.acme.com/pricing']) {
      expect(await subs.create(RILEY, draft(written), `customer-twin-${randomUUID()}`)).toEqual({ ok: false, errors: { limit: refusal } });
    }
    // Another customer, or another value beside the same one, is another delivery; an edit of the one to itself is no copy.
    const globex = await subs.create(RILEY, draft('globex'), `customer-twin-${randomUUID()}`);
    const longer = await subs.create(RILEY, draft('acme.com', '-30d'), `customer-twin-${randomUUID()}`);
    expect([globex.ok, longer.ok]).toEqual([true, true]);
    expect(await subs.update(made.subscription.id, RILEY, draft('Acme Corp'))).toMatchObject({ ok: true });
    // And an edit that would make one the copy of another by its customer is refused.
    if (!globex.ok) throw new Error('unreachable');
    expect(await subs.update(globex.subscription.id, RILEY, draft('ACME'))).toEqual({ ok: false, errors: { limit: refusal } });
    for (const s of await d.subscriptions()) await subs.remove(s.id, s.owner);
  });

  it('says so plainly when Slack refuses to look channels up (an installation without the new scopes), and saves nothing', async () => {
    const modal = await d.open('subscribe instances-by-hosting');
    t.standin.failNext('conversations.info', 'missing_scope');
    const r = await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' });
    expect(r.errors?.[BlockIds.subscriptionChannel]).toMatch(/not allowed to look up channels yet \(the app needs its channels:read and groups:read scopes\)\. Ask whoever runs analytics-bot to reinstall it/);
    expect(await d.subscriptions()).toEqual([]);
    await t.standin.closeView(t.client, { userId: RILEY });
  });

  it('refuses a private channel its submitter is not in, in the words for one that does not exist, and stores nothing; someone in it saves it', async () => {
    const values = (channel: string) => ({ [ActionIds.subscriptionChannel]: channel, ...schedule('daily', '06:15'), [ActionIds.subscriptionFormat]: 'table' });
    // A tampered form (Slack's picker lists only the channels Riley can see) naming a private channel the bot is in and Riley is not.
    const modal = await d.open('subscribe instances-by-hosting');
    const ghost = (await d.submit(modal.id, values('C0GHOST'))).errors?.[BlockIds.subscriptionChannel];
    expect(ghost).toMatch(/cannot see that channel/);
    const hidden = await d.submit(modal.id, values(PRIVATE));
    expect(hidden.responseAction).toBe('errors');
    expect(hidden.errors).toEqual({ [BlockIds.subscriptionChannel]: ghost });
    expect(await d.subscriptions()).toEqual([]);
    // Slack could not say who is in it: "try again", never a yes.
    t.standin.failNext('conversations.members', 'fetch_members_failed');
    expect((await d.submit(modal.id, values(PRIVATE))).errors?.[BlockIds.subscriptionChannel]).toMatch(/could not check that channel with Slack just now; try again/);
    expect(await d.subscriptions()).toEqual([]);
    await t.standin.closeView(t.client, { userId: RILEY });
    // An alert the same.
    const alert = await d.open('alert weekly-active-instances');
    const alertValues = { [ActionIds.subscriptionChannel]: PRIVATE, ...schedule('daily', '06:15'), [ActionIds.alertColumn]: 'instances', [ActionIds.alertOp]: 'above', [ActionIds.alertValue]: '5' };
    expect((await d.submit(alert.id, alertValues)).errors?.[BlockIds.subscriptionChannel]).toBe(ghost);
    await t.standin.closeView(t.client, { userId: RILEY });
    expect(await d.subscriptions()).toEqual([]);
    // Blake is in it: his is saved, to that channel.
    const his = await d.open('subscribe instances-by-hosting', BLAKE);
    expect((await d.submit(his.id, values(PRIVATE), BLAKE)).responseAction).toBeUndefined();
    const saved = await d.subscriptions();
    expect(saved.map((s) => [s.owner, s.target])).toEqual([[BLAKE, { kind: 'channel', channel: PRIVATE }]]);
    // Riley's own delivery cannot be moved there by Edit either.
    const mine = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(mine.id, values(CHANNEL))).responseAction).toBeUndefined();
    const sub = (await d.subscriptions()).find((s) => s.owner === RILEY)!;
    try {
      const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL });
      const list = replies.find((r) => r.message?.ephemeral)!.message!;
      await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionEdit, blockId: `${BlockIds.subscriptionActions}.${sub.id}.listed`, timeoutMs: 300 });
      const form = await t.standin.waitFor(() => t.standin.modals(RILEY).at(-1));
      expect((await d.submit(form.id, values(PRIVATE))).errors).toEqual({ [BlockIds.subscriptionChannel]: ghost });
      expect((await t.bot.services.subscriptions.get(sub.id))!.target).toEqual({ kind: 'channel', channel: CHANNEL });
      await t.standin.closeView(t.client, { userId: RILEY, clearAll: true });
      // Riley's in a private channel he is in; BizOps, not in it, may change its time: the edit posts nowhere new.
      const another = await d.open('subscribe instances-by-hosting');
      expect((await d.submit(another.id, values(RILEYS))).responseAction).toBeUndefined();
      const inHis = (await d.subscriptions()).find((s) => s.owner === RILEY && s.target.kind === 'channel' && s.target.channel === RILEYS)!;
      const listed = (await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: BLAKE, channelId: CHANNEL })).replies.find((r) => r.message?.ephemeral)!.message!;
      await t.standin.clickAction(t.client, { userId: BLAKE, channelId: CHANNEL, ts: listed.ts, actionId: ActionIds.subscriptionEdit, blockId: `${BlockIds.subscriptionActions}.${inHis.id}.listed`, timeoutMs: 300 });
      const bizopsForm = await t.standin.waitFor(() => t.standin.modals(BLAKE).at(-1));
      expect((await d.submit(bizopsForm.id, { ...values(RILEYS), [ActionIds.subscriptionTime]: '07:45' }, BLAKE)).responseAction).toBeUndefined();
      expect(await t.bot.services.subscriptions.get(inHis.id)).toMatchObject({ target: { kind: 'channel', channel: RILEYS }, schedule: { time: '07:45' } });
      expect(t.standin.takeViolations()).toEqual([]);
    } finally {
      for (const s of await d.subscriptions()) await t.bot.services.subscriptions.remove(s.id, s.owner);
    }
  });

  it('says by DM when a save whose checks were slow goes through, and saves once when the button is pressed again', async () => {
    const confirmations = () => t.standin.conversation(RILEY).filter((m) => /Scheduled a delivery of \*Instances by hosting/.test(text(m)));
    const before = confirmations().length;
    const modal = await d.open('subscribe instances-by-hosting');
    // The warehouse takes 2.5 s to answer the cost check's dry run: past the 2 s the form may wait.
    const slow = slowDryRuns(t);
    try {
      const values = { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' };
      const r = await d.submit(modal.id, values);
      expect(r.errors?.[BlockIds.subscriptionChannel]).toMatch(/slow to answer my checks/);
      // The person may close the form now: the save goes on, and they hear of it.
      await t.standin.waitFor(() => (confirmations().length === before + 1 ? true : undefined), { timeoutMs: 10_000 });
      expect(await d.subscriptions()).toHaveLength(1);
      // Pressed again: the same one, not a second, and no second DM.
      const again = await d.submit(modal.id, values);
      expect(again.responseAction).toBeUndefined();
      await new Promise((res) => setTimeout(res, 500));
      expect(await d.subscriptions()).toHaveLength(1);
      expect(confirmations()).toHaveLength(before + 1);
    } finally {
      slow.restore();
    }
    for (const s of await d.subscriptions()) await t.bot.services.subscriptions.remove(s.id, RILEY);
  });

  it('says by DM once when an edit whose checks were slow goes through, and answers at once when its button is pressed again', async () => {
    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '05:05'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [sub] = await d.subscriptions();
    const saved = () => t.standin.conversation(RILEY).filter((m) => text(m).includes('Saved the delivery of *Instances by hosting*') && text(m).includes(ref(sub!)));
    const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL });
    const list = replies.find((r) => r.message?.ephemeral)!.message!;
    await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionEdit, blockId: `${BlockIds.subscriptionActions}.${sub!.id}.listed`, timeoutMs: 300 });
    const form = await t.standin.waitFor(() => t.standin.modals(RILEY).at(-1));
    const slow = slowDryRuns(t);
    try {
      const values = { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '05:35'), [ActionIds.subscriptionFormat]: 'table' };
      expect((await d.submit(form.id, values)).errors?.[BlockIds.subscriptionChannel]).toMatch(/slow to answer my checks/);
      await t.standin.waitFor(() => (saved().length === 1 ? true : undefined), { timeoutMs: 10_000 });
      // Pressed again, as the form says: it answers at once (the warehouse, slow again, is not asked again), closes,
      // and no second DM says it was saved.
      slow.next();
      expect((await d.submit(form.id, values)).responseAction).toBeUndefined();
      await new Promise((res) => setTimeout(res, 500));
      expect((await t.bot.services.subscriptions.get(sub!.id))!.schedule).toMatchObject({ time: '05:35' });
      expect(saved()).toHaveLength(1);
    } finally {
      slow.restore();
      await t.bot.services.subscriptions.remove(sub!.id, RILEY);
    }
  });

  it('cuts a long parameter to what its input takes, never inside an emoji (half of one is not valid UTF-8)', async () => {
    // 301 UTF-16 units, the 200th the first half of an emoji.
    const modal = await d.open(`subscribe customer-pings-per-day customer=a${'😀'.repeat(150)}`);
    const strings: string[] = [];
    JSON.parse(JSON.stringify(modal), (_k, v: unknown) => (typeof v === 'string' && strings.push(v), v));
    const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    expect(strings.filter((s) => lone.test(s))).toEqual([]);
    expect(strings).toContain(`a${'😀'.repeat(99)}`);
    await t.standin.closeView(t.client, { userId: RILEY, clearAll: true });
  });

  it('says the times are in UTC, not "your Slack time zone", when Slack could not say what the person\'s time zone is', async () => {
    t.standin.failNext('users.info', 'internal_error');
    const modal = await d.open('subscribe instances-by-hosting');
    expect(text(modal)).toContain('Times are in *UTC*: I could not read your Slack time zone just now.');
    expect(text(modal)).not.toContain('your Slack time zone: *UTC*');
    // Redrawn for another schedule kind, it still says so.
    await d.kind(modal.id, 'weekly');
    expect(text(t.standin.view(modal.id))).toContain('Times are in *UTC*: I could not read your Slack time zone just now.');
    await t.standin.closeView(t.client, { userId: RILEY, clearAll: true });
    // Saved so, it is in UTC, as the form said.
    const again = await (async () => {
      t.standin.failNext('users.info', 'internal_error');
      return d.open('subscribe instances-by-hosting');
    })();
    expect((await d.submit(again.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '05:25'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [sub] = await d.subscriptions();
    expect(sub!.schedule).toMatchObject({ time: '05:25', tz: 'UTC' });
    await t.bot.services.subscriptions.remove(sub!.id, RILEY);
  });

  it("tells BizOps editing someone else's delivery that its times are in its owner's time zone, not their own", async () => {
    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '05:10'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [sub] = await d.subscriptions();
    try {
      const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: BLAKE, channelId: CHANNEL });
      const list = replies.find((r) => r.message?.ephemeral)!.message!;
      await t.standin.clickAction(t.client, { userId: BLAKE, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionEdit, blockId: `${BlockIds.subscriptionActions}.${sub!.id}.listed`, timeoutMs: 300 });
      const form = await t.standin.waitFor(() => t.standin.modals(BLAKE).at(-1));
      expect(text(form)).toContain("Times are in *America/New_York*, its owner's time zone when it was set up");
      expect(text(form)).not.toContain('your Slack time zone');
      await t.standin.closeView(t.client, { userId: BLAKE, clearAll: true });
    } finally {
      await t.bot.services.subscriptions.remove(sub!.id, RILEY);
    }
  });

  it('saves one of the same delivery submitted at once from three forms; the others are told which it is', async () => {
    const same = { kind: 'delivery' as const, query: 'instances-by-hosting', params: {}, channel: CHANNEL, schedule: { kind: 'daily', time: '06:40' }, format: 'table' };
    // Each one's checks pass before any is saved: all three reach their transaction together.
    const store = t.store as { runTransaction: Store['runTransaction'] };
    const runTransaction = store.runTransaction;
    let arrived = 0;
    let allThere = () => {};
    const together = new Promise<void>((resolve) => (allThere = resolve));
    store.runTransaction = async <R>(body: (tx: StoreTx) => Promise<R>): Promise<R> => {
      if (++arrived === 3) allThere();
      await Promise.race([together, new Promise((r) => setTimeout(r, 3_000))]);
      return runTransaction.call(t.store, body) as Promise<R>;
    };
    let results;
    try {
      results = await Promise.all([0, 1, 2].map((i) => t.bot.services.subscriptions.create(RILEY, same, `twin-${i}-${randomUUID()}`)));
    } finally {
      store.runTransaction = runTransaction;
    }
    const saved = await d.subscriptions();
    expect(saved).toHaveLength(1);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const refused = results.flatMap((r) => (!r.ok && 'errors' in r ? [r.errors.limit ?? ''] : []));
    expect(refused).toEqual([0, 1].map(() => `You already have this delivery: ${subscriptionRef(saved[0]!.id)}. Change something about it, or manage it with /query subscriptions.`));
    for (const s of saved) await t.bot.services.subscriptions.remove(s.id, RILEY);
  });

  it('answers a submission delivered again, while its first delivery saves it, as saved: not "you already have this" naming the one it saved', async () => {
    const same = { kind: 'delivery' as const, query: 'instances-by-hosting', params: {}, channel: CHANNEL, schedule: { kind: 'daily', time: '06:50' }, format: 'table' };
    const key = `again-${randomUUID()}`;
    const subs = t.bot.services.subscriptions as unknown as { check: (...args: unknown[]) => Promise<unknown> };
    const check = subs.check;
    let first: SaveResult | undefined;
    // The second delivery has found nothing saved under its key; the first saves it before the second's checks run.
    subs.check = async (...args: unknown[]) => {
      subs.check = check;
      first = await t.bot.services.subscriptions.create(RILEY, same, key);
      return check.apply(subs, args);
    };
    let again;
    try {
      again = await t.bot.services.subscriptions.create(RILEY, same, key);
    } finally {
      subs.check = check;
    }
    expect(first).toMatchObject({ ok: true });
    const saved = (first as { subscription: Subscription }).subscription;
    expect(again).toEqual({ ok: true, subscription: saved, replayed: true });
    expect((await d.subscriptions()).filter((x) => x.schedule.kind === 'daily' && (x.schedule as { time?: string }).time === '06:50')).toHaveLength(1);
    await t.bot.services.subscriptions.remove(saved.id, RILEY);
  });

  it.each(['the creation', 'the edit'])('saves one of an edit and a creation that make the same delivery at once (%s saved first); the other is told which it is', async (first) => {
    const draft = (time: string) => ({ kind: 'delivery' as const, query: 'instances-by-hosting', params: {}, channel: CHANNEL, schedule: { kind: 'daily', time }, format: 'table' });
    const made = await t.bot.services.subscriptions.create(RILEY, draft('06:40'), `edit-twin-${randomUUID()}`);
    expect(made.ok).toBe(true);
    const id = (made as { subscription: Subscription }).subscription.id;
    // The edit's checks and the creation's pass before either is saved; then `first` commits, and the other after it.
    const store = t.store as { runTransaction: Store['runTransaction'] };
    const runTransaction = store.runTransaction;
    let firstDone = () => {};
    const firstCommitted = new Promise<void>((resolve) => (firstDone = resolve));
    const arrivals: string[] = [];
    let bothThere = () => {};
    const together = new Promise<void>((resolve) => (bothThere = resolve));
    store.runTransaction = async <R>(body: (tx: StoreTx) => Promise<R>): Promise<R> => {
      // Which of the two this is: the service's method on the stack.
      const which = /SubscriptionService\.update|\.update \(/.test(new Error().stack ?? '') ? 'the edit' : 'the creation';
      arrivals.push(which);
      if (arrivals.length === 2) bothThere();
      await Promise.race([together, new Promise((r) => setTimeout(r, 3_000))]);
      if (which !== first) await Promise.race([firstCommitted, new Promise((r) => setTimeout(r, 3_000))]);
      try {
        return (await runTransaction.call(t.store, body)) as R;
      } finally {
        if (which === first) firstDone();
      }
    };
    let results;
    try {
      results = await Promise.all([
        t.bot.services.subscriptions.update(id, RILEY, draft('07:40')),
        t.bot.services.subscriptions.create(RILEY, draft('07:40'), `edit-twin-${randomUUID()}`),
      ]);
    } finally {
      store.runTransaction = runTransaction;
    }
    expect(arrivals.sort()).toEqual(['the creation', 'the edit']);
    const [edit, creation] = results;
    expect(first === 'the edit' ? [edit!.ok, creation!.ok] : [creation!.ok, edit!.ok]).toEqual([true, false]);
    const saved = await d.subscriptions();
    // Never two at 07:40: the edit saved (one, at 07:40), or the creation (the first one left at 06:40).
    expect(saved.map((s) => (s.schedule as { time: string }).time).sort()).toEqual(first === 'the edit' ? ['07:40'] : ['06:40', '07:40']);
    const twin = saved.find((s) => (s.schedule as { time: string }).time === '07:40')!;
    const refused = results.flatMap((r) => (!r.ok && 'errors' in r ? [r.errors.limit ?? ''] : []));
    expect(refused).toEqual([`You already have this delivery: ${subscriptionRef(twin.id)}. Change something about it, or manage it with /query subscriptions.`]);
    for (const s of saved) await t.bot.services.subscriptions.remove(s.id, RILEY);
  });

  it('counts creations sent at once against the limit one after another: never more than the limit', async () => {
    const draft = (i: number) => ({ kind: 'delivery' as const, query: 'instances-by-hosting', params: {}, channel: CHANNEL, schedule: { kind: 'daily', time: `0${i}:15` }, format: 'table' });
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => t.bot.services.subscriptions.create(RILEY, draft(i), `at-once-${i}-${randomUUID()}`)));
    expect(results.filter((r) => r.ok)).toHaveLength(6);
    const refused = results.flatMap((r) => (!r.ok && 'errors' in r ? [r.errors.limit ?? ''] : []));
    expect(refused).toHaveLength(3);
    for (const why of refused) expect(why).toMatch(/the most one person may have \(6\)/);
    expect(await d.subscriptions()).toHaveLength(6);
    for (const s of await d.subscriptions()) await t.bot.services.subscriptions.remove(s.id, RILEY);
  });

  it('saves an edit of a paused one paused, and says so; Resume starts it again', async () => {
    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [sub] = await d.subscriptions();
    expect((await t.bot.services.subscriptions.pause(sub!.id, BLAKE)).ok).toBe(true);
    const draft = { kind: 'delivery' as const, query: 'instances-by-hosting', params: {}, channel: CHANNEL, schedule: { kind: 'daily', time: '10:00' }, format: 'table' };
    const saved = await t.bot.services.subscriptions.update(sub!.id, RILEY, draft);
    expect(saved).toMatchObject({ ok: true, subscription: { status: 'paused', nextRunAt: null } });
    expect(subscriptionSavedMessage((saved as { subscription: Subscription }).subscription, 'Instances by hosting', true).text).toMatch(/It stays paused: Resume it to start it again\./);
    expect((await t.bot.services.subscriptions.get(sub!.id))).toMatchObject({ status: 'paused', nextRunAt: null, schedule: expect.objectContaining({ time: '10:00' }) });
    expect((await t.bot.services.subscriptions.resume(sub!.id, RILEY)).ok).toBe(true);
    expect((await t.bot.services.subscriptions.get(sub!.id))!.nextRunAt).toEqual(expect.any(Number));
    // An edit of an active one keeps it active, with the next run of the new schedule.
    expect(await t.bot.services.subscriptions.update(sub!.id, RILEY, { ...draft, schedule: { kind: 'daily', time: '11:00' } })).toMatchObject({ ok: true, subscription: { status: 'active', nextRunAt: expect.any(Number) } });
    await t.bot.services.subscriptions.remove(sub!.id, RILEY);
  });

  it('still sends a run that was due when it was edited (same schedule, new settings); a new time of day is followed from then on', async () => {
    t.setTime(at('2026-12-20T16:00:00Z')); // 08:00 in Los Angeles, Blake's time zone
    const modal = await d.open('subscribe instances-by-hosting', BLAKE);
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' }, BLAKE)).responseAction).toBeUndefined();
    const sub = (await d.subscriptions()).find((s) => s.owner === BLAKE)!;
    try {
      expect(sub.nextRunAt).toBe(at('2026-12-20T17:00:00Z'));
      // The confirmation DM is sent (its job, kicked by the save, would otherwise run the 09:00 run too once the clock is on).
      await t.standin.waitFor(() => t.standin.conversation(BLAKE).find((m) => /Scheduled a delivery/.test(text(m)) && text(m).includes(ref(sub))));
      await t.drain();
      // 09:00:20: the run is due, and the runner has not got to it yet when the owner saves a change of format.
      t.setTime(at('2026-12-20T17:00:20Z'));
      const draft = { kind: 'delivery' as const, query: 'instances-by-hosting', params: {}, channel: CHANNEL, schedule: { kind: 'daily', time: '09:00', tz: 'America/Los_Angeles' }, format: 'chart' };
      expect(await t.bot.services.subscriptions.update(sub.id, BLAKE, draft)).toMatchObject({ ok: true, subscription: { nextRunAt: at('2026-12-20T17:00:00Z') } });
      await t.drain();
      const posts = d.posts(CHANNEL, ref(sub));
      expect(posts).toHaveLength(1);
      expect(posts[0]!.files?.length).toBe(1); // the new format: a chart
      expect(await t.bot.services.subscriptions.get(sub.id)).toMatchObject({ nextRunAt: at('2026-12-21T17:00:00Z'), lastRun: { outcome: 'delivered', dueAt: at('2026-12-20T17:00:00Z') } });
      // The next day, due again, the owner moves it to 10:00: that day's run is the 10:00 one, not both.
      t.setTime(at('2026-12-21T17:00:20Z'));
      expect(await t.bot.services.subscriptions.update(sub.id, BLAKE, { ...draft, schedule: { ...draft.schedule, time: '10:00' } })).toMatchObject({ ok: true, subscription: { nextRunAt: at('2026-12-21T18:00:00Z') } });
      await t.drain();
      expect(d.posts(CHANNEL, ref(sub))).toHaveLength(1);
      await d.tick('2026-12-21T18:00:20Z');
      expect(d.posts(CHANNEL, ref(sub))).toHaveLength(2);
      // A due run whose job has ended without moving the subscription on (it failed with no record): an edit
      // follows the schedule from now on, rather than keeping a time nothing will run.
      t.setTime(at('2026-12-22T18:00:20Z'));
      const key = runJob(sub, at('2026-12-22T18:00:00Z')).key;
      await t.store.transition('jobs', key, () => true, () => ({ state: 'failed', runAt: null }));
      expect(await t.bot.services.subscriptions.update(sub.id, BLAKE, { ...draft, schedule: { ...draft.schedule, time: '10:00' } })).toMatchObject({ ok: true, subscription: { nextRunAt: at('2026-12-23T18:00:00Z') } });
    } finally {
      // Removed whatever happens: the next test takes the first subscription it finds as its own.
      await t.bot.services.subscriptions.remove(sub.id, BLAKE);
    }
  });

  it('runs once for a double click on Run now, telling the second click a run is on its way', async () => {
    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const [sub] = await d.subscriptions();
    const results = await Promise.all([t.bot.services.subscriptions.runNow(sub!.id, RILEY), t.bot.services.subscriptions.runNow(sub!.id, BLAKE), t.bot.services.subscriptions.runNow(sub!.id, RILEY)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'already')).toHaveLength(2);
    await t.standin.waitFor(() => (d.posts(CHANNEL, ref(sub!)).length > 0 ? true : undefined), { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(d.posts(CHANNEL, ref(sub!))).toHaveLength(1);
    const audit = (await t.store.recentAudit(50)).filter((e) => e.subject === sub!.id && e.action === 'subscription.run_now');
    expect(audit).toHaveLength(1);
    // Once that run is recorded, Run now runs it again at once (not a minute later).
    for (const deadline = Date.now() + 15_000; !(await t.bot.services.subscriptions.get(sub!.id))?.lastRun?.manual; await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error('the run now was not recorded');
    }
    expect((await t.bot.services.subscriptions.runNow(sub!.id, RILEY)).ok).toBe(true);
    await t.standin.waitFor(() => (d.posts(CHANNEL, ref(sub!)).length === 2 ? true : undefined), { timeoutMs: 15_000 });
    await t.bot.services.subscriptions.remove(sub!.id, RILEY);
  });

  it('keeps a later Run now on its way held when an earlier one, which outlived its minute, ends', async () => {
    const sub = await d.subscribe('instances-by-hosting', { [ActionIds.subscriptionFormat]: 'table' });
    const subs = t.bot.services.subscriptions;
    // A later click's run is on its way (its hold names it); the earlier run, due a minute and more before, ends now.
    await t.store.runTransaction(async (tx) => tx.put('subscription_runs_now', sub.id, { by: BLAKE, expiresAt: Date.now() + 60_000, dueAt: 2_000_000 }));
    await t.store.runTransaction((tx) => subs.recordRun(tx, sub.id, { dueAt: 1_000_000, manual: true, outcome: 'delivered' }));
    expect(await subs.runNow(sub.id, RILEY)).toMatchObject({ ok: false, reason: 'already' });
    // Its own end lets the next click run it.
    await t.store.runTransaction((tx) => subs.recordRun(tx, sub.id, { dueAt: 2_000_000, manual: true, outcome: 'delivered' }));
    expect((await subs.runNow(sub.id, RILEY)).ok).toBe(true);
    await t.drain();
    await subs.remove(sub.id, RILEY);
  });

  it('runs once for a double click on Run now whose first run ended before the second click came (a cached query)', async () => {
    const modal = await d.open('subscribe instances-by-hosting');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' })).responseAction).toBeUndefined();
    const sub = (await d.subscriptions()).sort((a, b) => b.createdAt - a.createdAt)[0]!;
    const subs = t.bot.services.subscriptions;
    const list = (await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL })).replies.find((r) => r.message?.ephemeral)!.message!;
    const click = (userId: string, ts = list.ts) => t.standin.clickAction(t.client, { userId, channelId: CHANNEL, ts, actionId: ActionIds.subscriptionRunNow, blockId: `${BlockIds.subscriptionActions}.${sub.id}.listed`, timeoutMs: 2_000 });
    /** Until the `n`th run has posted and been recorded (the click's run has ended). */
    const recorded = async (n: number) => {
      await t.standin.waitFor(() => (d.posts(CHANNEL, ref(sub)).length >= n ? true : undefined), { timeoutMs: 15_000 });
      for (const deadline = Date.now() + 15_000; !(await subs.get(sub.id))?.lastRun?.manual; await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > deadline) throw new Error('the run now was not recorded');
      }
    };
    await click(RILEY);
    await recorded(1);
    // Its run has ended and posted; the second click of the same double click, on the same list, starts nothing more.
    await click(RILEY);
    await new Promise((r) => setTimeout(r, 500));
    await t.drain();
    expect(d.posts(CHANNEL, ref(sub))).toHaveLength(1);
    expect(t.standin.conversation(CHANNEL).filter((m) => m.ephemeral).map((m) => text(m)).some((m) => m.includes('A run of it was started a moment ago: its result is on its way, or posted already.'))).toBe(true);
    // Someone else's click on their own list, and this person's later, each run it.
    await click(BLAKE, (await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: BLAKE, channelId: CHANNEL })).replies.find((r) => r.message?.ephemeral)!.message!.ts);
    await recorded(2);
    expect(d.posts(CHANNEL, ref(sub))).toHaveLength(2);
    await subs.remove(sub.id, RILEY);
  });
});

describe('threshold alerts', () => {
  let t: TestBot;
  let queries: string;
  const d = driver(() => t);
  beforeAll(async () => {
    queries = await catalogDir();
    // No poll timer, as for deliveries: a poll between setting the clock and a Run now would take the scheduled run alone.
    t = await startTestBot({ env: { QUERIES_DIR: queries, FRESHNESS_CHECK_INTERVAL_MS: '0', JOBS_POLL_MS: '3600000' }, standinOptions: { users, channels } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await rm(queries, { recursive: true, force: true });
  });

  it('fires when the condition becomes true, stays quiet while it holds, resolves once, and fires again', async () => {
    const conn = await embedded(t.warehouse).connection();
    const count = Number((await conn.runAndReadAll('SELECT COUNT(*) AS n FROM customers')).getRowObjects()[0]!['n']);
    // Before the real time (the stand-in stamps messages with it, and a repeated run looks from its due time on), and
    // before the hours ticked below: a fixed instant, not one counted back from the real time, which after 10:00 on
    // 2026-12-04 put the first run after the hour the test expects it to fire in.
    t.setTime(at('2026-12-01T08:30:00Z'));
    const modal = await d.open('alert customer-count');
    await d.kind(modal.id, 'cron');
    const r = await d.submit(modal.id, {
      [ActionIds.subscriptionDm]: ['dm'], [ActionIds.subscriptionScheduleKind]: 'cron', [ActionIds.subscriptionCron]: '0 * * * *',
      [ActionIds.alertColumn]: 'customers', [ActionIds.alertOp]: 'above', [ActionIds.alertValue]: String(count + 1),
    });
    expect(r.responseAction).toBeUndefined();
    const alerts = () => t.standin.conversation(RILEY).filter((m) => /Alert: Customers|Resolved: Customers/.test(text(m)));
    const hour = async (h: number) => {
      await new Promise((res) => setTimeout(res, 1_100)); // the query's cache lives 1 s
      await d.tick(`2026-12-01T${String(h).padStart(2, '0')}:00:05Z`);
    };
    await hour(9);
    expect(alerts()).toHaveLength(0); // not above yet: quiet
    await conn.run(`INSERT INTO customers (customer_id, name) SELECT 'alert-test-' || i, 'Alert test ' || i FROM range(2) t(i)`);
    await hour(10);
    expect(alerts().map((m) => text(m))).toEqual([expect.stringMatching(/Alert: Customers[\s\S]*customers is above[\s\S]*now/)]);
    // The chart goes in the alert's thread, in the DM: files.completeUploadExternal takes the DM's ID, not the user's.
    const chart = await t.standin.waitFor(() => t.standin.conversation(alerts()[0]!.channel).find((m) => m.thread_ts === alerts()[0]!.ts && m.files?.length));
    expect(chart.channel).toBe(t.standin.dmChannelId(RILEY));
    expect(chart.files?.[0]?.alt_txt).toBeTruthy();
    await hour(11);
    expect(alerts()).toHaveLength(1); // still true: quiet
    await conn.run(`DELETE FROM customers WHERE customer_id LIKE 'alert-test-%'`);
    await hour(12);
    expect(alerts().map((m) => text(m))).toEqual([expect.stringMatching(/Alert/), expect.stringMatching(/Resolved: Customers[\s\S]*no longer true/)]);
    expect(alerts()[1]!.thread_ts).toBe(alerts()[0]!.ts); // said in the alert's thread
    await hour(13);
    expect(alerts()).toHaveLength(2); // still false: quiet
    await conn.run(`INSERT INTO customers (customer_id, name) SELECT 'alert-test-' || i, 'Alert test ' || i FROM range(3) t(i)`);
    await hour(14);
    expect(alerts().map((m) => text(m))).toEqual([expect.stringMatching(/Alert/), expect.stringMatching(/Resolved/), expect.stringMatching(/Alert: Customers/)]);
    await conn.run(`DELETE FROM customers WHERE customer_id LIKE 'alert-test-%'`);
    conn.closeSync();
    const audit = (await t.store.recentAudit(100)).map((e) => e.action);
    expect(audit.filter((a) => a === 'subscription.alert_fired')).toHaveLength(2);
    expect(audit.filter((a) => a === 'subscription.alert_resolved')).toHaveLength(1);
    // Left firing, it would resolve (and post) at its next hour, inside a later case's hours.
    const [sub] = (await d.subscriptions()).filter((s) => s.query === 'customer-count');
    await t.bot.services.subscriptions.remove(sub!.id, RILEY);
  });

  /** A new hourly alert, by DM, on there being more customers than now; set up `daysBack` days before the real time. */
  async function hourlyAlert(daysBack: number) {
    const conn = await embedded(t.warehouse).connection();
    const count = Number((await conn.runAndReadAll('SELECT COUNT(*) AS n FROM customers')).getRowObjects()[0]!['n']);
    t.setTime(Date.now() - daysBack * 86_400_000);
    const modal = await d.open('alert customer-count');
    await d.kind(modal.id, 'cron');
    expect((await d.submit(modal.id, {
      [ActionIds.subscriptionDm]: ['dm'], [ActionIds.subscriptionScheduleKind]: 'cron', [ActionIds.subscriptionCron]: '0 * * * *',
      [ActionIds.alertColumn]: 'customers', [ActionIds.alertOp]: 'above', [ActionIds.alertValue]: String(count),
    })).responseAction).toBeUndefined();
    const sub = (await d.subscriptions()).filter((s) => s.query === 'customer-count').sort((a, b) => b.createdAt - a.createdAt)[0]!;
    /** Runs what is due at `at`, once the query's cache (1 s) has lapsed. */
    const runAt = async (at: number) => {
      await new Promise((res) => setTimeout(res, 1_100));
      t.setTime(at);
      await t.drain();
    };
    /** Its alerts, in the DM. */
    const fired = () => t.standin.conversation(RILEY).filter((m) => /Alert: Customers/.test(text(m)) && JSON.stringify(m.blocks ?? []).includes(ref(sub)));
    /** The Resolved replies under an alert. */
    const resolvedUnder = (alert: StoredMessage) => t.standin.conversation(alert.channel).filter((m) => m.thread_ts === alert.ts && /Resolved: Customers/.test(text(m)));
    return { conn, sub, runAt, fired, resolvedUnder };
  }

  /** An hourly alert on the customer count that has gone off: one customer more (`customerId`) than its threshold. */
  async function firingAlert(daysBack: number, customerId: string) {
    const made = await hourlyAlert(daysBack);
    const subs = t.bot.services.subscriptions;
    const count = Number((await made.conn.runAndReadAll('SELECT COUNT(*) AS n FROM customers')).getRowObjects()[0]!['n']);
    await made.conn.run(`INSERT INTO customers (customer_id, name) VALUES ('${customerId}', 'Alert test')`);
    await made.runAt((await subs.get(made.sub.id))!.nextRunAt! + 5_000);
    const alert = made.fired()[0]!;
    expect(alert).toBeDefined();
    return { ...made, subs, count, alert };
  }

  it('fires once when a Run now and its scheduled run go at the same moment, and resolves once the same way', async () => {
    const { conn, sub } = await hourlyAlert(2);
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('alert-test-same-moment', 'Alert test')`);
    const mine = () => t.standin.conversation(RILEY).filter((m) => !m.thread_ts || m.thread_ts === m.ts).filter((m) => /Alert: Customers|Resolved: Customers/.test(text(m)) && JSON.stringify(m.blocks ?? []).includes(ref(sub)));
    const both = async () => {
      await new Promise((res) => setTimeout(res, 1_100)); // the query's cache lives 1 s
      const due = (await t.bot.services.subscriptions.get(sub.id))!.nextRunAt!;
      t.setTime(due + 5_000);
      expect((await t.bot.services.subscriptions.runNow(sub.id, RILEY)).ok).toBe(true);
      await t.drain(); // both due: the scheduled run and the Run now go side by side
    };
    await both();
    expect(mine().map((m) => text(m))).toEqual([expect.stringMatching(/Alert: Customers/)]);
    expect((await t.bot.services.subscriptions.get(sub.id))).toMatchObject({ alertState: 'firing' });
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-same-moment'`);
    await both();
    expect(mine().map((m) => text(m))).toEqual([expect.stringMatching(/Alert: Customers/)]); // resolved in its thread, once
    const audit = (await t.store.recentAudit(200)).filter((e) => e.subject === sub.id).map((e) => e.action);
    expect(audit.filter((a) => a === 'subscription.alert_fired')).toHaveLength(1);
    expect(audit.filter((a) => a === 'subscription.alert_resolved')).toHaveLength(1);
    const resolved = t.standin.conversation(mine()[0]!.channel).filter((m) => m.thread_ts === mine()[0]!.ts && /Resolved/.test(text(m)));
    expect(resolved).toHaveLength(1);
    // While the run that claimed a change may still make it (its job pending), no other run may; a retry finds its own
    // claim; a run that gave up lets the next one make it.
    const subs = t.bot.services.subscriptions;
    await t.store.runTransaction((tx) => enqueueAll(tx, ['job-a', 'job-b'].map((key) => ({ key, kind: 'test.held', payload: {}, runAt: Date.now() + 86_400_000 }))));
    expect(await subs.claimAlertStep(sub.id, 'ok', 'job-a')).toBe(true);
    expect(await subs.claimAlertStep(sub.id, 'ok', 'job-b')).toBe(false);
    expect(await subs.claimAlertStep(sub.id, 'ok', 'job-a')).toBe(true);
    expect(await subs.claimAlertStep(sub.id, 'firing', 'job-b')).toBe(false); // not its state now
    await t.store.runTransaction((tx) => subs.recordFailure(tx, sub.id, { dueAt: Date.now(), manual: true, message: 'gave up', key: 'job-a' }));
    expect(await subs.claimAlertStep(sub.id, 'ok', 'job-b')).toBe(true);
    for (const key of ['job-a', 'job-b']) await t.store.transition('jobs', key, () => true, () => ({ state: 'failed', runAt: null }));
    conn.closeSync();
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  it('watches the total of every row when they are categories, not periods, and never a change from a "period before"', async () => {
    const conn = await embedded(t.warehouse).connection();
    const total = Number((await conn.runAndReadAll('SELECT COUNT(*) AS n FROM instances')).getRowObjects()[0]!['n']);
    conn.closeSync();
    const modal = await d.open('alert instances-by-hosting');
    expect(text(modal)).toContain('Its total over every hosting.');
    const values = { [ActionIds.subscriptionDm]: ['dm'], ...schedule('daily', '04:10'), [ActionIds.alertColumn]: 'instances', [ActionIds.alertValue]: '10' };
    // A pie's slices: no hosting comes before another, so a change cannot be watched.
    const refused = await d.submit(modal.id, { ...values, [ActionIds.alertOp]: 'change_pct' });
    expect(refused.errors?.[BlockIds.alertOp]).toBe('Its rows are categories (one per hosting), not periods of time, so there is no period before to compare with: watch above or below a value instead.');
    expect((await d.submit(modal.id, { ...values, [ActionIds.alertOp]: 'above' })).responseAction).toBeUndefined();
    const pie = (await d.subscriptions()).find((s) => s.query === 'instances-by-hosting')!;
    const fired = () => t.standin.conversation(RILEY).filter((m) => /Alert: Instances by hosting/.test(text(m)));
    expect((await t.bot.services.subscriptions.runNow(pie.id, RILEY)).ok).toBe(true);
    await t.drain();
    // Every hosting's instances, not the last one's in alphabetical order.
    const alert = await t.standin.waitFor(() => fired()[0]);
    expect(text(alert)).toContain(`now *${total.toLocaleString('en-US')}*.`);

    // A bar chart by customer shows it only when it runs: the owner is told, by DM, as a failed run.
    const bar = await t.bot.services.subscriptions.create(RILEY, {
      kind: 'alert', query: 'top-customers-by-active-users', params: {}, channel: null,
      schedule: { kind: 'daily', time: '04:20', tz: 'America/New_York' }, condition: { column: 'active_users', op: 'change_pct', value: '10' },
    }, `categories-${randomUUID()}`);
    expect(bar.ok).toBe(true);
    const id = (bar as { subscription: Subscription }).subscription.id;
    expect((await t.bot.services.subscriptions.runNow(id, RILEY)).ok).toBe(true);
    await t.drain();
    const told = await t.standin.waitFor(() => t.standin.conversation(RILEY).find((m) => text(m).includes('Its rows are categories (one per customer)')));
    expect(text(told)).toMatch(/Top customers by active users/);
    expect(t.standin.conversation(RILEY).some((m) => /Alert: Top customers/.test(text(m)))).toBe(false);
    for (const s of [pie.id, id]) await t.bot.services.subscriptions.remove(s, RILEY);
  });

  it('fires later when a run that claimed the alert found the condition gone on its retry', async () => {
    const { conn, sub, runAt, fired } = await hourlyAlert(1);
    const first = (await t.bot.services.subscriptions.get(sub.id))!.nextRunAt!;
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('alert-test-lost-claim', 'Alert test')`);
    t.standin.failNext('chat.postMessage', 'internal_error'); // the alert's post fails: the run is retried later
    await runAt(first + 5_000);
    expect(fired()).toHaveLength(0);
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-lost-claim'`);
    await runAt(first + 10 * 60_000); // the retry: the condition is gone, a quiet run
    expect(fired()).toHaveLength(0);
    expect(await t.bot.services.subscriptions.get(sub.id)).toMatchObject({ alertState: 'ok', lastRun: { dueAt: first, outcome: 'quiet' } });
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('alert-test-lost-claim', 'Alert test')`);
    await runAt((await t.bot.services.subscriptions.get(sub.id))!.nextRunAt! + 5_000);
    expect(fired()).toHaveLength(1);
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-lost-claim'`);
    conn.closeSync();
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  /**
   * Makes Slack take the next alert post (`:fired`) or Resolved (`:resolved`) and then answer 500, as when the
   * bot is killed before it hears the answer: the post stands, the run is retried later. Only `sub`'s: a case
   * that failed may leave its own alert behind, running in the same hours.
   */
  function loseAnswerOfNext(sub: Subscription, step: 'fired' | 'resolved') {
    let lost = false;
    const off = t.standin.onApplied((call) => {
      const key = (call.args as { metadata?: { event_payload?: { key?: string } } }).metadata?.event_payload?.key;
      if (lost || call.method !== 'chat.postMessage' || !key?.includes(`:${sub.id}:`) || !new RegExp(`:${step}(:|$)`).test(key)) return;
      lost = true;
      off();
      throw new Error('the answer is lost');
    });
  }

  it('says Resolved for an alert whose post was made but not recorded, when its retry finds the condition gone', async () => {
    const { conn, sub, runAt, resolvedUnder } = await hourlyAlert(6);
    const said = () => t.standin.conversation(RILEY).filter((m) => /Alert: Customers|Resolved: Customers/.test(text(m)) && (JSON.stringify(m.blocks ?? []).includes(ref(sub)) || m.thread_ts));
    const first = (await t.bot.services.subscriptions.get(sub.id))!.nextRunAt!;
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('alert-test-lost-record', 'Alert test')`);
    loseAnswerOfNext(sub, 'fired');
    await runAt(first + 5_000);
    const alert = said().find((m) => /Alert: Customers/.test(text(m)) && JSON.stringify(m.blocks ?? []).includes(ref(sub)));
    expect(alert).toBeDefined(); // posted; the run does not know it yet
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-lost-record'`);
    await runAt(first + 10 * 60_000); // the retry: the condition is gone, but its alert stands
    expect(await t.bot.services.subscriptions.get(sub.id)).toMatchObject({ alertState: 'firing', firedMessage: { ts: alert!.ts }, lastRun: { dueAt: first, outcome: 'fired' } });
    await runAt((await t.bot.services.subscriptions.get(sub.id))!.nextRunAt! + 5_000);
    const resolved = resolvedUnder(alert!);
    expect(resolved).toHaveLength(1);
    expect(await t.bot.services.subscriptions.get(sub.id)).toMatchObject({ alertState: 'ok', lastRun: { outcome: 'resolved' } });
    conn.closeSync();
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  it('records an alert whose post was made but not recorded when its retry comes too late to run, and resolves it later', async () => {
    const { conn, sub, runAt, fired, resolvedUnder } = await hourlyAlert(4);
    const first = (await t.bot.services.subscriptions.get(sub.id))!.nextRunAt!;
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('alert-test-late-retry', 'Alert test')`);
    loseAnswerOfNext(sub, 'fired');
    await runAt(first + 5_000);
    const alert = fired()[0];
    expect(alert).toBeDefined(); // posted; the run does not know it yet
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-late-retry'`);
    // The bot was down past the grace: the retry runs no query, but its alert stands in the DM. The latest
    // hourly run, a minute late (within the grace), then runs at once: it finds the condition gone and
    // resolves the alert the retry recorded, in its thread.
    await runAt(first + 2 * 3_600_000 + 60_000);
    const resolved = resolvedUnder(alert!);
    expect(resolved).toHaveLength(1);
    const after = (await t.bot.services.subscriptions.get(sub.id))!;
    expect(after).toMatchObject({ alertState: 'ok', lastRun: { dueAt: first + 2 * 3_600_000, outcome: 'resolved' } });
    expect(after.nextRunAt).toBe(first + 3 * 3_600_000);
    expect(fired()).toHaveLength(1);
    conn.closeSync();
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  it('records an alert whose post was made but not recorded when its retry finds the alert paused, and resolves it after Resume', async () => {
    const { conn, sub, runAt, fired, resolvedUnder } = await hourlyAlert(7);
    const subs = t.bot.services.subscriptions;
    const first = (await subs.get(sub.id))!.nextRunAt!;
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('alert-test-paused-retry', 'Alert test')`);
    loseAnswerOfNext(sub, 'fired');
    await runAt(first + 5_000);
    const alert = fired()[0];
    expect(alert).toBeDefined();
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-paused-retry'`);
    expect((await subs.pause(sub.id, RILEY)).ok).toBe(true);
    await runAt(first + 10 * 60_000); // the retry: no longer wanted, but its alert stands
    expect(await subs.get(sub.id)).toMatchObject({ status: 'paused', alertState: 'firing', firedMessage: { ts: alert!.ts } });
    expect((await subs.resume(sub.id, RILEY)).ok).toBe(true);
    await runAt((await subs.get(sub.id))!.nextRunAt! + 5_000);
    const resolved = resolvedUnder(alert!);
    expect(resolved).toHaveLength(1);
    conn.closeSync();
    await subs.remove(sub.id, RILEY);
  });

  it('records an alert whose post was made but not recorded when its retry gives up, and does not post it again', async () => {
    const { conn, sub, runAt, fired, resolvedUnder } = await hourlyAlert(8);
    const subs = t.bot.services.subscriptions;
    const first = (await subs.get(sub.id))!.nextRunAt!;
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('alert-test-gave-up', 'Alert test')`);
    loseAnswerOfNext(sub, 'fired');
    await runAt(first + 5_000);
    expect(fired()).toHaveLength(1); // posted; the run does not know it yet
    t.standin.failNext('files.completeUploadExternal', 'not_in_channel'); // the retry's chart is refused: it gives up
    await runAt(first + 10 * 60_000);
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'firing', firedMessage: { ts: fired()[0]!.ts }, lastRun: { dueAt: first, outcome: 'failed' } });
    await runAt((await subs.get(sub.id))!.nextRunAt! + 5_000); // still true: quiet, not a second alert
    expect(fired()).toHaveLength(1);
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-gave-up'`);
    await runAt((await subs.get(sub.id))!.nextRunAt! + 5_000);
    const resolved = resolvedUnder(fired()[0]!);
    expect(resolved).toHaveLength(1);
    conn.closeSync();
    await subs.remove(sub.id, RILEY);
  });

  it('finds the alert an earlier attempt posted where it went, though an edit moved the alert to a channel before its retry', async () => {
    const { conn, sub, runAt, fired } = await hourlyAlert(9);
    const subs = t.bot.services.subscriptions;
    const first = (await subs.get(sub.id))!.nextRunAt!;
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('alert-test-moved', 'Alert test')`);
    loseAnswerOfNext(sub, 'fired');
    await runAt(first + 5_000);
    const alert = fired()[0];
    expect(alert).toBeDefined();
    // Moved to the channel, on the same schedule: the pending run keeps its time (and is retried with the new settings).
    const c = sub.condition!;
    const edited = await subs.update(sub.id, RILEY, { kind: 'alert', query: 'customer-count', params: {}, channel: CHANNEL, schedule: { ...sub.schedule } as never, condition: { column: c.column, op: c.op, value: String(c.value) } });
    expect(edited.ok).toBe(true);
    expect((await subs.get(sub.id))!.nextRunAt).toBe(first);
    await runAt(first + 10 * 60_000);
    expect(d.posts(CHANNEL, ref(sub)).filter((m) => /Alert: Customers/.test(text(m)))).toHaveLength(0); // not said again in the channel
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'firing', firedMessage: { ts: alert!.ts } });
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-moved'`);
    conn.closeSync();
    await subs.remove(sub.id, RILEY);
  });

  /**
   * An hourly alert whose first run posts it and loses Slack's answer (it does not know it posted, and is retried),
   * with what the tests of an edit before that retry need: `edit` to "above `value`", `retry` (the retry, then
   * what its end woke), and `closing` (the edit's notes in a message's thread).
   */
  async function postedThenLost(daysBack: number, customerId: string) {
    const made = await hourlyAlert(daysBack);
    const { conn, sub, runAt, fired } = made;
    const subs = t.bot.services.subscriptions;
    const customers = Number((await conn.runAndReadAll('SELECT COUNT(*) AS n FROM customers')).getRowObjects()[0]!['n']);
    const first = (await subs.get(sub.id))!.nextRunAt!;
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('${customerId}', 'Alert test')`);
    loseAnswerOfNext(sub, 'fired');
    await runAt(first + 5_000);
    expect(fired()).toHaveLength(1);
    const old = fired()[0]!;
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'ok', firedMessage: null });
    const edit = (value: number) => subs.update(sub.id, RILEY, { kind: 'alert', query: 'customer-count', params: {}, channel: null, schedule: { ...sub.schedule } as never, condition: { column: 'customers', op: 'above', value: String(value) } });
    const retry = async () => {
      await runAt(first + 10 * 60_000);
      await runAt(first + 12 * 60_000);
    };
    const closing = (m: StoredMessage) => t.standin.conversation(m.channel).filter((r) => r.thread_ts === m.ts && /edited this alert/.test(text(r))).map((r) => text(r));
    const done = async () => {
      await conn.run(`DELETE FROM customers WHERE customer_id = '${customerId}'`);
      conn.closeSync();
      await subs.remove(sub.id, RILEY);
    };
    return { ...made, subs, customers, first, old, edit, retry, closing, done };
  }

  it('closes, in its thread, an alert an attempt posted before its condition was edited; the retry posts the new one anew', async () => {
    const { sub, fired, subs, customers, first, old, edit, retry, closing, done } = await postedThenLost(12, 'alert-test-superseded');
    // Before the retry, its owner lowers the threshold: a new check, which holds too.
    expect(await edit(customers - 5)).toMatchObject({ ok: true, subscription: { alertState: 'ok' } });
    expect((await subs.get(sub.id))!.nextRunAt).toBe(first);
    await retry();
    // The new condition's alert is its own message, not the old one taken for it.
    expect(fired()).toHaveLength(2);
    const now = fired()[1]!;
    expect(text(now)).toContain(`above ${(customers - 5).toLocaleString('en-US')}`);
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'firing', firedMessage: { ts: now.ts } });
    // The old one, which promised a Resolved, says once in its thread that it is closed; the new one hears nothing of it.
    expect(closing(old)).toEqual([expect.stringContaining(`edited this alert (\`${ref(sub)}\`): this one is closed, and no Resolved will follow here.`)]);
    expect(closing(now)).toEqual([]);
    await done();
  });

  it('leaves alone an alert an attempt posted when its condition is edited and edited back before the retry takes it as its own', async () => {
    const { sub, fired, subs, customers, old, edit, retry, closing, done } = await postedThenLost(14, 'alert-test-edited-back');
    expect(await edit(customers - 5)).toMatchObject({ ok: true });
    expect(await edit(customers)).toMatchObject({ ok: true });
    await retry();
    expect(fired()).toHaveLength(1);
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'firing', firedMessage: { ts: old.ts } });
    expect(closing(old)).toEqual([]);
    await done();
  });

  it('closes such an alert once when an older version\'s run, in a rolling deploy, asked for its closing note too', async () => {
    const { sub, subs, customers, old, edit, retry, closing, done } = await postedThenLost(15, 'alert-test-superseded-mixed');
    expect(await edit(customers + 1000)).toMatchObject({ ok: true });
    // As a run of the version before this one records it: it asks for the note under the alert's ts.
    await t.store.runTransaction((tx) => enqueueAll(tx, [noticeJob({ type: 'subscription.alert_closed', subscriptionId: sub.id, channel: old.channel, ts: old.ts, by: RILEY })], t.now().getTime()));
    await retry();
    expect(closing(old)).toHaveLength(1);
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'ok' });
    await done();
  });

  it('closes an alert an attempt posted before its condition was edited when the retry finds the new condition quiet', async () => {
    const { sub, fired, subs, customers, first, old, edit, retry, closing, done } = await postedThenLost(13, 'alert-test-superseded-quiet');
    // Raised past the value: the retry finds nothing to say under the new check.
    expect(await edit(customers + 1000)).toMatchObject({ ok: true });
    await retry();
    expect(fired()).toHaveLength(1);
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'ok', firedMessage: null, lastRun: { dueAt: first, outcome: 'quiet' } });
    expect(closing(old)).toEqual([expect.stringContaining(`this one is closed, and no Resolved will follow here. It now alerts when customers is above ${(customers + 1000).toLocaleString('en-US')}`)]);
    await done();
  });

  it('starts an alert whose condition is edited while it fires afresh: no Resolved of a condition that never fired; one edited elsewhere keeps firing', async () => {
    const { conn, sub, runAt, fired, resolvedUnder, subs, count, alert } = await firingAlert(10, 'alert-test-edited');
    // Run now on an alert that has gone off says what it may post; its run, quiet, says the alert stands.
    const listed = async () => (await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL })).replies.find((r) => r.message?.ephemeral)!.message!;
    const list = await listed();
    await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionRunNow, blockId: `${BlockIds.subscriptionActions}.${sub.id}.listed`, timeoutMs: 2_000 });
    expect(t.standin.conversation(CHANNEL).filter((m) => m.ephemeral).slice(-3).map((m) => text(m)).join('\n---\n')).toContain(`:arrow_forward: Checking \`${ref(sub)}\` now. It has gone off already, so it posts again only if it has stopped; its last run says how it went.`);
    await new Promise((res) => setTimeout(res, 1_100));
    await t.drain();
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'firing', lastRun: { manual: true, outcome: 'quiet' } });
    expect(text(await listed())).toContain('(run now): checked: still true, the alert stands');
    expect(fired()).toHaveLength(1);
    const draft = (value: number, cron = '0 * * * *') => ({ kind: 'alert' as const, query: 'customer-count', params: {}, channel: null, schedule: { kind: 'cron', cron }, condition: { column: 'customers', op: 'above', value: String(value) } });
    // Only the schedule changed: still the same alert, still firing.
    expect(await subs.update(sub.id, RILEY, draft(count, '30 * * * *'))).toMatchObject({ ok: true, subscription: { alertState: 'firing', firedMessage: { ts: alert.ts } } });
    // The threshold raised past the value: checked afresh, and quiet, as the new condition never held.
    expect(await subs.update(sub.id, RILEY, draft(count + 1000))).toMatchObject({ ok: true, subscription: { alertState: 'ok', firedMessage: null } });
    await runAt((await subs.get(sub.id))!.nextRunAt! + 5_000);
    expect(resolvedUnder(alert)).toHaveLength(0);
    expect(fired()).toHaveLength(1);
    // The alert that had gone off says once, in its thread, that it is closed and what is watched now.
    const closed = t.standin.conversation(alert.channel).filter((m) => m.thread_ts === alert.ts && /edited this alert/.test(text(m)));
    expect(closed.map((m) => text(m))).toEqual([expect.stringContaining(`edited this alert (\`${ref(sub)}\`): this one is closed, and no Resolved will follow here. It now alerts when customers is above ${(count + 1000).toLocaleString('en-US')}`)]);
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'ok', lastRun: { outcome: 'quiet' } });
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-edited'`);
    conn.closeSync();
    await subs.remove(sub.id, RILEY);
  });

  it('lets an edit made while a run is on its way win: what the run found about the old condition is not recorded', async () => {
    const { conn, sub, runAt, resolvedUnder, subs, count, alert } = await firingAlert(11, 'alert-test-raced');
    // The next run reads the alert (firing, above count), then waits in its query while the threshold is raised past the value.
    const warehouse = t.warehouse;
    const query = warehouse.query.bind(warehouse);
    let release!: () => void;
    const held = new Promise<void>((res) => (release = res));
    let entered!: () => void;
    const inQuery = new Promise<void>((res) => (entered = res));
    warehouse.query = async (...args) => {
      entered();
      await held;
      return query(...args);
    };
    let running: Promise<unknown>;
    try {
      await new Promise((res) => setTimeout(res, 1_100));
      t.setTime((await subs.get(sub.id))!.nextRunAt! + 5_000);
      running = t.drain();
      await inQuery;
    } finally {
      warehouse.query = query;
    }
    const raised = { kind: 'alert' as const, query: 'customer-count', params: {}, channel: null, schedule: { kind: 'cron', cron: '0 * * * *' }, condition: { column: 'customers', op: 'above', value: String(count + 1000) } };
    expect(await subs.update(sub.id, RILEY, raised)).toMatchObject({ ok: true, subscription: { alertState: 'ok', firedMessage: null } });
    release();
    await running;
    // The run found the old condition still true; the alert stays as the edit left it, and nothing is resolved.
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'ok', firedMessage: null });
    await runAt((await subs.get(sub.id))!.nextRunAt! + 5_000);
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'ok', lastRun: { outcome: 'quiet' } });
    const resolvedAnywhere = t.standin.conversation(alert.channel).filter((m) => /Resolved: Customers/.test(text(m)) && JSON.stringify(m.blocks ?? []).includes(ref(sub)));
    expect(resolvedAnywhere).toHaveLength(0);
    expect(resolvedUnder(alert)).toHaveLength(0);
    // A change of state claimed or recorded for the check the alert no longer makes is refused; for the one it makes, taken.
    const old = alertCheckOf(sub, t.bot.services.queries.catalog);
    const now = alertCheckOf((await subs.get(sub.id))!, t.bot.services.queries.catalog);
    expect(old).not.toBe(now);
    expect(await subs.claimAlertStep(sub.id, 'ok', 'job-stale', undefined, old)).toBe(false);
    await t.store.runTransaction((tx) => subs.recordRun(tx, sub.id, { dueAt: Date.now(), manual: true, outcome: 'fired', alertState: 'firing', firedMessage: { channel: RILEY, ts: '1.000001' }, check: old }));
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'ok', firedMessage: null });
    await t.store.runTransaction((tx) => subs.recordRun(tx, sub.id, { dueAt: Date.now(), manual: true, outcome: 'fired', alertState: 'firing', firedMessage: { channel: RILEY, ts: '1.000002' }, check: now }));
    expect(await subs.get(sub.id)).toMatchObject({ alertState: 'firing', firedMessage: { ts: '1.000002' } });
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-raced'`);
    conn.closeSync();
    await subs.remove(sub.id, RILEY);
  });

  it('does not start an alert afresh for an edit that only spells out a default its parameters ran with', async () => {
    const subs = t.bot.services.subscriptions;
    const draft = (params: Record<string, string>, cron: string) => ({ kind: 'alert' as const, query: 'weekly-active-instances', params, channel: null, schedule: { kind: 'cron', cron }, condition: { column: 'instances', op: 'above', value: '1000000' } });
    const made = await subs.create(RILEY, draft({}, '0 6 * * *'), `defaults-${randomUUID()}`);
    if (!made.ok) throw new Error(JSON.stringify(made));
    const firedMessage = { channel: RILEY, ts: '1700000000.000100' };
    await t.store.runTransaction(async (tx: StoreTx) => {
      const cur = (await tx.get<Subscription>(SUBSCRIPTIONS, made.subscription.id))!.data;
      tx.put(SUBSCRIPTIONS, cur.id, { ...cur, alertState: 'firing', firedAt: Date.now(), firedMessage });
    });
    // The form shows the defaults as values, and submits them with a new time: the same check.
    expect(await subs.update(made.subscription.id, RILEY, draft({ weeks: '12', hosting: 'all' }, '0 7 * * *'))).toMatchObject({ ok: true, subscription: { alertState: 'firing', firedMessage } });
    // And a copy that only spells out the defaults is the same alert.
    expect(await subs.create(RILEY, draft({ weeks: '12' }, '0 7 * * *'), `defaults-${randomUUID()}`)).toMatchObject({ ok: false, errors: { limit: expect.stringContaining('You already have this alert') } });
    // Another value is another check: afresh.
    expect(await subs.update(made.subscription.id, RILEY, draft({ weeks: '8', hosting: 'all' }, '0 7 * * *'))).toMatchObject({ ok: true, subscription: { alertState: 'ok', firedMessage: null } });
    await subs.remove(made.subscription.id, RILEY);
  });

  it('keeps an alert that went off as it is when an edit names its customer another way, and keeps the customer as first written', async () => {
    const subs = t.bot.services.subscriptions;
    const draft = (customer: string, cron: string) => ({ kind: 'alert' as const, query: 'customer-pings-per-day', params: { customer, since: '-14d' }, channel: null, schedule: { kind: 'cron', cron }, condition: { column: 'pings', op: 'above', value: '1000000' } });
    const made = await subs.create(RILEY, draft('acme', '0 6 * * *'), `customer-spelling-${randomUUID()}`);
    if (!made.ok) throw new Error(JSON.stringify(made));
    const firedMessage = { channel: RILEY, ts: '1700000000.000200' };
    await t.store.runTransaction(async (tx: StoreTx) => {
      const cur = (await tx.get<Subscription>(SUBSCRIPTIONS, made.subscription.id))!.data;
      tx.put(SUBSCRIPTIONS, cur.id, { ...cur, alertState: 'firing', firedAt: Date.now(), firedMessage });
    });
    const edited = await subs.update(made.subscription.id, RILEY, draft('ACME.com', '0 7 * * *'));
    expect(edited).toMatchObject({ ok: true, subscription: { alertState: 'firing', firedMessage, params: { customer: 'acme' }, schedule: { cron: '0 7 * * *' } } });
    // Another customer is another check: afresh, as written.
    expect(await subs.update(made.subscription.id, RILEY, draft('globex', '0 7 * * *'))).toMatchObject({ ok: true, subscription: { alertState: 'ok', firedMessage: null, params: { customer: 'globex' } } });
    await subs.remove(made.subscription.id, RILEY);
  });

  it('fires again after a Resolved whose post was made but not recorded, when its retry finds the condition back (not a second Resolved later)', async () => {
    const { conn, sub, runAt } = await hourlyAlert(5);
    const next = async () => (await t.bot.services.subscriptions.get(sub.id))!.nextRunAt!;
    const alerts = () => t.standin.conversation(RILEY).filter((m) => /Alert: Customers/.test(text(m)) && JSON.stringify(m.blocks ?? []).includes(ref(sub)));
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('alert-test-lost-resolve', 'Alert test')`);
    await runAt((await next()) + 5_000);
    expect(alerts()).toHaveLength(1);
    const thread = () => t.standin.conversation(alerts()[0]!.channel).filter((m) => m.thread_ts === alerts()[0]!.ts && /Resolved: Customers/.test(text(m)));
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-lost-resolve'`);
    const due = await next();
    loseAnswerOfNext(sub, 'resolved');
    await runAt(due + 5_000);
    expect(thread()).toHaveLength(1); // posted; the run does not know it yet
    await conn.run(`INSERT INTO customers (customer_id, name) VALUES ('alert-test-lost-resolve', 'Alert test')`);
    await runAt(due + 10 * 60_000); // the retry: the condition is back, but its Resolved stands
    expect(await t.bot.services.subscriptions.get(sub.id)).toMatchObject({ alertState: 'ok', lastRun: { dueAt: due, outcome: 'resolved' } });
    await runAt((await next()) + 5_000);
    expect(alerts()).toHaveLength(2); // fired again, as the channel last read it was resolved
    await conn.run(`DELETE FROM customers WHERE customer_id = 'alert-test-lost-resolve'`);
    await runAt((await next()) + 5_000);
    expect(thread()).toHaveLength(1); // the first alert was resolved once
    conn.closeSync();
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });
});

/**
 * A bot on the embedded store and warehouse of a directory of its own, with a copy of the catalog (`queries`),
 * that `restart()` stops and starts again over the same data (`between`: what changes while it is down).
 */
async function withRestarts(extraEnv: Record<string, string>, body: (b: { readonly t: TestBot; standin: SlackStandin; queries: string; restart(between?: () => Promise<void>): Promise<void> }) => Promise<void>): Promise<void> {
  const queries = await catalogDir();
  const dir = await freshDataDir();
  const standin = new SlackStandin({ users, channels });
  await standin.start();
  const warehouse = await openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 30_000 });
  const env = { QUERIES_DIR: queries, FRESHNESS_CHECK_INTERVAL_MS: '0', ...extraEnv };
  let store = await openEmbeddedStore(dir, { checkNesting: true });
  let t = await startTestBot({ env, standin, store, warehouse });
  try {
    await body({
      get t() {
        return t;
      },
      standin,
      queries,
      async restart(between) {
        await t.stop();
        await store.close();
        await between?.();
        store = await openEmbeddedStore(dir, { checkNesting: true });
        t = await startTestBot({ env, standin, store, warehouse });
      },
    });
  } finally {
    await t.stop();
    await store.close();
    await warehouse.close();
    await standin.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(queries, { recursive: true, force: true });
  }
}

describe('a restart between two deliveries', () => {
  it('answers a form Slack delivers again after a restart as the one it saved, on a bot clock days behind the wall clock', async () => {
    // What makes a second delivery of the same form a replay is the record of its submission, kept 7 days by the wall
    // clock (the embedded store drops what is past it when it opens, as Firestore's TTL policy deletes it). Stamped
    // from a bot clock 8 days behind, it was gone after the restart, and the form was refused as a copy of itself.
    await withRestarts({}, async (b) => {
      const d = driver(() => b.t);
      const behind = () => b.t.setTime(Date.now() - 8 * 86_400_000);
      behind();
      const modal = await d.open('subscribe instances-by-hosting');
      const values = { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily', '06:15'), [ActionIds.subscriptionFormat]: 'table' };
      expect((await d.submit(modal.id, values)).responseAction).toBeUndefined();
      await b.restart();
      behind();
      const again = await d.submit(modal.id, values);
      expect(again.errors).toBeUndefined();
      expect(again.responseAction).toBeUndefined();
      expect(await d.subscriptions()).toHaveLength(1);
    });
  });

  it('delivers the next one once, from the new process; after days down, the latest run within the grace once', async () => {
    await withRestarts({}, async (b) => {
      const d = driver(() => b.t);
      b.t.setTime(at('2026-12-01T13:00:00Z'));
      const modal = await d.open('subscribe instances-by-hosting');
      await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' });
      await d.tick('2026-12-01T14:00:05Z');
      expect(d.posts(CHANNEL)).toHaveLength(1);
      await b.restart();
      await d.tick('2026-12-02T14:00:05Z');
      await d.tick('2026-12-02T14:10:00Z');
      expect(d.posts(CHANNEL)).toHaveLength(2);
      // Down from after Wednesday's run until ten minutes past Friday's: Thursday's is long past and skipped;
      // Friday's is within the grace and goes out once, as it would have after a shorter outage.
      await b.restart();
      await d.tick('2026-12-04T14:10:00Z');
      expect(d.posts(CHANNEL)).toHaveLength(3);
      const [sub] = await b.t.bot.services.subscriptions.listAll();
      expect(sub).toMatchObject({ lastRun: { outcome: 'delivered', dueAt: at('2026-12-04T14:00:00Z') }, nextRunAt: at('2026-12-05T14:00:00Z') });
    });
  });
});

describe('a saved query changed after an alert was set up on it', () => {
  /** Riley sets up `command` (`alert customer-count`, …) to run hourly in their DMs, at 08:30 on 1 December; `fields`: the rest of its form. */
  async function hourlyInDm(d: ReturnType<typeof driver>, b: { t: TestBot }, command: string, fields: Record<string, unknown>) {
    b.t.setTime(at('2026-12-01T08:30:00Z'));
    const modal = await d.open(command);
    await d.kind(modal.id, 'cron');
    expect((await d.submit(modal.id, {
      [ActionIds.subscriptionDm]: ['dm'], [ActionIds.subscriptionScheduleKind]: 'cron', [ActionIds.subscriptionCron]: '0 * * * *', ...fields,
    })).responseAction).toBeUndefined();
  }

  it('tells the owner when the column an alert watches is no longer one of the query\'s numbers, instead of saying Resolved and watching nothing', async () => {
    await withRestarts({ JOBS_POLL_MS: '3600000' }, async (b) => {
      const d = driver(() => b.t);
      await hourlyInDm(d, b, 'alert customer-count', { [ActionIds.alertColumn]: 'customers', [ActionIds.alertOp]: 'above', [ActionIds.alertValue]: '0' });
      const [sub] = await d.subscriptions();
      await d.tick('2026-12-01T09:00:05Z');
      const said = () => b.standin.conversation(RILEY).map((m) => text(m)).filter((m) => m.includes('Customers') || m.includes(ref(sub!)));
      expect(said().filter((m) => /Alert: Customers/.test(m))).toHaveLength(1);
      // A reviewed change renames the column (and the chart's value) the alert watches; the bot is deployed again.
      await b.restart(async () => {
        const file = path.join(b.queries, 'customer-count.sql');
        await writeFile(file, (await readFile(file, 'utf8')).replace('y: customers', 'y: total').replace('AS customers', 'AS total'));
      });
      await d.tick('2026-12-01T10:00:05Z');
      // Not "Resolved … (now no value)": nothing was checked. The owner is told, as for a query gone from the catalog.
      expect(said().filter((m) => /Resolved/.test(m))).toEqual([]);
      const failed = () => said().filter((m) => /failed/.test(m));
      expect(failed().at(-1)).toMatch(/no longer has the column “customers” this alert watches: edit the alert to watch one the query has now \(total\)/);
      // It cannot run as it is: paused at once, rather than failing again at each run until the third pauses it.
      expect(failed().at(-1)).toMatch(/It cannot run as it is, so I paused it/);
      expect(await b.t.bot.services.subscriptions.get(sub!.id)).toMatchObject({ status: 'paused', nextRunAt: null, lastRun: { outcome: 'failed' }, consecutiveFailures: 1 });
      await d.tick('2026-12-01T11:00:05Z');
      await d.tick('2026-12-01T12:00:05Z');
      expect(failed()).toHaveLength(1);
    });
  });

  it('pauses at once a delivery whose saved query was taken out of the catalog, and tells its owner once', async () => {
    await withRestarts({ JOBS_POLL_MS: '3600000' }, async (b) => {
      const d = driver(() => b.t);
      await hourlyInDm(d, b, 'subscribe customer-count', { [ActionIds.subscriptionFormat]: 'table' });
      const [sub] = await d.subscriptions();
      await b.restart(async () => rm(path.join(b.queries, 'customer-count.sql')));
      await d.tick('2026-12-01T09:00:05Z');
      await d.tick('2026-12-01T10:00:05Z');
      const failed = b.standin.conversation(RILEY).map((m) => text(m)).filter((m) => m.includes(ref(sub!)) && /failed/.test(m));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(/the saved query “customer-count” is no longer in the catalog\. It cannot run as it is, so I paused it/);
      expect(await b.t.bot.services.subscriptions.get(sub!.id)).toMatchObject({ status: 'paused', pausedReason: expect.stringMatching(/^It cannot run as it is: the saved query/) });
    });
  });
});

const firestore = firestoreAvailable();
describe.skipIf(!firestore.available)('two replicas on one Firestore', () => {
  it('deliver each scheduled run once', async () => {
    const queries = await catalogDir();
    const dir = await freshDataDir();
    const standin = new SlackStandin({ users, channels });
    await standin.start();
    const warehouse = await openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 30_000 });
    const prefix = `subs${randomUUID().slice(0, 6)}_`;
    const stores: Store[] = [0, 1].map(() => openFirestoreStore({ projectId: 'analytics-bot-test', collectionPrefix: prefix }));
    const env = { QUERIES_DIR: queries, FRESHNESS_CHECK_INTERVAL_MS: '0', JOBS_POLL_MS: '100' };
    let bots: TestBot[] = []; // started inside the try, so a failed start still closes the rest below
    try {
      bots = await startTestBots(stores.map((store) => ({ env, standin, store, warehouse })));
      const d = driver(() => bots[0]!);
      for (const b of bots) b.setTime(at('2026-12-01T13:00:00Z'));
      const modal = await d.open('subscribe instances-by-hosting');
      await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'table' });
      for (const day of ['2026-12-01', '2026-12-02']) {
        for (const b of bots) b.setTime(at(`${day}T14:00:05Z`));
        await Promise.all(bots.map((b) => b.drain()));
        await new Promise((r) => setTimeout(r, 500)); // both runners' timers too
        await Promise.all(bots.map((b) => b.drain()));
      }
      expect(d.posts(CHANNEL)).toHaveLength(2);
    } finally {
      await Promise.all(bots.map((b) => b.stop()));
      await Promise.all(stores.map((s) => s.close()));
      await warehouse.close();
      await standin.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(queries, { recursive: true, force: true });
    }
  });
});

describe('at Slack\'s posting pace', () => {
  let t: TestBot;
  let queries: string;
  const d = driver(() => t);
  beforeAll(async () => {
    queries = await catalogDir();
    // One post per 2.5 s in a channel, no burst: a run's second post (a chart after the alert, a CSV
    // after the chart) finds the channel's turn too far away, and its job is put back until then.
    t = await startTestBot({ env: { QUERIES_DIR: queries, FRESHNESS_CHECK_INTERVAL_MS: '0' }, standinOptions: { users, channels }, botOptions: { postPace: { perSecond: 0.4, burst: 1 } } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await rm(queries, { recursive: true, force: true });
  });

  /** Moves the bot's clock with real time (the pace is in real time) until `done` (or 15 s), running what is due. */
  async function until(done: () => boolean): Promise<void> {
    for (const deadline = Date.now() + 15_000; !done() && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 500));
      t.advance(500);
      await t.drain();
    }
    // A little more, for anything a repeated run would post after.
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 500));
      t.advance(500);
      await t.drain();
    }
  }

  it('posts an alert once when its chart has to wait for the channel\'s turn', async () => {
    // Days before the real time: the stand-in stamps messages with it, and a repeated run looks from its due time on.
    t.setTime(Date.now() - 3 * 86_400_000);
    const modal = await d.open('alert customer-count');
    const r = await d.submit(modal.id, {
      [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'),
      [ActionIds.alertColumn]: 'customers', [ActionIds.alertOp]: 'above', [ActionIds.alertValue]: '0',
    });
    expect(r.responseAction).toBeUndefined();
    const sub = (await d.subscriptions()).find((s) => s.kind === 'alert')!;
    const alerts = () => t.standin.conversation(CHANNEL).filter((m) => /Alert: Customers/.test(text(m)));
    const charts = () => t.standin.conversation(CHANNEL).filter((m) => m.files?.some((f) => f.name?.includes(ref(sub))));
    t.setTime(sub.nextRunAt! + 5_000);
    await t.drain();
    await until(() => charts().length > 0);
    expect(alerts()).toHaveLength(1);
    expect(charts()).toHaveLength(1);
    expect(charts()[0]!.thread_ts).toBe(alerts()[0]!.ts);
    expect((await t.bot.services.subscriptions.get(sub.id))).toMatchObject({ alertState: 'firing', firedMessage: { ts: alerts()[0]!.ts } });
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  it('delivers a scheduled run retried after a Run now of the same minute, not taking the Run now\'s chart for its own', async () => {
    t.setTime(Date.now() - 3 * 86_400_000);
    const modal = await d.open('subscribe customer-count');
    expect((await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'chart' })).responseAction).toBeUndefined();
    const sub = (await d.subscriptions()).find((s) => s.kind === 'delivery')!;
    const charts = () => t.standin.conversation(CHANNEL).filter((m) => m.files?.some((f) => f.name?.includes(ref(sub))));
    // The scheduled run's upload fails once (Slack had a hiccup): it is retried a little later.
    t.standin.failNext('files.getUploadURLExternal', 'internal_error');
    t.setTime(sub.nextRunAt! + 5_000);
    await t.drain();
    expect(charts()).toHaveLength(0);
    // Meanwhile, within the same minute, its owner presses Run now: that chart is posted.
    t.setTime(sub.nextRunAt! + 10_000);
    expect((await t.bot.services.subscriptions.runNow(sub.id, RILEY)).ok).toBe(true);
    await t.standin.waitFor(() => (charts().length === 1 ? true : undefined), { timeoutMs: 15_000 });
    // The retry, a few minutes on, posts the scheduled run's own chart.
    t.setTime(sub.nextRunAt! + 5 * 60_000);
    await until(() => charts().length === 2);
    expect(charts()).toHaveLength(2);
    expect(charts().map((m) => m.files![0]!.name)).toEqual([expect.stringMatching(/_\d{8}-\d{6}-now\.png$/), expect.stringMatching(/_\d{8}-\d{4}\.png$/)]);
    expect((await t.bot.services.subscriptions.get(sub.id))!.lastRun).toMatchObject({ outcome: 'delivered', manual: false });
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });

  it('delivers a chart and its CSV once each when the CSV has to wait for the channel\'s turn', async () => {
    t.setTime(Date.now() - 3 * 86_400_000);
    const modal = await d.open('subscribe customer-count');
    const r = await d.submit(modal.id, { [ActionIds.subscriptionChannel]: CHANNEL, ...schedule('daily'), [ActionIds.subscriptionFormat]: 'chart_csv' });
    expect(r.responseAction).toBeUndefined();
    const sub = (await d.subscriptions()).find((s) => s.kind === 'delivery')!;
    const files = (ext: string) => t.standin.conversation(CHANNEL).filter((m) => m.files?.some((f) => f.name?.includes(ref(sub)) && f.name.endsWith(ext)));
    t.setTime(sub.nextRunAt! + 5_000);
    await t.drain();
    await until(() => files('.csv').length > 0);
    expect(files('.png')).toHaveLength(1);
    expect(files('.csv')).toHaveLength(1);
    expect((await t.bot.services.subscriptions.get(sub.id))!.lastRun).toMatchObject({ outcome: 'delivered' });
    await t.bot.services.subscriptions.remove(sub.id, RILEY);
  });
});
