/**
 * The saved-query catalog: every shipped query loads, validates and runs on the
 * embedded demo warehouse (its DuckDB SQL where it has one); malformed files are
 * refused with the file's name and what is wrong. And the queries answer right at
 * the edges of the data they read (a week with no pings, versions compared as
 * versions, two customers of one name), on a demo warehouse that agrees with
 * itself (an instance's version is its newest ping's, as /telemetry shows it).
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogError, loadCatalog, parseQueryFile, resolveDateSpec, type Catalog } from '../src/catalog/catalog.js';
import { parseParamText, resolveParams } from '../src/catalog/params.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { CustomerIndex } from '../src/domain/customer-match.js';
import { DEMO_CUSTOMERS } from '../src/adapters/warehouse/demo-seed.js';
import { freshDataDir } from './support/harness.js';

const QUERIES_DIR = path.resolve('queries');
const REQUIRED = [
  'instances-by-telemetry-level', 'weekly-active-instances', 'version-adoption',
  'customer-pings-per-day', 'user-event-volume', 'top-customers-by-active-users',
];

const index = new CustomerIndex(DEMO_CUSTOMERS.map((c) => ({ customerId: c.customerId, name: c.name, aliases: c.aliases.split('|').filter(Boolean), domain: c.domain })));
const ctx = { today: new Date('2025-06-15T12:00:00Z'), customers: async (t: string) => index.match(t) };

let catalog: Catalog;
let warehouse: EmbeddedWarehouse;
let dataDir: string;
beforeAll(async () => {
  catalog = loadCatalog(QUERIES_DIR);
  dataDir = await freshDataDir();
  warehouse = await openEmbeddedWarehouse({ dataDir, timeoutMs: 60_000 });
}, 120_000);
afterAll(async () => {
  await warehouse?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the shipped catalog', () => {
  it('loads every query file, including the six the issue asks for', () => {
    const names = catalog.queries.map((q) => q.name);
    for (const n of REQUIRED) expect(names).toContain(n);
    expect(names.length).toBeGreaterThanOrEqual(6);
    expect(new Set(catalog.queries.map((q) => q.display.type))).toEqual(new Set(['line', 'bar', 'stacked-bar', 'pie', 'table']));
    for (const q of catalog.queries) {
      expect(q.version).toMatch(/^[0-9a-f]{16}$/);
      expect(q.tables.length).toBeGreaterThan(0);
      expect(q.owner).not.toBe('');
    }
  });

  it('covers every parameter type', () => {
    const kinds = new Set(catalog.queries.flatMap((q) => q.params.map((p) => p.kind)));
    expect(kinds).toEqual(new Set(['string', 'int', 'date', 'enum', 'customer']));
  });

  it('says where DuckDB differs in one place: a duckdb override that reads the same tables and params', () => {
    const overridden = catalog.queries.filter((q) => q.duckdbSql);
    expect(overridden.length).toBeGreaterThan(0);
    for (const q of overridden) {
      expect(q.sql).toMatch(/WEEK\(MONDAY\)/);
      expect(q.duckdbSql).toMatch(/date_trunc\('week'/);
    }
  });

  it.each(REQUIRED.concat(['instances-by-hosting', 'instances-on-version']))('%s runs on the embedded warehouse with its defaults and returns its display columns', async (name) => {
    const q = catalog.get(name)!;
    expect(q).toBeDefined();
    const given: Record<string, string> = {};
    for (const p of q.params) if (p.kind === 'customer') given[p.name] = 'acme';
    const resolved = await resolveParams(q, given, { ...ctx, today: new Date() });
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    const result = await warehouse.query(q.duckdbSql ?? q.sql, resolved.params.bound, { maximumBytesBilled: 1024 ** 3 });
    expect(result.rows.length).toBeGreaterThan(0);
    const columns = Object.keys(result.rows[0]!);
    for (const c of [q.display.x, ...q.display.y, q.display.series].filter((c): c is string => !!c)) expect(columns).toContain(c);
    for (const y of q.display.y) expect(result.rows.every((r) => typeof r[y] === 'number')).toBe(true);
  });

  it('weekly queries return whole weeks starting on Mondays, within the window', async () => {
    const q = catalog.get('weekly-active-instances')!;
    const r = await resolveParams(q, { weeks: '4', hosting: 'managed' }, { ...ctx, today: new Date() });
    if (!r.ok) throw new Error('params');
    const { rows } = await warehouse.query(q.duckdbSql!, r.params.bound);
    const weeks = [...new Set(rows.map((x) => String(x.week)))];
    expect(weeks.length).toBe(4);
    for (const w of weeks) expect(new Date(`${w}T00:00:00Z`).getUTCDay()).toBe(1);
    expect(new Set(rows.map((x) => x.hosting))).toEqual(new Set(['managed']));
  });

  // A partial period counts as a whole one and draws a false dip at the end of every chart.
  const periodic = () => catalog.queries.filter((q) => q.display.x === 'week' || q.display.x === 'day');

  it('finds the saved queries charted by week or by day (the ones a partial period applies to)', () => {
    expect(periodic().map((q) => q.name).sort()).toEqual(['customer-pings-per-day', 'instances-by-telemetry-level', 'user-event-volume', 'version-adoption', 'weekly-active-instances']);
  });

  it.each(['weekly-active-instances', 'instances-by-telemetry-level', 'version-adoption', 'customer-pings-per-day', 'user-event-volume'])(
    '%s leaves out the current, partial week or day on the embedded warehouse; its last point is a whole period',
    async (name) => {
      const q = catalog.get(name)!;
      const given: Record<string, string> = {};
      for (const p of q.params) if (p.kind === 'customer') given[p.name] = 'acme';
      const now = new Date();
      const r = await resolveParams(q, given, { ...ctx, today: now });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const { rows } = await warehouse.query(q.duckdbSql ?? q.sql, r.params.bound);
      const periods = [...new Set(rows.map((x) => String(x[q.display.x!] instanceof Date ? (x[q.display.x!] as Date).toISOString().slice(0, 10) : x[q.display.x!]).slice(0, 10)))].sort();
      expect(periods.length).toBeGreaterThan(0);
      const today = now.toISOString().slice(0, 10);
      const last = periods.at(-1)!;
      if (q.display.x === 'week') {
        const thisMonday = new Date(`${today}T00:00:00Z`);
        thisMonday.setUTCDate(thisMonday.getUTCDate() - ((thisMonday.getUTCDay() + 6) % 7));
        const lastMonday = new Date(thisMonday.getTime() - 7 * 86_400_000).toISOString().slice(0, 10);
        expect(last).toBe(lastMonday);
        // "weeks" whole weeks, ending with last week.
        expect(periods.length).toBe(Number(r.params.canonical['weeks']));
      } else {
        expect(last < today).toBe(true);
      }
    },
  );

  it('leaves the partial period out of the BigQuery SQL too, not only out of its DuckDB form', () => {
    for (const q of periodic()) {
      const bq = q.sql.replace(/\s+/g, ' ');
      if (q.display.x === 'week') expect(bq).toMatch(/< TIMESTAMP\((DATE_TRUNC\(CURRENT_DATE\(\), WEEK\(MONDAY\)\)|bounds\.this_week)\)/);
      else expect(bq).toContain('< CAST(CURRENT_DATE AS TIMESTAMP)');
      expect(bq).not.toMatch(/INTERVAL \(@weeks - 1\)/);
    }
  });

  it('telemetry levels per week include instances sending nothing', async () => {
    const q = catalog.get('instances-by-telemetry-level')!;
    const r = await resolveParams(q, {}, { ...ctx, today: new Date() });
    if (!r.ok) throw new Error('params');
    const { rows } = await warehouse.query(q.duckdbSql!, r.params.bound);
    expect(new Set(rows.map((x) => x.level))).toEqual(new Set(['No telemetry', 'Critical pings', 'Full pings', 'Full pings + user-level data']));
  });
});

describe('parameters', () => {
  const q = () => catalog.get('customer-pings-per-day')!;

  it('parses name=value pairs with quoted values, and keeps stray words apart', () => {
    expect(parseParamText(' customer="Acme Corp" since=2025-05-01 oops “x”')).toEqual({
      values: { customer: 'Acme Corp', since: '2025-05-01' }, stray: ['oops', '“x”'], conflicts: {},
    });
    expect(parseParamText('customer=“Acme Corp”').values).toEqual({ customer: 'Acme Corp' });
  });

  it('notes a name given twice with different values, not the same value repeated', () => {
    expect(parseParamText('weeks=5 hosting=cloud weeks=9 WEEKS=5 weeks=12 hosting=cloud').conflicts).toEqual({ weeks: ['5', '9', '12'] });
    expect(parseParamText('weeks=8 weeks=8 weeks=8').conflicts).toEqual({});
  });

  it('binds typed values: customers as IDs, dates resolved', async () => {
    const r = await resolveParams(q(), { customer: 'acme.com', since: '-7d' }, ctx);
    expect(r).toMatchObject({ ok: true, params: { canonical: { customer: 'acme', since: '2025-06-08' }, bound: { customer: { type: 'STRING', value: 'acme' }, since: { type: 'DATE', value: '2025-06-08' } } } });
    const w = await resolveParams(catalog.get('weekly-active-instances')!, { weeks: '6' }, ctx);
    expect(w).toMatchObject({ ok: true, params: { bound: { weeks: { type: 'INT64', value: 6 }, hosting: { type: 'STRING', value: 'all' } } } });
  });

  it.each([
    [{ weeks: '500' }, 'weeks', 'must be from 1 to 13, got 500'],
    [{ weeks: '0' }, 'weeks', 'must be from 1 to 13'],
    [{ weeks: 'twelve' }, 'weeks', 'expects a whole number from 1 to 13'],
    [{ weeks: '1.5' }, 'weeks', 'expects a whole number'],
    [{ hosting: 'mars' }, 'hosting', 'expects one of all, cloud, self-hosted, managed'],
    [{ weeks: '9'.repeat(5000) }, 'weeks', 'at most 200 characters (got 5,000)'],
    [{ colour: 'red' }, 'colour', 'is not a parameter of weekly-active-instances (it takes weeks, hosting)'],
  ])('refuses %j naming %s', async (given, name, message) => {
    const r = await resolveParams(catalog.get('weekly-active-instances')!, given, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[name]).toContain(message);
  });

  it.each([
    // Keyed by the parameter; the text does not repeat its name (the view puts the label people see in front).
    [{}, 'customer', 'required (a customer name, alias or domain)'],
    [{ customer: 'stark' }, 'customer', 'matches several customers'],
    [{ customer: 'zzqqxx' }, 'customer', 'no customer matches'],
    [{ customer: 'acme', since: '2025-02-30' }, 'since', 'expects a date as YYYY-MM-DD'],
    [{ customer: 'acme', since: '2020-01-01' }, 'since', 'must be on or after 2024-06-15'],
    [{ customer: 'acme', since: '2026-01-01' }, 'since', 'must be on or before 2025-06-14'],
    [{ customer: "acme'; DROP TABLE pings; --" }, 'customer', 'no customer matches'],
  ])('refuses %j naming %s', async (given, name, message) => {
    const r = await resolveParams(q(), given, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[name]).toContain(message);
  });

  it('checks string parameters against their pattern and length', async () => {
    const v = catalog.get('instances-on-version')!;
    expect((await resolveParams(v, { version: '5.4.1' }, ctx)).ok).toBe(true);
    const bad = await resolveParams(v, { version: "5' OR 1=1" }, ctx);
    expect(bad.ok ? '' : bad.problems.version).toContain('expects a version like 5.4 or 5.4.1');
    const long = await resolveParams(v, { version: '5'.repeat(21) }, ctx);
    expect(long.ok ? '' : long.problems.version).toContain('at most 20 characters');
  });

  it('resolves relative dates against today (UTC)', () => {
    const today = new Date('2025-03-01T23:30:00Z');
    expect(resolveDateSpec('-1d', today)).toBe('2025-02-28');
    expect(resolveDateSpec('-2w', today)).toBe('2025-02-15');
    expect(resolveDateSpec('today', today)).toBe('2025-03-01');
  });
});

const GOOD = `/*
name: good
title: Good
description: A good query.
owner: me
params:
  weeks: { type: int, default: 4, min: 1, max: 10 }
display: { type: line, x: week, y: n }
*/
SELECT 1 AS week, @weeks AS n FROM {{pings}}
`;

describe('bad catalog files are refused, naming the file and the problem', () => {
  it('accepts the good example', () => {
    expect(parseQueryFile('queries/good.sql', GOOD).name).toBe('good');
  });

  it.each([
    ['no header', 'SELECT 1 FROM {{pings}}', 'must start with a /* … */ comment'],
    ['bad YAML', GOOD.replace('title: Good', 'title: [unclosed'), 'not valid YAML'],
    ['missing title', GOOD.replace('title: Good\n', ''), 'header needs title'],
    ['name not the file name', GOOD.replace('name: good', 'name: other'), 'must match the file name (good)'],
    ['unknown header key', GOOD.replace('owner: me', 'owner: me\nttl_minutes: 5'), 'unknown header key "ttl_minutes"'],
    ['unknown param type', GOOD.replace('type: int,', 'type: float,'), 'type must be one of string, int, date, enum, customer'],
    ['default out of bounds', GOOD.replace('default: 4', 'default: 40'), 'default 40 must be a whole number from 1 to 10'],
    ['min above max', GOOD.replace('min: 1, max: 10', 'min: 11, max: 10'), 'min 11 is above max 10'],
    ['undeclared parameter', GOOD.replace('@weeks AS n', '@weeks AS n, @days AS d'), 'uses @days, which is not declared'],
    ['unused parameter', GOOD.replace('@weeks AS n', '2 AS n'), 'param "weeks" is declared but the SQL never uses @weeks'],
    ['unknown table', GOOD.replace('{{pings}}', '{{salesforce}}'), 'reads {{salesforce}}, which is not a warehouse table'],
    ['no table', GOOD.replace('FROM {{pings}}', ''), 'reads no {{table}}'],
    ['two statements', GOOD.replace('{{pings}}', '{{pings}}; DROP TABLE x'), 'one statement'],
    ['bad chart type', GOOD.replace('type: line', 'type: donut'), 'display.type must be one of line, bar, stacked-bar, pie, table'],
    ['chart without y', GOOD.replace(', y: n', ''), 'display.y is required for a line chart'],
    ['bad ttl', GOOD.replace('owner: me', 'owner: me\nttl: soon'), 'ttl must be a duration'],
    ['enum default not an option', GOOD.replace('weeks: { type: int, default: 4, min: 1, max: 10 }', 'weeks: { type: enum, options: [a, b], default: c }'), 'default "c" is not one of the options'],
    ['bad date default', GOOD.replace('weeks: { type: int, default: 4, min: 1, max: 10 }', 'weeks: { type: date, default: yesterday }'), 'default must be YYYY-MM-DD'],
    ['bad duckdb override', GOOD.replace('owner: me', 'owner: me\nduckdb: |\n  SELECT 1 FROM {{pings}}'), 'duckdb SQL never uses @weeks'],
  ])('%s', (_what, text, message) => {
    let error: unknown;
    try {
      parseQueryFile('queries/good.sql', text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).code).toBe('catalog_invalid');
    expect((error as Error).message).toMatch(/^queries\/good\.sql: /);
    expect((error as Error).message).toContain(message);
  });

  it('stops loading at a bad file in a directory, naming it; refuses an empty or missing directory', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'catalog-'));
    try {
      const queries = path.join(dir, 'queries');
      await mkdir(queries);
      expect(() => loadCatalog(queries)).toThrow(/holds no \*\.sql query files/);
      await writeFile(path.join(queries, 'good.sql'), GOOD);
      expect(loadCatalog(queries).queries.map((q) => q.name)).toEqual(['good']);
      await writeFile(path.join(queries, 'broken.sql'), GOOD.replace('name: good', 'name: broken').replace('type: line', 'type: donut'));
      expect(() => loadCatalog(queries)).toThrow(/^queries\/broken\.sql: display\.type must be one of/);
      expect(() => loadCatalog(path.join(dir, 'nope'))).toThrow(CatalogError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// `npm test` builds first; a bare `vitest run` on an unbuilt (or stale) tree has nothing current to start.
const builtMain = path.resolve('dist/src/main.js');
const builtCurrent = existsSync(builtMain) && statSync(builtMain).mtimeMs >= statSync(path.resolve('src/main.ts')).mtimeMs;
describe.skipIf(!builtCurrent && process.env.CI !== 'true')('the built app with a bad catalog', () => {
  it('stops at start-up naming the file and the problem, before opening the warehouse', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'catalog-start-'));
    try {
      const queries = path.join(dir, 'queries');
      await mkdir(queries);
      await writeFile(path.join(queries, 'good.sql'), GOOD);
      await writeFile(path.join(queries, 'broken.sql'), GOOD.replace('name: good', 'name: broken').replace('@weeks AS n', '@weeks AS n, @days AS d'));
      const env: Record<string, string | undefined> = { ...process.env, QUERIES_DIR: queries, DATA_DIR: path.join(dir, 'data') };
      for (const k of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'WAREHOUSE', 'STORE']) delete env[k];
      const r = spawnSync(process.execPath, [builtMain], { env, encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('Query catalog error: queries/broken.sql: the SQL uses @days, which is not declared under params');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(path.join(dir, 'data', 'warehouse.duckdb'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('configuration of saved queries', () => {
  it('reads QUERIES_DIR and QUERY_MAX_BYTES, refusing bad values by name', async () => {
    const { loadConfig } = await import('../src/config.js');
    const config = loadConfig({ QUERIES_DIR: '/srv/queries', QUERY_MAX_BYTES: String(2 * 1024 ** 3) });
    expect(config.queries).toEqual({ dir: '/srv/queries', maxBytes: 2 * 1024 ** 3 });
    expect(loadConfig({}).queries.maxBytes).toBe(10 * 1024 ** 3);
    expect(() => loadConfig({ QUERY_MAX_BYTES: 'lots' })).toThrow(/^QUERY_MAX_BYTES: expects a whole number/);
    expect(() => loadConfig({ QUERY_MAX_BYTES: '10' })).toThrow(/^QUERY_MAX_BYTES: expects a whole number from 1048576/);
  });
});

describe('instances-by-telemetry-level', () => {
  it('does not report a week the pipeline has no pings for as every instance at "No telemetry"', async () => {
    const q = catalog.get('instances-by-telemetry-level')!;
    // A week the pipeline lost: every ping of the whole week five weeks back is taken out.
    const d = new Date();
    const lost = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7) - 5 * 7));
    const day = (t: Date) => t.toISOString().slice(0, 10);
    const conn = await warehouse.connection();
    await conn.run(`CREATE TABLE answers_lost_pings AS SELECT * FROM pings WHERE received_at >= TIMESTAMP '${day(lost)}' AND received_at < TIMESTAMP '${day(lost)}' + INTERVAL 7 DAY`);
    await conn.run(`DELETE FROM pings WHERE received_at >= TIMESTAMP '${day(lost)}' AND received_at < TIMESTAMP '${day(lost)}' + INTERVAL 7 DAY`);
    try {
      const r = await resolveParams(q, { weeks: '8' }, { today: new Date(), customers: async () => { throw new Error('no customer'); } });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const { rows } = await warehouse.query(q.duckdbSql!, r.params.bound);
      const weekOf = (w: unknown) => (w instanceof Date ? day(w) : String(w).slice(0, 10));
      // The weeks around it are there; the lost one is not drawn as a week of "No telemetry".
      expect(rows.some((row) => weekOf(row.week) === day(new Date(lost.getTime() + 7 * 86_400_000)))).toBe(true);
      expect(rows.filter((row) => weekOf(row.week) === day(lost)).map((row) => `${String(row.level)}: ${String(row.instances)}`)).toEqual([]);
    } finally {
      await conn.run('INSERT INTO pings SELECT * FROM answers_lost_pings');
      await conn.run('DROP TABLE answers_lost_pings');
      conn.closeSync();
    }
  });
});

describe('the demo warehouse', () => {
  it("gives each instance the version its newest ping reported, so /telemetry's Version agrees with the pings", async () => {
    const { rows } = await warehouse.query(
      `SELECT COUNT(*) AS n FROM {{instances}} AS i
       JOIN (SELECT site_id, arg_max(version, received_at) AS v FROM {{pings}} GROUP BY site_id) AS l ON l.site_id = i.site_id
       WHERE i.version <> l.v`, {});
    expect(Number(rows[0]!.n)).toBe(0);
  });
});

describe('versions, compared as versions', () => {
  const lastWeekMonday = () => {
    const d = new Date();
    const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7) - 7));
    return monday;
  };

  it('version-adoption counts an instance under its last ping\'s version of the week: 5.10.0 after 5.9.2, not the larger text', async () => {
    const q = catalog.get('version-adoption')!;
    const monday = lastWeekMonday();
    const at = (hours: number) => new Date(monday.getTime() + hours * 3_600_000).toISOString().replace('T', ' ').slice(0, 19);
    const conn = await warehouse.connection();
    try {
      await conn.run(`INSERT INTO pings (site_id, received_at, ping_type, version) VALUES ('answers-upgrade', '${at(10)}', 'full', '5.9.2'), ('answers-upgrade', '${at(30)}', 'full', '5.10.0')`);
      const r = await resolveParams(q, { weeks: '1' }, { today: new Date(), customers: async () => { throw new Error('no customer'); } });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const { rows } = await warehouse.query(q.duckdbSql!, r.params.bound);
      const of = (version: string) => rows.filter((row) => row.version === version).reduce((n, row) => n + Number(row.instances), 0);
      expect({ '5.10.0': of('5.10.0'), '5.9.2': of('5.9.2') }).toEqual({ '5.10.0': 1, '5.9.2': 0 });
    } finally {
      await conn.run(`DELETE FROM pings WHERE site_id = 'answers-upgrade'`);
      conn.closeSync();
    }
  });

  it('instances-on-version takes whole parts of a version: 5.4 finds 5.4.1 and 5.4, not 5.40.0', async () => {
    const q = catalog.get('instances-on-version')!;
    const conn = await warehouse.connection();
    const { rows: one } = await warehouse.query('SELECT customer_id, hosting, created_at FROM {{instances}} LIMIT 1', {});
    const [c] = one;
    try {
      for (const [site, version] of [['answers-540', '5.40.0'], ['answers-54', '5.4'], ['answers-541rc', '5.4.1-rc.1']]) {
        await conn.run(`INSERT INTO instances (site_id, customer_id, hosting, version, created_at) VALUES ('${site}', '${String(c!.customer_id)}', '${String(c!.hosting)}', '${version}', TIMESTAMP '2026-01-01 00:00:00')`);
      }
      const r = await resolveParams(q, { version: '5.4' }, { today: new Date(), customers: async () => { throw new Error('no customer'); } });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const { rows } = await warehouse.query(q.sql, r.params.bound);
      const sites = new Set(rows.map((row) => row.site_id));
      expect({ '5.40.0': sites.has('answers-540'), '5.4': sites.has('answers-54'), '5.4.1-rc.1': sites.has('answers-541rc') }).toEqual({ '5.40.0': false, '5.4': true, '5.4.1-rc.1': true });
      expect(rows.every((row) => /^5\.4($|[.+-])/.test(String(row.version)))).toBe(true);
    } finally {
      await conn.run(`DELETE FROM instances WHERE site_id LIKE 'answers-%'`);
      conn.closeSync();
    }
  });
});

describe('top-customers-by-active-users', () => {
  it('counts two customers of one name apart, not as one with both counts', async () => {
    const q = catalog.get('top-customers-by-active-users')!;
    const conn = await warehouse.connection();
    const recent = new Date(Date.now() - 86_400_000).toISOString().replace('T', ' ').slice(0, 19);
    try {
      for (const n of [1, 2]) {
        await conn.run(`INSERT INTO customers (customer_id, name, aliases, domain, created_at) VALUES ('answers-twin-${n}', 'Twin Name Co', NULL, 'twin${n}.example', TIMESTAMP '2026-01-01 00:00:00')`);
        await conn.run(`INSERT INTO instances (site_id, customer_id, hosting, version, created_at) VALUES ('answers-twin-site-${n}', 'answers-twin-${n}', 'cloud', '5.4.1', TIMESTAMP '2026-01-01 00:00:00')`);
        // Many users each, so that both rank at the top.
        await conn.run(`INSERT INTO events (site_id, occurred_at, user_id, event_name) SELECT 'answers-twin-site-${n}', TIMESTAMP '${recent}', 'answers-u-' || i, 'search' FROM range(100000) t(i)`);
      }
      const r = await resolveParams(q, {}, { today: new Date(), customers: async () => { throw new Error('no customer'); } });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const { rows } = await warehouse.query(q.duckdbSql ?? q.sql, r.params.bound);
      expect(rows.filter((row) => row.customer === 'Twin Name Co').map((row) => Number(row.active_users))).toEqual([100000, 100000]);
    } finally {
      await conn.run(`DELETE FROM events WHERE site_id LIKE 'answers-twin-site-%'`);
      await conn.run(`DELETE FROM instances WHERE site_id LIKE 'answers-twin-site-%'`);
      await conn.run(`DELETE FROM customers WHERE customer_id LIKE 'answers-twin-%'`);
      conn.closeSync();
    }
  });
});
