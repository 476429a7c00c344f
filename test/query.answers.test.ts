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
    // weeks=13 (its max) reaches back past the demo's 90 days of pings.
    const r = await resolveParams(q, { weeks: '13' }, { today: new Date(), customers: async () => { throw new Error('no customer'); } });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const { rows } = await warehouse.query(q.duckdbSql!, r.params.bound);
    const { rows: first } = await warehouse.query('SELECT MIN(received_at) AS first FROM {{pings}}', {});
    const firstPing = first[0]!.first as Date;
    for (const row of rows) {
      const weekEnd = new Date(new Date(`${String(row.week instanceof Date ? row.week.toISOString().slice(0, 10) : row.week)}T00:00:00Z`).getTime() + 7 * 86_400_000);
      // A week ending before the first ping on record has no data: it is not a week of "No telemetry".
      expect({ week: String(row.week), level: row.level, beforeData: weekEnd <= firstPing }).toMatchObject({ beforeData: false });
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
