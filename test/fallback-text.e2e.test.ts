/**
 * A message's top-level `text` (what notifications, previews, email digests and screen readers get when the
 * message has blocks) says the message's state after each chat.update, as the blocks do (a rerun's last edit:
 * test/rerun.fivetran.e2e.test.ts); and a chart's alt text
 * (what a screen reader says of it) carries its numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { FakeLooker, FakeLookerDefaults } from './support/fake-looker.js';
import { DEFAULT_RETRY } from '../src/jobs/policy.js';
import { ActionIds } from '../src/ids.js';
import { LOOKER_ACCESS_REQUESTS, type LookerAccessRequest } from '../src/services/looker-access.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import type { StandinUser } from '../src/slack-standin/server.js';

const CHANNEL = StandinDefaults.channel;
const render = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text, blocks: m?.blocks ?? [] });
/** The `text` of the last chat.update of the message at `ts`. */
const lastUpdateText = (t: TestBot, ts: string) => t.standin.callsTo('chat.update').filter((c) => c.args['ts'] === ts).at(-1)?.args['text'] as string | undefined;

describe('freshness alert: the text of an edited card says how late it is now, as its Late by field does', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0', PIPELINES_SIMULATED_RUN_MS: '300', RERUN_POLL_MS: '50' } });
  }, 120_000);
  afterAll(async () => t?.stop());

  it('acknowledged a day after it was posted: the text does not still say the lateness of the first check', async () => {
    await t.bot.services.freshness.check();
    await t.drain();
    const alert = t.standin.conversation(CHANNEL).find((m) => !m.thread_ts && m.text.includes('HubSpot is stale'))!;
    expect(alert.text).toMatch(/HubSpot is stale: 4 h late/);
    // A day later, still stale, someone acknowledges it: the card is redrawn (chat.update).
    t.advance(24 * 3_600_000);
    await t.standin.clickAction(t.client, { userId: StandinDefaults.users.bizops, channelId: CHANNEL, ts: alert.ts, actionId: ActionIds.freshnessAcknowledge, timeoutMs: 15_000 });
    await t.standin.waitFor(() => (render(t.standin.message(CHANNEL, alert.ts)).includes('acknowledged by') ? true : undefined), { timeoutMs: 15_000 });
    const card = JSON.stringify(t.standin.message(CHANNEL, alert.ts)!.blocks);
    const cardLate = /\*Late by\*\\n([^(]+?) \(since/.exec(card)?.[1];
    expect(cardLate).toBe('28 h');
    const text = lastUpdateText(t, alert.ts)!;
    // The card says 28 h late; the notification/preview/screen-reader text must not say 4 h.
    expect(text).toContain(`${cardLate} late`);
  });
});

describe('Looker access card: the text of the card edited after the grant failed says so', () => {
  const users: StandinUser[] = [
    { id: 'U0REGULAR', name: 'riley', realName: 'Riley Regular', email: 'riley@example.com' },
    { id: 'U0BIZOPS', name: 'blake', realName: 'Blake Bizops', email: 'blake@example.com' },
    { id: 'U0ADMIN', name: 'alex', realName: 'Alex Admin', email: 'alex@example.com' },
  ];
  let t: TestBot;
  let looker: FakeLooker;
  beforeAll(async () => {
    looker = new FakeLooker({ users: [] });
    await looker.start();
    t = await startTestBot({
      env: {
        LOOKER_BASE_URL: looker.url, LOOKER_CLIENT_ID: FakeLookerDefaults.clientId, LOOKER_CLIENT_SECRET: FakeLookerDefaults.clientSecret,
        LOOKER_VIEW_GROUP_ID: FakeLookerDefaults.viewGroupId, LOOKER_VIEW_ROLE_ID: FakeLookerDefaults.viewRoleId,
        LOOKER_CREATE_CONTENT_ROLE_IDS: FakeLookerDefaults.createContentRoleIds.join(','), LOOKER_DEVELOP_ROLE_IDS: FakeLookerDefaults.developRoleIds.join(','),
      },
      standinOptions: { users, usergroups: { S0BIZOPS: ['U0BIZOPS'], S0LOOKERADM: ['U0ADMIN'] } },
    });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await looker?.stop();
  });

  it('approved, then Looker refused the grant: the text is not just "(approved)" as when it was granted', async () => {
    const { ack } = await t.standin.runCommand(t.client, { command: '/looker-access', userId: 'U0REGULAR', channelId: CHANNEL });
    expect(ack.status).toBe(200);
    const modal = await t.standin.waitFor(() => t.standin.modals('U0REGULAR').at(-1));
    const before = t.standin.view(modal.id)!.hash;
    await t.standin.clickAction(t.client, { userId: 'U0REGULAR', viewId: modal.id, actionId: ActionIds.lookerAccessLevel, value: 'develop', timeoutMs: 200 });
    await t.standin.waitFor(() => (t.standin.view(modal.id)?.hash !== before ? true : undefined));
    await t.standin.submitView(t.client, {
      userId: 'U0REGULAR', viewId: modal.id,
      values: {
        [ActionIds.lookerAccessEmail]: 'riley@example.com', [ActionIds.lookerAccessTeam]: 'engineering', [ActionIds.lookerAccessLevel]: 'develop',
        [ActionIds.lookerAccessReason]: 'Build the product usage explore', [ActionIds.lookerAccessDuration]: '14',
      },
    });
    const requests = async () => (await t.store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS)).map((d) => d.data);
    let request: LookerAccessRequest | undefined;
    for (let i = 0; i < 300 && !request; i++) {
      request = (await requests()).find((x) => x.ts);
      if (!request) await new Promise((res) => setTimeout(res, 50));
    }
    if (!request) throw new Error('the card was never posted');
    expect(t.standin.message(CHANNEL, request.ts!)!.text).toMatch(/\(pending\)/);
    for (let i = 0; i < DEFAULT_RETRY.maxAttempts; i++) looker.failNext('PUT', /\/roles$/, 500, 'Internal server error');
    await t.standin.clickAction(t.client, { userId: 'U0ADMIN', channelId: CHANNEL, ts: request.ts!, actionId: ActionIds.lookerAccessApprove, timeoutMs: 200 });
    for (let i = 0; i < 10; i++) {
      t.advance(10 * 60_000);
      await t.drain();
    }
    t.setTime(Date.now());
    await t.standin.waitFor(() => (render(t.standin.message(CHANNEL, request.ts!)).includes('Looker did not accept the grant') ? true : undefined), { timeoutMs: 15_000 });
    const text = t.standin.message(CHANNEL, request.ts!)!.text;
    // The card says Looker refused the grant and offers Retry grant; the text still reads as a granted approval.
    expect(text).toMatch(/grant(ed)? (failed|not|by hand)|not granted|did not accept|retry/i);
  });
});

describe("a chart's alt text carries its numbers, not only its axes", () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
  }, 120_000);
  afterAll(async () => t?.stop());

  it('/query weekly-active-instances: a screen reader hears the latest values, as a scheduled delivery (no Show as table button) offers no other way', async () => {
    const calls = t.standin.calls.length;
    await t.standin.runCommand(t.client, { command: '/query', text: 'weekly-active-instances weeks=8', userId: StandinDefaults.users.regular, channelId: CHANNEL });
    const getUrl = await t.standin.waitFor(() => t.standin.calls.slice(calls).find((c) => c.method === 'files.getUploadURLExternal'), { timeoutMs: 30_000 });
    const alt = String(getUrl.args['alt_txt']);
    expect(alt).toMatch(/^Line chart: Weekly active instances/);
    // Each series with a number: "cloud 1,234" (the date range's digits are no data).
    for (const series of ['cloud', 'managed', 'self-hosted']) expect(alt).toMatch(new RegExp(`${series} [\\d,]+\\b`));
  });
});
