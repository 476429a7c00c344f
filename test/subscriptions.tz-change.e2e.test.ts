/**
 * The owner's Slack time zone changes after a delivery was set up (they moved, or Slack could not say at the
 * time and the schedule was taken as UTC). Editing it must not tell them the old zone is "your Slack time zone".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import type { StandinUser } from '../src/slack-standin/server.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { ActionIds, BlockIds } from '../src/ids.js';
import { SUBSCRIPTIONS, type Subscription } from '../src/services/subscriptions.js';

const CHANNEL = StandinDefaults.channel;
const RILEY = StandinDefaults.users.regular;
const riley: StandinUser = { id: RILEY, name: 'riley', realName: 'Riley Regular', email: 'riley@example.com', tz: 'America/Los_Angeles' };
const users: StandinUser[] = [riley, { id: StandinDefaults.users.bizops, name: 'blake', realName: 'Blake Bizops', email: 'blake@example.com' }];
const text = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text ?? '', blocks: (m?.blocks ?? []) as never });

describe("the owner's Slack time zone changes after a delivery was set up", () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0', JOBS_POLL_MS: '3600000' }, standinOptions: { users } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('the edit form does not call the zone it was set up in "your Slack time zone" once Slack says another', async () => {
    t.setTime(Date.parse('2026-12-01T13:00:00Z'));
    await t.standin.runCommand(t.client, { command: '/query', text: 'subscribe instances-by-hosting', userId: RILEY, channelId: CHANNEL, timeoutMs: 300 });
    const modal = await t.standin.waitFor(() => t.standin.modals(RILEY).at(-1));
    expect(text(modal)).toContain('Times are in your Slack time zone: *America/Los_Angeles*');
    const r = await t.standin.submitView(t.client, { userId: RILEY, viewId: modal.id, values: { [ActionIds.subscriptionChannel]: CHANNEL, [ActionIds.subscriptionScheduleKind]: 'daily', [ActionIds.subscriptionTime]: '09:00', [ActionIds.subscriptionFormat]: 'table' }, timeoutMs: 300 });
    expect(r.errors).toBeUndefined();
    const [sub] = (await t.store.list<Subscription>(SUBSCRIPTIONS)).map((d) => d.data);
    // Riley moves to Berlin: Slack's profile says so from now on.
    riley.tz = 'Europe/Berlin';
    const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL });
    const list = replies.find((x) => x.message?.ephemeral)!.message!;
    await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionEdit, blockId: `${BlockIds.subscriptionActions}.${sub!.id}.listed`, timeoutMs: 300 });
    const form = await t.standin.waitFor(() => (t.standin.modals(RILEY).at(-1)?.id !== modal.id ? t.standin.modals(RILEY).at(-1) : undefined));
    // Slack says Europe/Berlin: the form must not say Los Angeles is Riley's Slack time zone.
    expect(text(form)).not.toContain('Times are in your Slack time zone: *America/Los_Angeles*');
    expect(text(form)).toContain('Times are in *America/Los_Angeles*, the time zone it was set up in');
    await t.standin.closeView(t.client, { userId: RILEY, clearAll: true });
  });

  it('nor calls UTC "your Slack time zone" when it was taken as UTC because Slack named a zone this runtime did not know', async () => {
    riley.tz = 'America/Nowhere_Land';
    await t.standin.runCommand(t.client, { command: '/query', text: 'subscribe instances-by-hosting', userId: RILEY, channelId: CHANNEL, timeoutMs: 300 });
    const modal = await t.standin.waitFor(() => t.standin.modals(RILEY).at(-1));
    expect(text(modal)).toContain('Times are in *UTC*');
    expect((await t.standin.submitView(t.client, { userId: RILEY, viewId: modal.id, values: { [ActionIds.subscriptionDm]: 'dm', [ActionIds.subscriptionScheduleKind]: 'daily', [ActionIds.subscriptionTime]: '09:00', [ActionIds.subscriptionFormat]: 'table' }, timeoutMs: 300 })).errors).toBeUndefined();
    const sub = (await t.store.list<Subscription>(SUBSCRIPTIONS)).map((d) => d.data).find((s) => s.target.kind === 'dm')!;
    expect(sub.schedule).toMatchObject({ tz: 'UTC' });
    const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL });
    const list = replies.find((x) => x.message?.ephemeral)!.message!;
    await t.standin.clickAction(t.client, { userId: RILEY, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionEdit, blockId: `${BlockIds.subscriptionActions}.${sub.id}.listed`, timeoutMs: 300 });
    const form = await t.standin.waitFor(() => (t.standin.modals(RILEY).at(-1)?.id !== modal.id ? t.standin.modals(RILEY).at(-1) : undefined));
    // The new form refused to call it that (subscriptions.e2e: "not your Slack time zone: *UTC*"); the edit form must not either.
    expect(text(form)).not.toContain('your Slack time zone: *UTC*');
  });
});
