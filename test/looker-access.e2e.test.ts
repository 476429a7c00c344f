/**
 * `/looker-access` end to end: signed requests through the real Bolt HTTP
 * receiver, the Slack stand-in playing Slack, a loopback Looker following API
 * 4.0, and the store on both adapters (embedded; Firestore on its emulator).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { clickTwiceWithOneTrigger, commandTwiceWithOneTrigger, startTestBot, type TestBot } from './support/harness.js';
import { FakeLooker, FakeLookerDefaults } from './support/fake-looker.js';
import { blockKitViolations } from './support/block-limits.js';
import { CONTENDED_TX_MS, firestoreAvailable } from './support/firestore-emulator.js';
import { showBotLogsOnFailure } from './support/failure-logs.js';
import { jobsIn } from './support/jobs.js';
import { DEFAULT_RETRY } from '../src/jobs/policy.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import { ActionIds, BlockIds, CallbackIds } from '../src/ids.js';
import { LOOKER_ACCESS_REQUESTS, MAX_PENDING_PER_REQUESTER, RETRY_GRANT_ONCE_MS, lookerRequestRef, lookerUserLockName, type LookerAccessRequest } from '../src/services/looker-access.js';
import type { Store } from '../src/ports/store.js';
import type { StoredMessage, StandinUser } from '../src/slack-standin/server.js';
import { noticeJob } from '../src/ports/notices.js';
import { JOBS, jobKey, type JobDoc } from '../src/jobs/model.js';

const CHANNEL = 'C0ANALYTIC';
const RILEY = 'U0REGULAR';
const BLAKE = 'U0BIZOPS';
const ALEX = 'U0ADMIN';
const JORDAN = 'U0ADMIN2';
/** A member whose Slack profile shows no email (Slack leaves it out without users:read.email). */
const SAM = 'U0NOEMAIL';
const DAY = 86_400_000;

const users: StandinUser[] = [
  { id: RILEY, name: 'riley', realName: 'Riley Regular', email: 'riley@example.com' },
  { id: BLAKE, name: 'blake', realName: 'Blake Bizops', email: 'blake@example.com' },
  { id: ALEX, name: 'alex', realName: 'Alex Admin', email: 'alex@example.com' },
  { id: JORDAN, name: 'jordan', realName: 'Jordan Admin', email: 'jordan@example.com' },
  { id: SAM, name: 'sam', realName: 'Sam Noemail' },
];
const standinOptions = { users, usergroups: { S0BIZOPS: [BLAKE], S0LOOKERADM: [ALEX, JORDAN] } };

function lookerEnv(looker: FakeLooker): Record<string, string> {
  return {
    LOOKER_BASE_URL: looker.url,
    LOOKER_CLIENT_ID: FakeLookerDefaults.clientId,
    LOOKER_CLIENT_SECRET: FakeLookerDefaults.clientSecret,
    LOOKER_VIEW_GROUP_ID: FakeLookerDefaults.viewGroupId,
    LOOKER_VIEW_ROLE_ID: FakeLookerDefaults.viewRoleId,
    LOOKER_CREATE_CONTENT_ROLE_IDS: FakeLookerDefaults.createContentRoleIds.join(','),
    LOOKER_DEVELOP_ROLE_IDS: FakeLookerDefaults.developRoleIds.join(','),
  };
}

/** Blake already has Support (3) and Developer (6) in Looker: expiry must leave them. */
function newFakeLooker(): FakeLooker {
  return new FakeLooker({ users: [{ id: '50', email: 'blake@example.com', first_name: 'Blake', last_name: 'Bizops', role_ids: ['3', '6'] }] });
}

type Values = Record<string, string>;

/** A harness around one bot: user actions and what they left behind. */
function driver(get: () => TestBot) {
  const d = {
    async openModal(userId: string) {
      const t = get();
      const { ack } = await t.standin.runCommand(t.client, { command: '/looker-access', userId, channelId: CHANNEL });
      expect(ack.status).toBe(200);
      return t.standin.waitFor(() => t.standin.modals(userId).at(-1));
    },
    /** Fills the modal as a person does: picking an elevated level first brings in the reason and days. */
    async request(userId: string, values: Values, wait: { timeoutMs?: number } = {}) {
      const t = get();
      const modal = await d.openModal(userId);
      const level = values[ActionIds.lookerAccessLevel];
      if (typeof level === 'string' && level !== 'view') await d.pickLevel(userId, modal.id, level);
      const result = await t.standin.submitView(t.client, { userId, viewId: modal.id, values, ...wait });
      return { modal, result };
    },
    /** Picks a level in the open modal (a radio with dispatch_action); resolves once the bot has updated the modal. */
    async pickLevel(userId: string, viewId: string, level: string) {
      const t = get();
      const before = t.standin.view(viewId)!.hash;
      const { ack } = await t.standin.clickAction(t.client, { userId, viewId, actionId: ActionIds.lookerAccessLevel, value: level, timeoutMs: 200 });
      expect(ack.status).toBe(200);
      return t.standin.waitFor(() => {
        const v = t.standin.view(viewId);
        return v && v.hash !== before ? v : undefined;
      });
    },
    /** Posts the bot made about Looker access (other features post in the channel too). */
    lookerPosts() {
      return get().standin.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.args).includes('Looker'));
    },
    async requests(): Promise<LookerAccessRequest[]> {
      return (await get().store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS)).map((doc) => doc.data);
    },
    card(request: LookerAccessRequest): StoredMessage | undefined {
      return request.ts ? get().standin.message(CHANNEL, request.ts) : undefined;
    },
    dms(userId: string): StoredMessage[] {
      return [...get().standin.conversation(userId)];
    },
    /** Clicks a button on the card; resolves with the ephemeral answer the clicker got. */
    async click(userId: string, request: LookerAccessRequest, actionId: string, wait: { timeoutMs?: number } = {}): Promise<string> {
      const t = get();
      const seen = new Set(t.standin.conversation(CHANNEL).map((m) => m.ts));
      const { ack } = await t.standin.clickAction(t.client, { userId, channelId: CHANNEL, ts: request.ts!, actionId, timeoutMs: 200 });
      expect(ack.status).toBe(200);
      const answer = await t.standin.waitFor(() => t.standin.conversation(CHANNEL).find((m) => !seen.has(m.ts) && m.ephemeral?.user === userId), wait);
      return text(answer);
    },
    /** A payload Slack never sent: a click carrying `value`, from a user who maybe never saw the button. */
    async forgedClick(userId: string, actionId: string, value: string, ts: string) {
      const t = get();
      const before = t.standin.responses.length;
      const ack = await t.client.blockAction({
        userId,
        channelId: CHANNEL,
        container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false },
        actions: [{ action_id: actionId, block_id: BlockIds.lookerAccessActions, value }],
      });
      expect(ack.status).toBe(200);
      await t.standin.waitFor(() => t.standin.responses.length > before);
      return JSON.stringify(t.standin.responses.slice(before).map((r) => r.body));
    },
    async audits(id: string) {
      return (await get().store.recentAudit(500)).filter((e) => e.subject === id).map((e) => e.action).reverse();
    },
  };
  return d;
}

async function waitForAsync<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('waitForAsync: timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const text = (m: { text?: string; blocks?: unknown[] } | undefined) => JSON.stringify([m?.text ?? '', m?.blocks ?? []]);
const elevated = (over: Values = {}): Values => ({
  [ActionIds.lookerAccessEmail]: 'riley@example.com',
  [ActionIds.lookerAccessTeam]: 'engineering',
  [ActionIds.lookerAccessLevel]: 'develop',
  [ActionIds.lookerAccessReason]: 'Build the product usage explore',
  [ActionIds.lookerAccessDuration]: '14',
  ...over,
});

/** The scenarios that must hold on every store adapter. */
function storeScenarios(name: string, makeStore: () => Store | undefined, skip?: string) {
  describe.skipIf(skip !== undefined)(skip ? `${name} (skipped: ${skip})` : name, () => {
    let t: TestBot;
    let looker: FakeLooker;
    const d = driver(() => t);
    beforeAll(async () => {
      looker = newFakeLooker();
      await looker.start();
      const store = makeStore();
      t = await startTestBot({ env: lookerEnv(looker), standinOptions, ...(store ? { store } : {}) });
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
      if (t && t.store.kind === 'firestore') await t.store.close();
      await looker?.stop();
    });

    it('creates one request when Slack delivers the same submission twice', async () => {
      const modal = await d.openModal(RILEY);
      const values = elevated();
      await d.pickLevel(RILEY, modal.id, 'develop');
      const [a, b] = await Promise.all([
        t.standin.submitView(t.client, { userId: RILEY, viewId: modal.id, values, timeoutMs: 300 }),
        t.standin.submitView(t.client, { userId: RILEY, viewId: modal.id, values, timeoutMs: 300 }),
      ]);
      expect(a.ack.status).toBe(200);
      expect(b.ack.status).toBe(200);
      const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
      await new Promise((r) => setTimeout(r, 300));
      expect((await d.requests()).filter((r) => r.viewId === modal.id)).toHaveLength(1);
      expect(t.standin.conversation(CHANNEL).filter((m) => !m.ephemeral && text(m).includes(request.id))).toHaveLength(1);
      expect(await d.audits(request.id)).toEqual(['looker_access.requested']);
    });

    it('makes one request of the same one sent from two forms at once (two tabs, two replicas): the other is told it is asked already', async () => {
      const email = 'riley.twotabs@example.com';
      const values = elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessTeam]: 'sales' });
      const first = await d.openModal(RILEY);
      await d.pickLevel(RILEY, first.id, 'develop');
      const { ack } = await t.standin.runCommand(t.client, { command: '/looker-access', userId: RILEY, channelId: CHANNEL });
      expect(ack.status).toBe(200);
      // A second tab's form: the first stays open there (and is still known by its ID).
      const second = await t.standin.waitFor(() => t.standin.modals(RILEY).find((m) => m.id !== first.id));
      await d.pickLevel(RILEY, second.id, 'develop');
      const forms = [first, second];
      // Only the transaction that stores a request can tell what waits: each form's is checked against the other's.
      const answers = await Promise.all(forms.map((form) => t.standin.submitView(t.client, { userId: RILEY, viewId: form.id, values, timeoutMs: CONTENDED_TX_MS })));
      for (const a of answers) expect(a.ack.status).toBe(200);
      const made = await waitForAsync(async () => (await d.requests()).find((r) => r.email === email && r.ts));
      await t.drain();
      expect((await d.requests()).filter((r) => r.email === email)).toHaveLength(1);
      expect(t.standin.conversation(CHANNEL).filter((m) => !m.ephemeral && text(m).includes(email))).toHaveLength(1);
      // The other form says so, on the form while it is open, or by DM once it has had to close.
      const other = answers.find((a) => a.responseAction === 'errors');
      const told = other ? JSON.stringify(other.errors) : await waitForAsync(async () => d.dms(RILEY).map(text).find((m) => m.includes('already asked for this') && m.includes(lookerRequestRef(made.id))));
      expect(told.replaceAll('`', '')).toContain(`You already asked for this (${lookerRequestRef(made.id)})`);
    });

    it('gives one decision when two admins click Approve at once', async () => {
      showBotLogsOnFailure(() => [t]);
      const { modal } = await d.request(BLAKE, elevated({ [ActionIds.lookerAccessEmail]: 'blake@example.com', [ActionIds.lookerAccessTeam]: 'sales' }));
      const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
      const puts = looker.requests.filter((r) => r.method === 'PUT').length;
      const [x, y] = await Promise.all([
        d.click(ALEX, request, ActionIds.lookerAccessApprove, { timeoutMs: CONTENDED_TX_MS }),
        d.click(JORDAN, request, ActionIds.lookerAccessApprove, { timeoutMs: CONTENDED_TX_MS }),
      ]);
      const answers = [x, y];
      expect(answers.filter((s) => s.includes('Approved and granted in Looker')), answers.join('\n---\n')).toHaveLength(1);
      expect(answers.filter((s) => s.includes('already approved')), answers.join('\n---\n')).toHaveLength(1);
      const decided = (await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data;
      expect(decided.status).toBe('approved');
      expect([ALEX, JORDAN]).toContain(decided.decidedBy);
      expect((await d.audits(request.id)).filter((a) => a === 'looker_access.approved')).toHaveLength(1);
      expect(looker.requests.filter((r) => r.method === 'PUT').length).toBe(puts + 1);
      // View (2) and Develop's missing role (7) added; Support (3) and Developer (6) kept.
      expect(looker.userByEmail('blake@example.com')!.role_ids).toEqual(['3', '6', '2', '7']);
      expect(decided.grant).toMatchObject({ mode: 'looker', lookerUserId: '50', addedRoleIds: ['2', '7'] });
      const card = await t.standin.waitFor(() => (text(d.card(decided)).includes('Approved*') ? d.card(decided) : undefined));
      expect(text(card)).toContain(`Approved* by <@${decided.decidedBy}>`);
      expect(text(card)).not.toContain(ActionIds.lookerAccessApprove);
      await t.standin.waitFor(() => d.dms(BLAKE).some((m) => text(m).includes('approved')));
      await t.drain();
      expect(d.dms(BLAKE).filter((m) => text(m).includes('approved'))).toHaveLength(1);
    });

    it('expires elevated access: reminder a day before, then the elevated roles go back and the thread says so', async () => {
      const request = (await d.requests()).find((r) => r.email === 'blake@example.com' && r.status === 'approved')!;
      const expiresAt = new Date(request.expiresAt!).getTime();
      expect(expiresAt - new Date(request.decidedAt!).getTime()).toBe(14 * DAY);
      // The reminder and the expiry are jobs, due a day before and at the end.
      const at = async (ms: number) => {
        t.setTime(ms);
        await t.drain();
      };
      const endings = () => d.dms(BLAKE).filter((m) => text(m).includes('ends'));
      await at(expiresAt - 2 * DAY);
      expect(endings()).toHaveLength(0);
      await at(expiresAt - 12 * 3_600_000);
      expect(endings()).toHaveLength(1);
      await at(expiresAt - 11 * 3_600_000);
      expect(endings()).toHaveLength(1);

      await at(expiresAt + 60_000);
      await at(expiresAt + 120_000);
      expect(looker.userByEmail('blake@example.com')!.role_ids).toEqual(['3', '6', '2']);
      const thread = t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === request.ts);
      expect(thread).toHaveLength(1);
      expect(text(thread[0])).toContain('expired: I removed the Develop role');
      expect(text(d.card(request))).toContain('Expired');
      expect(d.dms(BLAKE).filter((m) => text(m).includes('has ended'))).toHaveLength(1);
      expect(await d.audits(request.id)).toEqual([
        'looker_access.requested', 'looker_access.approved', 'looker_access.granted',
        'looker_access.reminded', 'looker_access.expired', 'looker_access.revoked',
      ]);
      const late = await d.forgedClick(JORDAN, ActionIds.lookerAccessApprove, request.id, request.ts!);
      expect(late).toContain('already expired');
      t.setTime(Date.now());
    });

    it('the sweep is one recurring job, and it schedules any expiry an approval lacks', async () => {
      const jobs = await jobsIn(t.store);
      expect([...jobs.keys()].filter((k) => k === 'looker.sweep')).toHaveLength(1);
      expect(jobs.get('looker.sweep')).toMatchObject({ state: 'pending' });
      const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessLevel]: 'create_content' }));
      const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
      await d.click(ALEX, request, ActionIds.lookerAccessApprove);
      await waitForAsync(async () => (await jobsIn(t.store)).get(`looker.expire:${request.id}`));
      // An approval made by an earlier version had no expiry job: the sweep adds it.
      await t.store.delete('jobs', `looker.expire:${request.id}`);
      await t.store.transition('jobs', 'looker.sweep', () => true, () => ({ runAt: t.now().getTime() }));
      await t.drain();
      const repaired = (await jobsIn(t.store)).get(`looker.expire:${request.id}`);
      expect(repaired).toMatchObject({ state: 'pending', runAt: Date.parse((await d.requests()).find((r) => r.id === request.id)!.expiresAt!) });
    });

    it('creates one request when Slack delivers the same submission twice on a bot clock days behind the wall clock', async () => {
      // The submission's record expires by the wall clock (as the store's TTL reads it), whatever the bot's clock says:
      // stamped by a clock 8 days behind, it was already past its 7 days when read, and the second delivery made a second request.
      t.setTime(Date.now() - 8 * DAY);
      try {
        const email = 'riley.behind@example.com';
        const values = elevated({ [ActionIds.lookerAccessEmail]: email });
        const modal = await d.openModal(RILEY);
        await d.pickLevel(RILEY, modal.id, 'develop');
        await Promise.all([0, 1].map(() => t.standin.submitView(t.client, { userId: RILEY, viewId: modal.id, values, timeoutMs: 300 })));
        const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
        await new Promise((r) => setTimeout(r, 300));
        await t.drain();
        expect((await d.requests()).filter((r) => r.viewId === modal.id)).toHaveLength(1);
        expect(t.standin.conversation(CHANNEL).filter((m) => !m.ephemeral && text(m).includes(request.id))).toHaveLength(1);
      } finally {
        t.setTime(Date.now());
      }
    });
  });
}

storeScenarios('looker access on the embedded store', () => undefined);
const firestore = firestoreAvailable();
storeScenarios(
  'looker access on Firestore (emulator)',
  () => openFirestoreStore({ projectId: 'test', collectionPrefix: `la${randomUUID().slice(0, 8)}_` }),
  firestore.available ? undefined : firestore.reason,
);

describe('/looker-access with Looker connected', () => {
  let t: TestBot;
  let looker: FakeLooker;
  const d = driver(() => t);
  beforeAll(async () => {
    looker = newFakeLooker();
    await looker.start();
    t = await startTestBot({ env: lookerEnv(looker), standinOptions });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await looker?.stop();
  });

  it('opens a modal with the requester and their Slack email prefilled, within Slack limits', async () => {
    const modal = await d.openModal(RILEY);
    expect(modal.callback_id).toBe(CallbackIds.lookerAccess);
    const json = JSON.stringify(modal.blocks);
    expect(json).toContain(`"initial_user":"${RILEY}"`);
    expect(json).toContain('"initial_value":"riley@example.com"');
    expect(json).toContain('"value":"view"');
    for (const team of ['Engineering', 'Customer Support', 'People Ops', 'CTO', 'CE', 'Other']) expect(json).toContain(`"text":"${team}"`);
    expect(blockKitViolations(modal.blocks as KnownBlock[], 'modal')).toEqual([]);
    expect(t.standin.callsTo('users.info').at(-1)?.args).toMatchObject({ user: RILEY });
  });

  it('asks for a reason and days only for the levels that need them, and says what View needs to be granted at once', async () => {
    const modal = await d.openModal(RILEY);
    const blockIds = (v: { blocks: unknown[] }) => (v.blocks as Array<{ block_id?: string }>).map((b) => b.block_id);
    expect(blockIds(modal)).not.toContain(BlockIds.lookerAccessReason);
    expect(blockIds(modal)).not.toContain(BlockIds.lookerAccessDuration);
    expect(JSON.stringify(modal.blocks)).toContain('granted at once when you ask for yourself, with your own Slack email');
    expect(JSON.stringify(modal.blocks)).toContain('Asking for someone else, with another email, or for team Other goes to a Looker admin first');

    const shownHash = modal.hash;
    const develop = await d.pickLevel(RILEY, modal.id, 'develop');
    const inputs = (develop.blocks as Array<{ block_id?: string; optional?: boolean; label?: { text: string } }>).filter((b) => b.block_id === BlockIds.lookerAccessReason || b.block_id === BlockIds.lookerAccessDuration);
    expect(inputs.map((b) => [b.label?.text, b.optional ?? false])).toEqual([['Reason', false], ['Days (1 to 90)', false]]);
    expect(JSON.stringify(develop.blocks)).not.toContain('optional');
    expect(JSON.stringify(develop.blocks)).toContain('"value":"develop"');
    // The update was made against the view the person saw (its hash), and kept what they had filled in.
    const update = t.standin.callsTo('views.update').at(-1)!;
    expect(update.args.hash).toBe(shownHash);
    expect(JSON.stringify(develop.blocks)).toContain('"initial_value":"riley@example.com"');

    const view = await d.pickLevel(RILEY, modal.id, 'view');
    expect(blockIds(view)).not.toContain(BlockIds.lookerAccessReason);
    await t.standin.closeView(t.client, { userId: RILEY });
  });

  it('shows the reason and days before anything else when an elevated level comes without them (the update did not happen)', async () => {
    const modal = await d.openModal(RILEY);
    const result = await t.standin.submitView(t.client, { userId: RILEY, viewId: modal.id, values: { [ActionIds.lookerAccessEmail]: 'riley@example.com', [ActionIds.lookerAccessTeam]: 'engineering', [ActionIds.lookerAccessLevel]: 'develop' }, timeoutMs: 200 });
    expect(result.responseAction).toBe('update');
    const shown = t.standin.view(modal.id)!;
    expect(JSON.stringify(shown.blocks)).toContain(BlockIds.lookerAccessReason);
    expect(JSON.stringify(shown.blocks)).toContain('"initial_option":{"text":{"type":"plain_text","text":"Develop"}');
    await t.standin.closeView(t.client, { userId: RILEY });
  });

  it.each([
    [{ [ActionIds.lookerAccessEmail]: 'riley at example' }, BlockIds.lookerAccessEmail, 'not a valid email'],
    [{ [ActionIds.lookerAccessReason]: '' }, BlockIds.lookerAccessReason, 'reason is required'],
    [{ [ActionIds.lookerAccessDuration]: '0' }, BlockIds.lookerAccessDuration, 'out of range'],
    [{ [ActionIds.lookerAccessDuration]: '91' }, BlockIds.lookerAccessDuration, 'out of range'],
    [{ [ActionIds.lookerAccessDuration]: '' }, BlockIds.lookerAccessDuration, 'How many days'],
    [{ [ActionIds.lookerAccessTeam]: 'finance' }, BlockIds.lookerAccessTeam, 'Pick a team'],
  ])('answers %j with an inline error on its field, changing nothing', async (over, blockId, message) => {
    const before = (await d.requests()).length;
    const posts = d.lookerPosts().length;
    const lookerCalls = looker.requests.length;
    const { modal, result } = await d.request(RILEY, elevated(over as Values), { timeoutMs: 300 });
    expect(result.responseAction).toBe('errors');
    expect(result.errors?.[blockId]).toContain(message);
    expect(t.standin.modals(RILEY).at(-1)?.id).toBe(modal.id);
    expect((await d.requests()).length).toBe(before);
    expect(d.lookerPosts().length).toBe(posts);
    expect(looker.requests.length).toBe(lookerCalls);
  });

  it('grants View for a listed team at once: Looker user created with group and role, DM, audit', async () => {
    const { modal, result } = await d.request(RILEY, { [ActionIds.lookerAccessEmail]: 'riley@example.com', [ActionIds.lookerAccessTeam]: 'engineering' });
    expect(result.responseAction).toBeUndefined();
    expect(t.standin.modals(RILEY)).toHaveLength(0);
    const dm = await t.standin.waitFor(() => d.dms(RILEY).find((m) => text(m).includes('*View* access')));
    expect(text(dm)).toContain(looker.url);
    const user = looker.userByEmail('riley@example.com')!;
    expect(user).toMatchObject({ first_name: 'Riley', last_name: 'Regular', role_ids: ['2'] });
    expect(looker.groupIdsOf(user.id)).toEqual(['10']);
    const request = (await d.requests()).find((r) => r.viewId === modal.id)!;
    expect(request).toMatchObject({ status: 'approved', decidedBy: 'bot', route: 'grant_now', channel: null, expiresAt: null });
    expect(await d.audits(request.id)).toEqual(['looker_access.requested', 'looker_access.approved', 'looker_access.granted']);
    expect(t.standin.conversation(CHANNEL).some((m) => text(m).includes(request.id))).toBe(false);
  });

  it('sends View to the admins when Slack shows no email for the requester: the address typed cannot be checked as theirs', async () => {
    const modal = await d.openModal(SAM);
    expect(JSON.stringify(modal.blocks)).not.toContain('"initial_value":"');
    const { result } = await d.request(SAM, { [ActionIds.lookerAccessEmail]: 'sam@example.com', [ActionIds.lookerAccessTeam]: 'engineering' });
    expect(result.responseAction).toBeUndefined();
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.requesterId === SAM && r.ts));
    expect(request).toMatchObject({ status: 'pending', route: 'needs_approval' });
    expect(looker.userByEmail('sam@example.com')).toBeUndefined();
  });

  it('tells the admins when the email is not the Slack email of the person getting access, and why it waits for them', async () => {
    // Riley asks View for herself, Looker connected, a listed team: only the address keeps it from being granted at once.
    const { modal } = await d.request(RILEY, { [ActionIds.lookerAccessEmail]: 'riley.personal@gmail.com', [ActionIds.lookerAccessTeam]: 'engineering' });
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    expect(request).toMatchObject({ route: 'needs_approval', subjectSlackEmail: 'riley@example.com' });
    const card = text(d.card(request));
    expect(card).toContain(`:warning: \`riley.personal@gmail.com\` is not <@${RILEY}>'s Slack email (\`riley@example.com\`): check that it is theirs before approving.`);
    expect(card).toContain('(an email Slack does not vouch for). Approving grants it in Looker.');
    expect(card).not.toContain('Looker is not connected');
    expect(looker.userByEmail('riley.personal@gmail.com')).toBeUndefined();
    // A lookalike (a Cyrillic е) is not the Slack email either, however it reads.
    const lookalike = await d.request(RILEY, { [ActionIds.lookerAccessEmail]: 'ril\u0435y@example.com', [ActionIds.lookerAccessTeam]: 'engineering' });
    const other = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === lookalike.modal.id && r.ts));
    expect(text(d.card(other))).toContain('is not <@');
    // Her own address, elevated: no warning, and the reason is the level.
    const own = await d.request(RILEY, elevated());
    const elevatedRequest = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === own.modal.id && r.ts));
    expect(text(d.card(elevatedRequest))).not.toContain(':warning:');
    expect(text(d.card(elevatedRequest))).toContain('(elevated access)');
    for (const r of [request, other, elevatedRequest]) await t.bot.services.lookerAccess.decide({ requestId: r.id, deciderId: ALEX, decision: 'deny', reason: 'test' });
  });

  it('says nothing more when the same /looker-access arrives again (its trigger opened the form already): the form stays open', async () => {
    const twice = await commandTwiceWithOneTrigger(t, { command: '/looker-access', text: '', userId: RILEY, channelId: CHANNEL });
    expect(twice).toEqual({ statuses: [200, 200], opens: ['ok', 'exchanged_trigger_id'], said: [], openForms: [CallbackIds.lookerAccess] });
    expect(t.logs.filter((l) => l.includes('exchanged_trigger_id') && l.includes('"ERROR"'))).toEqual([]);
  });

  it('says nothing more when the same Deny… click arrives again (its trigger opened the reason form already): the form stays open, nothing is decided', async () => {
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessLevel]: 'create_content', [ActionIds.lookerAccessEmail]: 'riley.deny-form@example.com' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    const twice = await clickTwiceWithOneTrigger(t, {
      userId: JORDAN,
      channelId: CHANNEL,
      container: { type: 'message', message_ts: request.ts!, channel_id: CHANNEL, is_ephemeral: false },
      actions: [{ action_id: ActionIds.lookerAccessDeny, block_id: BlockIds.lookerAccessActions, value: request.id }],
    });
    expect(twice).toEqual({ statuses: [200, 200], opens: ['ok', 'exchanged_trigger_id'], said: [], openForms: [CallbackIds.lookerAccessDeny] });
    expect((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data.status).toBe('pending');
    expect(t.logs.filter((l) => l.includes('exchanged_trigger_id') && l.includes('"ERROR"'))).toEqual([]);
  });

  it('answers a malformed submission (a block that is null, no state at all) with the form\'s own errors, and saves nothing', async () => {
    const before = (await d.requests()).length;
    const states = [{ values: { bogus: null, [BlockIds.lookerAccessLevel]: null } }, { values: null }, undefined];
    for (const [i, state] of states.entries()) {
      for (const callback_id of [CallbackIds.lookerAccess, CallbackIds.lookerAccessDeny]) {
        const ack = await t.client.viewSubmission({ userId: BLAKE, view: { id: `VMALFORMED${i}`, callback_id, private_metadata: '{}', ...(state === undefined ? {} : { state }) } });
        expect(ack.status, `${callback_id} ${JSON.stringify(state)}`).toBe(200);
        expect(ack.json, `${callback_id} ${JSON.stringify(state)}`).toMatchObject({ response_action: 'errors' });
      }
    }
    expect((await d.requests()).length).toBe(before);
  });

  it('posts an elevated request for the admins and refuses forged clicks by the requester and non-admins', async () => {
    const { modal } = await d.request(RILEY, elevated());
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    const card = d.card(request)!;
    expect(text(card)).toContain('<!subteam^S0LOOKERADM>');
    expect(text(card)).toContain('Develop for 14 days');
    expect(text(card)).toContain('Build the product usage explore');
    expect(blockKitViolations(card.blocks as KnownBlock[])).toEqual([]);
    expect(text(d.dms(RILEY).at(-1))).toContain('with the Looker admins');

    const updates = t.standin.callsTo('chat.update').length;
    const lookerCalls = looker.requests.length;
    expect(await d.click(RILEY, request, ActionIds.lookerAccessApprove)).toContain('Only members of <!subteam^S0LOOKERADM>');
    expect(await d.forgedClick(BLAKE, ActionIds.lookerAccessApprove, request.id, request.ts!)).toContain('Nothing was changed');
    expect(await d.forgedClick(BLAKE, ActionIds.lookerAccessDeny, request.id, request.ts!)).toContain('Only members');
    expect(await d.forgedClick(ALEX, ActionIds.lookerAccessApprove, "la_x' OR 1=1", request.ts!)).toContain('do not know this request');
    expect(await d.forgedClick(ALEX, ActionIds.lookerAccessApprove, 'la_0000000000doesnotexist', request.ts!)).toContain('do not know this request');

    expect((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data.status).toBe('pending');
    expect(t.standin.callsTo('chat.update').length).toBe(updates);
    expect(looker.requests.length).toBe(lookerCalls);
    expect(await d.audits(request.id)).toEqual(['looker_access.requested']);
  });

  it("lets a manager request for someone else, but not decide it; refuses the manager's own email for them", async () => {
    const own = await d.request(ALEX, { [ActionIds.lookerAccessSubject]: RILEY, [ActionIds.lookerAccessEmail]: 'alex@example.com', [ActionIds.lookerAccessTeam]: 'other' }, { timeoutMs: 300 });
    expect(own.result.errors?.[BlockIds.lookerAccessEmail]).toContain('That is your email');

    const { modal } = await d.request(ALEX, { [ActionIds.lookerAccessSubject]: RILEY, [ActionIds.lookerAccessEmail]: 'riley.r@example.com', [ActionIds.lookerAccessTeam]: 'other' });
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    expect(request).toMatchObject({ requesterId: ALEX, subjectId: RILEY, level: 'view', route: 'needs_approval' });
    expect(text(d.card(request))).toContain(`<@${RILEY}> (requested by <@${ALEX}>)`);
    expect(text(d.card(request))).toContain('a team the handbook does not list');
    expect(text(d.dms(RILEY).at(-1))).toContain('on your behalf');

    expect(await d.click(ALEX, request, ActionIds.lookerAccessApprove)).toContain('cannot decide a request you made');
    expect(await d.click(JORDAN, request, ActionIds.lookerAccessApprove)).toContain('Approved and granted in Looker');
    expect(looker.userByEmail('riley.r@example.com')?.role_ids).toEqual(['2']);
  });

  it("refuses the manager's own email for someone else though the form's private_metadata was tampered with (the check is the server's, not the form's)", async () => {
    const before = (await d.requests()).length;
    const modal = await d.openModal(ALEX);
    // A tampered form: no requester email in its metadata, so the modal's own check has nothing to compare with.
    t.standin.view(modal.id)!.private_metadata = JSON.stringify({ requesterId: ALEX });
    const result = await t.standin.submitView(t.client, {
      userId: ALEX, viewId: modal.id,
      values: { [ActionIds.lookerAccessSubject]: RILEY, [ActionIds.lookerAccessEmail]: 'Alex@Example.com', [ActionIds.lookerAccessTeam]: 'other' },
    });
    expect(result.errors?.[BlockIds.lookerAccessEmail]).toContain('That is your email');
    expect((await d.requests()).length).toBe(before);
    await t.standin.closeView(t.client, { userId: ALEX, clearAll: true });
  });

  it("refuses an admin's decision on a request for someone else that names the admin's own Looker email", async () => {
    showBotLogsOnFailure(() => [t]);
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessSubject]: SAM, [ActionIds.lookerAccessEmail]: 'Alex@Example.com' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    const lookerCalls = looker.requests.length;
    const updates = t.standin.callsTo('chat.update').length;
    const refused = await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    expect(refused).toContain('Looker email on your own Slack profile');
    expect(refused).toContain('Nothing was changed');
    expect(await d.forgedClick(ALEX, ActionIds.lookerAccessDeny, request.id, request.ts!)).toContain('Looker email on your own Slack profile');
    expect((await d.requests()).find((r) => r.id === request.id)).toMatchObject({ status: 'pending', decidedBy: null });
    expect(looker.requests.length).toBe(lookerCalls);
    expect(t.standin.callsTo('chat.update').length).toBe(updates);
    expect(await d.audits(request.id)).toEqual(['looker_access.requested']);
    // Another admin may decide it.
    expect(await d.click(JORDAN, request, ActionIds.lookerAccessApprove)).toContain('Approved');
  });

  it("swaps in the picked person's Slack email, and targets errors at the new email block", async () => {
    const modal = await d.openModal(ALEX);
    const { ack } = await t.standin.clickAction(t.client, { userId: ALEX, viewId: modal.id, actionId: ActionIds.lookerAccessSubject, extra: { selected_user: RILEY }, timeoutMs: 200 });
    expect(ack.status).toBe(200);
    const emailBlock = `${BlockIds.lookerAccessEmail}.${RILEY}`;
    const updated = await t.standin.waitFor(() => {
      const v = t.standin.view(modal.id);
      return v && JSON.stringify(v.blocks).includes(emailBlock) ? v : undefined;
    });
    expect(JSON.stringify(updated.blocks)).toContain('"initial_value":"riley@example.com"');
    expect(JSON.stringify(updated.blocks)).toContain(`"initial_user":"${RILEY}"`);
    expect(JSON.parse(updated.private_metadata)).toEqual({ requesterId: ALEX, requesterEmail: 'alex@example.com' });
    const result = await t.standin.submitView(t.client, { userId: ALEX, viewId: modal.id, values: { [ActionIds.lookerAccessSubject]: RILEY, [ActionIds.lookerAccessEmail]: 'nope', [ActionIds.lookerAccessTeam]: 'sales' }, timeoutMs: 200 });
    expect(result.errors).toEqual({ [emailBlock]: expect.stringContaining('not a valid email') });
  });

  it('denies with a reason asked in a modal: the card says who, when and why, the requester gets the reason, Looker is untouched', async () => {
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessLevel]: 'create_content', [ActionIds.lookerAccessEmail]: 'riley.create@example.com' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    const lookerCalls = looker.requests.length;
    // Deny… opens the reason modal; nothing is decided yet.
    const { ack } = await t.standin.clickAction(t.client, { userId: JORDAN, channelId: CHANNEL, ts: request.ts!, actionId: ActionIds.lookerAccessDeny, timeoutMs: 200 });
    expect(ack.status).toBe(200);
    const denyModal = await t.standin.waitFor(() => t.standin.modals(JORDAN).at(-1));
    expect(denyModal.callback_id).toBe(CallbackIds.lookerAccessDeny);
    expect(JSON.stringify(denyModal.blocks)).toContain(lookerRequestRef(request.id));
    expect((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data.status).toBe('pending');
    const empty = await t.standin.submitView(t.client, { userId: JORDAN, values: { [ActionIds.lookerAccessDenyReason]: '   ' }, timeoutMs: 200 });
    expect(empty.errors?.[BlockIds.lookerAccessDenyReason]).toContain('Say why');
    // Invisible characters alone say nothing either; one over the form's limit (a payload past Slack's client) is refused, not cut.
    const invisible = await t.standin.submitView(t.client, { userId: JORDAN, values: { [ActionIds.lookerAccessDenyReason]: ' \u200b\u200d\u2060\ufeff ' }, timeoutMs: 200 });
    expect(invisible.errors?.[BlockIds.lookerAccessDenyReason]).toContain('Say why');
    const long = await t.standin.submitView(t.client, { userId: JORDAN, values: { [ActionIds.lookerAccessDenyReason]: 'x'.repeat(5000) }, timeoutMs: 200 });
    expect(long.errors?.[BlockIds.lookerAccessDenyReason]).toBe('Keep the reason to 1,000 characters (an emoji counts as two or more); it has 5,000.');
    expect((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data.status).toBe('pending');
    // Decided before the form closes, so a crash once Slack has heard "done" loses neither the denial nor its reason.
    // Slack's answer to the admin check is held back a moment: a decision made after the ack would not be in yet.
    const slowCheck = t.standin.onApplied(async (call) => {
      if (call.method === 'usergroups.users.list') await new Promise((r) => setTimeout(r, 300));
    });
    try {
      const closed = await t.standin.submitView(t.client, { userId: JORDAN, values: { [ActionIds.lookerAccessDenyReason]: 'View covers it: the <dashboards> are under Shared → CE' }, timeoutMs: 10 });
      expect(closed.ack.status).toBe(200);
      expect(closed.responseAction).toBeUndefined();
    } finally {
      slowCheck();
    }
    expect((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data).toMatchObject({ status: 'denied', denyReason: 'View covers it: the <dashboards> are under Shared → CE' });
    const card = await t.standin.waitFor(() => {
      const c = d.card(request);
      return c && text(c).includes('Denied*') ? c : undefined;
    });
    expect(text(card)).toMatch(new RegExp(`Denied\\* by <@${JORDAN}> · <!date\\^`));
    expect(text(card)).toContain('View covers it: the &lt;dashboards&gt; are under Shared → CE');
    expect(card.edited).toBeDefined();
    const dm = await t.standin.waitFor(() => d.dms(RILEY).find((m) => text(m).includes(`<@${JORDAN}> denied`)));
    expect(text(dm)).toContain('>View covers it: the &lt;dashboards&gt; are under Shared → CE');
    expect(text(dm)).toContain('Create content access to Looker for 14 days');
    expect(looker.requests.length).toBe(lookerCalls);
    const again = await d.forgedClick(ALEX, ActionIds.lookerAccessApprove, request.id, request.ts!);
    expect(again).toContain(`already denied by <@${JORDAN}>`);
    expect(await d.audits(request.id)).toEqual(['looker_access.requested', 'looker_access.denied']);
  });

  it('says nothing more when the same denial arrives again (Slack delivering it twice); another admin, or a contrary click, hears who decided', async () => {
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessLevel]: 'create_content', [ActionIds.lookerAccessEmail]: 'riley.twice@example.com' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    // Both admins open the reason form while the request waits.
    await t.standin.clickAction(t.client, { userId: ALEX, channelId: CHANNEL, ts: request.ts!, actionId: ActionIds.lookerAccessDeny, timeoutMs: 200 });
    const alexModal = await t.standin.waitFor(() => t.standin.modals(ALEX).at(-1));
    await t.standin.clickAction(t.client, { userId: JORDAN, channelId: CHANNEL, ts: request.ts!, actionId: ActionIds.lookerAccessDeny, timeoutMs: 200 });
    const jordanModal = await t.standin.waitFor(() => t.standin.modals(JORDAN).at(-1));
    const values = { [ActionIds.lookerAccessDenyReason]: 'Ask your lead first' };
    await t.standin.submitView(t.client, { userId: JORDAN, viewId: jordanModal.id, values });
    await t.standin.waitFor(() => (text(d.card(request)).includes('Denied*') ? true : undefined));
    const jordanDms = d.dms(JORDAN).length;
    // Slack delivers the same submission again: the denial stands, and the admin who made it hears nothing more.
    const again = await t.standin.submitView(t.client, { userId: JORDAN, viewId: jordanModal.id, values, timeoutMs: 1_000 });
    expect(again.ack.status).toBe(200);
    await t.drain();
    await new Promise((r) => setTimeout(r, 300));
    expect(d.dms(JORDAN).slice(jordanDms).map(text)).toEqual([]);
    expect((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data).toMatchObject({ status: 'denied', decidedBy: JORDAN, denyReason: 'Ask your lead first' });
    expect(await d.audits(request.id)).toEqual(['looker_access.requested', 'looker_access.denied']);
    // The same admin with another reason (a second form): told it was denied already, so they know it did not go.
    await t.standin.submitView(t.client, { userId: JORDAN, viewId: jordanModal.id, values: { [ActionIds.lookerAccessDenyReason]: 'Ask your manager' } });
    const mine = await t.standin.waitFor(() => d.dms(JORDAN).slice(jordanDms).find((m) => text(m).includes('already denied')));
    expect(text(mine)).toContain('already denied by you');
    expect((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data).toMatchObject({ denyReason: 'Ask your lead first' });
    // Another admin's denial, sent after: told who decided.
    await t.standin.submitView(t.client, { userId: ALEX, viewId: alexModal.id, values: { [ActionIds.lookerAccessDenyReason]: 'Not needed' } });
    const told = await t.standin.waitFor(() => d.dms(ALEX).find((m) => text(m).includes('already denied')));
    expect(text(told)).toContain(`already denied by <@${JORDAN}>`);
    // The same admin's contrary click (a replayed Approve): told too.
    const contrary = await d.forgedClick(JORDAN, ActionIds.lookerAccessApprove, request.id, request.ts!);
    expect(contrary).toContain('already denied by you');
    expect(await d.audits(request.id)).toEqual(['looker_access.requested', 'looker_access.denied']);
  });

  it('when Looker fails once, tries the grant again and it goes through', async () => {
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: 'riley.retry@example.com' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    looker.failNext('PUT', /\/roles$/, 500, 'Internal server error');
    const answer = await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    expect(answer).toContain('Approved');
    expect(answer).not.toMatch(/at .*\.(js|ts):\d+/);
    t.advance(60_000); // past the retry's backoff
    await t.drain();
    t.setTime(Date.now());
    const stored = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grant));
    expect(stored).toMatchObject({ status: 'approved', grantError: null, grant: { mode: 'looker' } });
    expect(looker.userByEmail('riley.retry@example.com')!.role_ids).toEqual(expect.arrayContaining(['2', '7']));
    expect(await d.audits(request.id)).toEqual(['looker_access.requested', 'looker_access.approved', 'looker_access.granted']);
  });

  it('when Looker keeps failing, keeps the approval, and the card, the admins and the requester say to grant by hand', async () => {
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: 'riley.fail@example.com' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    // As many failures as the grant has attempts (src/jobs/policy.ts).
    for (let i = 0; i < DEFAULT_RETRY.maxAttempts; i++) looker.failNext('PUT', /\/roles$/, 500, 'Internal server error');
    const answer = await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    expect(answer).toContain('Approved');
    // The runner retries with backoff, then gives up.
    for (let i = 0; i < 10; i++) {
      t.advance(10 * 60_000);
      await t.drain();
    }
    t.setTime(Date.now());
    const stored = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grantError));
    expect(stored).toMatchObject({ status: 'approved', grant: null });
    expect(stored.grantError).toContain('answered 500');
    expect(stored.grantError).not.toMatch(/at .*\.(js|ts):\d+/);
    await t.standin.waitFor(() => text(d.card(stored)).includes('Looker did not accept the grant'));
    const thread = t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === request.ts);
    expect(text(thread.at(-1))).toContain('<!subteam^S0LOOKERADM>');
    expect(text(thread.at(-1))).toContain('grant it by hand');
    expect(text(d.dms(RILEY).at(-1))).toContain('by hand');
    expect(await d.audits(request.id)).toEqual(['looker_access.requested', 'looker_access.approved', 'looker_access.grant_failed']);
    expect((await t.store.recentAudit(50)).some((e) => e.action === 'job.failed' && e.subject === `looker.grant:${request.id}`)).toBe(true);
  });

  it('grants even when Looker keeps refusing the setup email: the DM and the card say it was not sent, and the access still ends on time', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'riley.nosetup@example.com';
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessDuration]: '2' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    for (let i = 0; i < DEFAULT_RETRY.maxAttempts; i++) looker.failNext('POST', /send_password_reset$/, 503, 'Service Unavailable');
    await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    for (let i = 0; i < 10; i++) {
      t.advance(10 * 60_000);
      await t.drain();
    }
    t.setTime(Date.now());
    const stored = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && (r.grant || r.grantError)));
    expect(stored).toMatchObject({ status: 'approved', grantError: null, grant: { mode: 'looker', createdUser: true, setupEmailSent: false } });
    expect(stored.grant!.setupEmailError).toContain('503');
    expect([...looker.userByEmail(email)!.role_ids].sort()).toEqual(['2', '6', '7']);
    const dm = await t.standin.waitFor(() => d.dms(RILEY).find((m) => text(m).includes(lookerRequestRef(request.id)) && text(m).includes('approved')));
    expect(text(dm)).toContain('Looker could not send the account setup email');
    expect(text(d.card(stored))).toContain('please send it again from Admin → Users');
    t.setTime(Date.parse(stored.expiresAt!) + 60_000);
    await t.drain();
    t.setTime(Date.parse(stored.expiresAt!) + 120_000);
    await t.drain();
    t.setTime(Date.now());
    expect(looker.userByEmail(email)!.role_ids).toEqual(['2']);
  });

  it('ends elevated access on time even when the grant gave up after Looker applied the roles', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'riley.halfway@example.com';
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessDuration]: '3' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    // The first attempt sets the roles and loses Looker's answer; then the user is disabled in Looker: the grant gives up with the roles in place.
    let once = true;
    looker.onApplied = (c) => {
      if (once && c.method === 'PUT' && /\/roles$/.test(c.path)) {
        once = false;
        // Disabled at the moment the roles land, so every later attempt finds it so, however soon it runs.
        looker.userByEmail(email)!.is_disabled = true;
        throw new Error('lost answer');
      }
    };
    await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    await waitForAsync(async () => looker.userByEmail(email)?.role_ids.includes('7') || undefined);
    looker.onApplied = undefined;
    const user = looker.userByEmail(email)!;
    for (let i = 0; i < 3; i++) {
      t.advance(10 * 60_000);
      await t.drain();
    }
    t.setTime(Date.now());
    const failed = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grantError));
    user.is_disabled = false;
    expect(failed).toMatchObject({ status: 'approved', grant: null });
    expect([...looker.userByEmail(email)!.role_ids].sort()).toEqual(['2', '6', '7']);
    // The expiry is scheduled, and the sweep schedules it again if it goes missing.
    expect((await jobsIn(t.store)).get(`looker.expire:${request.id}`)).toMatchObject({ state: 'pending', runAt: Date.parse(failed.expiresAt!) });
    await t.store.delete('jobs', `looker.expire:${request.id}`);
    await t.store.transition('jobs', 'looker.sweep', () => true, () => ({ runAt: t.now().getTime() }));
    await t.drain();
    expect((await jobsIn(t.store)).get(`looker.expire:${request.id}`)).toMatchObject({ state: 'pending', runAt: Date.parse(failed.expiresAt!) });

    t.setTime(Date.parse(failed.expiresAt!) + 60_000);
    await t.drain();
    t.setTime(Date.parse(failed.expiresAt!) + 120_000);
    await t.drain();
    t.setTime(Date.now());
    expect((await d.requests()).find((r) => r.id === request.id)).toMatchObject({ status: 'expired', revokedRoleIds: ['6', '7'] });
    // What the failed grant's plan proves it added goes; View stays.
    expect(looker.userByEmail(email)!.role_ids).toEqual(['2']);
    const thread = t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === request.ts);
    expect(text(thread.at(-1))).toContain('expired: I removed the Develop roles');
  });

  /**
   * An elevated request approved for `email`, then expired with Looker failing one call of its revoke
   * (`fails`: the call, once, after Looker applied it); `before` runs between the grant and the expiry.
   */
  async function expireWithOneFailure(email: string, fails: (c: { method: string; path: string }) => boolean, before: () => void = () => undefined) {
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessDuration]: '3' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    const approved = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grant));
    expect([...looker.userByEmail(email)!.role_ids].sort()).toEqual(['2', '6', '7']);
    before();
    let failed = false;
    looker.onApplied = (c) => {
      if (!failed && fails(c)) {
        failed = true;
        throw new Error('lost answer');
      }
    };
    try {
      for (let i = 1; i <= 4 && !(await d.requests()).find((r) => r.id === request.id && r.revokedRoleIds !== null); i++) {
        t.setTime(Date.parse(approved.expiresAt!) + i * 10 * 60_000);
        await t.drain();
      }
    } finally {
      looker.onApplied = undefined;
      t.setTime(Date.now());
    }
    expect(failed).toBe(true);
    return {
      stored: (await d.requests()).find((r) => r.id === request.id),
      lastInThread: text(t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === request.ts).at(-1)),
    };
  }

  it('says it removed the roles when Looker took them away and its answer was lost (the retry finds none left)', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'riley.lostrevoke@example.com';
    const { stored, lastInThread } = await expireWithOneFailure(email, (c) => c.method === 'PUT' && /\/roles$/.test(c.path));
    expect(looker.userByEmail(email)!.role_ids).toEqual(['2']);
    expect(stored).toMatchObject({ status: 'expired', revokedRoleIds: ['6', '7'] });
    expect(lastInThread).toContain('expired: I removed the Develop roles');
  });

  it('says it found nothing to remove when an admin took the roles by hand and the first revoke attempt failed before asking Looker to', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'riley.byhand@example.com';
    const { stored, lastInThread } = await expireWithOneFailure(email, (c) => c.method === 'GET' && /\/users\/[^/]+\/roles$/.test(c.path), () => {
      looker.userByEmail(email)!.role_ids = ['2']; // an admin took Develop away in Looker's UI
    });
    expect(stored).toMatchObject({ status: 'expired', revokedRoleIds: [] });
    expect(lastInThread).toContain('found no Develop role left to remove');
  });

  /** An elevated request for `email`, approved and granted in Looker (Develop: roles 2, 6 and 7). */
  async function granted(email: string): Promise<LookerAccessRequest> {
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessDuration]: '3' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    const approved = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grant));
    expect([...looker.userByEmail(email)!.role_ids].sort()).toEqual(['2', '6', '7']);
    return approved;
  }

  it('keeps taking the roles back through an hour of Looker answering 503 at the end, and they go once it answers again; no one is asked to do it by hand', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'riley.outage@example.com';
    const approved = await granted(email);
    const end = Date.parse(approved.expiresAt!);
    const readsRoles = /\/users\/[^/]+\/roles$/;
    const failures = () => looker.requests.filter((q) => q.status === 503 && readsRoles.test(q.path)).length;
    const before = failures();
    // Far more failures than a job's usual six attempts: Looker's maintenance at the end of the access.
    for (let i = 0; i < 12; i++) looker.failNext('GET', readsRoles, 503, 'Service Unavailable');
    try {
      // (Twelve attempts take about an hour; the bound leaves room for the jitter of their waits.)
      for (let at = end + 1_000; at < end + 2 * 3_600_000 && failures() - before < 12; at += 60_000) {
        t.setTime(at);
        await t.drain();
      }
      expect(failures() - before).toBe(12);
      // An hour of failures: nothing given up, nothing said in the thread yet; the card says the roles are being taken back.
      const during = (await d.requests()).find((r) => r.id === approved.id)!;
      expect(during).toMatchObject({ status: 'expired', revokedRoleIds: null, revokeError: null });
      expect([...looker.userByEmail(email)!.role_ids].sort()).toEqual(['2', '6', '7']);
      expect(text(d.card(during))).toContain('taking the Develop role back in Looker');
      // Looker answers again: the next attempt (15 minutes on, ±20%) takes the roles.
      t.setTime(t.now().getTime() + 20 * 60_000);
      await t.drain();
    } finally {
      t.setTime(Date.now());
    }
    expect(looker.userByEmail(email)!.role_ids).toEqual(['2']);
    expect((await d.requests()).find((r) => r.id === approved.id)).toMatchObject({ status: 'expired', revokedRoleIds: ['6', '7'], revokeError: null });
    const actions = await d.audits(approved.id);
    expect(actions.filter((a) => a === 'looker_access.revoked')).toHaveLength(1);
    expect(actions).not.toContain('looker_access.revoke_failed');
    const thread = await t.standin.waitFor(() => {
      const said = t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === approved.ts).map(text);
      return said.some((m) => m.includes('expired: I removed the Develop roles')) ? said : undefined;
    });
    expect(thread.join('\n')).not.toContain('by hand');
  });

  it('asks the admins at once when Looker refuses to take the roles back, and tells the person the role may stay until an admin removes it', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'riley.refused@example.com';
    const approved = await granted(email);
    looker.failNext('PUT', /\/users\/[^/]+\/roles$/, 403, 'Forbidden');
    try {
      t.setTime(Date.parse(approved.expiresAt!) + 1_000);
      await t.drain();
    } finally {
      t.setTime(Date.now());
    }
    expect((await d.requests()).find((r) => r.id === approved.id)).toMatchObject({ status: 'expired', revokedRoleIds: null, revokeError: expect.stringContaining('403') });
    expect([...looker.userByEmail(email)!.role_ids].sort()).toEqual(['2', '6', '7']);
    await t.standin.waitFor(() => t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === approved.ts).map(text).find((m) => m.includes('please remove the Develop role by hand')));
    const dm = await t.standin.waitFor(() => d.dms(RILEY).map(text).find((m) => m.includes(email) && m.includes('has ended')));
    expect(dm).toContain('you may still have it until a Looker admin removes it');
    expect(dm).not.toMatch(/has ended; you keep View/);
  });

  it('asks the admins to check when Looker says the user is not there at the end (deleted, or hidden from the key), and removes nothing', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'riley.deleted@example.com';
    const approved = await granted(email);
    looker.users.delete(approved.grant!.lookerUserId!);
    try {
      t.setTime(Date.parse(approved.expiresAt!) + 1_000);
      await t.drain();
    } finally {
      t.setTime(Date.now());
    }
    expect((await d.requests()).find((r) => r.id === approved.id)).toMatchObject({ status: 'expired', revokedRoleIds: [], revokeError: null, lookerUserMissing: true });
    const said = await t.standin.waitFor(() => t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === approved.ts).map(text).find((m) => m.includes('expired')));
    expect(said).toContain('does not exist');
    expect(said).toContain(`please check in Looker that`);
    expect(said).not.toContain('found no Develop role left to remove');
    expect((await d.audits(approved.id)).filter((a) => a === 'looker_access.revoked')).toHaveLength(1);
  });

  it('grants nothing when the grant first runs after the access has already ended (the bot was down that long), and says so', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'riley.toolate@example.com';
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessDuration]: '1' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    // The grant's first attempt is told to wait (Looker's 429: minutes, as the retry policy caps it); before it tries again the bot is down for two days.
    looker.failNext('GET', /\/users\/search$/, 429, 'Too many requests', { 'retry-after': '3600' });
    const asked = looker.requests.length;
    await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    await waitForAsync(async () => looker.requests.slice(asked).some((q) => q.status === 429 && q.path.endsWith('/users/search')) || undefined);
    const approved = (await d.requests()).find((r) => r.id === request.id)!;
    expect(approved).toMatchObject({ status: 'approved', grant: null, grantPlan: null });
    const from = looker.requests.length;
    try {
      for (let i = 0; i < 3; i++) {
        t.setTime(Date.parse(approved.expiresAt!) + 2 * DAY + i * 10 * 60_000);
        await t.drain();
      }
    } finally {
      t.setTime(Date.now());
    }
    // Looker is not touched at all, and no admin is asked to grant or remove anything.
    expect(looker.requests.slice(from).filter((q) => q.method !== 'POST' || !q.path.endsWith('/login'))).toEqual([]);
    expect(looker.userByEmail(email)).toBeUndefined();
    expect((await d.requests()).find((r) => r.id === request.id)).toMatchObject({ status: 'expired', grant: null, grantError: null });
    const dm = await t.standin.waitFor(() => d.dms(RILEY).map(text).find((m) => m.includes(email) && m.includes('ended before')));
    expect(dm).toContain('nothing changed there');
    expect(d.dms(RILEY).map(text).filter((m) => m.includes(email)).join('\n')).not.toContain('active in Looker');
    const thread = await t.standin.waitFor(() => {
      const said = t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === request.ts).map(text);
      return said.length ? said : undefined;
    });
    expect(thread.join('\n')).toContain('ended before it was granted');
    expect(thread.join('\n')).not.toContain('by hand');
    expect(text(d.card((await d.requests()).find((r) => r.id === request.id)!))).toContain('ended before it could be granted');
  });

  it('serializes grants to the same Looker user: two approvals at once lose no role and create one user', async () => {
    const email = 'casey.concurrent@example.com';
    const made = await Promise.all([
      d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessLevel]: 'create_content' })),
      d.request(BLAKE, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessLevel]: 'develop' })),
    ]);
    const [a, b] = await Promise.all(made.map(({ modal }) => waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts))));
    // Slow reads make the two read-merge-writes overlap unless they are serialized.
    looker.delay('GET', /\/users\/search$/, 300);
    looker.delay('GET', /\/roles$/, 300);
    const answers = await Promise.all([d.click(ALEX, a!, ActionIds.lookerAccessApprove), d.click(JORDAN, b!, ActionIds.lookerAccessApprove)]);
    for (const answer of answers) expect(answer).toContain('Approved');
    await waitForAsync(async () => (await d.requests()).filter((r) => (r.id === a!.id || r.id === b!.id) && r.grant).length === 2 || undefined);
    looker.clearDelays();
    const users = [...looker.users.values()].filter((u) => u.email === email);
    expect(users).toHaveLength(1);
    expect([...users[0]!.role_ids].sort()).toEqual(['2', '5', '6', '7']);
  });

  it('waits while another change holds the Looker user (no attempt spent, no overlap), then grants', async () => {
    const email = 'held.user@example.com';
    const lock = lookerUserLockName(email);
    expect(await t.store.acquireLease(lock, 'another-change', 10 * 60_000)).toBe(true);
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    const before = looker.calls().length;
    expect(await d.click(ALEX, request, ActionIds.lookerAccessApprove)).toContain('Approved');
    await t.drain();
    expect(looker.userByEmail(email)).toBeUndefined();
    expect(looker.calls().slice(before).filter((c) => !c.endsWith('/users/search'))).toEqual([]); // only the plan's read, before the lock
    expect((await jobsIn(t.store)).get(`looker.grant:${request.id}`)).toMatchObject({ state: 'pending', attempts: 0 });
    await t.store.releaseLease(lock, 'another-change');
    t.advance(60_000);
    await t.drain();
    t.setTime(Date.now());
    const stored = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grant));
    expect(stored).toMatchObject({ status: 'approved', grantError: null, grant: { mode: 'looker' } });
    expect(looker.userByEmail(email)!.role_ids).toEqual(expect.arrayContaining(['2', '6', '7']));
  });

  /** Riley's Develop access for 7 days, approved by Alex, then renewed for 30 (as `renewEmail`) and approved by Jordan. */
  async function approvedThenRenewed(email: string, renewEmail = email) {
    const { modal: m1 } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessDuration]: '7' }));
    const first = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === m1.id && r.ts));
    await d.click(ALEX, first, ActionIds.lookerAccessApprove);
    await waitForAsync(async () => (await d.requests()).find((r) => r.id === first.id && r.grant));
    const { modal: m2 } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: renewEmail, [ActionIds.lookerAccessDuration]: '30' }));
    const second = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === m2.id && r.ts));
    await d.click(JORDAN, second, ActionIds.lookerAccessApprove);
    const renewed = await waitForAsync(async () => (await d.requests()).find((r) => r.id === second.id && r.grant));
    return { first, second, renewed };
  }

  it('a renewal before expiry keeps the access: the first request ends without taking back what the second still grants, the second takes it all back', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'riley.renew@example.com';
    // Asked again (as the reminder says), with the address typed in another case: the same Looker user.
    const { first, second, renewed } = await approvedThenRenewed(email, 'Riley.Renew@Example.com');
    // The user already had every role: the renewal's own record says it added none.
    expect(renewed.grant!.addedRoleIds).toEqual([]);
    expect([...looker.userByEmail(email)!.role_ids].sort()).toEqual(['2', '6', '7']);

    const firstEnds = Date.parse((await d.requests()).find((r) => r.id === first.id)!.expiresAt!);
    t.setTime(firstEnds + 60_000);
    await t.drain();
    t.setTime(firstEnds + 120_000);
    await t.drain();
    const ended = (await d.requests()).find((r) => r.id === first.id)!;
    expect(ended).toMatchObject({ status: 'expired', revokedRoleIds: [], keptFor: { requestId: second.id } });
    expect([...looker.userByEmail(email)!.role_ids].sort()).toEqual(['2', '6', '7']);
    const thread = t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === first.ts);
    expect(text(thread.at(-1))).toContain(`request \`${lookerRequestRef(second.id)}\` for the same Looker user still grants it`);
    expect(text(d.dms(RILEY).find((m) => text(m).includes(lookerRequestRef(first.id)) && text(m).includes('has ended')))).toContain('nothing changes in Looker until then');

    const secondEnds = Date.parse(renewed.expiresAt!);
    t.setTime(secondEnds + 60_000);
    await t.drain();
    t.setTime(secondEnds + 120_000);
    await t.drain();
    t.setTime(Date.now());
    expect((await d.requests()).find((r) => r.id === second.id)).toMatchObject({ status: 'expired', revokedRoleIds: ['6', '7'], keptFor: null });
    // Develop is gone; View stays.
    expect(looker.userByEmail(email)!.role_ids).toEqual(['2']);
  });

  it('does not remind that access ends tomorrow ("ask again") when a renewal already approved keeps it', async () => {
    showBotLogsOnFailure(() => [t]);
    // Renewed early, for longer, and approved: the Develop access goes on past the first request's end.
    const { first, second, renewed } = await approvedThenRenewed('riley.renewed.reminder@example.com');
    const firstEnds = Date.parse((await d.requests()).find((r) => r.id === first.id)!.expiresAt!);
    t.setTime(firstEnds - 12 * 3_600_000);
    await t.drain();
    t.setTime(Date.now());
    const reminders = d.dms(RILEY).filter((m) => text(m).includes(lookerRequestRef(first.id)) && text(m).includes(' ends '));
    // The reminder promised at approval comes, and says the renewal carries the access on: not "ask again".
    expect(reminders).toHaveLength(1);
    for (const m of reminders) {
      expect(text(m)).toContain(lookerRequestRef(second.id));
      expect(text(m)).not.toContain('ask again');
    }
    for (const r of [first, renewed]) await t.store.runTransaction(async (tx) => tx.put(LOOKER_ACCESS_REQUESTS, r.id, { ...(await tx.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, r.id))!.data, status: 'expired' }));
  });

  it("on a request for someone else, tells the requester whose access it is and reminds both of them, as the approval said", async () => {
    const email = 'blake.onbehalf@example.com';
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessSubject]: BLAKE, [ActionIds.lookerAccessEmail]: email }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    const granted = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grant));
    await t.drain();
    const aboutIt = (who: string) => d.dms(who).filter((m) => text(m).includes(lookerRequestRef(request.id)));
    const toRiley = text(aboutIt(RILEY).find((m) => text(m).includes('approved')));
    expect(toRiley).toContain(`The access is <@${BLAKE}>'s and lasts until`);
    expect(toRiley).toContain('I will remind you both a day before.');
    const toBlake = text(aboutIt(BLAKE).find((m) => text(m).includes('approved')));
    expect(toBlake).toContain(`I will remind you and <@${RILEY}> a day before.`);
    // The reminder goes to both, as said.
    t.setTime(Date.parse(granted.expiresAt!) - 12 * 3_600_000);
    await t.drain();
    t.setTime(Date.now());
    expect(aboutIt(RILEY).filter((m) => text(m).includes(' ends '))).toHaveLength(1);
    expect(aboutIt(BLAKE).filter((m) => text(m).includes(' ends '))).toHaveLength(1);
  });

  it('names on the card an earlier approval of the same access that the bot still shows in force, for the admins to check in Looker', async () => {
    const email = 'riley.again@example.com';
    const values = { [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessTeam]: 'other' };
    const first = await d.request(RILEY, values);
    const earlier = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === first.modal.id && r.ts));
    expect(text(d.card(earlier))).not.toContain('Asked before');
    expect(await d.click(ALEX, earlier, ActionIds.lookerAccessApprove)).toContain('Approved');
    await waitForAsync(async () => (await d.requests()).find((r) => r.id === earlier.id && r.grant));
    // Asked again, the address in another case: not refused (Looker may have lost it), but the admins see the first.
    const again = await d.request(RILEY, { ...values, [ActionIds.lookerAccessEmail]: 'Riley.Again@example.com' });
    expect(again.result.errors).toBeUndefined();
    const second = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === again.modal.id && r.ts));
    const card = text(d.card(second));
    expect(card).toContain(`Asked before: \`${lookerRequestRef(earlier.id)}\`, the same View access for <@${RILEY}>`);
    expect(card).toContain(`approved by <@${ALEX}>`);
    expect(card).toContain('check there before approving again');
    // Develop is other access: no such line.
    const develop = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email }));
    const third = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === develop.modal.id && r.ts));
    expect(text(d.card(third))).not.toContain('Asked before');
    for (const r of [second, third]) await t.bot.services.lookerAccess.decide({ requestId: r.id, deciderId: ALEX, decision: 'deny', reason: 'test' });
  });

  it('sends no "ends tomorrow" reminder for a 1-day grant: the approval says when it ends, and it ends on time', async () => {
    const email = 'riley.oneday@example.com';
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessDuration]: '1' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    const granted = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grant));
    await t.drain();
    const aboutIt = () => d.dms(RILEY).filter((m) => text(m).includes(lookerRequestRef(request.id)));
    const approvedDm = aboutIt().find((m) => text(m).includes('approved'));
    expect(text(approvedDm)).toContain('It lasts until');
    expect(text(approvedDm)).not.toContain('remind you');
    expect(aboutIt().filter((m) => text(m).includes(' ends '))).toHaveLength(0);
    expect((await jobsIn(t.store)).get(`looker.remind:${request.id}`)).toBeUndefined();
    const expiresAt = Date.parse(granted.expiresAt!);
    t.setTime(expiresAt - 60_000);
    await t.drain();
    expect(aboutIt().filter((m) => text(m).includes(' ends '))).toHaveLength(0);
    t.setTime(expiresAt + 60_000);
    await t.drain();
    t.setTime(expiresAt + 120_000);
    await t.drain();
    t.setTime(Date.now());
    expect((await d.requests()).find((r) => r.id === request.id)).toMatchObject({ status: 'expired', reminderSentAt: null });
    expect(aboutIt().filter((m) => text(m).includes('has ended'))).toHaveLength(1);
    expect(looker.userByEmail(email)!.role_ids).toEqual(['2']);
  });

  it('offers Retry grant after a failed grant: refused to non-admins, and two clicks at once give one retry that goes through', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'dana.disabled@example.com';
    looker.users.set('61', { id: '61', email, first_name: 'Dana', last_name: 'Disabled', role_ids: [], is_disabled: true, roles_externally_managed: false, has_email_credentials: true, logged_in_at: '2026-01-01T00:00:00.000+00:00' });
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    const failed = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grantError));
    expect(failed.grantError).toContain('then click Retry grant on the request');
    const card = await t.standin.waitFor(() => (text(d.card(failed)).includes(ActionIds.lookerAccessRetryGrant) ? d.card(failed) : undefined));
    expect(text(card)).toContain('Retry grant');
    expect(text(card)).not.toContain(ActionIds.lookerAccessApprove);
    expect(blockKitViolations(card.blocks as KnownBlock[])).toEqual([]);

    // While Looker still refuses, a retry fails at once; a second click just after it (a double click, a second
    // admin) is answered by that retry and retries nothing.
    expect(await d.click(ALEX, request, ActionIds.lookerAccessRetryGrant)).toContain('still did not accept');
    await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grantError));
    expect(await d.click(JORDAN, request, ActionIds.lookerAccessRetryGrant)).toContain('The grant was tried again a moment ago');
    expect((await d.audits(request.id)).filter((a) => a === 'looker_access.grant_retried')).toHaveLength(1);
    // A click after reading how it went tries once more.
    await new Promise((r) => setTimeout(r, RETRY_GRANT_ONCE_MS));

    // The user is enabled in Looker; a non-admin's forged click changes nothing.
    looker.users.get('61')!.is_disabled = false;
    const lookerCalls = looker.requests.length;
    expect(await d.forgedClick(BLAKE, ActionIds.lookerAccessRetryGrant, request.id, request.ts!)).toContain('Only members of <!subteam^S0LOOKERADM>');
    expect(await d.click(RILEY, request, ActionIds.lookerAccessRetryGrant)).toContain('Nothing was changed');
    expect((await d.requests()).find((r) => r.id === request.id)).toMatchObject({ grant: null, grantError: failed.grantError });
    expect(looker.requests.length).toBe(lookerCalls);

    const answers = await Promise.all([
      d.click(ALEX, request, ActionIds.lookerAccessRetryGrant, { timeoutMs: CONTENDED_TX_MS }),
      d.click(JORDAN, request, ActionIds.lookerAccessRetryGrant, { timeoutMs: CONTENDED_TX_MS }),
    ]);
    expect(answers.filter((a) => a.includes('Granted in Looker this time')), answers.join('\n---\n')).toHaveLength(1);
    expect(answers.filter((a) => a.includes('Nothing was changed')), answers.join('\n---\n')).toHaveLength(1);
    const granted = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grant));
    expect(granted).toMatchObject({ status: 'approved', grantError: null, grant: { mode: 'looker', lookerUserId: '61' } });
    expect([...looker.users.get('61')!.role_ids].sort()).toEqual(['2', '6', '7']);
    expect((await d.audits(request.id)).filter((a) => a === 'looker_access.grant_retried')).toHaveLength(2);
    const after = await t.standin.waitFor(() => (text(d.card(granted)).includes('Granted in Looker') ? d.card(granted) : undefined));
    expect(text(after)).not.toContain(ActionIds.lookerAccessRetryGrant);
    await t.standin.waitFor(() => d.dms(RILEY).find((m) => text(m).includes(lookerRequestRef(request.id)) && text(m).includes('it is active in Looker')));
  });

  it('refuses Retry grant once the access has ended, its expiry not run yet (the bot was down at the end): nothing is granted', async () => {
    showBotLogsOnFailure(() => [t]);
    const email = 'dana.ended@example.com';
    looker.users.set('62', { id: '62', email, first_name: 'Dana', last_name: 'Ended', role_ids: [], is_disabled: true, roles_externally_managed: false, has_email_credentials: true, logged_in_at: '2026-01-01T00:00:00.000+00:00' });
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessDuration]: '1' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    const failed = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grantError));
    // The bot was down at the end: its expiry has not run. Looker would accept the grant now.
    await t.store.delete('jobs', `looker.expire:${request.id}`);
    looker.users.get('62')!.is_disabled = false;
    t.setTime(Date.parse(failed.expiresAt!) + 60_000);
    try {
      // (If the periodic sweep runs first, it expires the request, and the answer says so: nothing is granted either way.)
      expect(await d.click(ALEX, request, ActionIds.lookerAccessRetryGrant)).toMatch(/access ended .*nothing left to grant|This request is expired/);
    } finally {
      t.setTime(Date.now());
    }
    expect((await d.requests()).find((r) => r.id === request.id)).toMatchObject({ grant: null, grantError: failed.grantError });
    expect(looker.users.get('62')!.role_ids).toEqual([]);
    expect(await d.audits(request.id)).not.toContain('looker_access.grant_retried');
  });

  it('changes nothing when it cannot tell who the Looker admins are, or read the admin\'s profile', async () => {
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: 'riley.adm@example.com' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    t.standin.failNext('usergroups.users.list', 'missing_scope');
    expect(await d.click(ALEX, request, ActionIds.lookerAccessApprove)).toContain('could not check who the Looker admins are');
    expect((await d.requests()).find((r) => r.id === request.id)?.status).toBe('pending');
    t.standin.failNext('users.info', 'internal_error');
    expect(await d.click(ALEX, request, ActionIds.lookerAccessApprove)).toContain('could not check your Slack profile');
    expect((await d.requests()).find((r) => r.id === request.id)?.status).toBe('pending');
    expect(await d.click(ALEX, request, ActionIds.lookerAccessApprove)).toContain('Approved and granted');
  });

  it('refuses on the form the same request while it waits, and one more than the admins may have waiting from one person, storing and pinging nothing', async () => {
    const waiting = async () => (await d.requests()).filter((r) => r.requesterId === BLAKE && r.status === 'pending');
    const ask = async (email: string) => {
      const { modal, result } = await d.request(BLAKE, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessTeam]: 'sales' }));
      return { viewId: modal.id, result };
    };
    const { viewId: firstView } = await ask('blake.1@example.com');
    const first = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === firstView && r.ts));
    // Slack delivering that same submission again, after it was stored, is not asking twice: nothing is said.
    const again0 = await t.standin.submitView(t.client, { userId: BLAKE, viewId: firstView, values: elevated({ [ActionIds.lookerAccessEmail]: 'blake.1@example.com', [ActionIds.lookerAccessTeam]: 'sales' }), timeoutMs: 300 });
    expect(again0.ack.status).toBe(200);
    expect(again0.responseAction).toBeUndefined();
    const cards = () => t.standin.callsTo('chat.postMessage').filter((c) => c.args['channel'] === CHANNEL).length;
    const posted = cards();
    const dmsBefore = d.dms(BLAKE).length;
    // The same again from a new form (the email in another case): said on the form, which stays open with what was typed.
    const same = await ask('Blake.1@Example.com');
    expect(same.result.responseAction).toBe('errors');
    expect(same.result.errors).toEqual({ [BlockIds.lookerAccessLevel]: `You already asked for this (${lookerRequestRef(first.id)}), and it is waiting for a Looker admin: you will get a DM when they decide. Close this form, or change what you ask for.` });
    expect(t.standin.view(same.viewId)).toBeDefined();
    for (let i = 2; (await waiting()).length < MAX_PENDING_PER_REQUESTER; i++) {
      const before = (await waiting()).length;
      await ask(`blake.${i}@example.com`);
      await waitForAsync(async () => ((await waiting()).length > before ? true : undefined));
    }
    const stored = (await d.requests()).length;
    const tooMany = await ask('blake.extra@example.com');
    expect(tooMany.result.responseAction).toBe('errors');
    const why = tooMany.result.errors?.[BlockIds.lookerAccessLevel] ?? '';
    expect(why).toMatch(new RegExp(`^You have ${MAX_PENDING_PER_REQUESTER} Looker access requests waiting for an admin \\(.*\\)\\. Ask again once some of them are decided\\.$`));
    expect(why).toContain(lookerRequestRef(first.id));
    expect(cards()).toBe(posted + MAX_PENDING_PER_REQUESTER - 1); // a card for each one made, none for the refused
    expect((await d.requests()).length).toBe(stored);
    expect((await d.requests()).some((r) => r.email === 'blake.extra@example.com')).toBe(false);
    // Answered on the form only: no DM says it again.
    await new Promise((r) => setTimeout(r, 300));
    expect(d.dms(BLAKE).slice(dmsBefore).filter((m) => /already asked for this|waiting for an admin/.test(text(m)))).toHaveLength(0);
  });

  it('refuses on the form a request for a bot, storing nothing', async () => {
    const before = (await d.requests()).length;
    const { result } = await d.request(RILEY, { [ActionIds.lookerAccessSubject]: 'U0BOT', [ActionIds.lookerAccessEmail]: 'bot@example.com', [ActionIds.lookerAccessTeam]: 'engineering' });
    expect(result.errors).toEqual({ [BlockIds.lookerAccessSubject]: 'Looker access is for people, not bots or apps: pick a person.' });
    // Someone Slack does not know (gone from the workspace since the form opened, or a forged id).
    const gone = await d.request(RILEY, { [ActionIds.lookerAccessSubject]: 'U0NOBODY1', [ActionIds.lookerAccessEmail]: 'nobody@example.com', [ActionIds.lookerAccessTeam]: 'engineering' });
    expect(gone.result.errors).toEqual({ [BlockIds.lookerAccessSubject]: 'I could not find this person in the workspace: pick someone else.' });
    expect((await d.requests()).length).toBe(before);
  });

  it('never logs the Looker client secret or the access token', () => {
    const logs = t.logs.join('\n');
    expect(logs).not.toContain(FakeLookerDefaults.clientSecret);
    expect(logs).not.toMatch(/token [0-9a-f]{40}/);
  });
});

describe('/looker-access without Looker (record-only)', () => {
  let t: TestBot;
  const d = driver(() => t);
  beforeAll(async () => {
    t = await startTestBot({ standinOptions });
  }, 120_000);
  afterAll(async () => t?.stop());

  it('sends even View to the admins, records the approval and tells the admin to grant it by hand', async () => {
    const { modal } = await d.request(RILEY, { [ActionIds.lookerAccessEmail]: 'riley@example.com', [ActionIds.lookerAccessTeam]: 'sales' });
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    expect(request.route).toBe('needs_approval');
    expect(text(d.card(request))).toContain('Looker is not connected');
    const answer = await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    expect(answer).toContain('Approved and recorded');
    expect(answer).toContain('grant it by hand');
    expect(answer).toContain('riley@example.com');
    const stored = (await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data;
    expect(stored.grant).toMatchObject({ mode: 'manual' });
    expect(text(d.card(stored))).toContain('grant it by hand');
    expect(text(d.dms(RILEY).at(-1))).toContain('by hand');
    expect(await d.audits(request.id)).toEqual(['looker_access.requested', 'looker_access.approved', 'looker_access.manual_grant_needed']);
  });

  it('posts a card that could not be posted ten minutes later, and tells the requester where it is then', async () => {
    t.standin.failNext('chat.postMessage', 'not_in_channel');
    const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: 'riley.unposted@example.com' }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id));
    const about = () => d.dms(RILEY).map(text).filter((m) => m.includes(request.id.replace(/^la_/, '').slice(-6).toUpperCase()) || m.includes('riley.unposted@example.com'));
    await waitForAsync(async () => about().find((m) => /could not post it for the Looker admins yet\. I will keep trying/.test(m)));
    const shift = t.now().getTime() - Date.now();
    try {
      t.advance(11 * 60_000);
      await t.drain();
      const posted = await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.ts));
      expect(text(d.card(posted))).toContain('riley.unposted@example.com');
      await waitForAsync(async () => about().find((m) => /is with the Looker admins/.test(m)));
      expect(about().filter((m) => /could not post it/.test(m))).toHaveLength(1);
    } finally {
      t.setTime(Date.now() + shift);
    }
  });

  it('does not send a "with the Looker admins" DM that failed once after an admin decided: it would follow "approved"', async () => {
    const email = 'riley.late-sent@example.com';
    let posted = false;
    let decided: string | undefined;
    const off = t.standin.onApplied(async (call) => {
      if (call.method !== 'chat.postMessage') return;
      if (call.args['channel'] === CHANNEL && !call.error && JSON.stringify(call.args).includes(email) && !posted) {
        // The card is up: the DM that follows it fails once.
        posted = true;
        t.standin.failNext('chat.postMessage', 'internal_error');
        return;
      }
      if (call.error !== 'internal_error' || call.args['channel'] !== RILEY || !posted || decided) return;
      // The DM failed; before the bot hears so (and retries it), an admin approves.
      const request = await waitForAsync(async () => (await d.requests()).find((r) => r.email === email && r.ts));
      decided = await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    });
    try {
      await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email }));
      await waitForAsync(async () => decided);
      expect(decided).toContain('Approved');
      const request = (await d.requests()).find((r) => r.email === email)!;
      const about = () => d.dms(RILEY).map(text).filter((m) => m.includes(email));
      await waitForAsync(async () => about().find((m) => /approved/.test(m)));
      const sent = noticeJob({ type: 'looker.dm', requestId: request.id, to: RILEY, about: 'sent' }).key;
      const job = async () => (await t.store.get<JobDoc>(JOBS, sent))?.data;
      // The DM's job runs again, and ends without a word.
      await waitForAsync(async () => ((await job())?.state === 'done' ? true : undefined));
      expect(await job()).toMatchObject({ state: 'done', attempts: 2 });
      expect(about().filter((m) => /with the Looker admins/.test(m)), JSON.stringify(about())).toEqual([]);
      expect(about().filter((m) => /approved/.test(m))).toHaveLength(1);
    } finally {
      off();
    }
  });

  it('tells the requester once that the card could not be posted when its first give-up comes after a week, and not again at a later one', async () => {
    const email = 'riley.down-a-week@example.com';
    // The card's first try is told to wait (a 503 with a Retry-After); the runner then stops for over a week.
    t.standin.failNextHttp('chat.postMessage', 503, { 'Retry-After': '100' });
    await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email }));
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.email === email));
    const card = jobKey('notice', 'looker.card', request.id);
    await waitForAsync(async () => ((await t.store.get<JobDoc>(JOBS, card))?.data.attempts === 1 && (await t.store.get<JobDoc>(JOBS, card))?.data.holder === null ? true : undefined));
    const week = 7 * 24 * 3_600_000;
    expect((await t.store.transition<JobDoc>(JOBS, card, (j) => j.state === 'pending' && j.holder === null, (j) => ({ createdAt: j.createdAt - week - 3_600_000, runAt: t.now().getTime() }))).ok).toBe(true);
    // Back: the bot is not in the channel; the card gives up, for good.
    t.standin.failNext('chat.postMessage', 'channel_not_found');
    await t.drain();
    await waitForAsync(async () => ((await t.store.get<JobDoc>(JOBS, card))?.data.state === 'failed' ? true : undefined));
    await t.drain();
    const told = () => d.dms(RILEY).map(text).filter((m) => m.includes(email) && /could not post it/.test(m));
    await waitForAsync(async () => (told().length > 0 ? true : undefined));
    expect((await d.requests()).find((r) => r.id === request.id)!.unpostedToldAt).toEqual(expect.any(String));
    // Given up again later (its DM's own record gone by then): not told twice.
    const unposted = (await t.store.list<JobDoc>(JOBS)).find((j) => j.id.startsWith(`notice:looker.dm:${request.id}`) && j.id.endsWith(':unposted'));
    await t.store.delete(JOBS, unposted!.id);
    expect((await t.store.transition<JobDoc>(JOBS, card, (j) => j.state === 'failed', () => ({ state: 'pending', runAt: t.now().getTime(), attempts: 0, finishedAt: null }))).ok).toBe(true);
    t.standin.failNext('chat.postMessage', 'channel_not_found');
    await t.drain();
    await waitForAsync(async () => ((await t.store.get<JobDoc>(JOBS, card))?.data.state === 'failed' ? true : undefined));
    await t.drain();
    expect(told()).toHaveLength(1);
  });

  it('at expiry asks the admins in the thread to remove the role by hand', async () => {
    const { modal } = await d.request(RILEY, elevated());
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    await d.click(JORDAN, request, ActionIds.lookerAccessApprove);
    const approved = (await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data;
    t.setTime(new Date(approved.expiresAt!).getTime() + 1000);
    await t.drain();
    t.setTime(Date.now());
    expect((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))!.data.status).toBe('expired');
    const thread = t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === request.ts);
    expect(text(thread[0])).toContain('remove the Develop role');
    expect(text(thread[0])).toContain('by hand');
  });

  it('at the end of a request that a renewal (approved, still running) carries on, does not ask the admins to remove the role the renewal grants', async () => {
    const email = 'riley.manual.renewal@example.com';
    const { modal: m1 } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessDuration]: '7' }));
    const first = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === m1.id && r.ts));
    await d.click(JORDAN, first, ActionIds.lookerAccessApprove);
    // Renewed before the end (as the reminder asks), for longer, and approved: Develop goes on for 30 days.
    const { modal: m2 } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessDuration]: '30' }));
    const second = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === m2.id && r.ts));
    await d.click(JORDAN, second, ActionIds.lookerAccessApprove);
    const firstEnds = Date.parse((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, first.id))!.data.expiresAt!);
    t.setTime(firstEnds + 1000);
    await t.drain();
    t.setTime(Date.now());
    expect((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, first.id))!.data.status).toBe('expired');
    expect((await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, second.id))!.data.status).toBe('approved');
    const thread = () => t.standin.conversation(CHANNEL).filter((m) => m.thread_ts === first.ts);
    // The admins must not be asked to take away what the renewal they approved still grants: they are asked to keep it.
    await vi.waitFor(() => expect(thread().map(text).join('\n')).toContain(`still grants it`), { timeout: 5_000 });
    expect(thread().map(text).join('\n')).toContain('keep the Develop role in Looker');
    expect(thread().map(text).join('\n')).toContain(lookerRequestRef(second.id));
    expect(thread().map(text).join('\n')).not.toContain('please remove the Develop role');
    // Nor Riley told it has ended, as if nothing carried it on: told which request carries it.
    const ended = d.dms(RILEY).filter((m) => text(m).includes(lookerRequestRef(first.id)) && text(m).includes('has ended'));
    expect(ended.length).toBeGreaterThan(0);
    for (const m of ended) expect(text(m)).toContain(lookerRequestRef(second.id));
  });
});

describe('/looker-access when the store fails', () => {
  let t: TestBot;
  let inner: Store;
  const mode = { fail: false, slowMs: 0, slowListMs: 0 };
  const d = driver(() => t);
  beforeAll(async () => {
    const { openEmbeddedStore } = await import('../src/adapters/store/embedded.js');
    const { mkdtemp } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    inner = await openEmbeddedStore(await mkdtemp(path.join(os.tmpdir(), 'looker-failing-store-')), { checkNesting: true });
    const { StoreError } = await import('../src/errors.js');
    const failing = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => (...a: A): Promise<R> =>
      mode.fail ? Promise.reject(new StoreError('firestore: put failed: 14 UNAVAILABLE at node_modules/x.js:1')) : f(...a);
    const store: Store = {
      ...inner,
      kind: inner.kind,
      get: (c, id) => inner.get(c, id),
      list: async (c, o) => {
        if (mode.slowListMs) await new Promise((r) => setTimeout(r, mode.slowListMs));
        return inner.list(c, o);
      },
      put: failing((c: string, id: string, data: Record<string, unknown>) => inner.put(c, id, data)),
      transition: failing((c: string, id: string, p: (x: never) => boolean, u: (x: never) => object) => inner.transition(c, id, p as never, u as never)),
      runTransaction: failing(async (body: Parameters<Store['runTransaction']>[0]) => {
        if (mode.slowMs) await new Promise((r) => setTimeout(r, mode.slowMs));
        return inner.runTransaction(body);
      }),
    } as Store;
    t = await startTestBot({ store, standinOptions });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await inner?.close();
  });

  it('keeps the form open with what was typed when the request cannot be stored, posts nothing, and stores it when sent again', async () => {
    mode.fail = true;
    const typed = elevated({ [ActionIds.lookerAccessEmail]: 'riley.again@example.com' });
    const { modal, result } = await d.request(RILEY, typed, { timeoutMs: 300 });
    mode.fail = false;
    expect(result.responseAction).toBe('errors');
    expect(result.errors?.[BlockIds.lookerAccessTeam]).toMatch(/could not record your request just now\. Your answers are still here/);
    expect(JSON.stringify(result.errors)).not.toContain('node_modules');
    expect(d.lookerPosts().filter((c) => c.args['channel'] === CHANNEL)).toHaveLength(0);
    expect((await d.requests()).some((r) => r.viewId === modal.id)).toBe(false);
    const again = await t.standin.submitView(t.client, { userId: RILEY, viewId: modal.id, values: typed, timeoutMs: 300 });
    expect(again.responseAction).toBeUndefined();
    expect((await d.requests()).filter((r) => r.viewId === modal.id)).toHaveLength(1);
  });

  /** A Looker access request sent while every store write takes `ms`. */
  async function requestOnSlowStore(ms: number, email: string) {
    mode.slowMs = ms;
    try {
      return await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email }), { timeoutMs: 300 });
    } finally {
      mode.slowMs = 0;
    }
  }

  it('stores the request before the form closes (a crash once Slack heard "done" loses nothing)', async () => {
    const { modal, result } = await requestOnSlowStore(1_000, 'riley.slow@example.com');
    expect(result.responseAction).toBeUndefined();
    expect(result.ack.ms).toBeGreaterThanOrEqual(900);
    expect((await d.requests()).filter((r) => r.viewId === modal.id)).toHaveLength(1);
  });

  it('closes the form in time when the store is slower than Slack waits, and the request still lands', async () => {
    const { modal, result } = await requestOnSlowStore(2_800, 'riley.slower@example.com');
    expect(result.responseAction).toBeUndefined();
    expect(result.ack.ms).toBeLessThan(3_000);
    await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id));
  });

  it('tells by DM a refusal decided after the form had to close (the same request waiting), storing nothing', async () => {
    const values = elevated({ [ActionIds.lookerAccessEmail]: 'riley.twice@example.com' });
    const { modal } = await d.request(RILEY, values);
    const first = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id));
    const stored = (await d.requests()).length;
    mode.slowListMs = 2_800;
    let late;
    try {
      late = await d.request(RILEY, values, { timeoutMs: 300 });
    } finally {
      mode.slowListMs = 0;
    }
    expect(late.result.responseAction).toBeUndefined();
    expect(late.result.ack.ms).toBeLessThan(3_000);
    const dm = await t.standin.waitFor(() => d.dms(RILEY).find((m) => text(m).includes('already asked for this')));
    expect(text(dm)).toContain(lookerRequestRef(first.id));
    expect((await d.requests()).length).toBe(stored);
  });

  it.each([false, true])('tells by DM a refusal decided in time but returned after the form closed (the store failing: %s)', async (failing) => {
    // Decided while the form was open, then held up (a pause of the process) past Slack's wait.
    const values = { [ActionIds.lookerAccessSubject]: 'U0BOT', [ActionIds.lookerAccessEmail]: 'bot@example.com', [ActionIds.lookerAccessTeam]: 'engineering' };
    const service = t.bot.services.lookerAccess;
    const submit = service.submit;
    service.submit = async (input) => {
      const outcome = await submit.call(service, input);
      await new Promise((r) => setTimeout(r, 2_700));
      mode.fail = failing;
      return outcome;
    };
    const dms = d.dms(RILEY).length;
    let late;
    try {
      late = await d.request(RILEY, values, { timeoutMs: 300 });
      expect(late.result.responseAction).toBeUndefined();
      const dm = await t.standin.waitFor(() => d.dms(RILEY).slice(dms).find((m) => text(m).includes('not bots or apps')));
      expect(text(dm)).toContain('Nothing was requested');
      await new Promise((r) => setTimeout(r, 300));
      expect(d.dms(RILEY).slice(dms).filter((m) => text(m).includes('not bots or apps'))).toHaveLength(1);
    } finally {
      service.submit = submit;
      mode.fail = false;
    }
  });

  it('tells the admin when a decision cannot be recorded, and leaves the request pending', async () => {
    const { modal } = await d.request(RILEY, elevated());
    const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
    mode.fail = true;
    const answer = await d.click(ALEX, request, ActionIds.lookerAccessApprove);
    mode.fail = false;
    expect(answer).toContain('could not record that decision');
    expect(answer).not.toContain('UNAVAILABLE');
    expect((await d.requests()).find((r) => r.id === request.id)?.status).toBe('pending');
    expect(await d.click(ALEX, request, ActionIds.lookerAccessApprove)).toContain('Approved and recorded');
  });
});

describe('the periodic Looker access sweep', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ standinOptions, env: { LOOKER_SWEEP_INTERVAL_MS: '1000' } });
  }, 120_000);
  afterAll(async () => t?.stop());

  it('runs by itself once the bot has started, expiring what is due', async () => {
    const id = 'la_timerexpiry0001';
    await t.store.put<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id, {
      id, requesterId: RILEY, subjectId: RILEY, email: 'riley@example.com', team: 'sales', level: 'create_content',
      reason: 'dashboards', durationDays: 1, status: 'approved', route: 'needs_approval', viewId: 'VTIMER',
      createdAt: new Date(Date.now() - 2 * DAY).toISOString(), channel: null, ts: null, decidedBy: ALEX,
      decidedAt: new Date(Date.now() - 2 * DAY).toISOString(),
      grant: { mode: 'manual', at: new Date(Date.now() - 2 * DAY).toISOString(), lookerUserId: null, createdUser: false, addedGroupIds: [], addedRoleIds: [] },
      grantError: null, expiresAt: new Date(Date.now() - DAY).toISOString(), reminderSentAt: null, expiredAt: null, revokedRoleIds: null, revokeError: null,
    });
    await waitForAsync(async () => (await t.store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, id))?.data.status === 'expired' || undefined);
    await t.standin.waitFor(() => t.standin.conversation(RILEY).find((m) => text(m).includes('has ended')));
  });
});


describe('the lock per Looker user', () => {
  it('leases for the job lease (JOBS_LEASE_SECONDS), so a grant cut off by a crash goes on when its job does', async () => {
    const looker = newFakeLooker();
    await looker.start();
    const bot = await startTestBot({ env: { ...lookerEnv(looker), JOBS_LEASE_SECONDS: '12' }, standinOptions });
    try {
      const d = driver(() => bot);
      const leases: Array<[string, number]> = [];
      const acquire = bot.store.acquireLease.bind(bot.store);
      bot.store.acquireLease = async (name, holder, ttlMs) => {
        leases.push([name, ttlMs]);
        return acquire(name, holder, ttlMs);
      };
      const email = 'lease.length@example.com';
      const { modal } = await d.request(RILEY, elevated({ [ActionIds.lookerAccessEmail]: email }));
      const request = await waitForAsync(async () => (await d.requests()).find((r) => r.viewId === modal.id && r.ts));
      expect(await d.click(ALEX, request, ActionIds.lookerAccessApprove)).toContain('Approved');
      await waitForAsync(async () => (await d.requests()).find((r) => r.id === request.id && r.grant));
      const lock = lookerUserLockName(email);
      expect(leases.filter(([name]) => name === lock).map(([, ttl]) => ttl)).toEqual([12_000]);
    } finally {
      await bot.stop();
      await looker.stop();
    }
  }, 60_000);
});
