/**
 * The demo warehouse's pipeline sources, in every state the freshness checks
 * know (see sources.yml): HubSpot stale (a rerun fixes it), Salesforce and
 * production Postgres fresh, GitHub stale until its simulated hourly sync
 * lands a few minutes after start, and the sales-targets sheet missing
 * (unknown). Created on first use beside the demo seed's tables, and set
 * again on a first use more than 12 hours later.
 */
import type { EmbeddedWarehouse } from './duckdb.js';

const HOUR = 3_600_000;

interface DemoTable {
  name: string;
  columns: string;
  /** SELECT producing the rows (without `_fivetran_synced`, added from `$synced`). */
  rows: string;
  /** Fivetran tables carry `_fivetran_synced`; the others only table metadata. */
  fivetran: boolean;
  /** Last update, hours before the seed. */
  hoursAgo: number;
}

/** Hours since each demo source's last update when the demo is created. */
export const DEMO_SOURCE_AGES = { hubspot: 30, salesforce: 1, github: 3.5, prod_postgres: 2 } as const;

const TABLES: DemoTable[] = [
  {
    name: 'hubspot_contacts', fivetran: true, hoursAgo: DEMO_SOURCE_AGES.hubspot,
    columns: 'contact_id VARCHAR, email VARCHAR, lifecycle_stage VARCHAR',
    rows: `SELECT 'c-' || i, 'person' || i || '@example.com', (['lead', 'mql', 'sql', 'customer'])[1 + i % 4] FROM range(1, 401) t(i)`,
  },
  {
    name: 'hubspot_companies', fivetran: true, hoursAgo: DEMO_SOURCE_AGES.hubspot,
    columns: 'company_id VARCHAR, name VARCHAR, domain VARCHAR',
    rows: `SELECT 'co-' || i, 'Company ' || i, 'company' || i || '.com' FROM range(1, 121) t(i)`,
  },
  {
    name: 'salesforce_accounts', fivetran: true, hoursAgo: DEMO_SOURCE_AGES.salesforce,
    columns: 'account_id VARCHAR, name VARCHAR, customer_id VARCHAR',
    rows: `SELECT 'a-' || i, 'Account ' || i, 'cust-' || i FROM range(1, 201) t(i)`,
  },
  {
    name: 'salesforce_opportunities', fivetran: true, hoursAgo: DEMO_SOURCE_AGES.salesforce,
    columns: 'opportunity_id VARCHAR, account_id VARCHAR, amount DOUBLE, stage VARCHAR',
    rows: `SELECT 'o-' || i, 'a-' || (1 + i % 200), 1000.0 * (i % 50), (['prospect', 'negotiation', 'closed won', 'closed lost'])[1 + i % 4] FROM range(1, 301) t(i)`,
  },
  {
    name: 'github_commits', fivetran: true, hoursAgo: DEMO_SOURCE_AGES.github,
    columns: 'sha VARCHAR, repo VARCHAR, author VARCHAR',
    rows: `SELECT md5('commit' || i), 'sourcegraph/' || (['sourcegraph', 'cody', 'zoekt'])[1 + i % 3], 'dev' || (i % 25) FROM range(1, 1001) t(i)`,
  },
  {
    name: 'prod_postgres_subscriptions', fivetran: false, hoursAgo: DEMO_SOURCE_AGES.prod_postgres,
    columns: 'subscription_id VARCHAR, customer_id VARCHAR, plan VARCHAR, seats BIGINT',
    rows: `SELECT 's-' || i, 'cust-' || i, (['team', 'business', 'enterprise'])[1 + i % 3], 10 * (1 + i % 40) FROM range(1, 151) t(i)`,
  },
];

/**
 * DuckDB's TIMESTAMP type and a Date as its value. Imported when first used
 * (the warehouse has loaded the bindings by then), so that importing this
 * module loads no DuckDB: the services import it whatever the warehouse.
 */
async function timestamps() {
  const { TIMESTAMP, timestampValue } = await import('@duckdb/node-api');
  return { TIMESTAMP, micros: (d: Date) => timestampValue(BigInt(d.getTime()) * 1000n) };
}
/** The demo states are set again on the first use after this long (a demo left for days would be all stale). */
const RESEED_AFTER_MS = 12 * HOUR;
const seeded = new WeakMap<EmbeddedWarehouse, Promise<boolean>>();

/**
 * Creates the demo source tables if the warehouse has none yet, or they were
 * set more than 12 hours ago (once per warehouse object; in between, later
 * opens keep what reruns did). Resolves true when it (re)created them.
 */
export function ensureDemoSources(warehouse: EmbeddedWarehouse, now: Date = new Date()): Promise<boolean> {
  let done = seeded.get(warehouse);
  if (!done) {
    done = seed(warehouse, now);
    seeded.set(warehouse, done);
    done.catch(() => seeded.delete(warehouse));
  }
  return done;
}

async function seed(warehouse: EmbeddedWarehouse, now: Date): Promise<boolean> {
  const { TIMESTAMP, micros } = await timestamps();
  const conn = await warehouse.connection();
  try {
    const present = await conn.runAndReadAll(
      `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = '_demo_sources' AND schema_name = 'main' AND database_name = current_database()`,
    );
    if (Number(present.getRowObjects()[0]?.['n'] ?? 0) > 0) {
      const seededAt = await conn.runAndReadAll('SELECT epoch_ms(max(seeded_at)) AS ms FROM _demo_sources');
      // Recent enough: keep what reruns did. Older: the states have drifted (everything stale), so set them again.
      if (now.getTime() - Number(seededAt.getRowObjects()[0]?.['ms'] ?? 0) < RESEED_AFTER_MS) return false;
    }
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run('CREATE OR REPLACE TABLE _demo_sources (seeded_at TIMESTAMP)');
      await conn.run('INSERT INTO _demo_sources VALUES ($at)', { at: micros(now) }, { at: TIMESTAMP });
      for (const t of TABLES) {
        const at = micros(new Date(now.getTime() - t.hoursAgo * HOUR));
        await conn.run(`CREATE TABLE IF NOT EXISTS "${t.name}" (${t.columns}${t.fivetran ? ', _fivetran_synced TIMESTAMP' : ''})`);
        await conn.run(`DELETE FROM "${t.name}"`);
        if (t.fivetran) await conn.run(`INSERT INTO "${t.name}" SELECT *, $at FROM (${t.rows})`, { at }, { at: TIMESTAMP });
        else await conn.run(`INSERT INTO "${t.name}" ${t.rows}`);
        // What touchTable records, for all tables at once (touchTable re-measures the whole warehouse each time).
        await conn.run(`INSERT OR REPLACE INTO _table_metadata SELECT $name, $at, (SELECT count(*) FROM "${t.name}")`, { name: t.name, at }, { at: TIMESTAMP });
      }
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    conn.closeSync();
  }
  // Once, so the scan estimates include the new tables.
  const last = TABLES.at(-1)!;
  await warehouse.touchTable(last.name, new Date(now.getTime() - last.hoursAgo * HOUR));
  return true;
}

/**
 * What a sync does to the demo tables: stamps every row's `_fivetran_synced`
 * (where the table has it) and the table's modification time with `at`.
 * Unknown or missing tables are skipped.
 */
export async function refreshDemoTables(warehouse: EmbeddedWarehouse, tables: string[], at: Date = new Date()): Promise<string[]> {
  const refreshed: string[] = [];
  const { TIMESTAMP, micros } = await timestamps();
  const conn = await warehouse.connection();
  try {
    for (const table of tables) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) continue;
      const cols = await conn.runAndReadAll(
        `SELECT column_name FROM duckdb_columns() WHERE table_name = $t AND schema_name = 'main' AND database_name = current_database()`,
        { t: table },
      );
      const names = cols.getRowObjects().map((r) => String(r['column_name']));
      if (names.length === 0) continue;
      if (names.includes('_fivetran_synced')) {
        await conn.run(`UPDATE "${table}" SET _fivetran_synced = $at`, { at: micros(at) }, { at: TIMESTAMP });
      }
      refreshed.push(table);
    }
  } finally {
    conn.closeSync();
  }
  for (const table of refreshed) await warehouse.touchTable(table, at);
  return refreshed;
}

/** The demo's GitHub source syncs on its own this long after start (it recovers without a rerun). */
export const DEMO_GITHUB_SYNC_AFTER_MS = 10 * 60_000;

/**
 * Starts the demo's own schedule: GitHub's hourly sync lands `afterMs` after
 * start. Returns a function that cancels it.
 */
export function startDemoSchedule(warehouse: EmbeddedWarehouse, options: { afterMs?: number; onError?: (err: unknown) => void } = {}): () => void {
  const timer = setTimeout(() => {
    ensureDemoSources(warehouse)
      .then(() => refreshDemoTables(warehouse, ['github_commits']))
      .catch((err) => options.onError?.(err));
  }, options.afterMs ?? DEMO_GITHUB_SYNC_AFTER_MS);
  timer.unref();
  return () => clearTimeout(timer);
}
