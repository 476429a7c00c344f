/**
 * A Slack time zone this runtime does not know
 * (Slack's list and the runtime's ICU data differ in age) must not leave the
 * person with a form that can never be saved; and one that changed after a
 * delivery was set up (a move) must not be confused with the zone it runs in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import type { StandinUser } from '../src/slack-standin/server.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { ActionIds, BlockIds } from '../src/ids.js';
import { SUBSCRIPTIONS, type Subscription } from '../src/services/subscriptions.js';

const CHANNEL = StandinDefaults.channel;
const RILEY = StandinDefaults.users.regular;
/** Riley, whose Slack time zone a test may change (Slack's profile answers it from then on). */
const riley: StandinUser = { id: RILEY, name: 'riley', realName: 'Riley Regular', email: 'riley@example.com', tz: 'America/Nowhere_Land' };
const users: StandinUser[] = [riley, { id: StandinDefaults.users.bizops, name: 'blake', realName: 'Blake Bizops', email: 'blake@example.com' }];
const text = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text ?? '', blocks: (m?.blocks ?? []) as never });

describe('a Slack time zone the runtime does not know, or one changed since', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0', JOBS_POLL_MS: '3600000' }, standinOptions: { users } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('is taken as UTC, as the form says, so the delivery can be saved (not refused on a zone the person cannot change)', async () => {
    t.setTime(Date.parse('2026-12-01T13:00:00Z'));
    await t.standin.runCommand(t.client, { command: '/query', text: 'subscribe instances-by-hosting', userId: RILEY, channelId: CHANNEL, timeoutMs: 300 });
    const modal = await t.standin.waitFor(() => t.standin.modals(RILEY).at(-1));
    // It says why UTC: not "I could not read your Slack time zone… run the command again", which would not help.
    const why = 'Times are in *UTC*: Slack gives your time zone as *America/Nowhere_Land*, which I do not know yet.';
    expect(text(modal)).toContain(why);
    expect(text(modal)).not.toContain('could not read');
    // Redrawn for another schedule kind, it still says so.
    await t.standin.clickAction(t.client, { userId: RILEY, viewId: modal.id, actionId: ActionIds.subscriptionScheduleKind, value: 'weekly', timeoutMs: 300 });
    await t.standin.waitFor(() => (JSON.stringify(t.standin.view(modal.id)?.blocks ?? []).includes(BlockIds.subscriptionDay) ? true : undefined));
    expect(text(t.standin.view(modal.id))).toContain(why);
    const r = await t.standin.submitView(t.client, { userId: RILEY, viewId: modal.id, values: { [ActionIds.subscriptionChannel]: CHANNEL, [ActionIds.subscriptionScheduleKind]: 'daily', [ActionIds.subscriptionTime]: '09:00', [ActionIds.subscriptionFormat]: 'table' }, timeoutMs: 300 });
    expect(r.errors).toBeUndefined();
    const [sub] = (await t.store.list<Subscription>(SUBSCRIPTIONS)).map((d) => d.data);
    expect(sub!.schedule).toMatchObject({ kind: 'daily', time: '09:00', tz: 'UTC' });
    expect(sub!.nextRunAt).toBe(Date.parse('2026-12-02T09:00:00Z'));
  });

  it('the edit form does not call the zone it was set up in "your Slack time zone" once Slack says another', async () => {
    riley.tz = 'America/Los_Angeles';
    t.setTime(Date.parse('2026-12-01T13:00:00Z'));
    await t.standin.runCommand(t.client, { command: '/query', text: 'subscribe instances-by-hosting', userId: RILEY, channelId: CHANNEL, timeoutMs: 300 });
    const modal = await t.standin.waitFor(() => t.standin.modals(RILEY).at(-1));
    expect(text(modal)).toContain('Times are in your Slack time zone: *America/Los_Angeles*');
    const r = await t.standin.submitView(t.client, { userId: RILEY, viewId: modal.id, values: { [ActionIds.subscriptionChannel]: CHANNEL, [ActionIds.subscriptionScheduleKind]: 'daily', [ActionIds.subscriptionTime]: '09:00', [ActionIds.subscriptionFormat]: 'table' }, timeoutMs: 300 });
    expect(r.errors).toBeUndefined();
    const sub = (await t.store.list<Subscription>(SUBSCRIPTIONS)).map((d) => d.data).find((s) => s.schedule.tz === 'America/Los_Angeles');
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
