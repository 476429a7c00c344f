/**
 * kill -9 at every step boundary of the multi-step flows, then a restart:
 * the flow completes (or ends visibly failed), and every effect happens
 * exactly once.
 *
 * The bot runs as a child process from its production entry point
 * (dist/src/main.js, HTTP mode) against the Slack stand-in, a loopback
 * Looker and a loopback Fivetran in this process. Each crash happens at the
 * hardest moment: a vendor or Slack has applied a call and the bot is
 * killed before it hears the answer (the fakes' onApplied hooks). Then a
 * new process starts on the same data (embedded store: the same DATA_DIR;
 * Firestore: the same emulator collections) and carries on.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackStandin, StandinDefaults } from '../src/slack-standin/server.js';
import { UPLOAD_METHOD } from '../src/slack-standin/files.js';
import type { StoredMessage } from '../src/slack-standin/types.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { openFirestoreStore } from '../src/adapters/store/firestore.js';
import type { Store } from '../src/ports/store.js';
import { ActionIds, BlockIds } from '../src/ids.js';
import { LOOKER_ACCESS_REQUESTS, lookerRequestRef, type LookerAccessRequest } from '../src/services/looker-access.js';
import { PIPELINE_REQUESTS, requestRef, type PipelineRequest } from '../src/services/pipeline-request.js';
import { SUBSCRIPTIONS, subscriptionRef, type Subscription } from '../src/services/subscriptions.js';
import { FakeLooker, FakeLookerDefaults } from './support/fake-looker.js';
import { FakeFivetran } from './support/fake-fivetran.js';
import { freshDataDir } from './support/harness.js';
import { BotProcess, MAIN, armedKill, journalReader, killOnSlack, standinEnv, stuckWork, until } from './support/bot-process.js';
import { firestoreAvailable } from './support/firestore-emulator.js';

const CHANNEL = StandinDefaults.channel;
const RILEY = StandinDefaults.users.regular;
const BLAKE = StandinDefaults.users.bizops;
const ALEX = StandinDefaults.users.lookerAdmin;

const text = (m: { text?: string; blocks?: unknown[] } | undefined) => blocksToText({ text: m?.text ?? '', blocks: (m?.blocks ?? []) as never });


/** One store's run of every crash point, with one bot process carried from one scenario to the next. */
function crashSuite(name: string, storeEnv: () => Promise<{ env: Record<string, string>; open: () => Promise<Store>; cleanup: () => Promise<void> }>, skip?: string) {
  describe.skipIf(skip !== undefined)(skip ? `${name} (skipped: ${skip})` : name, { timeout: 150_000 }, () => {
    let standin: SlackStandin;
    let looker: FakeLooker;
    let fivetran: FakeFivetran;
    let env: Record<string, string>;
    let store: Store;
    let cleanup: () => Promise<void>;
    let bot: BotProcess;
    const signingSecret = randomBytes(16).toString('hex');

    beforeAll(async () => {
      if (!existsSync(MAIN)) throw new Error('dist/src/main.js is missing: run npm run build first (npm test does)');
      standin = new SlackStandin();
      await standin.start();
      looker = new FakeLooker();
      await looker.start();
      fivetran = await FakeFivetran.start();
      for (const id of ['hubspot_daily', 'salesforce_main', 'github_org']) fivetran.addConnection(id, { syncMs: 400 });
      const s = await storeEnv();
      cleanup = s.cleanup;
      env = {
        ...standinEnv(standin.url, signingSecret),
        LOOKER_BASE_URL: looker.url,
        LOOKER_CLIENT_ID: FakeLookerDefaults.clientId,
        LOOKER_CLIENT_SECRET: FakeLookerDefaults.clientSecret,
        LOOKER_VIEW_GROUP_ID: FakeLookerDefaults.viewGroupId,
        LOOKER_VIEW_ROLE_ID: FakeLookerDefaults.viewRoleId,
        LOOKER_CREATE_CONTENT_ROLE_IDS: FakeLookerDefaults.createContentRoleIds.join(','),
        LOOKER_DEVELOP_ROLE_IDS: FakeLookerDefaults.developRoleIds.join(','),
        PIPELINES: 'live',
        FIVETRAN_API_KEY: fivetran.apiKey,
        FIVETRAN_API_SECRET: fivetran.apiSecret,
        FIVETRAN_API_URL: fivetran.url,
        RERUN_POLL_MS: '200',
        FRESHNESS_CHECK_INTERVAL_MS: '0',
        // The shortest lease the configuration allows: a dead process's claims are taken over after it on
        // Firestore (the embedded store releases them at start), and a Looker user lock it held lapses after it.
        JOBS_LEASE_SECONDS: '10',
        JOBS_POLL_MS: '200',
        // One job at a time: the kill lands while a handler waits on a vendor, not in another job's
        // Firestore transaction, whose locks the emulator would hold for a minute after the process died.
        JOBS_CONCURRENCY: '1',
        METADATA_SERVER_DETECTION: 'none',
        ...s.env,
      };
      store = await s.open();
      bot = await BotProcess.start(env, signingSecret, `${standin.url}/response`);
    }, 120_000);

    afterAll(async () => {
      await bot?.stop();
      await store?.close();
      await looker?.stop();
      await fivetran?.close();
      await standin?.stop();
      await cleanup?.();
    });

    /** Arms a kill of the running bot at the moment `match` says; resolves once it is dead and a new one is up. */
    function killWhen(arm: (kill: () => Promise<void>) => () => void): Promise<void> {
      return armedKill(arm, async () => {
        await bot.kill();
        // The new process: the same data, a new pid, a new port.
        bot = await BotProcess.start(env, signingSecret, `${standin.url}/response`);
      });
    }
    const onSlack = (method: string, match: (args: Record<string, unknown>) => boolean) => killOnSlack(standin, method, match);
    const onLooker = (method: string, path: RegExp) => (kill: () => Promise<void>) => {
      looker.onApplied = async (call) => {
        if (call.method === method && path.test(call.path)) await kill();
      };
      return () => {
        looker.onApplied = undefined;
      };
    };
    const onFivetran = (method: string, path: RegExp) => (kill: () => Promise<void>) => {
      fivetran.onApplied = async (call) => {
        if (call.method === method && path.test(call.path)) await kill();
      };
      return () => {
        fivetran.onApplied = undefined;
      };
    };

    /** What the bot was doing, for a failure message: its warnings and the jobs not done. */
    const diagnose = () => stuckWork(store, bot);
    // A card names its request by the short ID people see (LA-…, PR-…); its buttons carry the stored one until it is decided.
    const cardsOf = (id: string) => {
      const ref = id.startsWith('la_') ? lookerRequestRef(id) : requestRef(id);
      return standin.conversation(CHANNEL).filter((m) => !m.ephemeral && !m.thread_ts && (JSON.stringify(m.blocks ?? []).includes(id) || JSON.stringify(m.blocks ?? []).includes(ref)));
    };
    const dmsTo = (user: string, pattern: RegExp) => standin.conversation(standin.dmChannelId(user)).filter((m) => pattern.test(text(m)));
    const audits = async (subject: string) => (await store.recentAudit(1000)).filter((e) => e.subject === subject).map((e) => e.action).reverse();

    // ---- Looker access: Approve, then the grant, the card and the DMs ----

    async function lookerRequest(email: string): Promise<LookerAccessRequest> {
      const { ack } = await standin.runCommand(bot.client, { command: '/looker-access', userId: RILEY, channelId: CHANNEL });
      expect(ack.status).toBe(200);
      const modal = await standin.waitFor(() => standin.modals(RILEY).at(-1));
      // Develop brings in the reason and days: the level is picked first, and the bot redraws the modal.
      const before = standin.view(modal.id)!.hash;
      await standin.clickAction(bot.client, { userId: RILEY, viewId: modal.id, actionId: ActionIds.lookerAccessLevel, value: 'develop', timeoutMs: 300 });
      await standin.waitFor(() => (standin.view(modal.id)?.hash !== before ? true : undefined));
      await standin.submitView(bot.client, {
        userId: RILEY, viewId: modal.id,
        values: { [ActionIds.lookerAccessEmail]: email, [ActionIds.lookerAccessTeam]: 'engineering', [ActionIds.lookerAccessLevel]: 'develop', [ActionIds.lookerAccessReason]: 'Build the usage explore', [ActionIds.lookerAccessDuration]: '14' },
        timeoutMs: 300,
      });
      return until(async () => (await store.list<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS)).map((d) => d.data).find((r) => r.viewId === modal.id && r.ts), 'the request card');
    }

    const approvalPoints: Array<[string, (r: LookerAccessRequest) => (kill: () => Promise<void>) => () => void]> = [
      ['after the decision is stored, as the grant starts (Looker login)', () => onLooker('POST', /\/login$/)],
      ['after Looker created the user, before the bot heard (nor added the email login)', () => onLooker('POST', /\/users$/)],
      ['after Looker applied the roles, before the bot recorded the grant', () => onLooker('PUT', /\/users\/[^/]+\/roles$/)],
      ['after Slack edited the card, before the bot heard', (r) => onSlack('chat.update', (a) => a['ts'] === r.ts)],
      ['after Slack posted the requester\'s DM, before the bot heard', () => onSlack('chat.postMessage', (a) => a['channel'] === RILEY && /approved/.test(JSON.stringify(a)))],
    ];

    it.each(approvalPoints.map(([what, arm], i) => [what, arm, i] as const))('Looker approval, killed %s: granted once, card and DM once', async (_what, arm, i) => {
      const email = `crash${i}.${randomUUID().slice(0, 6)}@example.com`;
      const withoutLogin = () => [...looker.users.values()].filter((u) => !u.email).length;
      const bareBefore = withoutLogin();
      const request = await lookerRequest(email);
      const restarted = killWhen(arm(request));
      const { ack } = await standin.clickAction(bot.client, { userId: ALEX, channelId: CHANNEL, ts: request.ts!, actionId: ActionIds.lookerAccessApprove, timeoutMs: 200 });
      expect(ack.status).toBe(200);
      await restarted;
      const done = await until(async () => {
        const r = (await store.get<LookerAccessRequest>(LOOKER_ACCESS_REQUESTS, request.id))?.data;
        return r?.grant ? r : undefined;
      }, 'the grant recorded');
      expect(done).toMatchObject({ status: 'approved', grant: { mode: 'looker', addedRoleIds: expect.arrayContaining([...FakeLookerDefaults.developRoleIds]) } });
      const users = [...looker.users.values()].filter((u) => u.email === email);
      expect(users).toHaveLength(1);
      expect(withoutLogin()).toBe(bareBefore); // no user left behind by the attempt that was killed
      expect(users[0]!.role_ids).toEqual(expect.arrayContaining([FakeLookerDefaults.viewRoleId, ...FakeLookerDefaults.developRoleIds]));
      await until(() => text(cardsOf(request.id)[0]).includes('Granted in Looker'), 'the card to show the grant');
      await until(() => dmsTo(RILEY, new RegExp(`approved[\\s\\S]*${email.replace('.', '\\.')}`)).length > 0, 'the requester DM');
      await new Promise((r) => setTimeout(r, 600)); // anything repeated would have landed by now
      expect(cardsOf(request.id)).toHaveLength(1);
      expect(dmsTo(RILEY, new RegExp(`approved[\\s\\S]*${email.replace('.', '\\.')}`))).toHaveLength(1);
      expect(await audits(request.id)).toEqual(['looker_access.requested', 'looker_access.approved', 'looker_access.granted']);
    });

    // ---- pipeline request: the card at submission, then Accept ----

    async function submitPipelineRequest(destination: string): Promise<void> {
      await standin.runCommand(bot.client, { command: '/pipeline', text: 'request', userId: RILEY, channelId: CHANNEL });
      await standin.submitView(bot.client, {
        userId: RILEY,
        values: {
          [ActionIds.pipelineRequestSource]: 'other', [ActionIds.pipelineRequestObjects]: 'tickets', [ActionIds.pipelineRequestDestination]: destination,
          [ActionIds.pipelineRequestFrequency]: 'daily', [ActionIds.pipelineRequestOwner]: RILEY, [ActionIds.pipelineRequestWhy]: 'support load',
        },
        timeoutMs: 300,
      });
    }
    const pipelineRequest = async (destination: string) => (await store.list<PipelineRequest & Record<string, unknown>>(PIPELINE_REQUESTS)).map((d) => d.data).find((r) => r.destination === destination);

    it('pipeline request, killed after Slack posted its card, before the bot heard: one card, one DM', async () => {
      const destination = `crash_card_${randomUUID().slice(0, 6)}`;
      const restarted = killWhen(onSlack('chat.postMessage', (a) => a['channel'] === CHANNEL && JSON.stringify(a).includes(destination)));
      await submitPipelineRequest(destination);
      await restarted;
      const request = await until(async () => {
        const r = await pipelineRequest(destination);
        return r?.message ? r : undefined;
      }, 'the card recorded');
      await until(() => dmsTo(RILEY, new RegExp(destination)).length > 0, 'the received DM');
      await new Promise((r) => setTimeout(r, 600));
      expect(cardsOf(request.id)).toHaveLength(1);
      expect(request.message?.ts).toBe(cardsOf(request.id)[0]!.ts);
      expect(dmsTo(RILEY, new RegExp(destination))).toHaveLength(1);
      expect(await audits(request.id)).toEqual(['pipeline_request.created']);
    });

    it.each([
      ['after Slack edited the card', (r: PipelineRequest) => onSlack('chat.update', (a) => a['ts'] === r.message?.ts)],
      ['after Slack posted the requester\'s DM', (r: PipelineRequest) => onSlack('chat.postMessage', (a) => a['channel'] === RILEY && JSON.stringify(a).includes('accepted') && JSON.stringify(a).includes(r.destination))],
    ] as const)('pipeline request Accept, killed %s, before the bot heard: accepted once, card and DM once', async (_what, arm) => {
      const destination = `crash_accept_${randomUUID().slice(0, 6)}`;
      await submitPipelineRequest(destination);
      const request = await until(async () => {
        const r = await pipelineRequest(destination);
        return r?.message ? r : undefined;
      }, 'the card');
      await until(() => dmsTo(RILEY, new RegExp(destination)).length > 0, 'the received DM');
      const restarted = killWhen(arm(request));
      await standin.clickAction(bot.client, { userId: BLAKE, channelId: CHANNEL, ts: request.message!.ts, actionId: ActionIds.pipelineRequestAccept, timeoutMs: 200 });
      await restarted;
      await until(() => /Accepted/.test(text(standin.message(CHANNEL, request.message!.ts))), 'the card to show the decision');
      await until(() => dmsTo(RILEY, new RegExp(`accepted[\\s\\S]*${destination}`)).length > 0, 'the decision DM');
      await new Promise((r) => setTimeout(r, 600));
      expect(cardsOf(request.id)).toHaveLength(1);
      expect(dmsTo(RILEY, new RegExp(`accepted[\\s\\S]*${destination}`))).toHaveLength(1);
      expect((await pipelineRequest(destination))?.status).toBe('accepted');
      expect(await audits(request.id)).toEqual(['pipeline_request.created', 'pipeline_request.accepted']);
    });

    // ---- scheduled delivery: Run now, the chart upload, the recorded run ----

    /** Riley's new daily delivery of `weeks` weeks to the channel, made through its form. */
    async function subscribe(weeks: number): Promise<Subscription> {
      const before = standin.modals(RILEY).at(-1)?.id;
      await standin.runCommand(bot.client, { command: '/query', text: `subscribe weekly-active-instances weeks=${weeks}`, userId: RILEY, channelId: CHANNEL });
      const modal = await standin.waitFor(() => {
        const top = standin.modals(RILEY).at(-1);
        return top && top.id !== before ? top : undefined;
      });
      const startedAt = Date.now();
      const submitted = await standin.submitView(bot.client, {
        userId: RILEY, viewId: modal.id, timeoutMs: 300,
        values: { [ActionIds.subscriptionChannel]: CHANNEL, [ActionIds.subscriptionScheduleKind]: 'daily', [ActionIds.subscriptionTime]: '09:00', [ActionIds.subscriptionFormat]: 'chart' },
      });
      expect(submitted.errors).toBeUndefined();
      return until(async () => (await store.list<Subscription>(SUBSCRIPTIONS)).map((d) => d.data).find((x) => x.owner === RILEY && x.createdAt >= startedAt), 'the subscription');
    }

    it('scheduled delivery, killed after Slack shared its chart, before the bot recorded the run: one chart, one run recorded', async () => {
      const sub = await subscribe(4);
      const ref = subscriptionRef(sub.id);
      const charts = () => standin.conversation(CHANNEL).filter((m) => !m.ephemeral && (m.files ?? []).length > 0 && JSON.stringify(m.blocks ?? []).includes(ref));

      // Run now, from the list of one's subscriptions.
      await standin.runCommand(bot.client, { command: '/query', text: 'subscriptions', userId: RILEY, channelId: CHANNEL, timeoutMs: 300 });
      const list = await standin.waitFor(() => standin.conversation(CHANNEL).filter((m) => m.ephemeral?.user === RILEY && JSON.stringify(m.blocks ?? []).includes(sub.id)).at(-1));
      const restarted = killWhen(onSlack('files.completeUploadExternal', (a) => a['channel_id'] === CHANNEL && JSON.stringify(a).includes(ref)));
      await standin.clickAction(bot.client, { userId: RILEY, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionRunNow, timeoutMs: 200 });
      await restarted;
      const ran = await until(async () => {
        const current = (await store.get<Subscription>(SUBSCRIPTIONS, sub.id))?.data;
        return current?.lastRun ? current : undefined;
      }, 'the run recorded', 60_000).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await diagnose()}`);
      });
      expect(ran.lastRun).toMatchObject({ outcome: 'delivered', manual: true });
      await new Promise((r) => setTimeout(r, 600)); // a second upload would have landed by now
      expect(charts()).toHaveLength(1);
      expect(charts()[0]!.files![0]!.name).toMatch(new RegExp(`^weekly-active-instances_${ref}_.+\\.png$`));
      expect(await audits(sub.id)).toEqual(['subscription.created', 'subscription.run_now']);
    });

    it('BizOps pauses someone\'s delivery, killed after Slack posted the owner\'s DM, before the bot heard: paused once, one DM', async () => {
      const sub = await subscribe(5);
      const ref = subscriptionRef(sub.id);
      const told = () => dmsTo(RILEY, new RegExp(`paused your scheduled delivery[\\s\\S]*${ref}`));
      await standin.runCommand(bot.client, { command: '/query', text: 'subscriptions', userId: BLAKE, channelId: CHANNEL, timeoutMs: 300 });
      const list = await standin.waitFor(() => standin.conversation(CHANNEL).filter((m) => m.ephemeral?.user === BLAKE && JSON.stringify(m.blocks ?? []).includes(sub.id)).at(-1));
      const block = (list.blocks as Array<{ type: string; block_id?: string }>).find((b) => b.type === 'actions' && b.block_id?.startsWith(`${BlockIds.subscriptionActions}.${sub.id}`))!;
      const restarted = killWhen(onSlack('chat.postMessage', (a) => a['channel'] === RILEY && JSON.stringify(a).includes(ref) && JSON.stringify(a).includes('paused')));
      await standin.clickAction(bot.client, { userId: BLAKE, channelId: CHANNEL, ts: list.ts, actionId: ActionIds.subscriptionPause, blockId: block.block_id, timeoutMs: 200 });
      await restarted;
      await until(() => told().length > 0, 'the owner\'s DM');
      // The notice's job, claimed by the killed process, ends in the new one (on Firestore, once its lease is over):
      // only then could a second DM have gone.
      await until(async () => {
        const jobs = await store.list<{ kind: string; state: string; payload: { type?: string; subscriptionId?: string } }>('jobs');
        return jobs.some((j) => j.data.payload.type === 'subscription.changed' && j.data.payload.subscriptionId === sub.id && j.data.state === 'done');
      }, 'the notice job done', 60_000).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await diagnose()}`);
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(told()).toHaveLength(1);
      expect((await store.get<Subscription>(SUBSCRIPTIONS, sub.id))?.data.status).toBe('paused');
      expect(await audits(sub.id)).toEqual(['subscription.created', 'subscription.paused']);
    });

    /**
     * `/query weekly-active-instances weeks=<weeks> hosting=managed` (values no other test asks for, so the
     * chart is drawn and uploaded by this command only), the bot killed where `arm` says: the new process
     * posts the chart once, and its PNG reached Slack whole (it decodes to the chart's size).
     */
    async function chartAfterKill(weeks: number, arm: (kill: () => Promise<void>) => () => void): Promise<StoredMessage> {
      const shown = () => standin.conversation(CHANNEL).filter((m) => !m.ephemeral && (m.files ?? []).length > 0 && text(m).includes(`Weeks: *${weeks}* · Hosting: *Managed*`));
      const restarted = killWhen(arm);
      const { ack } = await standin.runCommand(bot.client, { command: '/query', text: `weekly-active-instances weeks=${weeks} hosting=managed`, userId: RILEY, channelId: CHANNEL, timeoutMs: 200 });
      expect(ack.status).toBe(200);
      await restarted;
      const chart = await until(() => shown()[0], 'the chart posted by the new process', 60_000).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await diagnose()}`);
      });
      await new Promise((r) => setTimeout(r, 600)); // a second upload would have landed by now
      expect(shown()).toHaveLength(1);
      const png = standin.file(chart.files![0]!.id)!.bytes!;
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1600, 800]);
      return chart;
    }

    it('/query chart, killed after Slack reserved its upload, before the bytes were sent: one chart', async () => {
      await chartAfterKill(7, onSlack('files.getUploadURLExternal', (a) => String(a['filename']).startsWith('weekly-active-instances')));
    });

    it('/query chart, killed after Slack received the bytes, before files.completeUploadExternal: one chart', async () => {
      let uploaded: string | undefined;
      const chart = await chartAfterKill(6, (kill) =>
        standin.onApplied(async (call) => {
          if (call.method !== UPLOAD_METHOD || !String(call.args['filename']).startsWith('weekly-active-instances')) return;
          uploaded = String(call.args['file_id']);
          await kill();
        }),
      );
      // The new process uploaded anew and completed its own upload; the killed one's bytes were never shared.
      expect(chart.files![0]!.id).not.toBe(uploaded);
      expect(standin.callsTo('files.completeUploadExternal').filter((c) => JSON.stringify(c.args).includes(uploaded!))).toHaveLength(0);
    });

    it('/query chart, killed after Slack shared it, before the bot heard: one chart', async () => {
      await chartAfterKill(5, onSlack('files.completeUploadExternal', (a) => a['channel_id'] === CHANNEL && JSON.stringify(a).includes('Weeks: *5* · Hosting: *Managed*')));
    });

    // ---- rerun: the message, the start at Fivetran, the polling ----

    const rerunMessages = (name: string, since: number) => standin.conversation(CHANNEL).filter((m) => m.text.startsWith(`Rerun of ${name}`) && Number(m.ts) * 1000 >= since);

    it.each([
      ['after Slack posted the rerun message', 'salesforce', 'Salesforce', 'salesforce_main', () => onSlack('chat.postMessage', (a) => JSON.stringify(a).includes('Rerun of Salesforce'))],
      ['after Fivetran started the sync, before the bot heard', 'github', 'GitHub', 'github_org', () => onFivetran('POST', /\/connections\/github_org\/sync$/)],
      ['while following the sync (a status poll)', 'hubspot', 'HubSpot', 'hubspot_daily', () => onFivetran('GET', /\/connections\/hubspot_daily$/)],
    ] as const)('rerun, killed %s: one sync, one message, followed to the end', async (_what, source, name, connection, arm) => {
      const since = Date.now() - 1000;
      const syncsBefore = fivetran.syncRequests().filter((r) => r.path.includes(connection)).length;
      // The poll point: kill on a status read after the sync started (not the one before it).
      const started = fivetran.syncRequests().length;
      const restarted = killWhen((kill) => {
        const disarm = arm()(async () => {
          if (connection === 'hubspot_daily' && fivetran.syncRequests().length === started) return;
          await kill();
        });
        return disarm;
      });
      const { ack } = await standin.runCommand(bot.client, { command: '/pipeline', text: `rerun ${source}`, userId: BLAKE, channelId: CHANNEL, timeoutMs: 200 });
      expect(ack.status).toBe(200);
      await restarted;
      const message = await until(() => rerunMessages(name, since).find((m) => /Freshness check/.test(text(m))), 'the rerun followed to its freshness check').catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await diagnose()}`);
      });
      expect(text(message)).toMatch(/succeeded/);
      await new Promise((r) => setTimeout(r, 600));
      expect(rerunMessages(name, since)).toHaveLength(1);
      expect(fivetran.syncRequests().filter((r) => r.path.includes(connection)).length).toBe(syncsBefore + 1);
    });
  });
}

crashSuite('crash and restart on the embedded store', async () => {
  const dir = await freshDataDir();
  let opened: Store | undefined;
  return {
    env: { DATA_DIR: dir, STORE: 'embedded' },
    // The test reads the store only after the bot wrote it: a second opener of the directory would be refused, so it reads a copy of the journal.
    open: async () => (opened = journalReader(dir)),
    cleanup: async () => {
      await opened?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const firestore = firestoreAvailable();
crashSuite(
  'crash and restart on Firestore (emulator)',
  async () => {
    const dir = await freshDataDir();
    const prefix = `crash${randomUUID().slice(0, 6)}_`;
    return {
      env: { DATA_DIR: dir, STORE: 'firestore', GOOGLE_CLOUD_PROJECT: 'analytics-bot-test', FIRESTORE_COLLECTION_PREFIX: prefix, FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST ?? '' },
      open: async () => openFirestoreStore({ projectId: 'analytics-bot-test', collectionPrefix: prefix }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
  firestore.available ? undefined : firestore.reason,
);
