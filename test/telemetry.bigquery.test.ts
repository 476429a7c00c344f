/**
 * `/telemetry` on the BigQuery adapter: the real @google-cloud/bigquery client
 * against the loopback BigQuery REST fake (answering with DuckDB), through the
 * signed HTTP receiver. Proves the lookup runs as typed, named-parameter jobs
 * with a bytes cap and labels, and that the text never reaches the SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionIds } from '../src/ids.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { openBigQueryWarehouse } from '../src/adapters/warehouse/bigquery.js';
import { FakeBigQuery, fakeCredentials } from './support/fake-bigquery.js';
import { freshDataDir, startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { TelemetryService } from '../src/services/telemetry.js';
import { silentLogger } from '../src/logger.js';

let demo: EmbeddedWarehouse;
let connection: DuckDBConnection;
let fake: FakeBigQuery;
let t: TestBot;

beforeAll(async () => {
  demo = await openEmbeddedWarehouse({ dataDir: await freshDataDir(), timeoutMs: 20_000 });
  connection = await demo.connection();
  fake = await FakeBigQuery.start({ connection });
  const warehouse = openBigQueryWarehouse(fake.config({ maximumBytesBilled: 5 * 1024 ** 3 }), { timeoutMs: 15_000, authClient: fakeCredentials() });
  t = await startTestBot({ warehouse, env: { PIPELINES: 'live', FIVETRAN_API_KEY: 'test-key', FIVETRAN_API_SECRET: 'test-secret-value' } });
}, 120_000);

afterAll(async () => {
  await t?.stop();
  await t?.warehouse.close();
  await fake?.close();
  connection?.closeSync();
  await demo?.close();
});

const run = (text: string) =>
  t.standin.runCommand(t.client, { command: '/telemetry', text, userId: StandinDefaults.users.regular, channelId: StandinDefaults.channel });

describe('/telemetry on BigQuery', () => {
  // First: the service keeps what tables.get said for a minute.
  it('dates the data by the staler telemetry table: pings that stopped loading are not called fresh by new events', async () => {
    const pingsAt = new Date(Date.now() - 3 * 86_400_000);
    await demo.touchTable('pings', pingsAt);
    await demo.touchTable('events', new Date());
    const text = JSON.stringify((await run('acme')).replies);
    expect(text).toContain('Telemetry: Acme Corp');
    expect(text).toContain(`data updated <!date^${Math.floor(pingsAt.getTime() / 1000)}^`);
  });

  it('answers Acme Corp with jobs that are parameterized, capped and labelled', async () => {
    fake.requests.length = 0;
    const { replies } = await run('acme.com');
    const text = JSON.stringify(replies);
    expect(text).toContain('Telemetry: Acme Corp');
    expect(text).toContain('3 instances');
    const jobs = fake.jobRequests().map((r) => (r.body as { configuration: { query: Record<string, unknown>; labels?: Record<string, string> } }).configuration);
    const lookup = jobs.find((j) => String(j.query.query).includes('customer_id = @customer_id'));
    expect(lookup).toBeDefined();
    expect(String(lookup!.query.parameterMode).toUpperCase()).toBe('NAMED');
    expect(lookup!.query.useLegacySql).toBe(false);
    expect(Number(lookup!.query.maximumBytesBilled)).toBeGreaterThan(0);
    expect(lookup!.labels).toMatchObject({ command: 'telemetry', user: StandinDefaults.users.regular.toLowerCase() });
    const params = lookup!.query.queryParameters as Array<{ name: string; parameterType: { type: string }; parameterValue: { value: string } }>;
    expect(params.find((p) => p.name === 'customer_id')).toMatchObject({ parameterType: { type: 'STRING' }, parameterValue: { value: 'acme' } });
    expect(params.find((p) => p.name === 'since')?.parameterType.type).toBe('TIMESTAMP');
    expect(String(lookup!.query.query)).toContain('`test-project.analytics.pings`');
  });

  it('sends the same query for lookups in the same minute, so BigQuery can answer a repeat from its cache', async () => {
    // Mid-minute on the bot's clock: the two lookups below fall in the same minute.
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    t.setTime(minute + 20_000);
    try {
      fake.requests.length = 0;
      const params = async () => {
        expect(JSON.stringify((await run('acme')).replies)).toContain('Telemetry: Acme Corp');
        const lookups = fake.jobRequests().map((r) => (r.body as { configuration: { query: { query: string; queryParameters: unknown[] } } }).configuration.query);
        const last = lookups.filter((q) => q.query.includes('customer_id = @customer_id')).at(-1)!;
        return Object.fromEntries((last.queryParameters as Array<{ name: string; parameterValue: { value: string } }>).map((p) => [p.name, p.parameterValue.value]));
      };
      const first = await params();
      const second = await params();
      expect(second).toEqual(first);
      // The window still starts 30 days back: at the start of that minute (the lookback, of that hour).
      const now = t.now().getTime();
      const since = new Date(String(first.since)).getTime();
      expect(since % 60_000).toBe(0);
      expect(now - 30 * 86_400_000 - since).toBeGreaterThanOrEqual(0);
      expect(now - 30 * 86_400_000 - since).toBeLessThan(60_000);
      const lookback = new Date(String(first.lookback)).getTime();
      expect(lookback % 3_600_000).toBe(0);
    } finally {
      t.setTime(Date.now());
    }
  });

  it('never puts the typed text into SQL', async () => {
    fake.requests.length = 0;
    await run("acme'; DELETE FROM pings; --");
    for (const r of fake.jobRequests()) expect(JSON.stringify(r.body)).not.toContain('DELETE FROM');
  });

  it('tells the user when BigQuery fails, and recovers', async () => {
    // A 403 is not retried by the client, so the failure reaches the user at once.
    fake.failNext(10, 403, { reason: 'accessDenied', message: 'Access Denied: Table test-project:analytics.pings (at /internal/x.cc:42)', match: /\/jobs/ });
    const failed = await run('initech');
    const text = JSON.stringify(failed.replies);
    expect(text).toContain('could not reach the warehouse');
    expect(text).not.toContain('x.cc');
    fake.reset();
    expect(JSON.stringify((await run('initech')).replies)).toContain('Telemetry: Initech');
  });
});

describe('/telemetry when BigQuery metadata is slow', () => {
  it('answers without waiting out tables.get retries: the update time is a footnote', async () => {
    // A service of its own: the bot's has the update time cached.
    const service = new TelemetryService({ warehouse: t.warehouse, logger: silentLogger, windowDays: 30 });
    await service.warmUp();
    // tables.get answers 503: the client retries it with a back-off of seconds.
    fake.failNext(4, 503, { reason: 'backendError', message: 'The service is currently unavailable.', match: /\/tables\// });
    const started = performance.now();
    const answer = await service.answer('acme', { userId: StandinDefaults.users.regular });
    const ms = performance.now() - started;
    fake.reset();
    expect(answer.kind).toBe('card');
    expect(answer.kind === 'card' && answer.telemetry.instances).toHaveLength(3);
    expect(answer.kind === 'card' && answer.telemetry.dataUpdatedAt).toBeNull();
    expect(ms).toBeLessThan(2_500);
  }, 30_000);
});

describe('/telemetry while BigQuery is slow', () => {
  // The note's delay is a setting: this bot shows it soon, and the slow lookups below take NOTE_AFTER_MS + 3 s,
  // so a busy machine cannot put the answer before the note. A fast lookup is tested on a bot of its own.
  const NOTE_AFTER_MS = 500;
  const SLOW_MS = NOTE_AFTER_MS + 3_000;
  let s: TestBot;
  beforeAll(async () => {
    s = await startTestBot({ warehouse: t.warehouse, env: { PIPELINES: 'live', FIVETRAN_API_KEY: 'test-key', FIVETRAN_API_SECRET: 'test-secret-value' }, botOptions: { telemetryNoteAfterMs: NOTE_AFTER_MS } });
    // The customer list and the tables' update time are loaded: what follows times the lookup itself.
    await lookup(s, 'initech', (b) => b.some((x) => x.includes('Telemetry: Initech')));
  }, 120_000);
  afterAll(async () => s?.stop());

  const user = StandinDefaults.users.regular;
  const channel = StandinDefaults.channel;

  /** Runs the command; returns what was posted to its response_url, in order, once `done` says the answer is in. */
  async function lookup(bot: TestBot, text: string, done: (bodies: string[]) => boolean = (b) => b.length > 0, timeoutMs = 10_000) {
    const { ack, replies } = await bot.standin.runCommand(bot.client, { command: '/telemetry', text, userId: user, channelId: channel, timeoutMs: 10_000 });
    expect(ack.status).toBe(200);
    const id = ack.responseUrl.split('/').pop();
    const posted = () => bot.standin.responses.filter((r) => r.id === id);
    await bot.standin.waitFor(() => done(posted().map((r) => JSON.stringify(r.body))), { timeoutMs });
    const ts = replies[0]?.message?.ts;
    return { posted: posted(), shown: ts ? bot.standin.message(channel, ts) : undefined, ts };
  }

  it('answers a fast lookup with the card alone, and no note comes after it', async () => {
    // The production delay is 1.5 s; a lookup on a busy machine can take that long. This bot waits 10 s, and
    // the test waits past it: a note that was not called off would come then.
    const quietAfterMs = 10_000;
    const quiet = await startTestBot({ warehouse: t.warehouse, env: { PIPELINES: 'live', FIVETRAN_API_KEY: 'test-key', FIVETRAN_API_SECRET: 'test-secret-value' }, botOptions: { telemetryNoteAfterMs: quietAfterMs } });
    try {
      const started = Date.now();
      const { posted, shown } = await lookup(quiet, 'acme');
      expect(posted).toHaveLength(1);
      expect(JSON.stringify(posted[0]!.body)).toContain('Telemetry: Acme Corp');
      expect(JSON.stringify(posted[0]!.body)).not.toContain('Looking up');
      expect(shown?.text).toContain('Acme Corp');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + quietAfterMs + 1_000 - Date.now())));
      expect(quiet.standin.responses.filter((r) => r.id === posted[0]!.id)).toHaveLength(1);
    } finally {
      await quiet.stop();
    }
  }, 60_000);

  it('says it is looking up when the answer is slow, then answers below that note', async () => {
    const before = s.standin.conversation(channel, { visibleTo: user }).length;
    fake.slowNextJobs(1, SLOW_MS);
    const { posted } = await lookup(s, 'acme', (b) => b.some((x) => x.includes('Telemetry: Acme Corp')));
    fake.reset();
    expect(posted.map((r) => JSON.stringify(r.body).includes('Looking up “acme”'))).toEqual([true, false]);
    // A command's response_url has no original to replace (Slack would post a replace_original as a new message
    // all the same): the card comes below the note, and asks for nothing else.
    expect(posted[1]!.body).toEqual(expect.objectContaining({ response_type: 'ephemeral' }));
    expect(posted[1]!.body).not.toHaveProperty('replace_original');
    const added = s.standin.conversation(channel, { visibleTo: user }).slice(before);
    expect(added.map((m) => (m.text ?? '').includes('Looking up “acme”') ? 'note' : (m.text ?? '').includes('Telemetry: Acme Corp') ? 'card' : m.text)).toEqual(['note', 'card']);
  }, 30_000);

  it('says below the note when the slow lookup fails', async () => {
    const before = s.standin.conversation(channel, { visibleTo: user }).length;
    // jobs.insert answers late; the job's results are then refused (403 is not retried).
    fake.delayNext(1, SLOW_MS, /\/jobs$/);
    fake.failNext(1, 403, { reason: 'accessDenied', message: 'Access Denied: Table test-project:analytics.pings', match: /\/queries\// });
    const { posted } = await lookup(s, 'initech', (b) => b.some((x) => x.includes('could not reach the warehouse')));
    fake.reset();
    expect(posted.map((r) => JSON.stringify(r.body).includes('Looking up'))).toEqual([true, false]);
    expect(posted[1]!.body).not.toHaveProperty('replace_original');
    const added = s.standin.conversation(channel, { visibleTo: user }).slice(before);
    expect(added).toHaveLength(2);
    expect(added[0]!.text).toContain('Looking up');
    expect(added[1]!.text).toContain('could not reach the warehouse');
  }, 30_000);

  it('turns the picker into the note when the picked customer is slow to look up, then into the card', async () => {
    const { posted, ts } = await lookup(s, 'stark', (b) => b.some((x) => x.includes('Several customers match')));
    const picker = JSON.parse(JSON.stringify(posted.at(-1)!.body)) as { blocks: Array<{ elements?: Array<{ action_id: string; text?: { text: string } }> }> };
    const button = picker.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id.startsWith(ActionIds.telemetryPickCustomer))!;
    const from = s.standin.responses.length;
    fake.slowNextJobs(1, SLOW_MS);
    try {
      const { ack } = await s.standin.clickAction(s.client, { userId: user, channelId: channel, ts: ts!, actionId: button.action_id, timeoutMs: 300 });
      expect(ack.status).toBe(200);
      await s.standin.waitFor(() => (/Stark[^\n]*: \d+ instances?/.test(JSON.stringify(s.standin.message(channel, ts!)?.blocks ?? [])) ? true : undefined), { timeoutMs: 10_000 });
    } finally {
      fake.reset();
    }
    const answered = s.standin.responses.slice(from).map((r) => r.body as { replace_original?: boolean });
    expect(answered.map((b) => JSON.stringify(b).includes(`Looking up “${button.text!.text}”`))).toEqual([true, false]);
    expect(answered.map((b) => b.replace_original)).toEqual([true, true]);
  }, 30_000);

  /** Holds the next response_url post (the note) until the answer after it has been applied, then lets it land. */
  function noteLandingLast(bot: TestBot, answerApplied: () => boolean) {
    const hold = bot.standin.holdNext('response_url');
    const from = bot.standin.responses.length;
    const released = (async () => {
      await hold.arrived;
      try {
        // Slack answers the note 3 s after it came, and only once the answer, sent meanwhile, is in place.
        await Promise.all([bot.standin.waitFor(() => answerApplied(), { timeoutMs: 10_000 }), new Promise((resolve) => setTimeout(resolve, 3_000))]);
      } finally {
        hold.release();
      }
    })();
    // Awaited by the test; a test that fails before that must not leave it rejected unheard.
    released.catch(() => undefined);
    const noteApplied = () => {
      const note = bot.standin.responses[from];
      return note !== undefined && (note.messageTs !== undefined || note.error !== undefined);
    };
    return { released, noteApplied, from, hold };
  }

  it('sends the card once when Slack shows the note only after the card (a command\'s note cannot be replaced)', async () => {
    const before = s.standin.conversation(channel, { visibleTo: user }).length;
    const visible = () => s.standin.conversation(channel, { visibleTo: user }).slice(before);
    // The card is ready 1 s after the note is sent; the note is held past LOOKING_UP_NOTE_WAIT_MS, so the card goes first.
    fake.slowNextJobs(1, NOTE_AFTER_MS + 1_000);
    const late = noteLandingLast(s, () => visible().some((m) => (m.text ?? '').includes('Telemetry: Acme Corp')));
    try {
      const { ack } = await s.standin.runCommand(s.client, { command: '/telemetry', text: 'acme', userId: user, channelId: channel, timeoutMs: 300 });
      expect(ack.status).toBe(200);
      await late.released;
      await s.standin.waitFor(() => late.noteApplied(), { timeoutMs: 15_000 });
      await new Promise((r) => setTimeout(r, 500)); // a second card would have gone by now
    } finally {
      fake.reset();
      late.hold.release();
    }
    // Sent again, the card would be a second card under the note: Slack cannot replace a command's note.
    const posted = s.standin.responses.slice(late.from).map((r) => JSON.stringify(r.body));
    expect(posted).toHaveLength(2);
    expect(posted[0]).toContain('Looking up “acme”');
    expect(posted[1]).toContain('Telemetry: Acme Corp');
    expect(visible().filter((m) => (m.text ?? '').includes('Telemetry: Acme Corp'))).toHaveLength(1);
  }, 30_000);

  it('keeps the card in place of the picker when Slack shows the pick\'s note only after the card', async () => {
    const { posted, ts } = await lookup(s, 'stark', (b) => b.some((x) => x.includes('Several customers match')));
    const picker = JSON.parse(JSON.stringify(posted.at(-1)!.body)) as { blocks: Array<{ elements?: Array<{ action_id: string; text?: { text: string } }> }> };
    const button = picker.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id.startsWith(ActionIds.telemetryPickCustomer))!;
    const shownCard = () => /Stark[^\n]*: \d+ instances?/.test(JSON.stringify(s.standin.message(channel, ts!)?.blocks ?? []));
    fake.slowNextJobs(1, NOTE_AFTER_MS + 1_000);
    const late = noteLandingLast(s, shownCard);
    try {
      const { ack } = await s.standin.clickAction(s.client, { userId: user, channelId: channel, ts: ts!, actionId: button.action_id, timeoutMs: 300 });
      expect(ack.status).toBe(200);
      await late.released;
      // The note took the card's place when it landed; the card must take it back.
      await s.standin.waitFor(() => late.noteApplied() && shownCard(), { timeoutMs: 15_000 });
    } finally {
      fake.reset();
      late.hold.release();
    }
    expect(s.standin.responses.length - late.from).toBeLessThanOrEqual(3);
  }, 30_000);

  // Last: the note it holds back lands when it ends, after the card.
  it('sends the card when the note\'s post stalls, without waiting for Slack to answer the note', async () => {
    const hold = s.standin.holdNext('response_url');
    fake.slowNextJobs(1, SLOW_MS);
    try {
      // Our fetch gives up on the note after 10 s (SLACK_FETCH_TIMEOUT_MS); the card must not wait for that.
      const { posted } = await lookup(s, 'acme', (b) => b.some((x) => x.includes('Telemetry: Acme Corp')), 8_000);
      expect(posted.map((r) => JSON.stringify(r.body).includes('Looking up “acme”'))).toEqual([true, false]);
      expect(posted[1]!.body).toMatchObject({ response_type: 'ephemeral' });
      expect(posted[1]!.error).toBeUndefined();
      expect(posted[1]!.messageTs).toBeDefined();
    } finally {
      fake.reset();
      hold.release();
    }
  }, 30_000);
});
