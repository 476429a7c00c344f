/**
 * Freshness checks and alerts on real components: the embedded demo
 * warehouse (sources in every state), the embedded store, the Slack stand-in
 * through the real Web API client; BigQuery through its real client against
 * the loopback BigQuery fake, asserting metadata reads only (0 bytes).
 * The clock is injected, so reminders and snoozes don't wait hours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import type { KnownBlock } from '@slack/types';
import { loadConfig, type Config } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { openBigQueryWarehouse } from '../src/adapters/warehouse/bigquery.js';
import { refreshDemoTables } from '../src/adapters/warehouse/demo-sources.js';
import { openEmbeddedStore } from '../src/adapters/store/embedded.js';
import type { Store } from '../src/ports/store.js';
import type { TableFreshness, Warehouse } from '../src/ports/warehouse.js';
import { SlackStandin, StandinDefaults } from '../src/slack-standin/server.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import type { FreshnessServices } from '../src/services/freshness-services.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { drain } from './support/jobs.js';
import { FreshnessService } from '../src/services/freshness.js';
import { ALERTS, measuredBeforeRecovery, type AlertDoc } from '../src/services/freshness-alerts.js';
import { catalogOf, loadSources } from '../src/sources/catalog.js';
import { ActionIds } from '../src/ids.js';
import { blockKitViolations } from './support/block-limits.js';
import { freshDataDir } from './support/harness.js';
import { FakeBigQuery, fakeCredentials } from './support/fake-bigquery.js';

const HOUR = 3_600_000;
const channel = StandinDefaults.channel;

let dir: string;
let warehouse: EmbeddedWarehouse;
let store: Store;
let standin: SlackStandin;
let config: Config;
let clock = Date.now();
const now = () => new Date(clock);

/** A bot's insides on the shared store: what a replica or a restarted process has. */
function runtime(): Promise<Runtime> {
  return createRuntime(config, silentLogger, { warehouse, store }, { now });
}

async function services(): Promise<FreshnessServices> {
  return (await runtime()).services.freshness;
}

const alerts = () => standin.conversation(channel).filter((m) => !m.thread_ts && /is stale|recovered/.test(m.text));
const replies = (ts: string) => standin.conversation(channel).filter((m) => m.thread_ts === ts);
const alertOf = (name: string) => alerts().find((m) => m.text.includes(name));

beforeAll(async () => {
  dir = await freshDataDir();
  warehouse = await openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 30_000 });
  store = await openEmbeddedStore(dir);
  standin = new SlackStandin();
  const { url } = await standin.start();
  config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test-freshness', SLACK_SIGNING_SECRET: 'test-signing-secret', SLACK_API_URL: `${url}/api/`,
    ANALYTICS_CHANNEL: channel, BIZOPS_USERGROUP: StandinDefaults.usergroups.bizops, FRESHNESS_REMINDER_MINUTES: '60', DATA_DIR: dir,
  });
}, 120_000);

afterAll(async () => {
  await standin?.stop();
  await warehouse?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('freshness of the demo sources', () => {
  it('has every state, worst first, on the embedded warehouse', async () => {
    const s = await services();
    await s.prepare();
    const results = await s.freshness.check(now());
    expect(results.map((r) => [r.source.id, r.state])).toEqual([
      ['hubspot', 'stale'],
      ['github', 'stale'],
      ['google_sheets', 'unknown'],
      ['salesforce', 'fresh'],
      ['prod_postgres', 'fresh'],
    ]);
    const hubspot = results[0]!;
    expect(hubspot.lateByMs).toBeGreaterThan(3.9 * HOUR);
    expect(hubspot.lateByMs).toBeLessThan(4.1 * HOUR);
    expect(results.find((r) => r.source.id === 'google_sheets')!.problem).toContain('sheets_sales_targets');
  });

  /** The freshness service on BigQuery (the fake, serving one dataset: every source table is pointed at it). */
  async function onBigQuery(work: (freshness: FreshnessService, fake: FakeBigQuery) => Promise<void>): Promise<void> {
    const conn = await warehouse.connection();
    const fake = await FakeBigQuery.start({ connection: conn });
    try {
      const bigquery = openBigQueryWarehouse(fake.config(), { timeoutMs: 10_000, authClient: fakeCredentials() });
      const shipped = loadSources('sources.yml');
      const catalog = catalogOf(shipped.sources.map((s) => ({ ...s, tables: s.tables.map((t) => ({ name: t.name, bigquery: `${fake.dataset}.${t.name}` })) })));
      await work(new FreshnessService({ catalog, warehouse: bigquery, store, logger: silentLogger }), fake);
    } finally {
      await fake.close();
      conn.closeSync();
    }
  }

  it('reads only table metadata on BigQuery: no query job, 0 bytes', () =>
    onBigQuery(async (freshness, fake) => {
      const results = await freshness.check();
      expect(Object.fromEntries(results.map((r) => [r.source.id, r.dataState]))).toEqual({
        hubspot: 'stale', github: 'stale', google_sheets: 'unknown', salesforce: 'fresh', prod_postgres: 'fresh',
      });
      // BigQuery's 404: the table is not there, which is said as such (not "no update time", a view's answer).
      expect(results.find((r) => r.source.id === 'google_sheets')!.problem).toMatch(/sheets_sales_targets does not exist in the warehouse: check its name in the sources file$/);
      expect(fake.jobRequests()).toEqual([]);
      expect(fake.requests.length).toBeGreaterThan(0);
      expect(fake.requests.every((r) => r.method === 'GET' && /\/tables\/[a-z_]+$/.test(r.path))).toBe(true);
    }));

  it('says "no update time" of a table that has none (a view, an external table), and "does not exist" of one not there', async () => {
    // What BigQuery's tables.get gives for each (metadata of a view without a data time; a 404), as the adapter reads it.
    const hubspot = catalogOf(loadSources('sources.yml').sources.filter((x) => x.id === 'hubspot'));
    const answering = (read: (table: string) => Partial<TableFreshness>): Warehouse => ({
      kind: 'bigquery', tableFreshness: async (tables: string[]) => tables.map((table) => ({ table, lastModified: new Date(), rowCount: null, ...read(table) })),
    }) as unknown as Warehouse;
    const problem = async (read: (table: string) => Partial<TableFreshness>) => (await new FreshnessService({ catalog: hubspot, warehouse: answering(read), store, logger: silentLogger }).check())[0]!.problem;
    expect(await problem((t) => (t === 'hubspot.company' ? { lastModified: null } : {}))).toBe('no update time for hubspot_companies');
    expect(await problem((t) => (t === 'hubspot.company' ? { lastModified: null, missing: true } : {}))).toBe('hubspot.company does not exist in the warehouse: check its name in the sources file');
    expect(await problem(() => ({ lastModified: null, missing: true }))).toBe('hubspot.contact, hubspot.company do not exist in the warehouse: check their names in the sources file');
  });

  it('says which table BigQuery refused to show, and what to grant, leaving the other sources measured', () =>
    onBigQuery(async (freshness, fake) => {
      const states = (rs: Array<{ source: { id: string }; dataState: string; problem?: string }>) => Object.fromEntries(rs.filter((r) => r.source.id !== 'hubspot').map((r) => [r.source.id, `${r.dataState} ${r.problem ?? ''}`]));
      const before = states(await freshness.check());
      // As BigQuery answers a service account without bigquery.tables.get on the table.
      fake.failNext(1, 403, { reason: 'accessDenied', message: `Access Denied: Table test-project:${fake.dataset}.hubspot_companies: Permission bigquery.tables.get denied on table`, match: /\/tables\/hubspot_companies$/ });
      const results = await freshness.check();
      const hubspot = results.find((r) => r.source.id === 'hubspot')!;
      expect(hubspot.dataState).toBe('unknown');
      expect(hubspot.problem).toBe(`the bot may not read the metadata of ${fake.dataset}.hubspot_companies: grant its service account BigQuery Metadata Viewer there`);
      expect(states(results)).toEqual(before);
      // A 403 for a rate limit is no refusal: asked again, and measured.
      fake.failNext(1, 403, { reason: 'rateLimitExceeded', message: 'Exceeded rate limits', match: /\/tables\/github_commits$/ });
      expect(states(await freshness.check())).toEqual(before);
    }));
});

describe('alerts', () => {
  let rt: Runtime;
  /** What a scheduled check does: measure, record the alerts, then deliver them (the runner). */
  const s = {
    check: async () => {
      await rt.services.freshness.check();
      await drain(rt.jobs);
    },
    get alerts() {
      const a = rt.services.freshness.alerts;
      return {
        snooze: async (...args: Parameters<typeof a.snooze>) => ((r) => drain(rt.jobs).then(() => r))(await a.snooze(...args)),
        acknowledge: async (...args: Parameters<typeof a.acknowledge>) => ((r) => drain(rt.jobs).then(() => r))(await a.acknowledge(...args)),
      };
    },
  };
  beforeAll(async () => {
    rt = await runtime();
  });

  it('posts one alert per stale source, with last update, lateness, owner and buttons', async () => {
    await s.check();
    expect(alerts().map((m) => m.text).sort()).toEqual([expect.stringMatching(/GitHub is stale/), expect.stringMatching(/^:red_circle: HubSpot is stale: 4 h/)]);
    const hubspot = alertOf('HubSpot')!;
    const text = blocksToText({ text: hubspot.text, blocks: hubspot.blocks ?? [] });
    expect(text).toMatch(/Last update\*? .*\(30 h ago\)/);
    expect(text).toMatch(/Late by\*?\s+4 h/);
    expect(text).toContain('26 h');
    expect(JSON.stringify(hubspot.blocks)).toContain('<!subteam^S0BIZOPS>');
    const ids = JSON.stringify(hubspot.blocks);
    for (const id of [ActionIds.freshnessRerun, ActionIds.freshnessAcknowledge, ActionIds.freshnessSnooze]) expect(ids).toContain(id);
    expect(blockKitViolations(hubspot.blocks as KnownBlock[])).toEqual([]);
  });

  it('does not repeat while stale, nor after a restart', async () => {
    await s.check();
    await s.check();
    const restarted = await runtime();
    await restarted.services.freshness.check();
    await drain(restarted.jobs);
    expect(alerts().length).toBe(2);
    expect(standin.conversation(channel).filter((m) => m.thread_ts).length).toBe(0);
  });

  it('reminds in the thread after the interval, once', async () => {
    clock += 61 * 60_000;
    await s.check();
    await s.check();
    for (const a of alerts()) expect(replies(a.ts).map((m) => m.text)).toEqual([expect.stringMatching(/still stale/)]);
  });

  it('does not remind while snoozed or acknowledged', async () => {
    const snoozed = await s.alerts.snooze('hubspot', 4, StandinDefaults.users.regular);
    expect(snoozed.ok).toBe(true);
    expect(JSON.stringify(alertOf('HubSpot')!.blocks)).toContain('snoozed until');
    expect((await s.alerts.acknowledge('github', StandinDefaults.users.regular)).ok).toBe(true);
    expect(JSON.stringify(alertOf('GitHub')!.blocks)).toContain(`acknowledged by <@${StandinDefaults.users.regular}>`);
    expect(JSON.stringify(alertOf('GitHub')!.blocks)).not.toContain(ActionIds.freshnessAcknowledge);
    // A Snooze from before the acknowledgement changes nothing: no reminders come to snooze.
    const late = await s.alerts.snooze('github', 4, StandinDefaults.users.bizops);
    expect(late).toMatchObject({ ok: true, unchanged: true, doc: { acknowledgedBy: StandinDefaults.users.regular, snoozedUntil: null } });
    clock += 2 * HOUR;
    await s.check();
    for (const a of alerts()) expect(replies(a.ts).length).toBe(1);
    clock += 3 * HOUR; // the snooze is over; GitHub stays acknowledged
    await s.check();
    expect(replies(alertOf('HubSpot')!.ts).length).toBe(2);
    expect(replies(alertOf('GitHub')!.ts).length).toBe(1);
  });

  it('takes a snooze repeated (the same click twice, a double click) as the one snooze, and a later one as a new snooze', async () => {
    const snoozes = async () => (await rt.services.audit.recent(200)).filter((e) => e.action === 'freshness.alert_snoozed' && e.subject === 'hubspot').length;
    const before = await snoozes();
    const first = await s.alerts.snooze('hubspot', 1, StandinDefaults.users.regular);
    expect(first).toMatchObject({ ok: true, doc: { snoozedUntil: clock + HOUR, snoozedBy: StandinDefaults.users.regular } });
    expect(first.ok && first.unchanged).toBeFalsy();
    const edits = standin.callsTo('chat.update').length;
    clock += 2_000; // a moment later, by the same person or someone else: the same decision
    for (const user of [StandinDefaults.users.regular, StandinDefaults.users.bizops]) {
      const again = await s.alerts.snooze('hubspot', 1, user);
      expect(again).toMatchObject({ ok: true, unchanged: true, doc: { snoozedUntil: clock - 2_000 + HOUR, snoozedBy: StandinDefaults.users.regular } });
    }
    expect(await snoozes()).toBe(before + 1);
    expect(standin.callsTo('chat.update').length).toBe(edits);
    // Half an hour on, snoozing again is a decision of its own: the snooze is pushed back, and recorded.
    clock += 30 * 60_000;
    expect(await s.alerts.snooze('hubspot', 1, StandinDefaults.users.bizops)).toMatchObject({ ok: true, doc: { snoozedUntil: clock + HOUR, snoozedBy: StandinDefaults.users.bizops } });
    // So is a different length at once.
    expect(await s.alerts.snooze('hubspot', 4, StandinDefaults.users.regular)).toMatchObject({ ok: true, doc: { snoozedUntil: clock + 4 * HOUR, snoozedBy: StandinDefaults.users.regular } });
    expect(await snoozes()).toBe(before + 3);
    expect(JSON.stringify(alertOf('HubSpot')!.blocks)).toContain(`snoozed until <!date^${Math.floor((clock + 4 * HOUR) / 1000)}^`);
  });

  it('refuses bad snoozes and actions on sources without an open alert', async () => {
    expect(await s.alerts.snooze('hubspot', 5, 'U0REGULAR')).toEqual({ ok: false, reason: 'bad_value' });
    expect(await s.alerts.snooze('nope', 4, 'U0REGULAR')).toEqual({ ok: false, reason: 'unknown_source' });
    expect(await s.alerts.acknowledge('salesforce', 'U0REGULAR')).toEqual({ ok: false, reason: 'no_open_alert' });
  });

  it('edits the same message when the source recovers, with a thread reply', async () => {
    const before = alertOf('HubSpot')!;
    await refreshDemoTables(warehouse, ['hubspot_contacts', 'hubspot_companies'], now());
    await s.check();
    await s.check();
    const after = standin.message(channel, before.ts)!;
    expect(after.text).toMatch(/HubSpot recovered/);
    expect(JSON.stringify(after.blocks)).not.toContain(ActionIds.freshnessRerun);
    expect(replies(before.ts).at(-1)!.text).toMatch(/fresh again/);
    expect(replies(before.ts).filter((m) => /fresh again/.test(m.text)).length).toBe(1);
    expect(alerts().length).toBe(2);
  });

  it('opens a new alert when the source goes stale again', async () => {
    clock += 27 * HOUR;
    await s.check();
    const hubspotAlerts = alerts().filter((m) => m.text.includes('HubSpot'));
    expect(hubspotAlerts.map((m) => m.text)).toEqual([expect.stringMatching(/recovered/), expect.stringMatching(/is stale/)]);
  });

  it('links a rerun to the alert its message went under: even once it recovered, or a newer one opened (that one is not linked), or before its card\'s post is recorded; with no such alert, the open one', async () => {
    const a = (await services()).alerts;
    const id = 'link_probe'; // no source of the catalog: nothing is drawn for it
    const closedOne: AlertDoc = {
      sourceId: id, state: 'closed', episode: 1, channel, ts: '100.000001', openedAt: 1, lastUpdatedIso: null, lateByMs: 0, lastReminderAt: null,
      snoozedUntil: null, snoozedBy: null, acknowledgedBy: null, acknowledgedAt: null, rerunLink: null, rerunBy: null, recoveredAt: 2, recoveredLastUpdateIso: null, previous: null,
    };
    const link = (ts: string | null, url: string) => store.runTransaction((tx) => a.linkRerun(tx, id, url, 'U0BIZOPS', ts));
    const stored = async () => (await store.get<AlertDoc>(ALERTS, id))!.data;
    // Recovered before the rerun's message was recorded.
    await store.put(ALERTS, id, closedOne);
    await link(closedOne.ts, 'https://x/archives/C/p1');
    expect(await stored()).toMatchObject({ rerunLink: 'https://x/archives/C/p1', rerunBy: 'U0BIZOPS' });
    await link(closedOne.ts, 'https://x/archives/C/p2');
    expect((await stored()).rerunLink).toBe('https://x/archives/C/p1');
    // ... and stale again since: the earlier one, now the previous episode, is linked; the open one is not.
    const newer: AlertDoc = { ...closedOne, state: 'open', episode: 2, ts: '200.000001', recoveredAt: null, previous: closedOne };
    await store.put(ALERTS, id, newer);
    await link(closedOne.ts, 'https://x/archives/C/p3');
    expect(await stored()).toMatchObject({ rerunLink: null, previous: { rerunLink: 'https://x/archives/C/p3' } });
    // A rerun begun with no alert open links the open one; one under the open one too.
    await link(null, 'https://x/archives/C/p4');
    expect((await stored()).rerunLink).toBe('https://x/archives/C/p4');
    await link(newer.ts, 'https://x/archives/C/p5');
    expect((await stored()).rerunLink).toBe('https://x/archives/C/p5');
    // A closed alert is not linked to a rerun begun with none open.
    await store.put(ALERTS, id, { ...closedOne, ts: '300.000001' });
    await link(null, 'https://x/archives/C/p6');
    expect((await stored()).rerunLink).toBeNull();
    // A thread found in Slack, its card's post not recorded yet: the episode the rerun chose it for, by its number.
    const linkTo = (ts: string, episode: number, url: string) => store.runTransaction((tx) => a.linkRerun(tx, id, url, 'U0BIZOPS', ts, episode));
    const unrecorded: AlertDoc = { ...closedOne, state: 'open', episode: 3, ts: null, channel: null, recoveredAt: null, previous: { ...closedOne, episode: 2, ts: '300.000001' } };
    await store.put(ALERTS, id, unrecorded);
    await linkTo('400.000001', 3, 'https://x/archives/C/p7');
    expect(await stored()).toMatchObject({ rerunLink: 'https://x/archives/C/p7', previous: { rerunLink: null } });
    await store.put(ALERTS, id, { ...unrecorded, ts: '500.000001', channel, previous: { ...closedOne, episode: 2, ts: null, channel: null } });
    await linkTo('400.000001', 2, 'https://x/archives/C/p8');
    expect(await stored()).toMatchObject({ rerunLink: null, previous: { rerunLink: 'https://x/archives/C/p8' } });
    // The card of an episode neither kept any more (the one before the previous): nothing is linked, though one has no ts.
    await store.put(ALERTS, id, unrecorded);
    await linkTo('100.000001', 1, 'https://x/archives/C/p9');
    expect(await stored()).toMatchObject({ rerunLink: null, previous: { rerunLink: null } });
    // A rerun stored before the episode was kept: by its ts alone, and a ts neither episode has links nothing.
    await link('100.000001', 'https://x/archives/C/p10');
    expect(await stored()).toMatchObject({ rerunLink: null, previous: { rerunLink: null } });
    await link('300.000001', 'https://x/archives/C/p11');
    expect(await stored()).toMatchObject({ rerunLink: null, previous: { rerunLink: 'https://x/archives/C/p11' } });
    await store.delete(ALERTS, id);
  });

  it('does not remind while a rerun of the source runs', async () => {
    const alert = alerts().filter((m) => m.text.includes('HubSpot is stale')).at(-1)!;
    await store.put('rerun_locks', 'hubspot', { runKey: 'k', requestedBy: 'U0BIZOPS', startedAt: now().toISOString(), link: null, expiresAt: Date.now() + HOUR });
    clock += 2 * HOUR;
    await s.check();
    expect(replies(alert.ts).length).toBe(0);
    await store.delete('rerun_locks', 'hubspot');
    await s.check();
    expect(replies(alert.ts).map((m) => m.text)).toEqual([expect.stringMatching(/still stale/)]);
  });

  it('posts again, once, when Slack failed the first time', async () => {
    await store.delete('freshness_alerts', 'github');
    const count = alerts().length;
    standin.failNext('chat.postMessage', 'internal_error');
    await s.check();
    expect(alerts().length).toBe(count);
    clock += 5_000; // the retry's backoff
    await drain(rt.jobs);
    expect(alerts().length).toBe(count + 1);
    await s.check();
    expect(alerts().length).toBe(count + 1);
  });

  it('does not reopen a recovered alert on a stale reading measured before the recovery', async () => {
    // Two paths measure, then reconcile (a scheduled check and a rerun's after-check): the older, stale reading lands last.
    const f = rt.services.freshness;
    const hubspot = f.catalog.get('hubspot')!;
    await s.check();
    expect((await f.alerts.get('hubspot'))?.state).toBe('open');
    const older = await f.freshness.checkSource(hubspot, now());
    expect(older.dataState).toBe('stale');
    clock += 1_000;
    await refreshDemoTables(warehouse, ['hubspot_contacts', 'hubspot_companies'], now());
    await s.check();
    const recovered = (await f.alerts.get('hubspot'))!;
    expect(recovered.state).toBe('closed');
    const posted = alerts().length;
    clock += 1_000;
    await f.alerts.reconcile([older], now());
    await drain(rt.jobs);
    expect(await f.alerts.get('hubspot')).toEqual(recovered);
    expect(alerts().length).toBe(posted);
    expect(alerts().filter((m) => m.text.includes('HubSpot')).at(-1)!.text).toMatch(/recovered/);
    // A reading taken after the recovery that finds it stale again still opens a new alert.
    clock += 27 * HOUR;
    await s.check();
    expect((await f.alerts.get('hubspot'))?.episode).toBe(recovered.episode + 1);
    const lastHubspot = () => alerts().filter((m) => m.text.includes('HubSpot')).at(-1)!.text;
    // Slack's posting rate in the channel (kept in real time) may hold the post back a second or two.
    for (let i = 0; i < 20 && !/is stale/.test(lastHubspot()); i++) {
      clock += 1_000;
      await drain(rt.jobs);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(lastHubspot()).toMatch(/is stale/);
  });

  it('does not close a newer alert on a fresh reading measured before it opened', async () => {
    // The reverse race: a fresh reading taken before the source went stale lands after the stale one opened a new episode.
    const f = rt.services.freshness;
    const hubspot = f.catalog.get('hubspot')!;
    await refreshDemoTables(warehouse, ['hubspot_contacts', 'hubspot_companies'], now());
    await s.check();
    expect((await f.alerts.get('hubspot'))?.state).toBe('closed');
    const older = await f.freshness.checkSource(hubspot, now());
    expect(older.dataState).toBe('fresh');
    clock += 27 * HOUR;
    await s.check();
    const opened = (await f.alerts.get('hubspot'))!;
    expect(opened.state).toBe('open');
    clock += 1_000;
    await f.alerts.reconcile([older], now());
    expect(await f.alerts.get('hubspot')).toEqual(opened);
    // A fresh reading taken after the opening still closes it.
    await refreshDemoTables(warehouse, ['hubspot_contacts', 'hubspot_companies'], now());
    await s.check();
    expect((await f.alerts.get('hubspot'))?.state).toBe('closed');
  });

  it("still marks an episode's message recovered when the source went stale again before that edit ran", async () => {
    const f = rt.services.freshness;
    const tables = ['hubspot_contacts', 'hubspot_companies'];
    /** Runs the jobs until the open HubSpot alert is posted (the channel's posting pace may hold it back a little). */
    const posted = async () => {
      for (let i = 0; i < 20; i++) {
        clock += 5_000;
        await drain(rt.jobs);
        const doc = (await f.alerts.get('hubspot'))!;
        if (doc.ts) return doc;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error('the HubSpot alert was never posted');
    };
    clock += 27 * HOUR;
    await s.check();
    const first = await posted();
    expect(first.state).toBe('open');
    // Recovered, then stale again, before the recovery reached Slack (Slack failed it once): one document per source.
    standin.failNext('chat.update', 'internal_error');
    standin.failNext('chat.postMessage', 'internal_error');
    await refreshDemoTables(warehouse, tables, now());
    await f.check();
    clock += 27 * HOUR;
    await f.check();
    expect((await f.alerts.get('hubspot'))!.episode).toBe(first.episode + 1);
    const second = await posted();
    expect(second.ts).not.toBe(first.ts);
    // The retries' backoff, and the channel's posting pace (real time).
    for (let i = 0; i < 20 && !replies(first.ts!).length; i++) {
      clock += 10_000;
      await drain(rt.jobs);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(standin.message(channel, first.ts!)!.text).toMatch(/recovered/);
    expect(replies(first.ts!).map((m) => m.text)).toContainEqual(expect.stringMatching(/fresh again/));
    expect(standin.message(channel, second.ts!)!.text).toMatch(/is stale/);
  });

  it('replies "fresh again" in the thread when the source recovers while its alert is being posted', async () => {
    const f = rt.services.freshness;
    const tables = ['hubspot_contacts', 'hubspot_companies'];
    // Close the open HubSpot alert, then let it go stale again: the next check posts a new one.
    await refreshDemoTables(warehouse, tables, now());
    await s.check();
    expect((await f.alerts.get('hubspot'))?.state).toBe('closed');
    clock += 27 * HOUR;
    // Another replica on the same store: it records the recovery and runs the reply while this one is still posting.
    const other = await runtime();
    let recoveredMidPost = false;
    const off = standin.onApplied(async (call) => {
      if (call.method !== 'chat.postMessage' || !/HubSpot is stale/.test(String(call.args['text'] ?? ''))) return;
      off();
      await refreshDemoTables(warehouse, tables, now());
      await other.services.freshness.check();
      await drain(other.jobs);
      recoveredMidPost = true;
    });
    try {
      await s.check();
      // Slack's posting rate in the channel may hold some posts back a few seconds.
      for (let i = 0; i < 20 && !recoveredMidPost; i++) {
        clock += 1_000;
        await drain(rt.jobs);
      }
    } finally {
      off();
    }
    expect(recoveredMidPost).toBe(true);
    const doc = (await f.alerts.get('hubspot'))!;
    expect(doc.state).toBe('closed');
    expect(doc.ts).toBeTruthy();
    clock += 5_000; // the reply waited for the post to be recorded
    await drain(rt.jobs);
    expect(standin.message(channel, doc.ts!)!.text).toMatch(/HubSpot recovered/);
    expect(replies(doc.ts!).filter((m) => /fresh again/.test(m.text)).length).toBe(1);
  });

  it("keeps where an episode's message went when it is recorded after the source recovered and went stale again", async () => {
    const f = rt.services.freshness;
    const tables = ['hubspot_contacts', 'hubspot_companies'];
    await refreshDemoTables(warehouse, tables, now());
    await s.check();
    expect((await f.alerts.get('hubspot'))?.state).toBe('closed');
    clock += 27 * HOUR;
    // Another replica that only checks: its job runner is stopped, so this one runs every job, as the test steps its
    // clock. Left running, its runs (started by its own check's kicks) can go on in the background, a free worker
    // waiting beside its slow paced post, and take the "fresh again" reply; this runner, its clock moved 27 hours on,
    // then finds that claim's lease over and runs the reply again, looking for the first from a time 27 hours ahead of
    // Slack's (a CI run once saw two replies).
    const other = await runtime();
    await other.jobs.stop(0);
    let episode = 0;
    const off = standin.onApplied(async (call) => {
      if (call.method !== 'chat.postMessage' || !/HubSpot is stale/.test(String(call.args['text'] ?? ''))) return;
      off();
      episode = (await f.alerts.get('hubspot'))!.episode;
      // While this post is on its way back: another replica sees the source recover, then go stale again (a
      // reading 27 hours on; this replica's clock moves on once its post is answered, so that its claim holds).
      await refreshDemoTables(warehouse, tables, now());
      await other.services.freshness.check();
      const later = new Date(clock + 27 * HOUR);
      const o = other.services.freshness;
      await o.alerts.reconcile([await o.freshness.checkSource(o.catalog.get('hubspot')!, later)], later);
    });
    try {
      await s.check();
      for (let i = 0; i < 20 && !episode; i++) {
        clock += 1_000;
        await drain(rt.jobs);
      }
    } finally {
      off();
    }
    expect(episode).toBeGreaterThan(0);
    clock += 27 * HOUR;
    for (let i = 0; i < 20 && !(await f.alerts.get('hubspot'))!.previous?.ts; i++) {
      clock += 1_000;
      await drain(rt.jobs);
    }
    const doc = (await f.alerts.get('hubspot'))!;
    expect(doc.episode).toBe(episode + 1);
    expect(doc.previous?.episode).toBe(episode);
    const ts = doc.previous!.ts!;
    expect(ts).toBeTruthy();
    for (let i = 0; i < 20 && !replies(ts).some((m) => /fresh again/.test(m.text)); i++) {
      clock += 5_000;
      await drain(rt.jobs);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(standin.message(channel, ts)!.text).toMatch(/HubSpot recovered/);
    expect(replies(ts).filter((m) => /fresh again/.test(m.text)).length).toBe(1);
  });
});

describe('a source whose data goes back after it recovered (a table added to it, an older copy restored, the demo set again)', () => {
  it('alerts again once the recovery is minutes old: an older reading then is the data as it is, not a late check', async () => {
    const rt = await runtime();
    const check = async () => {
      await rt.services.freshness.check();
      await drain(rt.jobs);
    };
    const hubspot = () => rt.services.freshness.alerts.get('hubspot');
    // Stale and alerted; then synced: recovered.
    clock += 60 * HOUR;
    await check();
    expect((await hubspot())?.state).toBe('open');
    await refreshDemoTables(warehouse, ['hubspot_contacts', 'hubspot_companies'], now());
    clock += 60_000;
    await check();
    const recovered = (await hubspot())!;
    expect(recovered.state).toBe('closed');
    // Its data goes back 30 h. A minute after the recovery, the stale reading may be a replica's check from before it
    // (its clock a little ahead): left alone.
    await refreshDemoTables(warehouse, ['hubspot_contacts', 'hubspot_companies'], new Date(clock - 30 * HOUR));
    clock += 60_000;
    await check();
    expect(await hubspot()).toEqual(recovered);
    // Minutes later, it is the source as it is: a new alert (it was never posted, however long it stayed stale).
    clock += 10 * 60_000;
    await check();
    expect(await hubspot()).toMatchObject({ state: 'open', episode: recovered.episode + 1 });
  });
});

describe('a source taken out of the sources file while its alert is open (a bot restarted without it)', () => {
  it('closes the alert, its card says so without buttons; put back weeks later and stale, it gets a new alert, not a reminder in the old thread', async () => {
    const shipped = loadSources('sources.yml');
    const check = async (rt: Runtime) => {
      await rt.services.freshness.check();
      await drain(rt.jobs);
    };
    const rt = await runtime();
    const hubspot = () => rt.services.freshness.alerts.get('hubspot');
    // Stale and alerted (the data 60 h old).
    await refreshDemoTables(warehouse, ['hubspot_contacts', 'hubspot_companies'], new Date(clock - 60 * HOUR));
    await check(rt);
    const open = (await hubspot())!;
    expect(open).toMatchObject({ state: 'open', sourceName: 'HubSpot', ts: expect.any(String) });
    // HubSpot is taken out of sources.yml; a bot started without it checks.
    clock += 2 * HOUR;
    const without = await createRuntime(config, silentLogger, { warehouse, store, sources: catalogOf(shipped.sources.filter((x) => x.id !== 'hubspot')) }, { now });
    await without.services.freshness.check();
    expect(await hubspot()).toMatchObject({ state: 'closed', removedAt: clock, episode: open.episode });
    // Its card is edited by a replica that still lists HubSpot (the revision before, a deploy rolling out): as removed,
    // not drawn as stale with buttons; and that replica's checks do not open it again while the deploy settles.
    // Slack's rate for edits (kept in real time) may hold the edit back a second or two.
    for (let i = 0; i < 20 && !/no longer checked/.test(standin.message(channel, open.ts!)!.text); i++) {
      clock += 1_000;
      await drain(rt.jobs);
      await new Promise((r) => setTimeout(r, 250));
    }
    const card = standin.message(channel, open.ts!)!;
    expect(card.text).toBe(':heavy_minus_sign: HubSpot is no longer checked');
    expect(JSON.stringify(card.blocks)).not.toContain('"actions"');
    // Checked again, by either: nothing more (closed once, not reopened by the replica that lists it).
    clock += 10 * 60_000;
    await check(without);
    await check(rt);
    expect(await hubspot()).toMatchObject({ state: 'closed', episode: open.episode });
    expect(standin.message(channel, open.ts!)!.text).toBe(':heavy_minus_sign: HubSpot is no longer checked');
    expect(replies(open.ts!)).toEqual([]);
    // Put back 30 days later, still stale: a new alert, its own card.
    clock += 30 * 24 * HOUR;
    await check(rt);
    expect(await hubspot()).toMatchObject({ state: 'open', episode: open.episode + 1 });
    expect((await hubspot())!.removedAt).toBeUndefined();
    expect(replies(open.ts!)).toEqual([]);
    // Slack's posting rate in the channel (kept in real time) may hold the post back a second or two.
    const cards = () => alerts().filter((m) => m.text.startsWith(':red_circle: HubSpot is stale'));
    for (let i = 0; i < 20 && !cards().length; i++) {
      clock += 1_000;
      await drain(rt.jobs);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(cards()).toHaveLength(1);
    // Its jobs stop here: a later test's job must not be run by a replica that does not list HubSpot.
    await without.jobs.stop();
  });
});

describe('the rules between a recovery and the readings around it', () => {
  const closed = (over: Partial<AlertDoc>): AlertDoc => ({
    sourceId: 'hubspot', state: 'closed', episode: 1, channel: 'C1', ts: '1.1', openedAt: 0, lastUpdatedIso: null, lateByMs: 0, lastReminderAt: null,
    snoozedUntil: null, snoozedBy: null, acknowledgedBy: null, acknowledgedAt: null, rerunLink: null, rerunBy: null,
    recoveredAt: Date.parse('2026-12-01T10:00:00Z'), recoveredLastUpdateIso: '2026-12-01T10:07:00Z', ...over,
  });
  const reading = (checked: string, lastUpdated: string) => ({ checkedAt: new Date(checked), lastUpdated: new Date(lastUpdated) });

  it('takes a reading of older data for a late one until 5 minutes after the recovery was recorded, not after its check started', () => {
    // A check stamped 10:00, throttled, saw the data of 10:07 and recorded the recovery at 10:08.
    const recovered = closed({ recoveryRecordedAt: Date.parse('2026-12-01T10:08:00Z') });
    expect(measuredBeforeRecovery(recovered, reading('2026-12-01T09:59:00Z', '2026-12-01T10:07:00Z'))).toBe(true);
    expect(measuredBeforeRecovery(recovered, reading('2026-12-01T10:06:00Z', '2026-11-30T10:00:00Z'))).toBe(true);
    expect(measuredBeforeRecovery(recovered, reading('2026-12-01T10:12:59Z', '2026-11-30T10:00:00Z'))).toBe(true);
    // Stamped 5 minutes after it was recorded, it measured after: its older data is the source as it is.
    expect(measuredBeforeRecovery(recovered, reading('2026-12-01T10:13:00Z', '2026-11-30T10:00:00Z'))).toBe(false);
    expect(measuredBeforeRecovery(recovered, reading('2026-12-01T10:06:00Z', '2026-12-01T10:07:00Z'))).toBe(false);
    // Stored before the recording time was kept: from the recovery itself.
    expect(measuredBeforeRecovery(closed({}), reading('2026-12-01T10:05:00Z', '2026-11-30T10:00:00Z'))).toBe(false);
  });

  it('marks each episode linked to a rerun with how it ended: the one it went under, and a newer one that linked it while it ran', async () => {
    const link = 'https://x.slack.com/archives/C1/p1';
    const f = (await services()).alerts;
    const id = 'rules_source';
    await store.put<AlertDoc>(ALERTS, id, closed({ sourceId: id, state: 'open', episode: 3, rerunLink: link, previous: closed({ sourceId: id, episode: 2, rerunLink: link }) }));
    await store.runTransaction((tx) => f.rerunEnded(tx, id, link, 'failed'));
    const after = (await store.get<AlertDoc>(ALERTS, id))!.data;
    expect([after.rerunOutcome, after.previous?.rerunOutcome]).toEqual(['failed', 'failed']);
    // Another rerun's end changes neither.
    await store.runTransaction((tx) => f.rerunEnded(tx, id, 'https://x.slack.com/archives/C1/p2', 'succeeded'));
    expect((await store.get<AlertDoc>(ALERTS, id))!.data).toEqual(after);
    await store.delete(ALERTS, id);
  });
});

describe('a source taken out of the sources file while a rerun of it runs', () => {
  it('still gets its rerun message to its end: it does not say "running" for ever, and offers no Force rerun', async () => {
    const shipped = loadSources('sources.yml');
    // The sync takes 10 minutes; the bot follows it for a second.
    const slow = { ...config, freshness: { ...config.freshness, simulatedRunMs: 600_000, rerunTimeoutMs: 1_000, rerunPollMs: 50 } };
    const rt = await createRuntime(slow, silentLogger, { warehouse, store }, { now });
    expect(await rt.services.freshness.reruns.rerun({ source: 'hubspot', userId: StandinDefaults.users.bizops, force: false })).toMatchObject({ kind: 'started' });
    await drain(rt.jobs);
    const message = standin.conversation(channel).filter((m) => m.text.startsWith('Rerun of HubSpot')).at(-1)!;
    expect(message.text).toBe('Rerun of HubSpot: running');
    // HubSpot is taken out of sources.yml and the bot restarted; the rerun's jobs carry on there.
    await rt.jobs.stop();
    const without = await createRuntime(slow, silentLogger, { warehouse, store, sources: catalogOf(shipped.sources.filter((x) => x.id !== 'hubspot')) }, { now });
    clock += 2_000;
    for (let i = 0; i < 50 && /running/.test(standin.message(channel, message.ts)!.text); i++) {
      await drain(without.jobs);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ended = standin.message(channel, message.ts)!;
    expect(ended.text).toBe('Rerun of HubSpot: not finished');
    expect(JSON.stringify(ended.blocks)).not.toContain(ActionIds.rerunForce);
    await without.jobs.stop();
  });
});

describe('the tasks secret', () => {
  it('is compared exactly', async () => {
    const { secretMatches } = await import('../src/tasks.js');
    expect(secretMatches('s3cret-value-0123', 's3cret-value-0123')).toBe(true);
    expect(secretMatches('s3cret-value-012', 's3cret-value-0123')).toBe(false);
    expect(secretMatches('', 's3cret-value-0123')).toBe(false);
  });
});

describe('configuration', () => {
  it.each([
    [{ TASKS_SECRET: 'short' }, 'TASKS_SECRET'],
    [{ FIVETRAN_API_KEY: 'k' }, 'FIVETRAN_API_SECRET'],
    [{ FIVETRAN_API_SECRET: 'secret-value' }, 'FIVETRAN_API_KEY'],
    [{ PIPELINES: 'airflow' }, 'PIPELINES'],
    [{ FRESHNESS_CHECK_INTERVAL_MS: 'often' }, 'FRESHNESS_CHECK_INTERVAL_MS'],
    [{ FIVETRAN_API_URL: 'ftp://x' }, 'FIVETRAN_API_URL'],
  ])('%j is refused naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });

  it('defaults to a check every 5 minutes, reminders every 4 hours, and keeps secrets out of logs', async () => {
    const c = loadConfig({ TASKS_SECRET: 'a-long-enough-secret', FIVETRAN_API_KEY: 'key-123456', FIVETRAN_API_SECRET: 'secret-123456' });
    expect(c.freshness.checkIntervalMs).toBe(300_000);
    expect(c.freshness.reminderIntervalMs).toBe(4 * HOUR);
    const { secretsOf } = await import('../src/config.js');
    expect(secretsOf(c)).toEqual(expect.arrayContaining(['a-long-enough-secret', 'key-123456', 'secret-123456']));
  });
});
