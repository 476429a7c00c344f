/**
 * `/pipeline request` end to end: signed requests through the real Bolt HTTP
 * receiver, the Slack stand-in playing modals, the channel and DMs, on the
 * embedded store and on Firestore (the emulator).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { commandTwiceWithOneTrigger, freshDataDir, startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { blockKitViolations } from './support/block-limits.js';
import { faultyStore } from './support/faulty-store.js';
import { CONTENDED_TX_MS, firestoreAvailable } from './support/firestore-emulator.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { ActionIds, BlockIds, CallbackIds } from '../src/ids.js';
import type { Store } from '../src/ports/store.js';
import type { StoredMessage } from '../src/slack-standin/server.js';
import { PIPELINE_REQUESTS, requestRef, type PipelineRequest } from '../src/services/pipeline-request.js';
import { decodeResponseUrlId } from '../src/slack-standin/bot-client.js';
import { noticeJob } from '../src/ports/notices.js';
import { JOBS, jobKey, type JobDoc } from '../src/jobs/model.js';

const regular = StandinDefaults.users.regular;
const bizops = StandinDefaults.users.bizops;
// In this workspace the admin is in BizOps too, so two BizOps can race.
const secondBizops = StandinDefaults.users.lookerAdmin;
const channel = StandinDefaults.channel;

const valid = {
  [ActionIds.pipelineRequestSource]: 'other',
  [ActionIds.pipelineRequestObjects]: 'Zendesk tickets and satisfaction ratings',
  [ActionIds.pipelineRequestDestination]: 'zendesk',
  [ActionIds.pipelineRequestFrequency]: 'daily',
  [ActionIds.pipelineRequestOwner]: bizops,
  [ActionIds.pipelineRequestWhy]: 'Support wants ticket volume per customer next to telemetry.',
};

const text = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text ?? '', blocks: m?.blocks ?? [] });

const firestore = firestoreAvailable();

const variants: Array<{ name: string; store?: () => Store; skip?: string }> = [
  { name: 'embedded store' },
  {
    name: 'Firestore store (emulator)',
    store: () => openFirestoreStore({ projectId: 'test', collectionPrefix: `pr_${randomUUID().slice(0, 8)}_` }),
    ...(firestore.available ? {} : { skip: firestore.reason }),
  },
];

for (const variant of variants) {
  describe.skipIf(variant.skip !== undefined)(`/pipeline request on the ${variant.name}`, () => {
    let t: TestBot;
    let store: Store | undefined;

    beforeAll(async () => {
      store = variant.store?.();
      t = await startTestBot({
        ...(store ? { store } : {}),
        standinOptions: { usergroups: { [StandinDefaults.usergroups.bizops]: [bizops, secondBizops], [StandinDefaults.usergroups.lookerAdmins]: [secondBizops] } },
      });
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
      await store?.close();
    });

    async function openModal(user = regular) {
      const { ack, replies } = await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: user, channelId: channel });
      expect(ack.status).toBe(200);
      expect(replies.some((r) => r.via === 'web_api' && r.method === 'views.open' && !r.error)).toBe(true);
      const modal = t.standin.modals(user).at(-1)!;
      expect(modal.callback_id).toBe(CallbackIds.pipelineRequest);
      return modal;
    }

    async function requestsOf(user: string): Promise<PipelineRequest[]> {
      const docs = await t.store.list<PipelineRequest & Record<string, unknown>>(PIPELINE_REQUESTS, { where: { field: 'requester', equals: user } });
      return docs.map((d) => d.data);
    }

    function cards(): StoredMessage[] {
      return t.standin.conversation(channel).filter((m) => !m.ephemeral && (m.text ?? '').startsWith('Pipeline request'));
    }

    function dms(user: string): StoredMessage[] {
      return [...t.standin.conversation(t.standin.dmChannelId(user))];
    }

    /** Files a valid request and returns it with its card. */
    let filed = 0;
    /** Files a request; the default one names another batch of objects each time, as the same one still open is refused. */
    async function fileRequest(given: Record<string, string> = valid, user = regular) {
      const values = given === valid ? { ...valid, [ActionIds.pipelineRequestObjects]: `${valid[ActionIds.pipelineRequestObjects]}, batch ${++filed}` } : given;
      await openModal(user);
      const before = cards().length;
      const dmBefore = dms(user).length;
      const submitted = await t.standin.submitView(t.client, { userId: user, values });
      expect(submitted.ack.status).toBe(200);
      expect(submitted.responseAction).toBeUndefined();
      const card = await t.standin.waitFor(() => cards().length > before && cards().at(-1));
      const id = JSON.stringify(card.blocks).match(/"value":"(pr_[A-Za-z0-9]+)"/)?.[1];
      expect(id).toBeDefined();
      // The DM comes after the card's location is stored: decisions can now edit it.
      // Its own DM, not a late one of an earlier test's request.
      await t.standin.waitFor(() => dms(user).slice(dmBefore).some((m) => text(m).includes(requestRef(id!))));
      return { id: id!, card };
    }

    async function requestById(id: string): Promise<PipelineRequest> {
      const doc = await t.store.get<PipelineRequest & Record<string, unknown>>(PIPELINE_REQUESTS, id);
      expect(doc).not.toBeNull();
      return doc!.data;
    }

    async function click(user: string, card: StoredMessage, actionId: string) {
      const { ack, replies } = await t.standin.clickAction(t.client, { userId: user, channelId: channel, ts: card.ts, actionId });
      expect(ack.status).toBe(200);
      return replies;
    }

    async function auditFor(id: string) {
      return (await t.store.recentAudit(100)).filter((e) => e.subject === id);
    }

    it('opens a modal with every field, within Slack limits', async () => {
      const modal = await openModal();
      const blocks = modal.blocks as KnownBlock[];
      expect(blockKitViolations(blocks, 'modal')).toEqual([]);
      const shown = text({ blocks });
      for (const label of ['Source system', 'Objects or tables wanted', 'Destination dataset', 'Sync frequency', 'Business owner', 'Why']) expect(shown).toContain(label);
      for (const system of ['Salesforce', 'HubSpot', 'GitHub', 'Postgres', 'Google Sheets', 'Other']) expect(JSON.stringify(blocks)).toContain(system);
      expect(JSON.stringify(blocks)).toContain(`"initial_user":"${regular}"`);
      await t.standin.closeView(t.client, { userId: regular });
    });

    it('answers missing and bad fields with inline errors, creating nothing', async () => {
      await openModal();
      // Untouched: the fields drawn with a value (frequency, owner) keep it; the rest are missing.
      const untouched = await t.standin.submitView(t.client, { userId: regular, values: {}, timeoutMs: 200 });
      expect(untouched.responseAction).toBe('errors');
      expect(Object.keys(untouched.errors ?? {}).sort()).toEqual(
        [BlockIds.pipelineRequestSource, BlockIds.pipelineRequestObjects, BlockIds.pipelineRequestDestination, BlockIds.pipelineRequestWhy].sort(),
      );
      // A payload with every field emptied (Slack's UI cannot clear a select, a forged one can).
      const empty = await t.standin.submitView(t.client, { userId: regular, values: { [ActionIds.pipelineRequestFrequency]: [], [ActionIds.pipelineRequestOwner]: [] }, timeoutMs: 200 });
      expect(empty.responseAction).toBe('errors');
      expect(Object.keys(empty.errors ?? {}).sort()).toEqual(
        [BlockIds.pipelineRequestSource, BlockIds.pipelineRequestObjects, BlockIds.pipelineRequestDestination, BlockIds.pipelineRequestFrequency, BlockIds.pipelineRequestOwner, BlockIds.pipelineRequestWhy].sort(),
      );
      const bad = await t.standin.submitView(t.client, {
        userId: regular,
        values: {
          ...valid,
          [ActionIds.pipelineRequestSource]: 'oracle', // not an option: a forged payload
          [ActionIds.pipelineRequestObjects]: ' \u200b ',
          [ActionIds.pipelineRequestDestination]: 'my-dataset; DROP',
          [ActionIds.pipelineRequestWhy]: 'x'.repeat(5000),
        },
        timeoutMs: 200,
      });
      expect(bad.responseAction).toBe('errors');
      expect(bad.errors?.[BlockIds.pipelineRequestSource]).toMatch(/listed systems/);
      expect(bad.errors?.[BlockIds.pipelineRequestObjects]).toMatch(/which objects/);
      expect(bad.errors?.[BlockIds.pipelineRequestDestination]).toMatch(/letters, digits and underscores/);
      expect(bad.errors?.[BlockIds.pipelineRequestWhy]).toBe('Keep it to 1,000 characters (an emoji counts as two or more); it has 5,000.');
      // A business owner who is an app, or nobody Slack knows, is refused on the field.
      for (const [owner, said] of [['U0BOT', /a person, not an app/], ['U0NOBODY99', /a person in this workspace/]] as const) {
        const r = await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestOwner]: owner }, timeoutMs: 200 });
        expect(r.responseAction, owner).toBe('errors');
        expect(Object.keys(r.errors ?? {})).toEqual([BlockIds.pipelineRequestOwner]);
        expect(r.errors?.[BlockIds.pipelineRequestOwner]).toMatch(said);
      }
      expect(t.standin.modals(regular)).toHaveLength(1);
      expect(await requestsOf(regular)).toHaveLength(0);
      await t.standin.closeView(t.client, { userId: regular });
    });

    it('posts a valid request to the channel with BizOps buttons, records and audits it, and DMs the requester', async () => {
      const { id, card } = await fileRequest();
      expect(t.standin.modals(regular)).toHaveLength(0);
      const shown = text(card);
      expect(shown).toContain('Zendesk tickets');
      expect(shown).toContain('zendesk');
      expect(shown).toContain(`@${regular}`);
      expect(shown).toContain('Waiting for BizOps');
      for (const a of [ActionIds.pipelineRequestAccept, ActionIds.pipelineRequestDecline, ActionIds.pipelineRequestLive]) expect(JSON.stringify(card.blocks)).toContain(a);
      expect(blockKitViolations(card.blocks as KnownBlock[])).toEqual([]);

      const request = await requestById(id);
      expect(request).toMatchObject({ status: 'open', requester: regular, source: 'other', destination: 'zendesk', frequency: 'daily', owner: bizops, message: { channel, ts: card.ts } });
      const audit = await auditFor(id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: regular, action: 'pipeline_request.created', before: null, after: { status: 'open', destination: 'zendesk' } });

      const dm = dms(regular).at(-1);
      expect(text(dm)).toMatch(/Your pipeline request \*PR-[A-Z0-9]+\*/);
      expect(text(dm)).toContain(channel);
    });

    it('says when the data already syncs, and lets the user go on', async () => {
      await openModal();
      const before = cards().length;
      const hubspot = { ...valid, [ActionIds.pipelineRequestSource]: 'hubspot', [ActionIds.pipelineRequestObjects]: 'deals, deal stages', [ActionIds.pipelineRequestDestination]: 'hubspot_deals' };
      const first = await t.standin.submitView(t.client, { userId: regular, values: hubspot, timeoutMs: 200 });
      expect(first.responseAction).toBe('update');
      const step = t.standin.modals(regular).at(-1)!;
      expect(step.callback_id).toBe(CallbackIds.pipelineRequestConfirm);
      expect(text({ blocks: step.blocks })).toMatch(/HubSpot\* already syncs daily.* into `hubspot`/);
      expect(blockKitViolations(step.blocks as KnownBlock[], 'modal')).toEqual([]);
      expect(cards().length).toBe(before);

      const go = await t.standin.submitView(t.client, { userId: regular });
      expect(go.ack.status).toBe(200);
      expect(t.standin.modals(regular)).toHaveLength(0);
      const card = await t.standin.waitFor(() => cards().length > before && cards().at(-1));
      expect(text(card)).toContain('HubSpot');
      expect(text(card)).toContain('Already syncing from HubSpot: `hubspot`');
      const [request] = (await requestsOf(regular)).filter((r) => r.destination === 'hubspot_deals');
      expect(request).toMatchObject({ source: 'hubspot', alreadySyncing: ['hubspot'], status: 'open' });
    });

    it('refuses the same request while it is open, on the form or in place of the "already syncs" step; once decided it may be asked again', async () => {
      const same = { ...valid, [ActionIds.pipelineRequestObjects]: 'Zendesk macros', [ActionIds.pipelineRequestDestination]: 'zendesk_macros' };
      const { id, card } = await fileRequest(same);
      const before = cards().length;
      // From a new form, in other case and spacing: said on the objects, the form kept open.
      await openModal();
      const again = await t.standin.submitView(t.client, { userId: regular, values: { ...same, [ActionIds.pipelineRequestObjects]: ' macros,ZENDESK. ', [ActionIds.pipelineRequestDestination]: 'Zendesk_Macros' }, timeoutMs: 300 });
      expect(again.responseAction).toBe('errors');
      expect(again.errors).toEqual({ [BlockIds.pipelineRequestObjects]: `You already asked for this: ${requestRef(id)}, waiting for BizOps. Nothing new was sent; change what you ask for, or close this form.` });
      await t.standin.closeView(t.client, { userId: regular });
      // The "already syncs" step: one made meanwhile from another form is said in place of that step when sent on...
      const hubspot = { ...valid, [ActionIds.pipelineRequestSource]: 'hubspot', [ActionIds.pipelineRequestObjects]: 'tickets', [ActionIds.pipelineRequestDestination]: 'hubspot_tickets' };
      await openModal();
      expect((await t.standin.submitView(t.client, { userId: regular, values: hubspot, timeoutMs: 200 })).responseAction).toBe('update');
      const other = await t.bot.services.pipelineRequests.create(`V${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`, regular, {
        source: 'hubspot', objects: 'Tickets.', destination: 'hubspot_tickets', frequency: 'daily', owner: bizops, why: 'Support wants them',
      });
      expect(other.created).toBe(true);
      const hubspotId = other.request!.id;
      const step = await t.standin.submitView(t.client, { userId: regular, timeoutMs: 300 });
      expect(step.responseAction).toBe('update');
      const shown = t.standin.modals(regular).at(-1)!;
      expect(text({ blocks: shown.blocks })).toContain(`You already asked for this: *${requestRef(hubspotId)}* (HubSpot → \`hubspot_tickets\`), waiting for BizOps. Nothing new was sent to BizOps.`);
      expect(shown.submit ?? undefined).toBeUndefined();
      expect(blockKitViolations(shown.blocks as KnownBlock[], 'modal')).toEqual([]);
      await t.standin.closeView(t.client, { userId: regular });
      // ... and on a new form, before that step (objects in another order and punctuation).
      await openModal();
      const early = await t.standin.submitView(t.client, { userId: regular, values: { ...hubspot, [ActionIds.pipelineRequestObjects]: ' TICKETS ' }, timeoutMs: 300 });
      expect(early.responseAction).toBe('errors');
      expect(early.errors).toEqual({ [BlockIds.pipelineRequestObjects]: `You already asked for this: ${requestRef(hubspotId)}, waiting for BizOps. Nothing new was sent; change what you ask for, or close this form.` });
      await t.standin.closeView(t.client, { userId: regular });
      await new Promise((r) => setTimeout(r, 300));
      expect(cards().length).toBe(before + 1);
      // Declined, it may be asked for again.
      await click(bizops, card, ActionIds.pipelineRequestDecline);
      await t.standin.waitFor(() => t.standin.modals(bizops).at(-1));
      await t.standin.submitView(t.client, { userId: bizops, values: { [ActionIds.pipelineRequestDeclineReason]: 'Not now' } });
      for (let i = 0; i < 100 && (await requestById(id)).status !== 'declined'; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await requestById(id)).status).toBe('declined');
      const asked = await fileRequest(same);
      expect(asked.id).not.toBe(id);
    });

    it('saves one of the same request sent from two forms at once', async () => {
      const draft = { source: 'other' as const, objects: 'Intercom conversations', destination: 'intercom', frequency: 'daily' as const, owner: bizops, why: 'Support load' };
      const views = [0, 1].map(() => `V${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`);
      const results = await Promise.all(views.map((v) => t.bot.services.pipelineRequests.create(v, regular, draft)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const refused = results.find((r) => 'same' in r) as { same: PipelineRequest };
      expect(refused.same.id).toBe(results.find((r) => r.created)!.request!.id);
      expect((await requestsOf(regular)).filter((r) => r.destination === 'intercom')).toHaveLength(1);
    });

    it('gives the form back, drawn validly, for a Continue whose private_metadata was tampered with', async () => {
      await openModal();
      const hubspot = { ...valid, [ActionIds.pipelineRequestSource]: 'hubspot', [ActionIds.pipelineRequestDestination]: 'tampered' };
      expect((await t.standin.submitView(t.client, { userId: regular, values: hubspot, timeoutMs: 200 })).responseAction).toBe('update');
      const step = t.standin.modals(regular).at(-1)!;
      expect(step.callback_id).toBe(CallbackIds.pipelineRequestConfirm);
      const { user: _user, ...publicView } = step;
      for (const metadata of [
        { source: 'hubspot', objects: 42, destination: 'x'.repeat(500), frequency: 'daily', owner: '<!channel>', why: 'w'.repeat(5000) },
        { source: ['hubspot'], objects: { a: 1 }, destination: null, frequency: 'sometimes', owner: 12, why: true },
        { objects: 'fine objects', why: 'fine reason', owner: 'U0NOT A USER' },
        // A whole draft, but its owner is nobody in the workspace, or an app: the first step would have refused them.
        { source: 'hubspot', objects: 'fine objects', destination: 'tampered', frequency: 'daily', owner: 'U0NOSUCH', why: 'fine reason' },
        { source: 'hubspot', objects: 'fine objects', destination: 'tampered', frequency: 'daily', owner: 'U0BOT', why: 'fine reason' },
      ]) {
        const ack = await t.client.viewSubmission({ userId: regular, view: { ...publicView, private_metadata: JSON.stringify(metadata) } });
        expect(ack.status).toBe(200);
        const body = ack.json as { response_action?: string; view?: { callback_id?: string; blocks: KnownBlock[] } };
        expect(body.response_action).toBe('update');
        expect(body.view?.callback_id).toBe(CallbackIds.pipelineRequest);
        const blocks = body.view!.blocks;
        expect(blockKitViolations(blocks, 'modal')).toEqual([]);
        for (const b of blocks) {
          if (b.type !== 'input') continue;
          const el = b.element as { type: string; initial_value?: unknown; max_length?: number; initial_user?: unknown; initial_option?: { value?: unknown } };
          // What Slack accepts: a string within the field's max_length, a user ID, one of the options.
          if ('initial_value' in el) {
            expect(typeof el.initial_value, JSON.stringify(el)).toBe('string');
            expect((el.initial_value as string).length).toBeLessThanOrEqual(el.max_length ?? 3000);
          }
          if ('initial_user' in el) expect(el.initial_user).toMatch(/^[UW][A-Z0-9]+$/);
          if (el.initial_option) expect(typeof el.initial_option.value).toBe('string');
        }
      }
      expect((await requestsOf(regular)).filter((r) => r.destination === 'tampered')).toHaveLength(0);
      await t.standin.closeView(t.client, { userId: regular });
    });

    it('keeps apart two submissions whose view IDs are not Slack\'s usual letters and digits: two requests, two cards', async () => {
      // `!!!` and `###` once both made request `pr_`, which no card takes: the second was "already recorded" and lost.
      const draft = (who: string, destination: string) => JSON.stringify({ source: 'other', objects: 'Gong calls', destination, frequency: 'daily', owner: who, why: 'Sales wants call volume.' });
      const before = cards().length;
      for (const [id, who, destination] of [['!!!', regular, 'odd_view_one'], ['###', bizops, 'odd_view_two']] as const) {
        const ack = await t.client.viewSubmission({ userId: who, view: { id, callback_id: CallbackIds.pipelineRequestConfirm, private_metadata: draft(who, destination) } });
        expect(ack.status).toBe(200);
      }
      const made = [...(await requestsOf(regular)), ...(await requestsOf(bizops))].filter((r) => r.destination.startsWith('odd_view_'));
      expect(made.map((r) => r.destination).sort()).toEqual(['odd_view_one', 'odd_view_two']);
      expect(new Set(made.map((r) => r.id)).size).toBe(2);
      await t.standin.waitFor(() => (cards().length >= before + 2 ? true : undefined));
      expect(cards().slice(before).map((c) => text(c)).filter((c) => c.includes('odd\\_view\\_') || c.includes('odd_view_'))).toHaveLength(2);
    });

    it('creates one request when Slack delivers the same submission twice', async () => {
      const modal = await openModal();
      const values = Object.fromEntries(
        Object.entries({
          [BlockIds.pipelineRequestSource]: { [ActionIds.pipelineRequestSource]: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'Other' }, value: 'other' } } },
          [BlockIds.pipelineRequestObjects]: { [ActionIds.pipelineRequestObjects]: { type: 'plain_text_input', value: 'Gong calls' } },
          [BlockIds.pipelineRequestDestination]: { [ActionIds.pipelineRequestDestination]: { type: 'plain_text_input', value: 'gong_twice' } },
          [BlockIds.pipelineRequestFrequency]: { [ActionIds.pipelineRequestFrequency]: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'Daily' }, value: 'daily' } } },
          [BlockIds.pipelineRequestOwner]: { [ActionIds.pipelineRequestOwner]: { type: 'users_select', selected_user: regular } },
          [BlockIds.pipelineRequestWhy]: { [ActionIds.pipelineRequestWhy]: { type: 'plain_text_input', value: 'Sales call coaching' } },
        }),
      );
      const { user: _user, ...publicView } = modal;
      const payload = { ...publicView, state: { values } };
      const before = cards().length;
      const acks = await Promise.all([0, 1, 2].map(() => t.client.viewSubmission({ userId: regular, view: payload })));
      expect(acks.map((a) => a.status)).toEqual([200, 200, 200]);
      await t.standin.waitFor(() => cards().length > before);
      // Give any duplicate time to show up before counting.
      await new Promise((r) => setTimeout(r, 300));
      expect((await requestsOf(regular)).filter((r) => r.destination === 'gong_twice')).toHaveLength(1);
      expect(cards().filter((c) => text(c).includes('gong_twice'))).toHaveLength(1);
      await t.standin.closeView(t.client, { userId: regular });
    });

    it('lets BizOps accept: the card changes in place, the requester is told, the audit has before and after', async () => {
      const { id, card } = await fileRequest();
      const dmBefore = dms(regular).length;
      await click(bizops, card, ActionIds.pipelineRequestAccept);
      const updated = await t.standin.waitFor(() => {
        const m = t.standin.message(channel, card.ts);
        return m && text(m).includes('Accepted by') && m;
      });
      expect(text(updated)).toContain(`Accepted by @${bizops}`);
      expect(JSON.stringify(updated.blocks)).not.toContain(ActionIds.pipelineRequestAccept);
      expect(JSON.stringify(updated.blocks)).toContain(ActionIds.pipelineRequestLive);
      expect(cards().filter((c) => c.ts === card.ts)).toHaveLength(1);
      expect(await requestById(id)).toMatchObject({ status: 'accepted', acceptedBy: bizops });
      const dm = await t.standin.waitFor(() => dms(regular).length > dmBefore && dms(regular).at(-1));
      expect(text(dm)).toContain(`@${bizops} accepted your pipeline request`);
      const accepted = (await auditFor(id)).find((e) => e.action === 'pipeline_request.accepted');
      expect(accepted).toMatchObject({ actor: bizops, before: { status: 'open' }, after: { status: 'accepted', acceptedBy: bizops } });

      // Then Mark live.
      await click(bizops, updated, ActionIds.pipelineRequestLive);
      await t.standin.waitFor(() => text(t.standin.message(channel, card.ts)).includes('Marked live by'));
      expect(await requestById(id)).toMatchObject({ status: 'live', liveBy: bizops });
      await t.standin.waitFor(() => dms(regular).some((m) => text(m).includes('is live: data lands')));
      expect(JSON.stringify(t.standin.message(channel, card.ts)?.blocks)).not.toMatch(/pipeline_request_(accept|decline|live)/);
      expect((await auditFor(id)).find((e) => e.action === 'pipeline_request.live')).toMatchObject({ before: { status: 'accepted' }, after: { status: 'live' } });
    });

    it('tells the requester at each step: a DM for the acceptance, then one for going live or for a later decline', async () => {
      const decisionDms = () => dms(regular).map(text).filter((m) => /accepted your pipeline request|is live: data lands|declined your pipeline request/.test(m));
      for (const last of ['live', 'declined'] as const) {
        const { id, card } = await fileRequest(valid);
        const ref = requestRef(id);
        const before = decisionDms().length;
        await click(bizops, card, ActionIds.pipelineRequestAccept);
        await t.standin.waitFor(() => decisionDms().length > before);
        if (last === 'live') {
          await click(bizops, card, ActionIds.pipelineRequestLive);
        } else {
          await click(secondBizops, card, ActionIds.pipelineRequestDecline);
          await t.standin.waitFor(() => t.standin.modals(secondBizops).at(-1));
          await t.standin.submitView(t.client, { userId: secondBizops, values: { [ActionIds.pipelineRequestDeclineReason]: 'Turns out support already exports it' } });
        }
        await t.standin.waitFor(() => text(t.standin.message(channel, card.ts)).includes(last === 'live' ? 'Marked live by' : 'Declined by'));
        await t.standin.waitFor(() => decisionDms().length >= before + 2, { timeoutMs: 3_000 }).catch(() => undefined);
        // Give a duplicate time to show up before counting.
        await new Promise((r) => setTimeout(r, 200));
        const mine = decisionDms().slice(before).filter((m) => m.includes(ref));
        expect(mine, JSON.stringify(mine)).toHaveLength(2);
        expect(mine[0]).toContain(`@${bizops} accepted your pipeline request`);
        expect(mine[1]).toMatch(last === 'live' ? /is live: data lands in `zendesk`/ : new RegExp(`@${secondBizops} declined your pipeline request`));
      }
    });

    it('does not send an acceptance whose DM failed once after the request went live: "is live" is not followed by "I\'ll tell you when it is live"', async () => {
      const { id, card } = await fileRequest(valid);
      const about = () => dms(regular).map(text).filter((m) => m.includes(requestRef(id)));
      const posts = t.standin.callsTo('chat.postMessage').length;
      t.standin.failNext('chat.postMessage', 'internal_error');
      let marked = false;
      const off = t.standin.onApplied(async (call) => {
        if (call.method !== 'chat.postMessage' || call.error !== 'internal_error' || call.args['channel'] !== regular || marked) return;
        marked = true;
        // The acceptance's DM failed; before the bot hears so (and retries it), BizOps mark the request live.
        await t.client.blockAction({ userId: bizops, channelId: channel, message: { ts: card.ts }, actions: [{ action_id: ActionIds.pipelineRequestLive, block_id: 'x', value: id }] });
        for (let i = 0; i < 400 && (await requestById(id)).status !== 'live'; i++) await new Promise((r) => setTimeout(r, 25));
      });
      const accepted = noticeJob({ type: 'pipeline_request.dm', requestId: id, to: regular, about: 'accepted' }).key;
      const job = async () => (await t.store.get<JobDoc>(JOBS, accepted))?.data;
      try {
        await click(bizops, card, ActionIds.pipelineRequestAccept);
        await t.standin.waitFor(() => about().some((m) => m.includes('is live: data lands')));
        // The acceptance's DM job runs again, and ends without a word.
        for (let i = 0; i < 800 && (await job())?.state !== 'done'; i++) await new Promise((r) => setTimeout(r, 25));
      } finally {
        off();
      }
      expect(marked).toBe(true);
      expect(await job()).toMatchObject({ state: 'done', attempts: 2 });
      expect(about().filter((m) => m.includes('accepted your pipeline request')), JSON.stringify(about())).toEqual([]);
      expect(about().filter((m) => m.includes('is live: data lands'))).toHaveLength(1);
      // One DM reached Slack (the live one); the acceptance's first attempt failed, and no other was made.
      expect(t.standin.callsTo('chat.postMessage').slice(posts).filter((c) => c.args['channel'] === regular).map((c) => c.error ?? 'ok')).toEqual(['internal_error', 'ok']);
    });

    it('does not send a "received" DM that failed once after BizOps decided: "BizOps will accept or decline it" does not follow "accepted"', async () => {
      const values = { ...valid, [ActionIds.pipelineRequestObjects]: `${valid[ActionIds.pipelineRequestObjects]}, batch ${++filed}` };
      await openModal();
      const before = cards().length;
      const posts = t.standin.callsTo('chat.postMessage').length;
      let card: StoredMessage | undefined;
      let marked = false;
      const off = t.standin.onApplied(async (call) => {
        if (call.method !== 'chat.postMessage') return;
        if (call.args['channel'] === channel && !call.error && !card) {
          // The card is up: the DM that follows it fails once.
          card = cards().at(-1);
          t.standin.failNext('chat.postMessage', 'internal_error');
          return;
        }
        if (call.error !== 'internal_error' || call.args['channel'] !== regular || marked || !card) return;
        marked = true;
        // The "received" DM failed; before the bot hears so (and retries it), BizOps accept the request.
        await t.client.blockAction({ userId: bizops, channelId: channel, message: { ts: card.ts }, actions: [{ action_id: ActionIds.pipelineRequestAccept, block_id: 'x', value: idOf(card) }] });
        for (let i = 0; i < 400 && (await requestById(idOf(card))).status !== 'accepted'; i++) await new Promise((r) => setTimeout(r, 25));
      });
      const idOf = (m: StoredMessage) => JSON.stringify(m.blocks).match(/"value":"(pr_[A-Za-z0-9]+)"/)![1]!;
      try {
        const submitted = await t.standin.submitView(t.client, { userId: regular, values });
        expect(submitted.ack.status).toBe(200);
        await t.standin.waitFor(() => cards().length > before && marked);
        const id = idOf(card!);
        const about = () => dms(regular).map(text).filter((m) => m.includes(requestRef(id)));
        await t.standin.waitFor(() => about().some((m) => m.includes('accepted your pipeline request')));
        const received = noticeJob({ type: 'pipeline_request.dm', requestId: id, to: regular, about: 'received' }).key;
        const job = async () => (await t.store.get<JobDoc>(JOBS, received))?.data;
        // The "received" DM's job runs again, and ends without a word.
        for (let i = 0; i < 800 && (await job())?.state !== 'done'; i++) await new Promise((r) => setTimeout(r, 25));
        expect(await job()).toMatchObject({ state: 'done', attempts: 2 });
        expect(about().filter((m) => m.includes('BizOps will accept or decline it')), JSON.stringify(about())).toEqual([]);
        expect(about().filter((m) => m.includes('accepted your pipeline request'))).toHaveLength(1);
        // Two DMs reached Slack: the "received" one that failed, and the acceptance.
        expect(t.standin.callsTo('chat.postMessage').slice(posts).filter((c) => c.args['channel'] === regular).map((c) => c.error ?? 'ok')).toEqual(['internal_error', 'ok']);
      } finally {
        off();
      }
    });

    it('does not tell the requester "BizOps will accept or decline it" when BizOps accepted while the card was being posted', async () => {
      await openModal();
      let id: string | undefined;
      const off = t.standin.onApplied(async (call) => {
        const blocks = JSON.stringify(call.args['blocks'] ?? '');
        if (call.method !== 'chat.postMessage' || call.error || !blocks.includes('accepted_mid_post') || id) return;
        id = /"value":"(pr_[A-Za-z0-9]+)"/.exec(blocks)![1]!;
        // Slack has the card; before the bot hears so, BizOps accept (on a copy of its button).
        await t.client.blockAction({ userId: bizops, channelId: channel, message: { ts: '1.000001' }, actions: [{ action_id: ActionIds.pipelineRequestAccept, block_id: 'x', value: id }] });
        for (let i = 0; i < 200 && (await requestById(id)).status !== 'accepted'; i++) await new Promise((r) => setTimeout(r, 25));
      });
      try {
        await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestDestination]: 'accepted_mid_post' } });
        await t.standin.waitFor(() => id !== undefined && dms(regular).some((m) => text(m).includes(requestRef(id!)) && text(m).includes('accepted your pipeline request')));
        for (let i = 0; i < 200 && (await requestById(id!)).message === undefined; i++) await new Promise((r) => setTimeout(r, 25));
        expect((await requestById(id!)).message).toBeDefined();
      } finally {
        off();
      }
      await new Promise((r) => setTimeout(r, 300));
      const about = dms(regular).map(text).filter((m) => m.includes(requestRef(id!)));
      expect(about.filter((m) => m.includes('BizOps will accept or decline it')), JSON.stringify(about)).toEqual([]);
      expect(about.filter((m) => m.includes('accepted your pipeline request'))).toHaveLength(1);
    });

    it('refuses a click by someone outside BizOps (a forged payload too), changing nothing', async () => {
      const { id, card } = await fileRequest();
      const before = await t.store.get(PIPELINE_REQUESTS, id);
      const cardBefore = JSON.stringify(t.standin.message(channel, card.ts));
      for (const actionId of [ActionIds.pipelineRequestAccept, ActionIds.pipelineRequestLive, ActionIds.pipelineRequestDecline]) {
        const replies = await click(regular, card, actionId);
        expect(JSON.stringify(replies)).toContain('Only BizOps can');
      }
      // A payload Slack never sent: an Accept for this request from a user outside BizOps.
      const forged = await t.client.blockAction({
        userId: regular,
        channelId: channel,
        message: { ts: card.ts },
        actions: [{ action_id: ActionIds.pipelineRequestAccept, block_id: 'x', value: id }],
      });
      expect(forged.status).toBe(200);
      await t.standin.waitFor(() => t.standin.responses.some((r) => r.id === forged.responseUrl?.split('/').pop()));
      expect(await t.store.get(PIPELINE_REQUESTS, id)).toEqual(before);
      expect(JSON.stringify(t.standin.message(channel, card.ts))).toBe(cardBefore);
      expect(t.standin.modals(regular)).toHaveLength(0);
      expect((await auditFor(id)).map((e) => e.action)).toEqual(['pipeline_request.created']);
    });

    it('gives one decision when two BizOps click Accept at once', async () => {
      const { id, card } = await fileRequest();
      const [a, b] = await Promise.all([
        t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestAccept, timeoutMs: CONTENDED_TX_MS }),
        t.standin.clickAction(t.client, { userId: secondBizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestAccept, timeoutMs: CONTENDED_TX_MS }),
      ]);
      expect([a.ack.status, b.ack.status]).toEqual([200, 200]);
      const accepted = (await auditFor(id)).filter((e) => e.action === 'pipeline_request.accepted');
      expect(accepted).toHaveLength(1);
      const winner = accepted[0]!.actor;
      const loserId = winner === bizops ? secondBizops : bizops;
      // The loser hears, on the response_url of their click, that it was already decided.
      await t.standin.waitFor(() =>
        t.standin.responses.some((r) => r.id.length > 0 && JSON.stringify(r.body).includes(`${requestRef(id)}* is already accepted`) && decodeResponseUrlId(r.id)?.userId === loserId),
        { timeoutMs: CONTENDED_TX_MS },
      );
      expect(await requestById(id)).toMatchObject({ status: 'accepted', acceptedBy: winner });
    });

    it('declines with a reason from a modal; the reason is required; later clicks say it is decided', async () => {
      const { id, card } = await fileRequest();
      await click(bizops, card, ActionIds.pipelineRequestDecline);
      const modal = await t.standin.waitFor(() => t.standin.modals(bizops).at(-1));
      expect(modal.callback_id).toBe(CallbackIds.pipelineRequestDecline);
      const empty = await t.standin.submitView(t.client, { userId: bizops, values: { [ActionIds.pipelineRequestDeclineReason]: '  ' }, timeoutMs: 200 });
      expect(empty.errors?.[BlockIds.pipelineRequestDeclineReason]).toMatch(/Say why/);
      const invisible = await t.standin.submitView(t.client, { userId: bizops, values: { [ActionIds.pipelineRequestDeclineReason]: '\u200b' }, timeoutMs: 200 });
      expect(invisible.errors?.[BlockIds.pipelineRequestDeclineReason]).toMatch(/Say why/);
      expect(await requestById(id)).toMatchObject({ status: 'open' });
      // Too long (600 emoji: two characters each to us), said on the form, which keeps the reason to shorten.
      const long = await t.standin.submitView(t.client, { userId: bizops, values: { [ActionIds.pipelineRequestDeclineReason]: '🙅'.repeat(600) }, timeoutMs: 200 });
      expect(long.errors?.[BlockIds.pipelineRequestDeclineReason]).toBe('Keep the reason to 1,000 characters (an emoji counts as two or more); it has 1,200.');
      expect(t.standin.modals(bizops).at(-1)?.id).toBe(modal.id);
      expect(await requestById(id)).toMatchObject({ status: 'open' });

      const dmBefore = dms(regular).length;
      await t.standin.submitView(t.client, { userId: bizops, values: { [ActionIds.pipelineRequestDeclineReason]: 'Zendesk already lands in `support` via the <nightly> export' } });
      await t.standin.waitFor(() => text(t.standin.message(channel, card.ts)).includes('Declined by'));
      expect(await requestById(id)).toMatchObject({ status: 'declined', declinedBy: bizops, declineReason: 'Zendesk already lands in `support` via the <nightly> export' });
      const dm = await t.standin.waitFor(() => dms(regular).length > dmBefore && dms(regular).at(-1));
      expect(text(dm), JSON.stringify(dms(regular).map(text))).toContain('declined your pipeline request');
      expect(dm.text).toContain('&lt;nightly&gt;');
      expect((await auditFor(id)).find((e) => e.action === 'pipeline_request.declined')).toMatchObject({ actor: bizops, before: { status: 'open' }, after: { status: 'declined' } });

      // A stale Accept on the declined request (buttons are gone; the payload is replayed).
      const stale = await t.client.blockAction({ userId: secondBizops, channelId: channel, message: { ts: card.ts }, actions: [{ action_id: ActionIds.pipelineRequestAccept, block_id: 'x', value: id }] });
      const responseId = stale.responseUrl?.split('/').pop();
      const reply = await t.standin.waitFor(() => t.standin.responses.find((r) => r.id === responseId));
      expect(JSON.stringify(reply.body)).toContain('already declined');
      expect(await requestById(id)).toMatchObject({ status: 'declined' });
    });

    it('says nothing more when the same decline arrives again (Slack delivering it twice); another BizOps, or a contrary click, hears who decided', async () => {
      const { id, card } = await fileRequest();
      // Both open the decline form while the request is open.
      await click(secondBizops, card, ActionIds.pipelineRequestDecline);
      const other = await t.standin.waitFor(() => t.standin.modals(secondBizops).at(-1));
      await click(bizops, card, ActionIds.pipelineRequestDecline);
      const mine = await t.standin.waitFor(() => t.standin.modals(bizops).at(-1));
      const values = { [ActionIds.pipelineRequestDeclineReason]: 'Use the nightly export' };
      await t.standin.submitView(t.client, { userId: bizops, viewId: mine.id, values });
      await t.standin.waitFor(() => text(t.standin.message(channel, card.ts)).includes('Declined by'));
      const bizopsDms = dms(bizops).length;
      // Slack delivers the same submission again: the decline stands, and whoever made it hears nothing more.
      const again = await t.standin.submitView(t.client, { userId: bizops, viewId: mine.id, values, timeoutMs: 1_000 });
      expect(again.ack.status).toBe(200);
      expect(again.responseAction).toBeUndefined();
      await t.drain();
      await new Promise((r) => setTimeout(r, 300));
      expect(dms(bizops).slice(bizopsDms).map(text)).toEqual([]);
      expect(await requestById(id)).toMatchObject({ status: 'declined', declinedBy: bizops, declineReason: 'Use the nightly export' });
      expect((await auditFor(id)).filter((e) => e.action === 'pipeline_request.declined')).toHaveLength(1);
      // The same BizOps with another reason (a second form): told it was declined already, so they know it did not go.
      await t.standin.submitView(t.client, { userId: bizops, viewId: mine.id, values: { [ActionIds.pipelineRequestDeclineReason]: 'Ask again in May' } });
      await t.standin.waitFor(() => dms(bizops).slice(bizopsDms).find((m) => text(m).includes(`${requestRef(id)}* is already declined`)));
      expect(await requestById(id)).toMatchObject({ declineReason: 'Use the nightly export' });
      // Another BizOps' decline, sent after: told who decided.
      await t.standin.submitView(t.client, { userId: secondBizops, viewId: other.id, values: { [ActionIds.pipelineRequestDeclineReason]: 'Not now' } });
      const told = await t.standin.waitFor(() => dms(secondBizops).find((m) => text(m).includes(`${requestRef(id)}* is already declined`)));
      expect(text(told)).toContain(`Declined by @${bizops}`);
      // The same BizOps' contrary click (a replayed Mark live): told too.
      const contrary = await t.client.blockAction({ userId: bizops, channelId: channel, message: { ts: card.ts }, actions: [{ action_id: ActionIds.pipelineRequestLive, block_id: 'x', value: id }] });
      const responseId = contrary.responseUrl?.split('/').pop();
      const reply = await t.standin.waitFor(() => t.standin.responses.find((r) => r.id === responseId));
      expect(JSON.stringify(reply.body)).toContain('already declined');
      expect(await requestById(id)).toMatchObject({ status: 'declined', declinedBy: bizops });
    });

    /** A Decline form's submission as a signed request, whatever its reason's value (a payload Slack never sent). */
    const submitDecline = (userId: string, id: string, value: unknown) =>
      t.client.viewSubmission({
        userId,
        view: {
          id: 'VDECLINE1',
          callback_id: CallbackIds.pipelineRequestDecline,
          private_metadata: JSON.stringify({ id }),
          state: { values: { [BlockIds.pipelineRequestDeclineReason]: { [ActionIds.pipelineRequestDeclineReason]: { type: 'plain_text_input', value } } } },
        },
      });

    it('refuses a forged decline submission from outside BizOps', async () => {
      const { id } = await fileRequest();
      const ack = await submitDecline(regular, id, 'no');
      expect(ack.status).toBe(200);
      await t.standin.waitFor(() => dms(regular).some((m) => text(m).includes('Only BizOps can')));
      expect(await requestById(id)).toMatchObject({ status: 'open' });
      expect((await auditFor(id)).map((e) => e.action)).toEqual(['pipeline_request.created']);
    });

    it('asks again for a decline reason that is not text (a malformed submission), at once, and changes nothing', async () => {
      const { id } = await fileRequest();
      for (const value of [42, { text: 'no' }, ['no'], null]) {
        const ack = await submitDecline(bizops, id, value);
        expect(ack.status, JSON.stringify(value)).toBe(200);
        expect(ack.json).toMatchObject({ response_action: 'errors', errors: { [BlockIds.pipelineRequestDeclineReason]: expect.stringContaining('Say why') } });
      }
      expect(await requestById(id)).toMatchObject({ status: 'open' });
      expect((await auditFor(id)).map((e) => e.action)).toEqual(['pipeline_request.created']);
    });

    it('says so for a click on a request that does not exist', async () => {
      const res = await t.client.blockAction({ userId: bizops, channelId: channel, message: { ts: '1.000001' }, actions: [{ action_id: ActionIds.pipelineRequestAccept, block_id: 'x', value: "pr_nope' OR 1=1" }] });
      const responseId = res.responseUrl?.split('/').pop();
      const reply = await t.standin.waitFor(() => t.standin.responses.find((r) => r.id === responseId));
      expect(JSON.stringify(reply.body)).toContain('no record of that pipeline request');
    });

    it('keeps the request and tells the requester when the card cannot be posted, and posts it later, to be decided there', async () => {
      await openModal();
      t.standin.failNext('chat.postMessage', 'channel_not_found');
      const dmBefore = dms(regular).length;
      const before = cards().length;
      await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestDestination]: 'unposted' } });
      const dm = await t.standin.waitFor(() => dms(regular).length > dmBefore && dms(regular).at(-1));
      expect(text(dm)).toContain('could not post it in the analytics channel yet. I will keep trying');
      const [request] = (await requestsOf(regular)).filter((r) => r.destination === 'unposted');
      expect(request).toMatchObject({ status: 'open' });
      expect(request?.message).toBeUndefined();
      expect(cards()).toHaveLength(before);
      // The bot is invited meanwhile: ten minutes later (not before) the card goes up, once, and BizOps decide the request on it.
      const shift = t.now().getTime() - Date.now();
      t.advance(9 * 60_000);
      await t.drain();
      expect(cards()).toHaveLength(before);
      t.advance(2 * 60_000);
      await t.drain();
      const card = await t.standin.waitFor(() => cards().length > before && cards().at(-1));
      expect(text(card)).toContain('unposted');
      expect((await requestById(request!.id)).message).toMatchObject({ channel, ts: card.ts });
      // The requester hears where it is now.
      const where = await t.standin.waitFor(() => dms(regular).find((m) => text(m).includes(requestRef(request!.id)) && /BizOps will accept or decline it/.test(text(m))));
      expect(JSON.stringify(where.blocks)).toContain(`<#${channel}>`);
      // Its edit fails for good (someone deleted the card): that is not tried again for a week.
      t.standin.failNext('chat.update', 'message_not_found');
      const accepted = await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestAccept });
      expect(accepted.ack.status).toBe(200);
      await vi.waitFor(async () => expect((await requestById(request!.id)).status).toBe('accepted'), { timeout: 10_000, interval: 50 });
      await t.drain();
      await vi.waitFor(async () => expect((await t.store.get<JobDoc>(JOBS, jobKey('notice', 'pipeline_request.card', request!.id)))?.data).toMatchObject({ state: 'failed' }), { timeout: 10_000, interval: 50 });
      expect(cards()).toHaveLength(before + 1);
      expect(dms(regular).filter((m) => /could not post it/.test(text(m)))).toHaveLength(1);
      t.setTime(Date.now() + shift); // the clock as the tests after this one expect it
    });

    it('tells the requester once that the card could not be posted, though its last try after a week fails too (the DM\'s own record gone by then)', async () => {
      await openModal();
      t.standin.failNext('chat.postMessage', 'channel_not_found');
      const dmBefore = dms(regular).length;
      await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestDestination]: 'never_posted' } });
      await t.standin.waitFor(() => dms(regular).length > dmBefore);
      const [request] = (await requestsOf(regular)).filter((r) => r.destination === 'never_posted');
      const card = jobKey('notice', 'pipeline_request.card', request!.id);
      const told = () => dms(regular).filter((m) => text(m).includes(requestRef(request!.id)) && /could not post it/.test(text(m)));
      await t.standin.waitFor(() => told().length === 1);
      // A week on: the DM's finished job has expired and is gone; the card's last try fails too.
      const unposted = (await t.store.list<JobDoc>(JOBS)).find((j) => j.id.startsWith(`notice:pipeline_request.dm:${request!.id}`) && j.id.endsWith(':unposted'));
      expect(unposted?.data.state).toBe('done');
      await t.store.delete(JOBS, unposted!.id);
      const week = 7 * 24 * 3_600_000;
      const moved = await t.store.transition<JobDoc>(JOBS, card, (j) => j.state === 'pending', (j) => ({ createdAt: j.createdAt - week, runAt: t.now().getTime() }));
      expect(moved.ok).toBe(true);
      t.standin.failNext('chat.postMessage', 'channel_not_found');
      await t.drain();
      await vi.waitFor(async () => expect((await t.store.get<JobDoc>(JOBS, card))?.data).toMatchObject({ state: 'failed' }), { timeout: 10_000, interval: 50 });
      await t.drain();
      expect(told()).toHaveLength(1);
    });

    it('tells the requester that the card could not be posted when its first give-up comes after a week (the runner down that long)', async () => {
      await openModal();
      // The card's first try is told to wait (a 503 with a Retry-After); the runner then stops for over a week.
      t.standin.failNextHttp('chat.postMessage', 503, { 'Retry-After': '100' });
      await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestDestination]: 'down_a_week' } });
      const request = await vi.waitFor(async () => {
        const [r] = (await requestsOf(regular)).filter((x) => x.destination === 'down_a_week');
        expect(r).toBeDefined();
        return r!;
      }, { timeout: 10_000, interval: 50 });
      const card = jobKey('notice', 'pipeline_request.card', request.id);
      await vi.waitFor(async () => expect((await t.store.get<JobDoc>(JOBS, card))?.data).toMatchObject({ state: 'pending', attempts: 1, holder: null }), { timeout: 10_000, interval: 50 });
      const week = 7 * 24 * 3_600_000;
      expect((await t.store.transition<JobDoc>(JOBS, card, (j) => j.state === 'pending' && j.holder === null, (j) => ({ createdAt: j.createdAt - week - 3_600_000, runAt: t.now().getTime() }))).ok).toBe(true);
      // Back: the bot is not in the channel; the card gives up, for good.
      t.standin.failNext('chat.postMessage', 'channel_not_found');
      await t.drain();
      await vi.waitFor(async () => expect((await t.store.get<JobDoc>(JOBS, card))?.data).toMatchObject({ state: 'failed' }), { timeout: 10_000, interval: 50 });
      await t.drain();
      const told = dms(regular).filter((m) => text(m).includes(requestRef(request.id)) && /could not post it/.test(text(m)));
      expect(told).toHaveLength(1);
      expect((await requestById(request.id)).unpostedToldAt).toEqual(expect.any(String));
    });

    it('answers /pipeline with usage for an unknown subcommand', async () => {
      for (const q of ['', 'frobnicate', 'x'.repeat(3000)]) {
        const { replies } = await t.standin.runCommand(t.client, { command: '/pipeline', text: q, userId: regular, channelId: channel });
        expect(JSON.stringify(replies)).toContain('/pipeline request');
      }
    });

    it('never logs the bot token or signing secret', () => {
      const all = t.logs.join('\n');
      expect(all).not.toContain(t.config.slack.botToken!);
      expect(all).not.toContain(t.signingSecret);
    });
  });
}

describe('/pipeline request without an analytics channel', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ env: { ANALYTICS_CHANNEL: '' } });
  }, 120_000);
  afterAll(async () => t?.stop());

  it('says it is not set up and opens nothing', async () => {
    const { replies } = await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    expect(JSON.stringify(replies)).toContain('ANALYTICS_CHANNEL');
    expect(t.standin.modals(regular)).toHaveLength(0);
  });
});

describe.skipIf(!firestore.available)('/pipeline request on two replicas sharing Firestore', () => {
  const prefix = `pr2_${randomUUID().slice(0, 8)}_`;
  const stores: Store[] = [];
  const bots: TestBot[] = [];

  beforeAll(async () => {
    stores.push(openFirestoreStore({ projectId: 'test', collectionPrefix: prefix }), openFirestoreStore({ projectId: 'test', collectionPrefix: prefix }));
    const usergroups = { [StandinDefaults.usergroups.bizops]: [bizops, secondBizops], [StandinDefaults.usergroups.lookerAdmins]: [secondBizops] };
    bots.push(await startTestBot({ store: stores[0]!, standinOptions: { usergroups } }));
    // The second replica plays to the same Slack.
    bots.push(await startTestBot({ store: stores[1]!, standin: bots[0]!.standin }));
  }, 120_000);
  afterAll(async () => {
    for (const b of bots.reverse()) await b.stop();
    for (const s of stores) await s.close();
  });

  it('gives one decision when two BizOps click Accept on different replicas at once', async () => {
    const [a, b] = bots as [TestBot, TestBot];
    const standin = a.standin;
    await standin.runCommand(a.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    await standin.submitView(a.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestDestination]: 'replicas' } });
    const card = await standin.waitFor(() => standin.conversation(channel).find((m) => (m.text ?? '').includes('replicas')));
    await standin.waitFor(() => standin.conversation(standin.dmChannelId(regular)).length > 0);
    const id = JSON.stringify(card.blocks).match(/"value":"(pr_[A-Za-z0-9]+)"/)![1]!;

    const clicks = await Promise.all([
      standin.clickAction(a.client, { userId: bizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestAccept }),
      standin.clickAction(b.client, { userId: secondBizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestAccept }),
    ]);
    expect(clicks.map((c) => c.ack.status)).toEqual([200, 200]);
    await standin.waitFor(() => standin.responses.some((r) => JSON.stringify(r.body).includes(`${requestRef(id)}* is already accepted`)), { timeoutMs: CONTENDED_TX_MS });
    const accepted = (await stores[0]!.recentAudit(50)).filter((e) => e.subject === id && e.action === 'pipeline_request.accepted');
    expect(accepted).toHaveLength(1);
    const doc = await stores[1]!.get<PipelineRequest & Record<string, unknown>>(PIPELINE_REQUESTS, id);
    expect(doc?.data).toMatchObject({ status: 'accepted', acceptedBy: accepted[0]!.actor });
    expect(standin.callsTo('chat.update').filter((c) => c.args['ts'] === card.ts)).toHaveLength(1);
  });
});

describe('/pipeline request when Slack or the store fails', () => {
  let t: TestBot;
  let real: Store;
  let dir: string;
  const failing = new Set<string>();
  const slow = new Map<string, number>();

  beforeAll(async () => {
    dir = await freshDataDir();
    real = await openEmbeddedStore(dir);
    t = await startTestBot({ store: faultyStore(real, failing, slow) });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await real?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const dms = () => t.standin.conversation(t.standin.dmChannelId(regular));

  it('says the form could not open when views.open fails', async () => {
    t.standin.failNext('views.open', 'internal_error');
    const { replies } = await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    expect(JSON.stringify(replies)).toContain('could not open the request form');
    expect(t.standin.modals(regular)).toHaveLength(0);
  });

  it('says nothing more when the same /pipeline request arrives again (its trigger opened the form already): the form stays open', async () => {
    const twice = await commandTwiceWithOneTrigger(t, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    expect(twice).toEqual({ statuses: [200, 200], opens: ['ok', 'exchanged_trigger_id'], said: [], openForms: [CallbackIds.pipelineRequest] });
    expect(t.logs.filter((l) => l.includes('exchanged_trigger_id') && l.includes('"ERROR"'))).toEqual([]);
  });

  const stored = async (destination: string) => (await real.list<PipelineRequest & Record<string, unknown>>(PIPELINE_REQUESTS, { where: { field: 'requester', equals: regular } })).filter((d) => d.data.destination === destination);

  it('saves the request before the form closes: once Slack has the answer, the request is stored (a crash after it loses nothing)', async () => {
    await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    const modal = t.standin.modals(regular).at(-1)!;
    slow.set('runTransaction', 1_000);
    try {
      const submitted = await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestDestination]: 'saved_first' }, timeoutMs: 50 });
      expect(submitted.ack.status).toBe(200);
      expect(submitted.ack.ms).toBeLessThan(3_000);
      // The moment the modal closes, the request is in the store.
      expect(t.standin.modals(regular).some((m) => m.id === modal.id)).toBe(false);
      expect(await stored('saved_first')).toHaveLength(1);
    } finally {
      slow.delete('runTransaction');
    }
    await t.standin.waitFor(() => t.standin.conversation(channel).some((m) => (m.text ?? '').includes('saved_first')));
  });

  it('closes the form in time when the store is slower than Slack waits, and the request still lands', async () => {
    await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    slow.set('runTransaction', 2_800);
    try {
      const submitted = await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestDestination]: 'slow_save' }, timeoutMs: 50 });
      expect(submitted.ack.status).toBe(200);
      expect(submitted.ack.ms).toBeLessThan(2_900);
      expect(submitted.responseAction).toBeUndefined();
    } finally {
      slow.delete('runTransaction');
    }
    await t.standin.waitFor(() => t.standin.conversation(channel).some((m) => (m.text ?? '').includes('slow_save')), { timeoutMs: 5_000 });
    expect(await stored('slow_save')).toHaveLength(1);
  });

  it('keeps the form open with what was typed when the request cannot be saved, posting nothing; Send again saves it', async () => {
    await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    const cards = t.standin.conversation(channel).length;
    const values = { ...valid, [ActionIds.pipelineRequestDestination]: 'retried_save' };
    failing.add('runTransaction');
    try {
      const first = await t.standin.submitView(t.client, { userId: regular, values, timeoutMs: 200 });
      expect(first.responseAction).toBe('errors');
      expect(Object.values(first.errors ?? {}).join(' ')).toContain('could not save your request');
      expect(JSON.stringify(first)).not.toContain('/var/lib');
      expect(t.standin.modals(regular).at(-1)?.callback_id).toBe(CallbackIds.pipelineRequest);
    } finally {
      failing.delete('runTransaction');
    }
    expect(t.standin.conversation(channel).length).toBe(cards);
    expect(await stored('retried_save')).toHaveLength(0);
    // The store is back: the same form, sent again, makes the request.
    const again = await t.standin.submitView(t.client, { userId: regular, values });
    expect(again.responseAction).toBeUndefined();
    expect(await stored('retried_save')).toHaveLength(1);
    await t.standin.waitFor(() => t.standin.conversation(channel).some((m) => (m.text ?? '').includes('retried_save')));
  });

  it('shows the "already syncs" step in time when the store is slow or failing to look for the same request (Continue checks again)', async () => {
    for (const fault of ['slow', 'failing'] as const) {
      await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
      if (fault === 'slow') slow.set('list', 5_000);
      else failing.add('list');
      try {
        const started = Date.now();
        const step = await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestSource]: 'hubspot' } });
        expect(step.ack.status).toBe(200);
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(step.responseAction).toBe('update');
        expect(t.standin.modals(regular).at(-1)!.callback_id).toBe(CallbackIds.pipelineRequestConfirm);
      } finally {
        slow.delete('list');
        failing.delete('list');
      }
      await t.standin.closeView(t.client, { userId: regular });
    }
    expect(t.logs.some((l) => l.includes('could not look for the same pipeline request'))).toBe(true);
  });

  it('tells the requester by DM when a request sent on from the "already syncs" step cannot be saved', async () => {
    await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    const before = dms().length;
    const cards = t.standin.conversation(channel).length;
    expect((await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestSource]: 'hubspot' }, timeoutMs: 200 })).responseAction).toBe('update');
    failing.add('runTransaction');
    try {
      await t.standin.submitView(t.client, { userId: regular });
      const dm = await t.standin.waitFor(() => dms().length > before && dms().at(-1));
      expect(text(dm)).toContain('could not save your pipeline request');
      expect(text(dm)).not.toContain('/var/lib');
    } finally {
      failing.delete('runTransaction');
    }
    expect(t.standin.conversation(channel).length).toBe(cards);
  });

  it('tells BizOps the decision was not recorded when the store fails, leaving the card as it was', async () => {
    await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    const before = dms().length;
    await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestDestination]: 'outage' } });
    const card = await t.standin.waitFor(() => t.standin.conversation(channel).find((m) => (m.text ?? '').includes('outage')));
    await t.standin.waitFor(() => dms().length > before);
    const shown = JSON.stringify(t.standin.message(channel, card.ts));
    failing.add('runTransaction');
    try {
      const { replies } = await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestAccept });
      expect(JSON.stringify(replies)).toContain('could not record that decision');
      expect(JSON.stringify(replies)).not.toContain('/var/lib');
    } finally {
      failing.delete('runTransaction');
    }
    expect(JSON.stringify(t.standin.message(channel, card.ts))).toBe(shown);
  });

  /** Files a request and opens BizOps' decline modal on its card. */
  async function openDecline(destination: string) {
    await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestDestination]: destination } });
    const card = await t.standin.waitFor(() => t.standin.conversation(channel).find((m) => (m.text ?? '').includes(destination)));
    const id = JSON.stringify(card.blocks).match(/"value":"(pr_[A-Za-z0-9]+)"/)![1]!;
    await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestDecline });
    const modal = await t.standin.waitFor(() => t.standin.modals(bizops).at(-1));
    expect(modal.callback_id).toBe(CallbackIds.pipelineRequestDecline);
    return { id, card, modal };
  }

  it('records a decline before its modal closes (a crash after Slack heard "done" loses nothing)', async () => {
    const { id, modal } = await openDecline('decline_first');
    slow.set('runTransaction', 1_000);
    try {
      const submitted = await t.standin.submitView(t.client, { userId: bizops, values: { [ActionIds.pipelineRequestDeclineReason]: 'Not this quarter' }, timeoutMs: 50 });
      expect(submitted.ack.status).toBe(200);
      expect(t.standin.modals(bizops).some((m) => m.id === modal.id)).toBe(false);
      expect((await real.get<PipelineRequest & Record<string, unknown>>(PIPELINE_REQUESTS, id))?.data).toMatchObject({ status: 'declined', declineReason: 'Not this quarter' });
    } finally {
      slow.delete('runTransaction');
    }
  });

  it('keeps the decline modal open with the reason when the decline cannot be recorded; Decline again records it', async () => {
    const { id, card } = await openDecline('decline_retry');
    const shown = JSON.stringify(t.standin.message(channel, card.ts));
    failing.add('runTransaction');
    try {
      const first = await t.standin.submitView(t.client, { userId: bizops, values: { [ActionIds.pipelineRequestDeclineReason]: 'Use the existing export' }, timeoutMs: 200 });
      expect(first.responseAction).toBe('errors');
      expect(first.errors?.[BlockIds.pipelineRequestDeclineReason]).toContain('could not record your decline');
      expect(JSON.stringify(first)).not.toContain('/var/lib');
      expect(t.standin.modals(bizops).at(-1)?.callback_id).toBe(CallbackIds.pipelineRequestDecline);
    } finally {
      failing.delete('runTransaction');
    }
    expect(JSON.stringify(t.standin.message(channel, card.ts))).toBe(shown);
    const again = await t.standin.submitView(t.client, { userId: bizops, values: { [ActionIds.pipelineRequestDeclineReason]: 'Use the existing export' } });
    expect(again.responseAction).toBeUndefined();
    expect((await real.get<PipelineRequest & Record<string, unknown>>(PIPELINE_REQUESTS, id))?.data).toMatchObject({ status: 'declined' });
    await t.standin.waitFor(() => text(t.standin.message(channel, card.ts)).includes('Declined by'));
  });

  it('still tells the requester when the card cannot be edited', async () => {
    await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: regular, channelId: channel });
    let before = dms().length;
    await t.standin.submitView(t.client, { userId: regular, values: { ...valid, [ActionIds.pipelineRequestDestination]: 'noedit' } });
    const card = await t.standin.waitFor(() => t.standin.conversation(channel).find((m) => (m.text ?? '').includes('noedit')));
    await t.standin.waitFor(() => dms().length > before);
    before = dms().length;
    t.standin.failNext('chat.update', 'internal_error');
    await t.standin.clickAction(t.client, { userId: bizops, channelId: channel, ts: card.ts, actionId: ActionIds.pipelineRequestAccept });
    const dm = await t.standin.waitFor(() => dms().length > before && dms().at(-1));
    expect(text(dm)).toContain('accepted your pipeline request');
  });
});
