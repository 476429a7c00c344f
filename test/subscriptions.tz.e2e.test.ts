/**
 * A Slack time zone this runtime does not know
 * (Slack's list and the runtime's ICU data differ in age) must not leave the
 * person with a form that can never be saved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import type { StandinUser } from '../src/slack-standin/server.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { ActionIds, BlockIds } from '../src/ids.js';
import { SUBSCRIPTIONS, type Subscription } from '../src/services/subscriptions.js';

const CHANNEL = StandinDefaults.channel;
const RILEY = StandinDefaults.users.regular;
const users: StandinUser[] = [
  { id: RILEY, name: 'riley', realName: 'Riley Regular', email: 'riley@example.com', tz: 'America/Nowhere_Land' },
  { id: StandinDefaults.users.bizops, name: 'blake', realName: 'Blake Bizops', email: 'blake@example.com' },
];
const text = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text ?? '', blocks: (m?.blocks ?? []) as never });

describe('a Slack time zone the runtime does not know', () => {
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
});
