/**
 * The read-only surfaces (App Home, the audit log, `/pipeline status`, the subscription form's redraw) as a
 * curious or hostile user reads them: signed requests to the real Bolt receiver, the stand-in recording what the
 * bot says. Each says who asked, what was done, and what it leaves out, and shows nobody what is not theirs.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { signSlackRequest } from '../src/slack-standin/signing.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { ActionIds, BlockIds } from '../src/ids.js';
import { LOOKER_ACCESS_REQUESTS } from '../src/services/looker-access.js';
import { SUBSCRIPTIONS, type Subscription } from '../src/services/subscriptions.js';
import type { StandinUser } from '../src/slack-standin/types.js';

const RILEY = StandinDefaults.users.regular;
const BLAKE = StandinDefaults.users.bizops;
const ALEX = StandinDefaults.users.lookerAdmin;
const CHANNEL = StandinDefaults.channel;

/** Slack's `app_home_opened` event, signed like Slack signs it; the published tab as text. */
async function openHome(t: TestBot, user: string): Promise<string> {
  const now = Date.now();
  const body = JSON.stringify({
    token: 'standin-verification-token', team_id: StandinDefaults.teamId, api_app_id: StandinDefaults.appId,
    event: { type: 'app_home_opened', user, channel: t.standin.dmChannelId(user), tab: 'home', event_ts: (now / 1000).toFixed(6) },
    type: 'event_callback', event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`, event_time: Math.floor(now / 1000),
    authorizations: [{ enterprise_id: null, team_id: StandinDefaults.teamId, user_id: StandinDefaults.botUserId, is_bot: true, is_enterprise_install: false }],
  });
  const publishes = t.standin.callsTo('views.publish').length;
  const ack = await t.client.raw(body, { 'content-type': 'application/json', ...signSlackRequest(t.signingSecret, body) });
  expect(ack.status).toBe(200);
  await t.standin.waitFor(() => t.standin.callsTo('views.publish').length > publishes && t.standin.callsTo('views.publish').at(-1)?.result);
  return blocksToText({ blocks: t.standin.homeView(user)!.blocks });
}

async function command(t: TestBot, user: string, cmd: string, text: string): Promise<string> {
  const { replies } = await t.standin.runCommand(t.client, { command: cmd, text, userId: user, channelId: CHANNEL, timeoutMs: 20_000 });
  const body = replies[0]?.via === 'response_url' ? (replies[0] as { body: Record<string, unknown> }).body : {};
  return JSON.stringify(body);
}

const lookerRequest = (id: string, fields: Record<string, unknown>) => ({
  id, requesterId: RILEY, subjectId: RILEY, email: 'riley@example.com', team: 'engineering', level: 'develop',
  reason: 'Build the support dashboards', durationDays: 30, status: 'pending', route: 'needs_approval', viewId: `V${id}`,
  createdAt: new Date(Date.now() - 60_000).toISOString(), channel: null, ts: null, decidedBy: null, decidedAt: null, grant: null,
  grantError: null, expiresAt: null, reminderSentAt: null, expiredAt: null, revokedRoleIds: null, revokeError: null, ...fields,
});

describe('App Home and the audit log', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('says on the Home of the person a Looker request is for who asked for it (it is not a request they made)', async () => {
    // Blake asks Develop access for Riley: Riley never asked, but finds it among "My open requests".
    await t.store.put(LOOKER_ACCESS_REQUESTS, 'la_probe0001', lookerRequest('la_probe0001', { requesterId: BLAKE, subjectId: RILEY }));
    const home = await openHome(t, RILEY);
    expect(home).toContain('Develop access to Looker');
    expect(home).toContain(`from @${BLAKE}`);
  });

  it('writes Retry grant in the audit log as a sentence with the short ID, like every other Looker entry', async () => {
    await t.store.put(LOOKER_ACCESS_REQUESTS, 'la_probe0002', lookerRequest('la_probe0002', {
      status: 'approved', decidedBy: ALEX, decidedAt: new Date().toISOString(), grantError: 'the Looker user for riley@example.com is disabled',
      expiresAt: new Date(Date.now() + 20 * 86_400_000).toISOString(),
    }));
    const ack = await t.client.blockAction({
      userId: ALEX, channelId: CHANNEL, message: { ts: '1700000000.000100', text: 'card' },
      actions: [{ action_id: ActionIds.lookerAccessRetryGrant, block_id: 'b', value: 'la_probe0002' }],
    });
    expect(ack.status).toBe(200);
    for (let i = 0; i < 100 && !(await t.store.recentAudit(20)).some((x) => x.action === 'looker_access.grant_retried'); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await t.store.recentAudit(20)).some((x) => x.action === 'looker_access.grant_retried')).toBe(true);
    const log = await command(t, BLAKE, '/analytics', 'audit');
    expect(log).not.toContain('looker_access.grant_retried');
    expect(log).not.toContain('la_probe0002');
    expect(log).toContain('LA-');
  });
});

describe('/pipeline status with many sources', () => {
  let t: TestBot;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'many-sources-'));
    const sources = Array.from({ length: 45 }, (_, i) => {
      const n = String(i + 1).padStart(2, '0');
      return `  - id: src${n}\n    name: Source ${n}\n    kind: other\n    system: other\n    dataset: ds${n}\n    tables: [t${n}]\n    freshness: { measure: table_modified }\n    sla_hours: 24\n    owner: S0BIZOPS\n    rerun: none\n`;
    }).join('');
    await writeFile(path.join(dir, 'sources.yml'), `sources:\n${sources}`);
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0', SOURCES_FILE: path.join(dir, 'sources.yml') } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists every source, or says how many it leaves out', async () => {
    const status = await command(t, RILEY, '/pipeline', 'status');
    expect(status).toContain('45 sources');
    const shown = (status.match(/\(`src\d\d`\)/g) ?? []).length;
    expect(shown).toBeLessThan(45);
    // The 45 sources (none of their tables in the demo warehouse) are all unknown: what is left out is not "the freshest".
    expect(status).toContain(`${45 - shown} more not shown: ${45 - shown} unknown.`);
  });

  it('shows only the source named after status, by ID or name, even one past the rows of the whole list', async () => {
    // Only its tables are read (each read of the others would be a billed one on BigQuery, for nothing shown).
    const read = vi.spyOn(t.warehouse, 'tableFreshness');
    for (const text of ['status src45', 'status Source 45', 'STATUS "src45"']) {
      read.mockClear();
      const one = await command(t, RILEY, '/pipeline', text);
      expect(one).toContain('1 source: 1 unknown.');
      expect(one).not.toContain('Worst first');
      expect(one.match(/\(`src\d\d`\)/g)).toEqual(['(`src45`)']);
      // A person waits on it: no `background`, so on BigQuery it goes ahead of a scheduled check's reads.
      expect(read.mock.calls).toEqual([[['t45'], {}]]);
    }
    read.mockRestore();
  });

  it('says a name after status that is no source, with the nearest, rather than listing them all', async () => {
    const typo = await command(t, RILEY, '/pipeline', 'status src4');
    expect(typo).toContain('No source is called “src4”');
    expect(typo).toContain('Example: `/pipeline status src01`');
    expect(typo).not.toContain('Pipeline freshness');
    // Junk: quoted, cut, escaped; nothing else said.
    const junk = await command(t, RILEY, '/pipeline', `status <!channel> ${'x'.repeat(3_000)}`);
    expect(junk).toContain('No source is called');
    expect(junk).not.toContain('<!channel>');
    expect(junk.length).toBeLessThan(2_000);
  });

  it("reads the sources for the scheduled check (the job's, Cloud Scheduler's) as background reads, which a person's go ahead of", async () => {
    const read = vi.spyOn(t.warehouse, 'tableFreshness');
    await t.bot.services.freshness.check();
    expect(read.mock.calls).toHaveLength(45);
    expect(read.mock.calls.filter(([, options]) => options?.background !== true)).toEqual([]);
    read.mockRestore();
  });
});

describe('the subscription form with a tampered private_metadata', () => {
  let t: TestBot;
  const users: StandinUser[] = [
    { id: RILEY, name: 'riley', realName: 'Riley Regular', email: 'riley@example.com' },
    { id: BLAKE, name: 'blake', realName: 'Blake Bizops', email: 'blake@example.com' },
    { id: ALEX, name: 'alex', realName: 'Alex Admin', email: 'alex@example.com' },
  ];
  const PRIVATE = 'C0PRIVATE';
  const channels = [{ id: CHANNEL, name: 'analytics' }, { id: PRIVATE, name: 'bizops-only', isPrivate: true, members: [BLAKE] }];
  beforeAll(async () => {
    t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' }, standinOptions: { users, channels } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  async function open(user: string, words: string) {
    const before = t.standin.modals(user).at(-1)?.id;
    await t.standin.runCommand(t.client, { command: '/query', text: words, userId: user, channelId: CHANNEL, timeoutMs: 300 });
    return t.standin.waitFor(() => {
      const top = t.standin.modals(user).at(-1);
      return top && top.id !== before ? top : undefined;
    });
  }

  it("does not draw someone else's delivery (its schedule, its ID) into a form whose private_metadata names it", async () => {
    // Blake's delivery to a private channel Riley is not in, on a cron schedule of its own.
    const his = await open(BLAKE, 'subscribe weekly-active-instances');
    await t.standin.clickAction(t.client, { userId: BLAKE, viewId: his.id, actionId: ActionIds.subscriptionScheduleKind, value: 'cron', timeoutMs: 300 });
    await t.standin.waitFor(() => (JSON.stringify(t.standin.view(his.id)?.blocks ?? []).includes(ActionIds.subscriptionCron) ? true : undefined));
    const saved = await t.standin.submitView(t.client, {
      userId: BLAKE, viewId: his.id, timeoutMs: 300,
      values: { [ActionIds.subscriptionChannel]: PRIVATE, [ActionIds.subscriptionScheduleKind]: 'cron', [ActionIds.subscriptionCron]: '17 6 * * 2', [ActionIds.subscriptionFormat]: 'table' },
    });
    expect(saved.responseAction).toBeUndefined();
    const sub = (await t.store.list<Subscription>(SUBSCRIPTIONS)).map((d) => d.data).find((s) => s.owner === BLAKE)!;
    expect(sub.schedule).toMatchObject({ kind: 'cron', cron: '17 6 * * 2' });

    // Riley opens a form of his own, and sends its schedule menu's change with Blake's ID put in its private_metadata.
    const mine = await open(RILEY, 'subscribe weekly-active-instances');
    const meta = JSON.parse(mine.private_metadata ?? '{}') as Record<string, unknown>;
    const updates = t.standin.callsTo('views.update').length;
    await t.client.blockAction({
      userId: RILEY,
      view: { id: mine.id, hash: mine.hash, type: 'modal', callback_id: mine.callback_id, private_metadata: JSON.stringify({ ...meta, id: sub.id }), blocks: mine.blocks, state: { values: {} } },
      actions: [{ type: 'static_select', action_id: ActionIds.subscriptionScheduleKind, block_id: BlockIds.subscriptionScheduleKind, selected_option: { value: 'cron', text: { type: 'plain_text', text: 'cron' } } }],
    });
    // The handler has refused (its warning logged), not merely not drawn yet: no sleep that a slow machine outlasts.
    await t.standin.waitFor(() => (t.logs.some((l) => l.includes('subscription form redraw refused')) ? true : undefined), { timeoutMs: 15_000 });
    const drawn = t.standin.callsTo('views.update').slice(updates).map((c) => JSON.stringify(c.args));
    for (const view of drawn) {
      expect(view).not.toContain('17 6 * * 2');
      expect(view).not.toContain(sub.id);
    }
  });
});
