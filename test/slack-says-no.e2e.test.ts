/**
 * When Slack itself says no, for good or until someone fixes something: end
 * to end, the real Bolt app against the stand-in, its clock moved on.
 *
 * - The app's token refused (revoked, or the workspace's account inactive)
 *   is the operator's to fix, for every effect at once: an alert's or a
 *   rerun's message whose edit it refused is edited once the token works
 *   again, as a post it refused is posted (a subscription's run it failed,
 *   account_inactive included, pauses nothing: test/subscriptions.e2e.test.ts).
 *   So is the recovery's reply in the alert's thread, and a request's card
 *   (its next change would be refused as well).
 * - Someone outside BizOps who clicked "Ask BizOps to rerun" is told at once
 *   "I asked BizOps"; when Slack then will not post the ask, they hear so.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { refreshDemoTables } from '../src/adapters/warehouse/demo-sources.js';
import type { EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { ActionIds } from '../src/ids.js';

const channel = StandinDefaults.channel;
const render = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text, blocks: m?.blocks ?? [] });

describe("an alert's edit refused because Slack refused the app's token (the operator reinstalls it)", () => {
  let own: TestBot;
  beforeAll(async () => {
    own = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0', PIPELINES_SIMULATED_RUN_MS: '300', RERUN_POLL_MS: '50' } });
  }, 120_000);
  afterAll(async () => own?.stop());

  const job = async (key: string) => (await own.store.list<{ state: string; attempts: number; runAt: number | null; lastError: string | null }>('jobs')).find((j) => j.id === key)?.data;

  it('redraws the recovered card once the token works again: not stale with live buttons for good', async () => {
    const code = 'token_revoked';
    const f = own.bot.services.freshness;
    await f.check();
    await own.drain();
    const card = own.standin.conversation(channel).filter((m) => !m.thread_ts && !m.ephemeral && m.text.includes('HubSpot is stale')).at(-1)!;
    expect(card).toBeDefined();
    const episode = (await f.alerts.get('hubspot'))!.episode;
    // The token is refused while the source recovers: the card's edit to "recovered" is refused.
    own.standin.failNext('chat.update', code, 1_000);
    own.standin.failNext('chat.postMessage', code, 1_000);
    try {
      await refreshDemoTables(own.warehouse as EmbeddedWarehouse, ['hubspot_contacts', 'hubspot_companies'], own.now());
      await f.check();
      await own.drain();
      expect(render(own.standin.message(channel, card.ts))).toMatch(/stale/);
      const key = `notice:freshness.alert:hubspot:${episode}`;
      const j = await job(key);
      // Put back to be tried again later (as a post the token refused is), not failed for good.
      expect(j).toMatchObject({ state: 'pending' });
      // The operator reinstalls the app: Slack takes the token again.
      own.standin.clearFaults('chat.update');
      own.standin.clearFaults('chat.postMessage');
      // An hour after the retry fell due (the operator took a while).
      own.advance(j!.runAt! - own.now().getTime() + 3_600_000);
      await own.drain();
    } finally {
      own.standin.clearFaults('chat.update');
      own.standin.clearFaults('chat.postMessage');
    }
    expect(render(own.standin.message(channel, card.ts))).toMatch(/recovered/i);
    // And its thread says so, once: the recovery's reply the token was refused for is posted now too.
    const replies = own.standin.conversation(channel).filter((m) => m.thread_ts === card.ts && /fresh again|recovered/i.test(render(m)));
    expect(replies).toHaveLength(1);
    // Over an hour after the recovery: said as of then, not as news.
    expect(render(replies[0])).toMatch(/HubSpot was fresh again /);
  });
});

describe("a request's card whose edit Slack refused for the app's token", () => {
  let own: TestBot;
  beforeAll(async () => {
    own = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' } });
  }, 120_000);
  afterAll(async () => own?.stop());
  const { regular, bizops } = StandinDefaults.users;

  it('is edited once the token works again: the accepted request does not keep its Accept and Decline buttons', async () => {
    await own.standin.runCommand(own.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    await own.standin.submitView(own.client, {
      userId: regular,
      values: {
        [ActionIds.pipelineRequestSource]: 'other',
        [ActionIds.pipelineRequestObjects]: 'Zendesk tickets',
        [ActionIds.pipelineRequestDestination]: 'zendesk_refused',
        [ActionIds.pipelineRequestFrequency]: 'daily',
        [ActionIds.pipelineRequestOwner]: bizops,
        [ActionIds.pipelineRequestWhy]: 'Support wants ticket volume per customer.',
      },
    });
    const card = await own.standin.waitFor(() => own.standin.conversation(channel).find((m) => !m.thread_ts && render(m).includes('zendesk_refused')));
    const buttons = () => JSON.stringify(own.standin.message(channel, card.ts)?.blocks ?? []).includes(ActionIds.pipelineRequestAccept);
    expect(buttons()).toBe(true);
    own.standin.failNext('chat.update', 'token_revoked', 1_000);
    try {
      await own.standin.clickAction(own.client, { userId: bizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestAccept });
      for (let i = 0; i < 5; i++) {
        await own.drain();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(buttons()).toBe(true);
      const key = (await own.store.list<{ state: string; runAt: number | null }>('jobs')).find((j) => j.id.startsWith('notice:pipeline_request.card:'))!;
      // Put back to be tried again later, not left for a next change that the refused token would refuse as well.
      expect(key.data).toMatchObject({ state: 'pending' });
      own.standin.clearFaults('chat.update');
      own.advance(key.data.runAt! - own.now().getTime() + 1_000);
      await own.drain();
    } finally {
      own.standin.clearFaults('chat.update');
    }
    expect(buttons()).toBe(false);
    expect(render(own.standin.message(channel, card.ts))).toMatch(/accepted/i);
  });
});

describe('"Ask BizOps to rerun" that Slack does not take as asked', () => {
  let own: TestBot;
  beforeEach(async () => {
    own = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' } });
  }, 120_000);
  afterEach(async () => own?.stop());
  const regular = StandinDefaults.users.regular;

  /** HubSpot's stale card, and its "Ask BizOps to rerun" clicked by a regular user, once they are told "I asked BizOps". */
  async function askOnCard(before: () => void = () => {}) {
    await own.bot.services.freshness.check();
    await own.drain();
    const card = own.standin.conversation(channel).find((m) => !m.thread_ts && !m.ephemeral && m.text.includes('HubSpot is stale'))!;
    expect(card).toBeDefined();
    before();
    const click = await own.client.blockAction({
      userId: regular, channelId: channel, container: { type: 'message', message_ts: card.ts, channel_id: channel, is_ephemeral: false },
      actions: [{ block_id: 'b', action_id: ActionIds.rerunRequest, type: 'button', value: 'hubspot' } as never],
    });
    expect(click.status).toBe(200);
    await own.standin.waitFor(() => own.standin.responses.find((r) => JSON.stringify(r.body).includes('I asked BizOps to rerun HubSpot')), { timeoutMs: 10_000 });
    return card;
  }

  it('tells the person who asked that BizOps were not asked (the bot removed from the channel), and lets them ask again', async () => {
    await askOnCard(() => own.standin.failNext('chat.postMessage', 'not_in_channel'));
    for (let i = 0; i < 5; i++) {
      await own.drain();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(own.standin.conversation(channel).filter((m) => m.text.includes('to rerun *HubSpot*'))).toHaveLength(0);
    // The ask went nowhere: the person hears so, rather than waiting on BizOps who were never asked.
    const told = own.standin.conversation(regular).filter((m) => !m.ephemeral && /BizOps/.test(render(m)) && /HubSpot/.test(render(m)));
    expect(told).toHaveLength(1);
    expect(render(told[0])).toMatch(/could not/i);
    // And may ask again (the half hour's hold is for an ask that was made).
    expect(await own.bot.services.freshness.reruns.requestFromBizops('hubspot', regular)).toMatchObject({ kind: 'posted' });
  });

  it('does not tell them so when the ask is in Slack after all (posted, its answer lost, and every look for it failing until it gave up)', async () => {
    // Slack takes the ask, and its answer is lost; then every look for it fails until the job gives up.
    let lost = false;
    const off = own.standin.onApplied((call) => {
      if (call.method !== 'chat.postMessage' || lost || !String(call.args['text'] ?? '').includes('to rerun *HubSpot*')) return;
      lost = true;
      throw new Error('the answer is lost');
    });
    const job = async (prefix: string) => (await own.store.list<{ state: string }>('jobs')).find((j) => j.id.startsWith(prefix))?.data;
    let card;
    try {
      // Asked (and its time taken) on the clock Slack's is, before the test moves the bot's on.
      card = await askOnCard(() => {
        for (const method of ['conversations.replies', 'conversations.history']) own.standin.failNext(method, 'internal_error', 100);
      });
      await vi.waitFor(() => expect(lost).toBe(true), { timeout: 10_000 });
      for (let i = 0; i < 40 && (await job('notice:rerun.asked:hubspot'))?.state !== 'failed'; i++) {
        own.advance(3 * 60_000);
        await own.drain();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await job('notice:rerun.asked:hubspot')).toMatchObject({ state: 'failed' });
    } finally {
      off();
      own.standin.clearFaults('conversations.replies');
      own.standin.clearFaults('conversations.history');
    }
    // Slack answers looks again by the time the person would be told.
    for (let i = 0; i < 5; i++) {
      own.advance(60_000);
      await own.drain();
    }
    expect(await job('notice:rerun.ask_failed:hubspot')).toMatchObject({ state: 'done' });
    expect(own.standin.conversation(channel).filter((m) => m.thread_ts === card.ts && m.text.includes('to rerun *HubSpot*'))).toHaveLength(1);
    expect(own.standin.conversation(regular).filter((m) => /were not asked/.test(render(m)))).toHaveLength(0);
  });
});
