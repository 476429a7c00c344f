/**
 * Saved queries answer right at the edges of the data they read (a week before the first ping on record is
 * no week of "No telemetry"), and the demo warehouse agrees with itself (an instance's version is the one its
 * newest ping reported, as /telemetry shows it).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Catalog } from '../src/catalog/catalog.js';
import { resolveParams } from '../src/catalog/params.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { freshDataDir } from './support/harness.js';

let catalog: Catalog;
let warehouse: EmbeddedWarehouse;
let dataDir: string;
beforeAll(async () => {
  catalog = loadCatalog(path.resolve('queries'));
  dataDir = await freshDataDir();
  warehouse = await openEmbeddedWarehouse({ dataDir, timeoutMs: 60_000 });
}, 120_000);
afterAll(async () => {
  await warehouse?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
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
