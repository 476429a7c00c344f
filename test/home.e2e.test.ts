/**
 * App Home end to end: the signed `app_home_opened` event through the real
 * Bolt receiver, `views.publish` to the stand-in; a user's open requests and,
 * for BizOps and Looker admins, what waits on them. Embedded and Firestore stores.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { blockKitViolations } from './support/block-limits.js';
import { firestoreAvailable } from './support/firestore-emulator.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import { signSlackRequest } from '../src/slack-standin/signing.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { ActionIds, CallbackIds } from '../src/ids.js';
import type { Store, StoreDoc } from '../src/ports/store.js';
import { LOOKER_ACCESS_REQUESTS } from '../src/services/looker-access.js';
import { PIPELINE_REQUESTS, type PipelineRequest } from '../src/services/pipeline-request.js';
import { homeListKey, homeListOrder, type HomeData, type HomeListKey, type HomeRequestItem } from '../src/services/home.js';
import { homeListModal, homeView, HOME_MAX_ITEMS } from '../views/home.js';

const regular = StandinDefaults.users.regular;
const bizops = StandinDefaults.users.bizops;
const admin = StandinDefaults.users.lookerAdmin;
const channel = StandinDefaults.channel;

const firestore = firestoreAvailable();
const variants: Array<{ name: string; store?: () => Store; skip?: string }> = [
  { name: 'embedded store' },
  {
    name: 'Firestore store (emulator)',
    store: () => openFirestoreStore({ projectId: 'test', collectionPrefix: `home_${randomUUID().slice(0, 8)}_` }),
    ...(firestore.available ? {} : { skip: firestore.reason }),
  },
];

/** Slack's `app_home_opened` event, signed like Slack signs it. */
/**
 * A button on the regular user's Home clicked when Slack no longer takes its trigger (expired_trigger_id): acked,
 * and the DM that says so (`said`), which names neither Slack's error nor a source line.
 */
async function toldOfExpiredClick(t: TestBot, actionId: string, said: RegExp) {
  const home = (await openHome(t, regular))!;
  t.standin.failNext('views.open', 'expired_trigger_id');
  const { ack } = await t.standin.clickAction(t.client, { userId: regular, viewId: home.view.id, actionId });
  expect(ack.status).toBe(200);
  const told = await t.standin.waitFor(() => t.standin.conversation(regular).find((m) => said.test(m.text)));
  expect(JSON.stringify(told)).not.toMatch(/expired_trigger_id|\.(js|ts):\d+/);
  return told;
}

async function openHome(t: TestBot, user: string, tab: 'home' | 'messages' = 'home') {
  const now = Date.now();
  const body = JSON.stringify({
    token: 'standin-verification-token',
    team_id: StandinDefaults.teamId,
    api_app_id: StandinDefaults.appId,
    event: { type: 'app_home_opened', user, channel: t.standin.dmChannelId(user), tab, event_ts: (now / 1000).toFixed(6) },
    type: 'event_callback',
    event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(now / 1000),
    authorizations: [{ enterprise_id: null, team_id: StandinDefaults.teamId, user_id: StandinDefaults.botUserId, is_bot: true, is_enterprise_install: false }],
  });
  const publishes = t.standin.callsTo('views.publish').length;
  const ack = await t.client.raw(body, { 'content-type': 'application/json', ...signSlackRequest(t.signingSecret, body) });
  expect(ack.status).toBe(200);
  if (tab === 'messages') return undefined;
  await t.standin.waitFor(() => t.standin.callsTo('views.publish').length > publishes && t.standin.callsTo('views.publish').at(-1)?.result);
  const view = t.standin.homeView(user)!;
  return { view, text: blocksToText({ blocks: view.blocks }) };
}

const answers = (destination: string) => ({
  [ActionIds.pipelineRequestSource]: 'other',
  [ActionIds.pipelineRequestObjects]: 'Gong calls',
  [ActionIds.pipelineRequestDestination]: destination,
  [ActionIds.pipelineRequestFrequency]: 'weekly',
  [ActionIds.pipelineRequestOwner]: regular,
  [ActionIds.pipelineRequestWhy]: 'Coaching dashboards',
});

for (const variant of variants) {
  describe.skipIf(variant.skip !== undefined)(`App Home on the ${variant.name}`, () => {
    let t: TestBot;
    let store: Store | undefined;
    let ref = '';
    let cardTs = '';

    beforeAll(async () => {
      store = variant.store?.();
      t = await startTestBot(store ? { store } : {});
      // A pipeline request by the regular user, through the real modal.
      await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
      const dmChannel = t.standin.dmChannelId(regular);
      await t.standin.submitView(t.client, { userId: regular, values: answers('gong_home') });
      const card = await t.standin.waitFor(() => t.standin.conversation(channel).find((m) => (m.text ?? '').includes('gong_home')));
      await t.standin.waitFor(() => t.standin.conversation(dmChannel).length > 0);
      cardTs = card.ts;
      ref = /PR-[A-Z0-9]+/.exec(card.text ?? '')?.[0] ?? '';
      // A Looker access request waiting for an admin, as the Looker access feature stores it.
      await t.store.put(LOOKER_ACCESS_REQUESTS, 'la_home0001', {
        id: 'la_home0001', requesterId: regular, subjectId: regular, email: 'riley@example.com', team: 'engineering', level: 'develop',
        reason: 'Build the support dashboards', durationDays: 30, status: 'pending', route: 'needs_approval', viewId: 'VHOME1',
        createdAt: new Date(Date.now() - 60_000).toISOString(), channel: null, ts: null, decidedBy: null, decidedAt: null, grant: null,
        grantError: null, expiresAt: null, reminderSentAt: null, expiredAt: null, revokedRoleIds: null, revokeError: null,
      });
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
      await store?.close();
    });

    // First: before any Home open has cached the group member lists.
    it('still publishes, with a note, when Slack cannot say who is in the groups', async () => {
      t.standin.failNext('usergroups.users.list', 'internal_error', 2);
      const home = (await openHome(t, bizops))!;
      expect(home.text).toContain('Could not check your groups');
      expect(home.text).not.toContain('Waiting on you');
    });

    it('publishes nothing for an app_home_opened that names no user (a malformed event), and keeps serving', async () => {
      const publishes = t.standin.callsTo('views.publish').length;
      for (const user of [undefined, 42, '', 'not a user']) {
        const ack = await t.client.event({ type: 'app_home_opened', tab: 'home', ...(user === undefined ? {} : { user }) });
        expect(ack.status, String(user)).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(t.standin.callsTo('views.publish').length).toBe(publishes);
      expect(t.logs.filter((l) => l.includes('"ERROR"') && l.includes('app home'))).toEqual([]);
      expect((await openHome(t, regular))!.text).toContain('My open requests');
    });

    it('publishes nothing for a user Slack does not know (an event for someone deleted since, or forged), with a warning, not an error with a stack', async () => {
      const logs = t.logs.length;
      const ack = await t.client.event({ type: 'app_home_opened', tab: 'home', user: 'U0NOBODY1', channel: 'D0NOBODY1' });
      expect(ack.status).toBe(200);
      await t.standin.waitFor(() => (t.standin.callsTo('views.publish').some((c) => c.args['user_id'] === 'U0NOBODY1') ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      const written = t.logs.slice(logs);
      expect(written.filter((l) => l.includes('"ERROR"'))).toEqual([]);
      expect(written.join('\n')).not.toContain('stack');
      expect(written.find((l) => l.includes('U0NOBODY1') && l.includes('"WARNING"'))).toContain('no such user');
      expect(t.standin.homeView('U0NOBODY1')).toBeUndefined();
    });

    it('shows a requester their open requests with status, and nothing waiting on them', async () => {
      expect(ref).toMatch(/^PR-/);
      const home = (await openHome(t, regular))!;
      expect(home.view.type).toBe('home');
      expect(home.text).toContain('My open requests');
      expect(home.text).toContain(ref);
      // The dataset is a name, in code as on the card and in the DMs: a `_staging_` would not turn to italics.
      expect(home.text).toContain('Other → `gong_home`');
      expect(home.text).toContain('waiting for BizOps');
      expect(home.text).toContain('Develop access to Looker for 30 days');
      expect(home.text).toContain('waiting for a Looker admin');
      expect(home.text).toContain('LA-ME0001');
      expect(home.text).not.toContain('la_home0001');
      expect(home.text).not.toContain('Waiting on you');
      // The approver's to-do is theirs: the requester is not told to approve their own request.
      expect(home.text).not.toContain('approve or deny');
      expect(home.text).not.toContain('accept or decline');
      expect(blockKitViolations(home.view.blocks as KnownBlock[], 'modal')).toEqual([]);
    });

    it('shows BizOps the pipeline requests waiting on them, and a Looker admin the access requests', async () => {
      const forBizops = (await openHome(t, bizops))!;
      expect(forBizops.text).toContain('Waiting on you');
      expect(forBizops.text).toContain('As BizOps');
      expect(forBizops.text).toContain(ref);
      expect(forBizops.text).toContain(`from @${regular}`);
      expect(forBizops.text).toContain('accept or decline');
      expect(forBizops.text).not.toContain('Develop access');

      // Member lists are reused for a while by Home (display only), not asked again on every open.
      const lookups = t.standin.callsTo('usergroups.users.list').length;
      const forAdmin = (await openHome(t, admin))!;
      expect(t.standin.callsTo('usergroups.users.list').length).toBe(lookups);
      expect(forAdmin.text).toContain('As a Looker admin');
      expect(forAdmin.text).toContain('Develop access to Looker for 30 days');
      expect(forAdmin.text).toContain('approve or deny');
      expect(forAdmin.text).not.toContain(ref);

      // The admin's own request is another admin's to decide: it is among theirs, not waiting on them.
      await t.store.put(LOOKER_ACCESS_REQUESTS, 'la_home0002', {
        id: 'la_home0002', requesterId: admin, subjectId: admin, email: 'alex@example.com', team: 'engineering', level: 'admin',
        reason: 'Own', durationDays: 7, status: 'pending', route: 'needs_approval', viewId: 'VHOME2',
        createdAt: new Date(Date.now() - 30_000).toISOString(), channel: null, ts: null, decidedBy: null, decidedAt: null, grant: null,
        grantError: null, expiresAt: null, reminderSentAt: null, expiredAt: null, revokedRoleIds: null, revokeError: null,
      });
      const own = (await openHome(t, admin))!;
      const waitingPart = own.text.slice(own.text.indexOf('Waiting on you'));
      expect(own.text).toContain('LA-ME0002');
      expect(own.text.indexOf('LA-ME0002')).toBeLessThan(own.text.indexOf('Waiting on you'));
      expect(waitingPart).not.toContain('LA-ME0002');
      expect(waitingPart).toContain('LA-ME0001');
      await t.store.delete(LOOKER_ACCESS_REQUESTS, 'la_home0002');
    });

    it("leaves out of the admin's to-do a request for the Looker email on their own Slack profile, as the click refuses it; their email is not asked of Slack on every open", async () => {
      // Riley asks View for themselves with the admin's address (any case): the card's Approve and Deny refuse the admin.
      await t.store.put(LOOKER_ACCESS_REQUESTS, 'la_home0003', {
        id: 'la_home0003', requesterId: regular, subjectId: regular, email: 'Alex@Example.com', team: 'engineering', level: 'view',
        reason: null, durationDays: null, status: 'pending', route: 'needs_approval', viewId: 'VHOME3',
        createdAt: new Date(Date.now() - 20_000).toISOString(), channel: null, ts: null, decidedBy: null, decidedAt: null, grant: null,
        grantError: null, expiresAt: null, reminderSentAt: null, expiredAt: null, revokedRoleIds: null, revokeError: null,
      });
      try {
        const infoCalls = () => t.standin.callsTo('users.info').filter((c) => c.args['user'] === admin).length;
        const forAdmin = (await openHome(t, admin))!;
        const before = infoCalls();
        const waitingPart = forAdmin.text.slice(forAdmin.text.indexOf('Waiting on you'));
        expect(waitingPart).toContain('LA-ME0001');
        expect(forAdmin.text).not.toContain('LA-ME0003');
        await openHome(t, admin);
        await openHome(t, admin);
        expect(infoCalls()).toBe(before);
      } finally {
        await t.store.delete(LOOKER_ACCESS_REQUESTS, 'la_home0003');
      }
    });

    it('follows a decision: accepted shows as being built, declined leaves the list', async () => {
      await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: cardTs, actionId: ActionIds.pipelineRequestAccept });
      await t.standin.waitFor(() => (t.standin.message(channel, cardTs)?.text ?? '').includes('Accepted'));
      const requesterHome = (await openHome(t, regular))!.text;
      expect(requesterHome).toContain('accepted, being built');
      expect(requesterHome).not.toContain('mark live');
      expect((await openHome(t, bizops))!.text).toContain('mark live when it syncs');

      await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: cardTs, actionId: ActionIds.pipelineRequestDecline });
      await t.standin.waitFor(() => t.standin.modals(bizops).at(-1));
      await t.standin.submitView(t.client, { userId: bizops, values: { [ActionIds.pipelineRequestDeclineReason]: 'Gong is out of budget this quarter' } });
      await t.standin.waitFor(() => (t.standin.message(channel, cardTs)?.text ?? '').includes('Declined'));
      const home = (await openHome(t, regular))!;
      expect(home.text).not.toContain(ref);
      expect(home.text).toContain('Develop access');
      expect((await openHome(t, bizops))!.text).toContain('Nothing waits on you');
    });

    it('opens the pipeline request modal from the Home button', async () => {
      const home = (await openHome(t, regular))!;
      const { ack } = await t.standin.clickAction(t.client, { userId: regular, viewId: home.view.id, actionId: ActionIds.homeNewPipelineRequest });
      expect(ack.status).toBe(200);
      const modal = await t.standin.waitFor(() => t.standin.modals(regular).at(-1));
      expect(modal.callback_id).toBe(CallbackIds.pipelineRequest);
      // Sent: the Home tab behind it is drawn again with the new request, without opening it again.
      const publishes = t.standin.callsTo('views.publish').length;
      await t.standin.submitView(t.client, { userId: regular, values: answers('gong_from_home') });
      const card = await t.standin.waitFor(() => t.standin.conversation(channel).find((m) => (m.text ?? '').includes('gong_from_home')));
      const newRef = /PR-[A-Z0-9]+/.exec(card.text ?? '')?.[0] ?? 'none';
      await t.standin.waitFor(() => (t.standin.callsTo('views.publish').length > publishes && blocksToText({ blocks: t.standin.homeView(regular)!.blocks }).includes(newRef) ? true : undefined));
      // Declined again, so that what follows sees the Home it saw before.
      await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestDecline });
      await t.standin.waitFor(() => t.standin.modals(bizops).at(-1));
      await t.standin.submitView(t.client, { userId: bizops, values: { [ActionIds.pipelineRequestDeclineReason]: 'A test of the Home button' } });
      await t.standin.waitFor(() => (t.standin.message(channel, card.ts)?.text ?? '').includes('Declined'));
    });

    it("tells the person in the app's DM when the form cannot open (an expired click)", async () => {
      const told = await toldOfExpiredClick(t, ActionIds.homeNewPipelineRequest, /could not open the pipeline request form/);
      expect(told.text).toMatch(/click New pipeline request again, or run `\/pipeline request`/);
    });

    it('publishes nothing for the Messages tab', async () => {
      const before = t.standin.callsTo('views.publish').length;
      await openHome(t, regular, 'messages');
      await new Promise((r) => setTimeout(r, 200));
      expect(t.standin.callsTo('views.publish').length).toBe(before);
    });

    it('ends on the newest read when two opens race: the older publish, refused by hash_conflict, is read again', async () => {
      await openHome(t, regular);
      const from = t.standin.callsTo('views.publish').length;
      // The first open reads the store; its publish is held on the way to Slack.
      const held = t.standin.holdNext('views.publish');
      await t.standin.openHome(t.client, { userId: regular });
      await held.arrived;
      await t.store.put(LOOKER_ACCESS_REQUESTS, 'la_race0001', {
        id: 'la_race0001', requesterId: regular, subjectId: regular, email: 'riley@example.com', team: 'engineering', level: 'develop',
        reason: 'Race', durationDays: 7, status: 'pending', route: 'needs_approval', viewId: 'VRACE1',
        createdAt: new Date().toISOString(), channel: null, ts: null, decidedBy: null, decidedAt: null, grant: null,
        grantError: null, expiresAt: null, reminderSentAt: null, expiredAt: null, revokedRoleIds: null, revokeError: null,
      });
      // A second open reads the new request and publishes first.
      await t.standin.openHome(t.client, { userId: regular });
      await t.standin.waitFor(() => t.standin.callsTo('views.publish')[from + 1]?.result);
      const homeText = () => blocksToText({ blocks: t.standin.homeView(regular)!.blocks });
      expect(homeText()).toContain('Develop access to Looker for 7 days');

      held.release();
      const calls = await t.standin.waitFor(() => {
        const all = t.standin.callsTo('views.publish');
        // Refused, the first open publishes again (after the second open's, at from + 1).
        const first = all[from];
        return first?.result && (first.error !== 'hash_conflict' || all[from + 2]?.result) ? all : undefined;
      });
      // Slack refused the first open's older view; the bot read again and published that.
      expect(calls[from]?.error).toBe('hash_conflict');
      expect(calls).toHaveLength(from + 3);
      expect(homeText()).toContain('Develop access to Looker for 7 days');
    });
  });
}

for (const variant of variants) {
  describe.skipIf(variant.skip !== undefined)(`App Home's "Show all" on the ${variant.name}`, () => {
    let t: TestBot;
    let store: Store | undefined;
    // 45 open requests by the regular user, `PR-LST000` the newest (now) to `PR-LST044` the oldest (44 minutes ago).
    const total = 45;
    const refOf = (i: number) => `PR-LST${String(i).padStart(3, '0')}`;
    const listed = (text: string) => Array.from({ length: total }, (_, i) => i).filter((i) => text.includes(`${refOf(i)}*`));
    const modalText = () => blocksToText({ blocks: t.standin.modals(regular).at(-1)?.blocks ?? [] });

    /** Clicks a button on a view, then waits until the user's top modal is drawn with `until` in it. */
    async function click(user: string, viewId: string, actionId: string, until: RegExp, extra?: Record<string, unknown>) {
      const updates = t.standin.callsTo('views.update').length;
      const { ack } = await t.standin.clickAction(t.client, { userId: user, viewId, actionId, ...(extra ? { extra } : {}) });
      expect(ack.status).toBe(200);
      // Drawn by a views.update after the modal opened: what it read is in.
      return t.standin.waitFor(() => {
        const modal = t.standin.modals(user).at(-1);
        const text = blocksToText({ blocks: modal?.blocks ?? [] });
        return t.standin.callsTo('views.update').length > updates && until.test(text) ? { modal: modal!, text } : undefined;
      });
    }

    beforeAll(async () => {
      store = variant.store?.();
      t = await startTestBot(store ? { store } : {});
      const now = Date.now();
      for (let i = 0; i < total; i++) {
        const at = new Date(now - i * 60_000).toISOString();
        await t.store.put(PIPELINE_REQUESTS, `pr_lst${String(i).padStart(3, '0')}`, {
          id: `pr_lst${String(i).padStart(3, '0')}`, requester: regular, status: 'open', source: 'other', objects: `Objects ${i}`, destination: `ds_${i}`,
          frequency: 'weekly', owner: regular, why: 'Show all', createdAt: at, updatedAt: at, alreadySyncing: [],
        } satisfies PipelineRequest);
      }
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
      await store?.close();
    });

    it('lists all of my open requests, newest first, a page at a time: the oldest the tab leaves out are on the next page', async () => {
      const home = (await openHome(t, regular))!;
      expect(home.view.blocks.length).toBeLessThanOrEqual(100);
      expect(blockKitViolations(home.view.blocks as KnownBlock[], 'modal')).toEqual([]);
      expect(listed(home.text)).toEqual(Array.from({ length: HOME_MAX_ITEMS }, (_, i) => i));
      expect(home.text).toContain(`and ${total - HOME_MAX_ITEMS} more, oldest not shown.`);
      expect(home.text).toContain(`Show all ${total}`);

      const first = await click(regular, home.view.id, ActionIds.homeShowAll, /PR-LST000/);
      expect(first.modal.callback_id).toBe(CallbackIds.homeList);
      expect((first.modal['title'] as { text?: string } | undefined)?.text).toBe('My open requests');
      expect(first.text).toContain(`${total} in all`);
      expect(listed(first.text)).toEqual(Array.from({ length: HOME_MAX_ITEMS }, (_, i) => i));
      expect(first.text).toContain(`Page 1 of 2: requests 1 to ${HOME_MAX_ITEMS} of ${total}.`);
      expect(blockKitViolations(first.modal.blocks as KnownBlock[], 'modal')).toEqual([]);

      const second = await click(regular, first.modal.id, ActionIds.homeListNext, /Page 2 of 2/);
      // The rest, down to the oldest, which the tab could not show.
      expect(listed(second.text)).toEqual(Array.from({ length: total - HOME_MAX_ITEMS }, (_, i) => i + HOME_MAX_ITEMS));
      expect(second.text).toContain(refOf(total - 1));

      const back = await click(regular, second.modal.id, ActionIds.homeListPrevious, /Page 1 of 2/);
      expect(listed(back.text)).toEqual(listed(first.text));
    });

    it('lists all that waits on BizOps, oldest first: the newest the tab leaves out are on the next page', async () => {
      const home = (await openHome(t, bizops))!;
      const waitingPart = home.text.slice(home.text.indexOf('Waiting on you'));
      expect(listed(waitingPart)).toEqual(Array.from({ length: HOME_MAX_ITEMS }, (_, i) => total - 1 - i).sort((a, b) => a - b));
      expect(waitingPart).toContain(`and ${total - HOME_MAX_ITEMS} more, newest not shown.`);

      const first = await click(bizops, home.view.id, ActionIds.homeShowAll, /Page 1 of 2/);
      expect((first.modal['title'] as { text?: string } | undefined)?.text).toBe('Waiting on you');
      expect(first.text).toContain('As BizOps, oldest first');
      expect(first.text.indexOf(refOf(total - 1))).toBeLessThan(first.text.indexOf(refOf(total - 2)));
      expect(listed(first.text)).toHaveLength(HOME_MAX_ITEMS);
      expect(first.text).toContain('accept or decline');
      const second = await click(bizops, first.modal.id, ActionIds.homeListNext, /Page 2 of 2/);
      expect(listed(second.text)).toEqual(Array.from({ length: total - HOME_MAX_ITEMS }, (_, i) => i));
    });

    it("lists nothing of BizOps' to someone who is not BizOps, whatever the click names, and says why", async () => {
      const home = (await openHome(t, regular))!;
      // A forged Show all naming BizOps' list.
      const forged = await click(regular, home.view.id, ActionIds.homeShowAll, /Nothing waits on you/, { value: 'waiting' });
      expect(forged.text).toContain('you are in neither group');
      expect(listed(forged.text)).toEqual([]);
      expect(forged.text).not.toContain('accept or decline');

      // Nonsense on their own list's Next is that list's first page, never an error.
      const own = await click(regular, home.view.id, ActionIds.homeShowAll, /Page 1 of 2/);
      const nonsense = await click(regular, own.modal.id, ActionIds.homeListNext, /Page 1 of 2/, { value: '{"l":"__proto__","n":1e308' });
      expect(listed(nonsense.text)).toEqual(Array.from({ length: HOME_MAX_ITEMS }, (_, i) => i));
      expect(modalText()).not.toMatch(/Error|\.(js|ts):\d+/);
      // A forged Next and Previous naming BizOps' list and a place in it.
      const place = ['2000-01-01T00:00:00.000Z', 'pipeline:pr_lst010'];
      const next = await click(regular, own.modal.id, ActionIds.homeListNext, /Nothing waits on you/, { value: JSON.stringify({ l: 'waiting', a: place }) });
      expect(listed(next.text)).toEqual([]);
      expect(next.text).toContain('you are in neither group');
      const again = await click(regular, home.view.id, ActionIds.homeShowAll, /Page 1 of 2/);
      const second = await click(regular, again.modal.id, ActionIds.homeListNext, /Page 2 of 2/);
      const previous = await click(regular, second.modal.id, ActionIds.homeListPrevious, /Nothing waits on you/, { value: JSON.stringify({ l: 'waiting', b: place }) });
      expect(listed(previous.text)).toEqual([]);
      expect(previous.text).toContain('you are in neither group');
    });

    it('draws one page for two clicks on the same page at once: the redraw Slack took first stays', async () => {
      const home = (await openHome(t, regular))!;
      const first = await click(regular, home.view.id, ActionIds.homeShowAll, /Page 1 of 2/);
      const calls = t.standin.callsTo('views.update').length;
      const logs = t.logs.length;
      // Both clicks carry the page as it was (its hash): the second redraw finds the modal changed.
      await Promise.all([0, 1].map(() => t.standin.clickAction(t.client, { userId: regular, viewId: first.modal.id, actionId: ActionIds.homeListNext })));
      await t.standin.waitFor(() => t.logs.slice(logs).find((l) => l.includes('another click redrew the modal first')));
      expect(t.standin.callsTo('views.update').slice(calls).map((c) => c.error ?? 'ok').sort()).toEqual(['hash_conflict', 'ok']);
      expect(modalText()).toMatch(/Page 2 of 2/);
    });

    it('leaves a list closed before its page was drawn as it is: no failure drawn into a modal that is gone', async () => {
      const home = (await openHome(t, regular))!;
      const calls = t.standin.callsTo('views.update').length;
      const logs = t.logs.length;
      t.standin.failNext('views.update', 'not_found');
      await t.standin.clickAction(t.client, { userId: regular, viewId: home.view.id, actionId: ActionIds.homeShowAll });
      await t.standin.waitFor(() => t.logs.slice(logs).find((l) => l.includes('the modal was closed')));
      expect(t.standin.callsTo('views.update').slice(calls).map((c) => c.error ?? 'ok')).toEqual(['not_found']);
    });

    it("tells the person in the app's DM when the list cannot open (an expired click)", async () => {
      const told = await toldOfExpiredClick(t, ActionIds.homeShowAll, /could not open that list of requests/);
      expect(told.text).toContain('click Show all on the Home tab again');
    });

    it('keeps its place when the list changes between pages: Next goes on after the last one shown, Previous ends before the first', async () => {
      const requestOf = async (i: number) => (await t.store.get<PipelineRequest & StoreDoc>(PIPELINE_REQUESTS, `pr_lst${String(i).padStart(3, '0')}`))!.data;
      const oldest = await requestOf(total - 1);
      try {
        const waiting = await click(bizops, (await openHome(t, bizops))!.view.id, ActionIds.homeShowAll, /Page 1 of 2/);
        // Oldest first: LST044 down to LST015.
        expect(listed(waiting.text)).toEqual(Array.from({ length: HOME_MAX_ITEMS }, (_, i) => total - HOME_MAX_ITEMS + i));
        // The oldest is declined in the channel while this page is open: the list is one shorter before this page's end.
        await t.store.put(PIPELINE_REQUESTS, oldest.id, { ...oldest, status: 'declined' });
        const next = await click(bizops, waiting.modal.id, ActionIds.homeListNext, /Page 2 of 2/);
        // LST014, the first not yet shown, opens the next page: counted by position, it would be skipped.
        expect(listed(next.text)).toEqual(Array.from({ length: total - HOME_MAX_ITEMS }, (_, i) => i));
        expect(next.text).toContain(`requests ${HOME_MAX_ITEMS} to ${total - 1} of ${total - 1}.`);

        // My list, newest first, on its second page (LST030 to LST044); then a new request of mine comes in at its start.
        const mine = await click(regular, (await openHome(t, regular))!.view.id, ActionIds.homeShowAll, /Page 1 of 2/);
        const second = await click(regular, mine.modal.id, ActionIds.homeListNext, /Page 2 of 2/);
        expect(listed(second.text)).toEqual(Array.from({ length: total - 1 - HOME_MAX_ITEMS }, (_, i) => i + HOME_MAX_ITEMS));
        const at = new Date(Date.now() + 60_000).toISOString();
        await t.store.put(PIPELINE_REQUESTS, 'pr_lstnew', { ...(await requestOf(0)), id: 'pr_lstnew', createdAt: at, updatedAt: at });
        // Previous ends just before LST030, so LST029 is not passed over; the new one is a page further back.
        const back = await click(regular, second.modal.id, ActionIds.homeListPrevious, /Page 2 of 3/);
        expect(listed(back.text)).toEqual(Array.from({ length: HOME_MAX_ITEMS }, (_, i) => i));
        expect(back.text).not.toContain('PR-LSTNEW');
        const start = await click(regular, back.modal.id, ActionIds.homeListPrevious, /Page 1 of 2/);
        expect(start.text).toContain('PR-LSTNEW');
        expect(listed(start.text)).toEqual(Array.from({ length: HOME_MAX_ITEMS - 1 }, (_, i) => i));
      } finally {
        await t.store.put(PIPELINE_REQUESTS, oldest.id, oldest);
        await t.store.delete(PIPELINE_REQUESTS, 'pr_lstnew');
      }
    });
  });
}

describe('App Home view', () => {
  const item = (i: number): HomeRequestItem => ({
    kind: i % 2 ? 'pipeline' : 'looker', id: `x${i}`, ref: `PR-${i}`, title: `Source ${i} → ${'d'.repeat(400)} <!channel>`, state: 'pipeline_open',
    requester: regular, createdAt: new Date(1_700_000_000_000 + i * 1000).toISOString(), todo: 'triage_pipeline',
  });
  const data = (n: number): HomeData => ({
    userId: bizops, roles: { bizops: 'member', lookerAdmin: 'member' }, mine: Array.from({ length: n }, (_, i) => item(i)),
    waiting: Array.from({ length: n }, (_, i) => item(i + n)), unavailable: ['Looker access requests'], canRequestPipeline: true, subscriptions: [], generatedAt: new Date(),
  });

  it('shows a pipeline request\'s dataset as a name, as the card does, never as mrkdwn', () => {
    const staging: HomeRequestItem = { ...item(1), title: 'Other', dataset: '_staging_', todo: undefined };
    const line = JSON.stringify(homeView({ ...data(0), mine: [staging] }).blocks);
    expect(line).toContain('Other → `_staging_`');
    expect(line).not.toMatch(/→ _staging_/);
  });

  it('stays within Slack limits with hundreds of requests, and says how many are not shown', () => {
    const view = homeView(data(300));
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(blockKitViolations(view.blocks as KnownBlock[], 'modal')).toEqual([]);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain(`and ${300 - HOME_MAX_ITEMS} more`);
    expect(text).toContain('Could not load Looker access requests');
    expect(text).not.toContain('<!channel>');
  });

  it('says which end of each list is cut: the oldest of my requests, the newest of what waits on me', () => {
    const view = homeView(data(300));
    const blocks = view.blocks as KnownBlock[];
    const notes = blocks.flatMap((b) => (b.type === 'section' && b.text?.text.startsWith('…and') ? [b.text.text] : []));
    expect(notes).toHaveLength(2);
    // Each with a button that lists that section in full.
    const showAll = blocks.flatMap((b) => (b.type === 'section' && b.accessory?.type === 'button' && b.accessory.action_id === ActionIds.homeShowAll ? [b.accessory] : []));
    expect(showAll.map((b) => [b.value, b.text.text])).toEqual([['mine', 'Show all 300'], ['waiting', 'Show all 300']]);
    // "My open requests" are newest first: the oldest are cut.
    expect(notes[0]).toMatch(/oldest not shown/);
    // "Waiting on you" is oldest first (what has waited longest): the newest are cut.
    expect(notes[1]).toMatch(/newest not shown/);
    const waitingShown = JSON.stringify(blocks.slice(blocks.findIndex((b) => b.type === 'header' && b.text.text === 'Waiting on you')));
    expect(waitingShown).toContain('PR-300*');
    expect(waitingShown).not.toContain('PR-599*');
  });

  it("pages a list by the requests each page ends on, whatever a click's place names", () => {
    // 75 waiting, oldest first (item 0 the oldest).
    const waiting = Array.from({ length: 75 }, (_, i) => item(i));
    const d: HomeData = { ...data(0), unavailable: [], waiting };
    const page = (at: Parameters<typeof homeListModal>[2]) => {
      const blocks = homeListModal(d, 'waiting', at).blocks as KnownBlock[];
      const text = blocksToText({ blocks });
      const buttons = blocks.flatMap((b) => (b.type === 'actions' ? b.elements : [])) as Array<{ action_id: string; value: string }>;
      return {
        refs: waiting.filter((w) => text.includes(`*${w.ref}*`)).map((w) => Number(w.ref.slice(3))),
        foot: /Page \d+ of \d+: requests \d+ to \d+ of \d+/.exec(text)?.[0],
        values: Object.fromEntries(buttons.map((b) => [b.action_id, JSON.parse(b.value) as unknown])),
      };
    };
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const first = page({});
    expect(first).toEqual({
      refs: range(0, 29), foot: 'Page 1 of 3: requests 1 to 30 of 75',
      values: { [ActionIds.homeListNext]: { l: 'waiting', a: homeListKey(waiting[29]!) } },
    });
    const second = page({ a: homeListKey(waiting[29]!) });
    expect(second).toEqual({
      refs: range(30, 59), foot: 'Page 2 of 3: requests 31 to 60 of 75',
      values: { [ActionIds.homeListPrevious]: { l: 'waiting', b: homeListKey(waiting[30]!) }, [ActionIds.homeListNext]: { l: 'waiting', a: homeListKey(waiting[59]!) } },
    });
    expect(page({ b: homeListKey(waiting[30]!) }).refs).toEqual(range(0, 29));
    // A place that is no request's (one decided since): the page goes on after where it stood.
    expect(page({ a: [new Date(Date.parse(waiting[40]!.createdAt) + 1).toISOString(), 'gone'] }).refs).toEqual(range(41, 70));
    // Past either end: the last page, the first page.
    expect(page({ a: ['9999', ''] })).toMatchObject({ refs: range(45, 74), foot: 'Page 3 of 3: requests 46 to 75 of 75' });
    expect(page({ b: ['0000', ''] })).toMatchObject({ refs: range(0, 29), foot: 'Page 1 of 3: requests 1 to 30 of 75' });
    expect(page({ b: homeListKey(waiting[3]!) })).toMatchObject({ refs: range(0, 29) });
    // A page that starts off the grid of 30 counts the pages before it and after it.
    expect(page({ a: homeListKey(waiting[9]!) })).toMatchObject({ refs: range(10, 39), foot: 'Page 2 of 4: requests 11 to 40 of 75' });
  });

  it('pages requests made in the same millisecond by kind and ID, in each list its own way: each once, none skipped', () => {
    const same = new Date(1_700_000_000_000).toISOString();
    // 65 of both kinds, all made at once, in each list's order (what waits on me: the reverse of mine, ties too).
    const all = Array.from({ length: 65 }, (_, i) => ({ ...item(i), ref: `PR-${i}`, createdAt: same }));
    for (const list of ['mine', 'waiting'] as const) {
      const order = homeListOrder(list);
      const items = [...all].sort((x, y) => order(homeListKey(x), homeListKey(y)));
      const d: HomeData = { ...data(0), unavailable: [], [list]: items };
      const page = (at: Parameters<typeof homeListModal>[2]) => {
        const blocks = homeListModal(d, list, at).blocks as KnownBlock[];
        const text = blocksToText({ blocks });
        const buttons = blocks.flatMap((b) => (b.type === 'actions' ? b.elements : [])) as Array<{ action_id: string; value: string }>;
        const value = (id: string) => JSON.parse(buttons.find((b) => b.action_id === id)?.value ?? 'null') as { a?: HomeListKey; b?: HomeListKey } | null;
        return { refs: items.filter((w) => text.includes(`*${w.ref}*`)).map((w) => w.ref), next: value(ActionIds.homeListNext), previous: value(ActionIds.homeListPrevious) };
      };
      const seen: string[] = [];
      let at: Parameters<typeof homeListModal>[2] = {};
      for (;;) {
        const p = page(at);
        seen.push(...p.refs);
        if (!p.next) break;
        at = { a: p.next.a! };
        // Previous from the second page is the first, exactly.
        if (seen.length === HOME_MAX_ITEMS) expect(page({ b: page(at).previous!.b! }).refs).toEqual(seen);
      }
      expect(seen).toEqual(items.map((w) => w.ref));
    }
  });

  it('has no button to request a pipeline when no analytics channel is set', () => {
    expect(JSON.stringify(homeView({ ...data(1), canRequestPipeline: false }).blocks)).not.toContain(ActionIds.homeNewPipelineRequest);
    expect(JSON.stringify(homeView(data(1)).blocks)).toContain(ActionIds.homeNewPipelineRequest);
  });
});
