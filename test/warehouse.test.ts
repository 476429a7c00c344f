/**
 * Warehouse port contract, run against both adapters on the same demo data:
 * the embedded DuckDB warehouse, and the real BigQuery client talking to a
 * loopback fake of the BigQuery REST API that queries that same database.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { BigQuery } from '@google-cloud/bigquery';
import { CostCapError, WarehouseError, WarehouseTimeoutError } from '../src/errors.js';
import type { QueryParams, Warehouse } from '../src/ports/warehouse.js';
import { openBigQueryWarehouse, sanitizeLabels } from '../src/adapters/warehouse/bigquery.js';
import { openEmbeddedWarehouse, rewriteSql, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import {
  DEMO_ACME, DEMO_GLOBEX, DEMO_HOOLI, DEMO_INITECH, DEMO_STARKS, DEMO_UMBRELLA, DEMO_VANDELAY,
} from '../src/adapters/warehouse/demo-seed.js';
import { FAKE_BIGQUERY_TOKEN, FakeBigQuery, fakeCredentials } from './support/fake-bigquery.js';

const CAP = 1024 ** 3;
let embedded: EmbeddedWarehouse;
let fakeConnection: DuckDBConnection;
let fake: FakeBigQuery;
let bigquery: Warehouse;

beforeAll(async () => {
  embedded = await openEmbeddedWarehouse({ dataDir: ':memory:', timeoutMs: 10_000 });
  console.log(`demo warehouse generated in memory in ${embedded.demo.seconds.toFixed(2)} s`);
  fakeConnection = await embedded.connection();
  fake = await FakeBigQuery.start({ connection: fakeConnection });
  bigquery = openBigQueryWarehouse(fake.config({ maximumBytesBilled: CAP }), { timeoutMs: 10_000, authClient: fakeCredentials() });
}, 120_000);

afterAll(async () => {
  await fake?.close();
  fakeConnection?.closeSync();
  await embedded?.close();
});

const adapters: Array<[string, () => Warehouse]> = [
  ['embedded', () => embedded],
  ['bigquery', () => bigquery],
];

describe.each(adapters)('Warehouse contract: %s', (_name, wh) => {
  it('binds named parameters', async () => {
    const r = await wh().query('SELECT customer_id, name FROM {{customers}} WHERE customer_id = @id', { id: { type: 'STRING', value: 'acme' } });
    expect(r.rows).toEqual([{ customer_id: 'acme', name: 'Acme Corp' }]);
    expect(r.bytesProcessed).toBeGreaterThan(0);
    expect(r.cacheHit).toBe(false);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('treats SQL metacharacters and quotes in string parameters as data', async () => {
    const hostile = [`' OR '1'='1`, `acme'; DROP TABLE customers; --`, `"acme"`, `\\' OR 1=1 --`, '@id', '{{customers}}', '$1', '`x`', 'acme\u0000', '%', 'Ünïcødé ✓'];
    for (const value of hostile) {
      const r = await wh().query('SELECT customer_id FROM {{customers}} WHERE customer_id = @id OR name = @id', { id: { type: 'STRING', value } });
      expect(r.rows, value).toEqual([]);
    }
    const echo = await wh().query('SELECT @v AS v', { v: { type: 'STRING', value: hostile[1]! } });
    expect(echo.rows).toEqual([{ v: hostile[1] }]);
    const count = await wh().query('SELECT count(*) AS n FROM {{customers}}');
    expect(count.rows[0]!['n']).toBeGreaterThan(900);
  });

  it('returns plain JS values for every parameter type', async () => {
    const at = new Date('2024-03-04T05:06:07.890Z');
    const params: QueryParams = {
      s: { type: 'STRING', value: 'x' }, i: { type: 'INT64', value: 41 }, f: { type: 'FLOAT64', value: 1.5 },
      b: { type: 'BOOL', value: true }, d: { type: 'DATE', value: '2024-02-29' }, t: { type: 'TIMESTAMP', value: at },
      n: { type: 'STRING', value: null },
    };
    const r = await wh().query(
      'SELECT @s AS s, @i + 1 AS i, @f * 2 AS f, NOT @b AS b, @d AS d, @t AS t, @n AS n, CAST(1.25 AS NUMERIC) AS dec, DATE \'2024-01-02\' AS lit',
      params,
    );
    expect(r.rows).toEqual([{ s: 'x', i: 42, f: 3, b: false, d: '2024-02-29', t: at, n: null, dec: 1.25, lit: '2024-01-02' }]);
  });

  it('returns table data as numbers, strings and Dates', async () => {
    const r = await wh().query(
      'SELECT count(*) AS n, max(received_at) AS last_ping, min(version) AS v FROM {{pings}} WHERE site_id = @site',
      { site: { type: 'STRING', value: DEMO_UMBRELLA.instances[0]!.siteId } },
    );
    const row = r.rows[0]!;
    expect(typeof row['n']).toBe('number');
    expect(row['last_ping']).toBeInstanceOf(Date);
    expect(Date.now() - (row['last_ping'] as Date).getTime()).toBeLessThan(2 * 86_400_000);
    expect(row['v']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('returns a timestamp as the millisecond it falls in, before 1970 too (microseconds are not rounded up)', async () => {
    const r = await wh().query("SELECT TIMESTAMP '1969-12-31 23:59:59.9985+00' AS before, TIMESTAMP '1970-01-01 00:00:00.0015+00' AS after");
    expect((r.rows[0]!['before'] as Date).toISOString()).toBe('1969-12-31T23:59:59.998Z');
    expect((r.rows[0]!['after'] as Date).toISOString()).toBe('1970-01-01T00:00:00.001Z');
  });

  it('translates {{table}} but leaves @ and {{ }} inside string literals alone', async () => {
    const r = await wh().query("SELECT '@id' AS a, '{{customers}}' AS b, count(*) AS n FROM {{instances}} WHERE customer_id = 'acme'");
    expect(r.rows).toEqual([{ a: '@id', b: '{{customers}}', n: 3 }]);
  });

  it('returns numbers a double cannot hold exactly as their text, and the rest as numbers', async () => {
    const r = await wh().query(
      "SELECT CAST('9007199254740993' AS BIGINT) AS big, CAST(42 AS BIGINT) AS small, CAST('-12345678901234567.123456789' AS DECIMAL(38, 9)) AS exact, CAST('1.50' AS DECIMAL(4, 2)) AS dec",
    );
    expect(r.rows).toEqual([{ big: '9007199254740993', small: 42, exact: '-12345678901234567.123456789', dec: 1.5 }]);
  });

  it('reports the same bytes processed on both adapters, and dryRun estimates them', async () => {
    const sql = 'SELECT count(*) AS n FROM {{pings}} p JOIN {{instances}} i ON p.site_id = i.site_id WHERE i.customer_id = @c';
    const params: QueryParams = { c: { type: 'STRING', value: 'acme' } };
    const [a, b] = await Promise.all([embedded.query(sql, params), bigquery.query(sql, params)]);
    expect(a.bytesProcessed).toBe(b.bytesProcessed);
    const dry = await wh().dryRun(sql, params);
    expect(dry.bytesProcessed).toBe(a.bytesProcessed);
  });

  it('fails with WarehouseError on bad SQL, unknown tables and missing parameters', async () => {
    await expect(wh().query('SELEC 1')).rejects.toBeInstanceOf(WarehouseError);
    await expect(wh().query('SELECT * FROM {{nope}}')).rejects.toBeInstanceOf(WarehouseError);
    await expect(wh().query('SELECT @missing AS x')).rejects.toBeInstanceOf(WarehouseError);
    await expect(wh().query('SELECT @x AS x', { x: { type: 'INT64', value: 1.5 } })).rejects.toBeInstanceOf(WarehouseError);
    await expect(wh().dryRun('SELECT nope FROM {{pings}}')).rejects.toBeInstanceOf(WarehouseError);
  });

  it('fails with CostCapError above maximumBytesBilled', async () => {
    await expect(wh().query('SELECT count(*) AS n FROM {{pings}}', {}, { maximumBytesBilled: 1000 })).rejects.toBeInstanceOf(CostCapError);
  });

  it('reads table freshness from metadata', async () => {
    const at = new Date(Date.now() - 3 * 3_600_000);
    await embedded.touchTable('events', at);
    const f = await wh().tableFreshness(['pings', 'events', 'customers', 'nope']);
    expect(f.map((x) => x.table)).toEqual(['pings', 'events', 'customers', 'nope']);
    expect(f[0]!.rowCount).toBeGreaterThan(900_000);
    expect(f[0]!.lastModified).toBeInstanceOf(Date);
    expect(f[1]!.lastModified).toEqual(at);
    expect(f[3]).toEqual({ table: 'nope', lastModified: null, rowCount: null, missing: true });
    expect(f.slice(0, 3).map((x) => x.missing)).toEqual([undefined, undefined, undefined]);
  });
});

describe('embedded warehouse', () => {
  it('tells a table without an update time (there, never touched) from one that is not there', async () => {
    const conn = await embedded.connection();
    try {
      await conn.run('CREATE TABLE IF NOT EXISTS untracked_table (a INTEGER)');
    } finally {
      conn.closeSync();
    }
    expect(await embedded.tableFreshness(['untracked_table', 'not_a_table'])).toEqual([
      { table: 'untracked_table', lastModified: null, rowCount: null },
      { table: 'not_a_table', lastModified: null, rowCount: null, missing: true },
    ]);
  });

  it('interrupts a query at its timeout, and the connection stays usable', async () => {
    const slow = 'SELECT count(*) AS n FROM range(100000000000) t(x) WHERE hash(x) % 7 = 0';
    const started = Date.now();
    await expect(embedded.query(slow, {}, { timeoutMs: 300 })).rejects.toBeInstanceOf(WarehouseTimeoutError);
    expect(Date.now() - started).toBeLessThan(3000);
    const after = await Promise.all([1, 2, 3, 4, 5].map(() => embedded.query('SELECT 1 AS one')));
    expect(after.map((r) => r.rows[0]!['one'])).toEqual([1, 1, 1, 1, 1]);
  });

  it('runs the same statement again with new values, after a timeout, a dry run and a change of the table', async () => {
    const byId = 'SELECT customer_id, name FROM {{customers}} WHERE customer_id = @id';
    // More rounds than connections, so each connection runs the statement it prepared before.
    for (let round = 0; round < 3; round++) {
      const rows = await Promise.all(['acme', 'globex', 'nobody', 'initech', 'acme'].map(async (id) => (await embedded.query(byId, { id: { type: 'STRING', value: id } })).rows));
      expect(rows.map((r) => r.map((x) => x['customer_id']))).toEqual([['acme'], ['globex'], [], ['initech'], ['acme']]);
    }
    expect((await embedded.dryRun(byId, { id: { type: 'STRING', value: 'acme' } })).bytesProcessed).toBeGreaterThan(0);
    expect((await embedded.query(byId, { id: { type: 'STRING', value: 'globex' } })).rows).toEqual([{ customer_id: 'globex', name: 'Globex' }]);

    const slow = 'SELECT count(*) AS n FROM range(@n) t(x) WHERE hash(x) % 7 = 0';
    await expect(embedded.query(slow, { n: { type: 'INT64', value: 100_000_000_000 } }, { timeoutMs: 300 })).rejects.toBeInstanceOf(WarehouseTimeoutError);
    const small = await Promise.all([1, 2, 3, 4, 5].map(() => embedded.query(slow, { n: { type: 'INT64', value: 70 } })));
    expect(small.map((r) => r.rows[0]!['n'])).toEqual([10, 10, 10, 10, 10]);

    // A table replaced under a statement prepared on it: the statement reads the new table.
    const conn = await embedded.connection();
    try {
      await conn.run('CREATE OR REPLACE TABLE scratch_prepared AS SELECT 1 AS a');
      const scratch = 'SELECT * FROM {{scratch_prepared}} WHERE a >= @min';
      const before = await Promise.all([1, 2, 3, 4].map(() => embedded.query(scratch, { min: { type: 'INT64', value: 0 } })));
      expect(before.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ a: 1 }], [{ a: 1 }], [{ a: 1 }]]);
      await conn.run(`CREATE OR REPLACE TABLE scratch_prepared AS SELECT 2 AS a, 'two' AS b`);
      const after = await Promise.all([1, 2, 3, 4].map(() => embedded.query(scratch, { min: { type: 'INT64', value: 0 } })));
      expect(after.map((r) => r.rows)).toEqual([[{ a: 2, b: 'two' }], [{ a: 2, b: 'two' }], [{ a: 2, b: 'two' }], [{ a: 2, b: 'two' }]]);
    } finally {
      await conn.run('DROP TABLE IF EXISTS scratch_prepared');
      conn.closeSync();
    }
  });

  it('runs more distinct statements than it remembers the tables of, the first ones again too', async () => {
    const texts = Array.from({ length: 230 }, (_, i) => `SELECT ${i} + @one AS v`);
    const one = { one: { type: 'INT64' as const, value: 1 } };
    for (const sql of [...texts, ...texts.slice(0, 20)]) {
      const r = await embedded.query(sql, one);
      expect(r.rows[0]!['v']).toBe(Number(/SELECT (\d+)/.exec(sql)![1]) + 1);
    }
  });

  it('runs a fast query while a slow one is still running', async () => {
    const slow = embedded.query('SELECT count(*) AS n FROM range(100000000000) t(x) WHERE hash(x) % 7 = 0', {}, { timeoutMs: 1500 });
    slow.catch(() => undefined);
    const order: string[] = [];
    await Promise.all([
      slow.then(() => order.push('slow'), () => order.push('slow')),
      embedded.query('SELECT count(*) AS n FROM {{customers}}').then(() => order.push('fast')),
    ]);
    expect(order).toEqual(['fast', 'slow']);
  });

  it('rewrites only outside literals, quoted identifiers and comments', () => {
    const out = rewriteSql(`SELECT @a, '@b {{c}}', "@d", \`p.d.t\` -- @e\n FROM {{t}} /* @f */ WHERE x = @@g`, {
      table: (t) => `[${t}]`, param: (p) => `$${p}`, backticked: (id) => `<${id}>`,
    });
    expect(out).toBe(`SELECT $a, '@b {{c}}', "@d", <p.d.t> -- @e\n FROM [t] /* @f */ WHERE x = @@g`);
  });
});

describe('BigQuery adapter against the REST fake', () => {
  it('sends jobs with named typed parameters, the bytes cap, labels, a timeout, GoogleSQL and its access token', async () => {
    const before = fake.requests.length;
    await bigquery.query(
      'SELECT count(*) AS n FROM {{pings}} WHERE site_id = @site AND received_at >= @since',
      { site: { type: 'STRING', value: 'x' }, since: { type: 'TIMESTAMP', value: new Date('2024-01-01T00:00:00Z') } },
      { labels: { Command: 'Telemetry', 'User ID': 'U123ABC' }, timeoutMs: 7000 },
    );
    const insert = fake.requests.slice(before).find((r) => r.method === 'POST' && r.path.endsWith('/jobs'))!;
    const { configuration, jobReference } = insert.body;
    expect(insert.headers['authorization']).toBe(`Bearer ${FAKE_BIGQUERY_TOKEN}`);
    // Built by the adapter: the REST form, the mode as documented, nothing the API does not take (the client would add `types`).
    expect(configuration.query.parameterMode).toBe('NAMED');
    expect(configuration.query).not.toHaveProperty('types');
    expect(jobReference.jobId).toMatch(/^analytics_bot_/);
    expect(configuration.query.query).toContain('`test-project.analytics.pings`');
    expect(configuration.query.useLegacySql).toBe(false);
    expect(configuration.query.maximumBytesBilled).toBe(String(CAP));
    expect(configuration.jobTimeoutMs).toBe('7000');
    expect(configuration.labels).toEqual({ app: 'analytics-bot', command: 'telemetry', user_id: 'u123abc' });
    expect(String(configuration.query.parameterMode).toUpperCase()).toBe('NAMED');
    expect(configuration.query.queryParameters).toEqual([
      { name: 'site', parameterType: { type: 'STRING' }, parameterValue: { value: 'x' } },
      { name: 'since', parameterType: { type: 'TIMESTAMP' }, parameterValue: { value: expect.stringMatching(/^2024-01-01T00:00:00/) } },
    ]);
    const results = fake.requests.slice(before).find((r) => r.method === 'GET' && r.path.includes('/queries/'))!;
    expect(results.query['formatOptions.useInt64Timestamp']).toBe('true');
    // Only documented parameters (the client's skipParsing option would leak into the query string).
    expect(results.query).not.toHaveProperty('skipParsing');
  });

  it('uses a per-query bytes cap when given', async () => {
    const before = fake.requests.length;
    await bigquery.query('SELECT 1 AS x', {}, { maximumBytesBilled: 5_000_000 });
    expect(fake.jobRequests().slice(-1)[0]!.body.configuration.query.maximumBytesBilled).toBe('5000000');
    expect(fake.requests.length).toBeGreaterThan(before);
  });

  it('sanitizes labels to BigQuery rules', () => {
    const labels = sanitizeLabels({ 'Saved Query': 'Weekly Active Instances!', '9lives': 'x'.repeat(100), '': 'dropped' });
    expect(labels).toEqual({ app: 'analytics-bot', saved_query: 'weekly_active_instances_', l_9lives: 'x'.repeat(63) });
    for (const [k, v] of Object.entries(labels)) {
      expect(k).toMatch(/^[a-z][a-z0-9_-]{0,62}$/);
      expect(v).toMatch(/^[a-z0-9_-]{0,63}$/);
    }
  });

  it('dry-runs as a dryRun job with the cap and labels', async () => {
    const before = fake.jobRequests().length;
    const dry = await bigquery.dryRun('SELECT count(*) AS n FROM {{events}}', {}, { labels: { command: 'query' } });
    const sent = fake.jobRequests().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.configuration.dryRun).toBe(true);
    expect(sent[0]!.body.configuration.query.maximumBytesBilled).toBe(String(CAP));
    expect(sent[0]!.body.configuration.labels).toMatchObject({ app: 'analytics-bot', command: 'query' });
    expect(dry.bytesProcessed).toBeGreaterThan(0);
    expect(fake.requests.slice(-1)[0]!.path).toMatch(/\/jobs$/); // nothing fetched results
  });

  it('reads freshness from tables.get only: no jobs, nothing billed', async () => {
    const before = fake.requests.length;
    const [pings] = await bigquery.tableFreshness(['pings']);
    const sent = fake.requests.slice(before);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /projects/test-project/datasets/analytics/tables/pings']);
    const [local] = await embedded.tableFreshness(['pings']);
    expect(pings).toEqual(local);
  });

  it('names the table BigQuery refuses to show (accessDenied), with its project when it is not the configured one', async () => {
    const denied = { reason: 'accessDenied', message: 'Access Denied: Permission bigquery.tables.get denied on table' };
    fake.failNext(1, 403, { ...denied, match: /\/tables\/pings$/ });
    await expect(bigquery.tableFreshness(['pings'])).rejects.toMatchObject({ code: 'warehouse_denied', table: 'analytics.pings' });
    fake.failNext(1, 403, { ...denied, match: /\/projects\/other-project\// });
    await expect(bigquery.tableFreshness(['other-project.analytics.pings'])).rejects.toMatchObject({ code: 'warehouse_denied', table: 'other-project.analytics.pings' });
  });

  it('pages through large results', async () => {
    const before = fake.requests.length;
    const r = await bigquery.query('SELECT site_id, received_at FROM {{pings}} ORDER BY received_at LIMIT 25000');
    expect(r.rows).toHaveLength(25_000);
    expect(r.rows[24_999]!['received_at']).toBeInstanceOf(Date);
    const pages = fake.requests.slice(before).filter((x) => x.path.includes('/queries/'));
    expect(pages.length).toBe(3);
    expect(pages[1]!.query['pageToken']).toBe('10000');
  });

  it('times out a job that does not complete, and cancels it', async () => {
    fake.hangNextJobs(1);
    const started = Date.now();
    await expect(bigquery.query('SELECT 1 AS x', {}, { timeoutMs: 400 })).rejects.toBeInstanceOf(WarehouseTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    const jobId = fake.jobRequests().slice(-1)[0]!.body.jobReference.jobId as string;
    await expect.poll(() => fake.requests.some((r) => r.method === 'POST' && r.path.endsWith(`/jobs/${jobId}/cancel`))).toBe(true);
  });

  it('times out when BigQuery does not answer at all', async () => {
    fake.delayNext(1, 3000, /\/jobs$/);
    await expect(bigquery.query('SELECT 1 AS x', {}, { timeoutMs: 300 })).rejects.toBeInstanceOf(WarehouseTimeoutError);
  });

  it('maps a non-retryable API error to WarehouseError', async () => {
    fake.failNext(1, 403, { match: /\/jobs$/, reason: 'accessDenied', message: 'Access Denied: Project test-project: User does not have bigquery.jobs.create permission' });
    const err = await bigquery.query('SELECT 1 AS x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarehouseError);
    expect((err as Error).message).toContain('Access Denied');
  });

  it('survives a transient 500 (the client retries it)', async () => {
    fake.failNext(1, 500, { match: /\/jobs$/ });
    const r = await bigquery.query('SELECT 2 AS x');
    expect(r.rows).toEqual([{ x: 2 }]);
  }, 15_000);

  it('also answers jobs.query and jobs.get, as the client uses them', async () => {
    const client = new BigQuery({ projectId: fake.project, apiEndpoint: fake.url, authClient: fakeCredentials() });
    const [rows] = await client.query({
      query: 'SELECT name FROM `test-project.analytics.customers` WHERE customer_id = @id',
      params: { id: 'hooli' }, useLegacySql: false, maximumBytesBilled: String(CAP), labels: { app: 'analytics-bot' },
    });
    expect(rows).toEqual([{ name: 'Hooli' }]);
    expect(fake.requests.slice(-1)[0]!.path).toBe('/projects/test-project/queries');
    const jobId = fake.jobRequests().find((r) => r.path.endsWith('/jobs'))!.body.jobReference.jobId as string;
    const [meta] = await client.job(jobId, { location: fake.location }).getMetadata();
    expect(meta.status).toEqual({ state: 'DONE' });
  });

  it('put maximumBytesBilled and labels on every job request of this suite', () => {
    const jobs = fake.jobRequests();
    expect(jobs.length).toBeGreaterThan(20);
    for (const j of jobs) {
      // jobs.insert nests the query configuration; jobs.query has it at the top level.
      const query = j.path.endsWith('/queries') ? j.body : j.body.configuration.query;
      const labels = j.path.endsWith('/queries') ? j.body.labels : j.body.configuration.labels;
      expect(query.maximumBytesBilled).toMatch(/^\d+$/);
      expect(labels.app).toBe('analytics-bot');
      expect(query.useLegacySql).toBe(false);
      for (const p of query.queryParameters ?? []) expect(p.parameterType.type).toMatch(/^[A-Z0-9]+$/);
    }
  });
});

describe('BigQuery adapter, a dataset in a single region and BIGQUERY_LOCATION unset', () => {
  // Jobs outside the US and EU multi-regions must be named with their location (jobs.get, getQueryResults, cancel).
  let regional: FakeBigQuery;
  let wh: Warehouse;
  beforeAll(async () => {
    regional = await FakeBigQuery.start({ connection: fakeConnection, location: 'us-central1' });
    wh = openBigQueryWarehouse(regional.config({ location: undefined, maximumBytesBilled: CAP }), { timeoutMs: 10_000, authClient: fakeCredentials() });
  });
  afterAll(async () => {
    await wh?.close();
    await regional?.close();
  });
  const locationsOf = (re: RegExp, since: number) => regional.requests.slice(since).filter((r) => re.test(r.path)).map((r) => r.query['location']);

  it('reads results where BigQuery ran the job', async () => {
    const since = regional.requests.length;
    expect((await wh.query('SELECT 3 AS x')).rows).toEqual([{ x: 3 }]);
    expect(locationsOf(/\/queries\//, since)).toEqual(['us-central1']);
  });

  it("cancels a job that outlives the timeout in the job's location", async () => {
    regional.hangNextJobs(1);
    const since = regional.requests.length;
    await expect(wh.query('SELECT 1 AS x', {}, { timeoutMs: 400 })).rejects.toBeInstanceOf(WarehouseTimeoutError);
    await expect.poll(() => locationsOf(/\/cancel$/, since)).toEqual(['us-central1']);
    await expect.poll(() => regional.requests.slice(since).find((r) => /\/cancel$/.test(r.path))?.status).toBe(200);
  });

  it("adopts its own job when a retried insert meets it (409), asking the dataset's location once", async () => {
    regional.loseAnswerOfNext(1, /\/jobs$/);
    const since = regional.requests.length;
    expect((await wh.query('SELECT 4 AS x')).rows).toEqual([{ x: 4 }]);
    const seen = regional.requests.slice(since);
    expect(seen.filter((r) => r.path.endsWith('/jobs')).map((r) => r.status)).toEqual([503, 409]);
    expect(seen.filter((r) => /\/datasets\/[^/]+$/.test(r.path))).toHaveLength(1);
    expect(locationsOf(/\/queries\//, since).every((l) => l === 'us-central1')).toBe(true);
    regional.loseAnswerOfNext(1, /\/jobs$/);
    const again = regional.requests.length;
    expect((await wh.query('SELECT 5 AS x')).rows).toEqual([{ x: 5 }]);
    expect(regional.requests.slice(again).filter((r) => /\/datasets\//.test(r.path))).toHaveLength(0);
  });
});

describe('demo dataset', () => {
  const q = async (sql: string, params: QueryParams = {}) => (await embedded.query(sql, params)).rows;
  /** Telemetry level of each instance over the last 30 days, as the handbook defines it. */
  const levels = async (customerId: string) =>
    q(
      `SELECT i.hosting,
              CASE WHEN count(*) FILTER (WHERE p.ping_type = 'full') > 0 AND max(e.n) > 0 THEN 'full+user'
                   WHEN count(*) FILTER (WHERE p.ping_type = 'full') > 0 THEN 'full'
                   WHEN count(p.site_id) > 0 THEN 'critical' ELSE 'none' END AS level
       FROM {{instances}} i
       LEFT JOIN {{pings}} p ON p.site_id = i.site_id AND p.received_at >= @since
       LEFT JOIN (SELECT site_id, count(*) AS n FROM {{events}} WHERE occurred_at >= @since GROUP BY site_id) e ON e.site_id = i.site_id
       WHERE i.customer_id = @c GROUP BY i.site_id, i.hosting ORDER BY i.site_id`,
      { c: { type: 'STRING', value: customerId }, since: { type: 'TIMESTAMP', value: new Date(Date.now() - 30 * 86_400_000) } },
    );

  it('has ~1,000 customers, ~1M pings over 90 days and ~200k events', async () => {
    const [counts] = await q(`SELECT (SELECT count(*) FROM {{customers}}) AS customers, (SELECT count(*) FROM {{instances}}) AS instances,
                                     (SELECT count(*) FROM {{pings}}) AS pings, (SELECT count(*) FROM {{events}}) AS events,
                                     (SELECT min(received_at) FROM {{pings}}) AS first_ping, (SELECT max(received_at) FROM {{pings}}) AS last_ping`);
    console.log('demo row counts', counts);
    expect(counts!['customers']).toBeGreaterThanOrEqual(950);
    expect(counts!['customers']).toBeLessThanOrEqual(1050);
    expect(counts!['pings']).toBeGreaterThan(900_000);
    expect(counts!['pings']).toBeLessThan(1_100_000);
    expect(counts!['events']).toBeGreaterThan(150_000);
    expect(counts!['events']).toBeLessThan(250_000);
    expect(Date.now() - (counts!['first_ping'] as Date).getTime()).toBeLessThan(91 * 86_400_000);
    expect(Date.now() - (counts!['last_ping'] as Date).getTime()).toBeLessThan(3_600_000);
  });

  it('has Acme Corp with three instances at three levels, and "acme" matches only Acme', async () => {
    const acme = await q('SELECT name, aliases, domain FROM {{customers}} WHERE customer_id = @c', { c: { type: 'STRING', value: 'acme' } });
    expect(acme).toEqual([{ name: 'Acme Corp', aliases: 'Acme|ACME Inc', domain: 'acme.com' }]);
    const got = await levels('acme');
    expect(got.map((r) => `${r['hosting']}:${r['level']}`).sort()).toEqual(['managed:full+user', 'self-hosted:critical', 'self-hosted:full']);
    const matches = await q("SELECT customer_id FROM {{customers}} WHERE lower(name) LIKE '%acme%' OR lower(aliases) LIKE '%acme%' OR domain LIKE '%acme%'");
    expect(matches).toEqual([{ customer_id: 'acme' }]);
    expect(DEMO_ACME.instances).toHaveLength(3);
  });

  it('has a single-instance customer at each telemetry level', async () => {
    for (const [c, hosting, level] of [
      [DEMO_GLOBEX, 'self-hosted', 'none'], [DEMO_INITECH, 'self-hosted', 'critical'],
      [DEMO_UMBRELLA, 'self-hosted', 'full'], [DEMO_HOOLI, 'cloud', 'full+user'], [DEMO_VANDELAY, 'self-hosted', 'none'],
    ] as const) {
      expect(await levels(c.customerId), c.name).toEqual([{ hosting, level }]);
    }
    const globex = await q('SELECT count(*) AS n FROM {{pings}} WHERE site_id = @s', { s: { type: 'STRING', value: DEMO_GLOBEX.instances[0]!.siteId } });
    expect(globex).toEqual([{ n: 0 }]);
    const vandelay = await q('SELECT count(*) AS n FROM {{pings}} WHERE site_id = @s', { s: { type: 'STRING', value: DEMO_VANDELAY.instances[0]!.siteId } });
    expect(vandelay[0]!['n']).toBeGreaterThan(0); // history from before pings were turned off
  });

  it('has several customers matching "stark", user events only from managed and cloud, and several versions', async () => {
    const starks = await q("SELECT customer_id FROM {{customers}} WHERE lower(name) LIKE '%stark%' ORDER BY customer_id");
    expect(starks.map((r) => r['customer_id'])).toEqual(DEMO_STARKS.map((s) => s.customerId).sort());
    const selfHostedEvents = await q("SELECT count(*) AS n FROM {{events}} e JOIN {{instances}} i ON e.site_id = i.site_id WHERE i.hosting = 'self-hosted'");
    expect(selfHostedEvents).toEqual([{ n: 0 }]);
    const versions = await q('SELECT version, count(*) AS n FROM {{pings}} WHERE received_at >= @since GROUP BY version',
      { since: { type: 'TIMESTAMP', value: new Date(Date.now() - 7 * 86_400_000) } });
    expect(versions.length).toBeGreaterThanOrEqual(4);
  });
});

describe('demo warehouse on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'warehouse-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const checksum = async (conn: DuckDBConnection) => {
    // Time-independent: timestamps relative to the generation time.
    const r = await conn.runAndReadAll(`SELECT
        (SELECT sum(hash(customer_id, name, aliases, domain, epoch_us(created_at) - g)) FROM customers) AS c,
        (SELECT sum(hash(site_id, customer_id, hosting, version, epoch_us(created_at) - g)) FROM instances) AS i,
        (SELECT sum(hash(site_id, ping_type, version, epoch_us(received_at) - g)) FROM pings) AS p,
        (SELECT sum(hash(site_id, user_id, event_name, epoch_us(occurred_at) - g)) FROM events) AS e
      FROM (SELECT epoch_us(generated_at) AS g FROM _demo)`);
    return r.getRowObjectsJson()[0];
  };

  it('sees rows another connection added or removed, in a statement it ran before', async () => {
    // Opened a second time: the demo is shifted to now rather than generated (a statement kept prepared went stale there).
    const own = await mkdtemp(path.join(tmpdir(), 'warehouse-test-'));
    await (await openEmbeddedWarehouse({ dataDir: own, timeoutMs: 10_000 })).close();
    const w = await openEmbeddedWarehouse({ dataDir: own, timeoutMs: 10_000 });
    const conn = await w.connection();
    try {
      const count = "SELECT 'all' AS label, COUNT(*) AS customers FROM {{customers}}";
      const counts = async () => (await Promise.all([1, 2, 3, 4, 5].map(() => w.query(count)))).map((r) => r.rows[0]!['customers']);
      expect((await w.dryRun(count)).bytesProcessed).toBeGreaterThan(0);
      const [n] = await counts();
      await conn.run(`INSERT INTO customers (customer_id, name) SELECT 'seen-' || i, 'Seen ' || i FROM range(2) t(i)`);
      expect(await counts()).toEqual(Array(5).fill(Number(n) + 2));
      await conn.run(`DELETE FROM customers WHERE customer_id LIKE 'seen-%'`);
      expect(await counts()).toEqual(Array(5).fill(n));
    } finally {
      conn.closeSync();
      await w.close();
      await rm(own, { recursive: true, force: true });
    }
  });

  // The in-memory demo (beforeAll) was generated at another time: equal checksums show generation is deterministic.
  it('generates into DATA_DIR/warehouse.duckdb once, identically, and reuses it', async () => {
    const first = await openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 10_000 });
    expect(first.demo.generated).toBe(true);
    await first.close();
    const { size } = await stat(path.join(dir, 'warehouse.duckdb'));
    console.log(`demo warehouse generated on disk in ${first.demo.seconds.toFixed(2)} s, ${(size / 1024 ** 2).toFixed(1)} MiB`);

    const again = await openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 10_000 });
    expect(again.demo).toEqual({ generated: false, seconds: 0, shiftedMs: 0 });
    const onDisk = await again.connection();
    const inMemory = await embedded.connection();
    try {
      expect(await checksum(onDisk)).toEqual(await checksum(inMemory));
    } finally {
      onDisk.closeSync();
      inMemory.closeSync();
      await again.close();
    }
  }, 60_000);

  it('moves a demo generated hours ago to the present', async () => {
    const file = path.join(dir, 'warehouse.duckdb');
    // Age the file by 5 hours, as if generated then.
    const raw = await DuckDBInstance.create(file);
    const c = await raw.connect();
    const before = Number((await c.runAndReadAll('SELECT epoch_ms(max(received_at)) FROM pings')).getRows()[0]![0]);
    for (const [table, column] of [['pings', 'received_at'], ['events', 'occurred_at'], ['_demo', 'generated_at']]) {
      await c.run(`UPDATE ${table} SET ${column} = ${column} - INTERVAL 5 HOUR`);
    }
    c.closeSync();
    raw.closeSync();

    const wh = await openEmbeddedWarehouse({ dataDir: dir, timeoutMs: 10_000 });
    try {
      expect(wh.demo.generated).toBe(false);
      expect(wh.demo.shiftedMs).toBeGreaterThanOrEqual(5 * 3_600_000);
      const [row] = (await wh.query('SELECT max(received_at) AS last FROM {{pings}}')).rows;
      expect((row!['last'] as Date).getTime()).toBeGreaterThanOrEqual(before);
      expect((row!['last'] as Date).getTime()).toBeLessThanOrEqual(Date.now());
    } finally {
      await wh.close();
    }
  }, 60_000);
});
