/**
 * The deterministic demo warehouse: ~1,000 customers, their instances, ~1M pings
 * and ~200k user-level events over the last 90 days, generated in DuckDB SQL
 * from hash-based pseudo-randomness (the same rows every generation, relative to
 * the generation time). A few memorable customers cover every telemetry level.
 */
import { createHash } from 'node:crypto';
import { TIMESTAMP, timestampValue, type DuckDBConnection } from '@duckdb/node-api';

/** Bump when the generator changes: an existing demo file of another version is regenerated. */
export const DEMO_SEED_VERSION = 3;
/** Days of pings and events in the demo. */
export const DEMO_DAYS = 90;

/** The telemetry level an instance was generated to show (derived from the data elsewhere). */
export type DemoLevel = 'none' | 'critical' | 'full' | 'full+user';
/** Where an instance runs. */
export type Hosting = 'cloud' | 'self-hosted' | 'managed';

/** A hand-written demo instance, and the level its generated data shows. */
export interface DemoInstance {
  siteId: string;
  hosting: Hosting;
  level: DemoLevel;
}

/** A hand-written demo customer (a row of `customers`) and its instances. */
export interface DemoCustomer {
  customerId: string;
  name: string;
  /** `|`-separated, may be ''. */
  aliases: string;
  domain: string;
  instances: DemoInstance[];
}

/** Site IDs look like UUIDs: md5 of a key, shaped 8-4-4-4-12 (the SQL generator does the same). */
export function demoSiteId(key: string): string {
  const h = createHash('md5').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function customer(customerId: string, name: string, aliases: string, domain: string, instances: Array<[Hosting, DemoLevel]>): DemoCustomer {
  return {
    customerId, name, aliases, domain,
    instances: instances.map(([hosting, level], k) => ({ siteId: demoSiteId(`${customerId}#${k}`), hosting, level })),
  };
}

/** Acme Corp: three instances at three different levels. */
export const DEMO_ACME = customer('acme', 'Acme Corp', 'Acme|ACME Inc', 'acme.com', [
  ['managed', 'full+user'],
  ['self-hosted', 'full'],
  ['self-hosted', 'critical'],
]);
/** One single-instance customer per telemetry level. */
export const DEMO_GLOBEX = customer('globex', 'Globex', 'Globex Corporation', 'globex.com', [['self-hosted', 'none']]);
export const DEMO_INITECH = customer('initech', 'Initech', 'Initech LLC', 'initech.com', [['self-hosted', 'critical']]);
export const DEMO_UMBRELLA = customer('umbrella', 'Umbrella', 'Umbrella Corporation', 'umbrella.com', [['self-hosted', 'full']]);
export const DEMO_HOOLI = customer('hooli', 'Hooli', 'Hooli XYZ', 'hooli.com', [['cloud', 'full+user']]);
/** Pings turned off: full pings until 45 days ago, none since (no telemetry in a 30-day window, yet history exists). */
export const DEMO_VANDELAY = customer('vandelay', 'Vandelay Industries', 'Vandelay', 'vandelay.com', [['self-hosted', 'none']]);
/** When Vandelay's last ping was sent. */
export const DEMO_VANDELAY_STOPPED_DAYS_AGO = 45;
/** Several customers match "stark". */
export const DEMO_STARKS = [
  customer('stark-industries', 'Stark Industries', '', 'starkindustries.com', [['managed', 'full+user'], ['self-hosted', 'full']]),
  customer('stark-logistics', 'Stark Logistics', '', 'starklogistics.com', [['self-hosted', 'critical']]),
  customer('stark-capital', 'Stark Capital', '', 'starkcapital.com', [['cloud', 'full+user']]),
];
/** Every hand-written demo customer. */
export const DEMO_CUSTOMERS: readonly DemoCustomer[] = [DEMO_ACME, DEMO_GLOBEX, DEMO_INITECH, DEMO_UMBRELLA, DEMO_HOOLI, DEMO_VANDELAY, ...DEMO_STARKS];
/** How many customers the generator adds to the hand-written ones. */
export const DEMO_GENERATED_CUSTOMERS = 995;

/** Releases, newest first, with how many days before generation each came out. */
const RELEASES: Array<[version: string, daysAgo: number]> = [
  ['5.4.1', 12], ['5.3.2', 40], ['5.2.7', 75], ['5.1.8', 120], ['5.0.6', 200], ['4.5.1', 300], ['4.4.2', 400],
];

// Word lists for generated names; none of them overlaps a hand-written customer's name.
const STEMS = ['Blue', 'North', 'Silver', 'Bright', 'Iron', 'Red', 'Green', 'Summit', 'Pioneer', 'Atlas', 'Apex', 'Harbor',
  'Cedar', 'Granite', 'Falcon', 'Orion', 'Vertex', 'Quantum', 'Nova', 'Crescent', 'Evergreen', 'Keystone', 'Meridian',
  'Sterling', 'Lighthouse', 'Redwood', 'Riverbend', 'Beacon', 'Cobalt', 'Horizon', 'Maple', 'Pinnacle', 'Prairie',
  'Sequoia', 'Tidewater', 'Westfield', 'Everest', 'Liberty', 'Crown', 'Eagle', 'Bayview', 'Lakeshore', 'Oakridge',
  'Stonebridge', 'Clearwater', 'Ironwood', 'Northstar', 'Bluewater', 'Copper', 'Union', 'Frontier', 'Harvest',
  'Polaris', 'Sapphire', 'Titan', 'Vanguard', 'Zenith', 'Ember', 'Alder', 'Juniper'];
const KINDS = ['Analytics', 'Systems', 'Software', 'Labs', 'Logistics', 'Health', 'Bank', 'Insurance', 'Foods', 'Energy',
  'Robotics', 'Media', 'Networks', 'Capital', 'Motors', 'Pharma', 'Retail', 'Airlines', 'Telecom', 'Biotech', 'Security',
  'Manufacturing', 'Financial', 'Games', 'Semiconductors', 'Cloud', 'Data', 'Consulting', 'Outdoor', 'Brewing',
  'Shipping', 'Realty', 'Payments', 'Education', 'Aerospace', 'Marine', 'Mobility', 'Apparel', 'Hotels', 'Devices'];
const SYLLABLES_A = ['Zen', 'Vel', 'Quo', 'Lum', 'Bri', 'Kor', 'Mar', 'Tal', 'Syn', 'Dyn', 'Ver', 'Nex', 'Cal', 'Hal', 'Oct', 'Pax'];
const SYLLABLES_B = ['ora', 'ex', 'ify', 'ion', 'ara', 'ix', 'eon', 'ano', 'ity', 'um', 'ova', 'ent'];
const SUFFIXES = ['Inc', 'Group', 'Co', 'Ltd', 'GmbH', 'AG', 'Holdings', 'Technologies', 'Corporation', 'SA'];
const EVENT_NAMES = ['SearchResultsQueried', 'ViewBlob', 'ViewRepository', 'GoToDefinition', 'FindReferences',
  'CodeIntelligenceHover', 'CodyChatSubmitted', 'CodyCompletionAccepted', 'SignIn', 'NotebookCreated',
  'InsightsDashboardViewed', 'SavedSearchCreated', 'BatchChangeCreated'];

/** A SQL list literal of our own constant words (never user text). */
function list(words: readonly string[]): string {
  for (const w of words) if (!/^[A-Za-z0-9. ]+$/.test(w)) throw new Error(`bad word ${w}`);
  return `[${words.map((w) => `'${w}'`).join(', ')}]`;
}

/** `CASE` giving the version an instance with upgrade lag `lag` days ran `ago` days before generation. */
function versionAt(ago: string, lag: string): string {
  const arms = RELEASES.map(([v, d]) => `WHEN ${ago} + ${lag} <= ${d} THEN '${v}'`).join(' ');
  return `CASE ${arms} ELSE '4.3.0' END`;
}

const UUID = (key: string) =>
  `(SELECT substr(h,1,8)||'-'||substr(h,9,4)||'-'||substr(h,13,4)||'-'||substr(h,17,4)||'-'||substr(h,21,12) FROM (SELECT md5(${key}) AS h))`;

/**
 * Statements of the generator, in order. `$now` is the generation time. Randomness:
 * rnd(key, salt) is a uniform [0,1) number from DuckDB's hash, so every run gives the same rows.
 */
function generatorSql(): string[] {
  return [
    `CREATE OR REPLACE TEMP MACRO rnd(k, salt) AS (hash(k, salt) % 1000003)::DOUBLE / 1000003`,
    // Generated customers: "Stem Kind", invented brands, and brands with a kind; some with a corporate suffix.
    `CREATE OR REPLACE TEMP TABLE gen_customers AS
     WITH stems AS (SELECT unnest(${list(STEMS)}) AS stem),
          kinds AS (SELECT unnest(${list(KINDS)}) AS kind),
          brands AS (SELECT a || b AS brand FROM (SELECT unnest(${list(SYLLABLES_A)}) AS a), (SELECT unnest(${list(SYLLABLES_B)}) AS b)),
          candidates AS (
            SELECT stem || ' ' || kind AS base FROM stems, kinds
            UNION SELECT brand FROM brands
            UNION SELECT brand || ' ' || kind FROM brands, kinds WHERE rnd(brand || kind, 'bk') < 0.08),
          picked AS (SELECT base FROM candidates ORDER BY hash(base, 'pick') LIMIT ${DEMO_GENERATED_CUSTOMERS}),
          named AS (
            SELECT base, rnd(base, 'sfx') AS r,
                   CASE WHEN rnd(base, 'sfx') < 0.22 THEN base || ' ' || (${list(SUFFIXES)})[1 + (hash(base, 'sfxw') % ${SUFFIXES.length})::INT] ELSE base END AS name
            FROM picked)
     SELECT trim(regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g'), '-') AS customer_id,
            name,
            CASE WHEN name <> base THEN base
                   || CASE WHEN len(string_split(name, ' ')) >= 3 THEN '|' || array_to_string(list_transform(string_split(name, ' '), w -> w[1]), '') ELSE '' END
                 WHEN rnd(base, 'alias') < 0.12 THEN base || ' ' || ${list(['Corp'])}[1]
                 ELSE '' END AS aliases,
            CASE WHEN rnd(base, 'dom') < 0.10 THEN NULL
                 ELSE regexp_replace(lower(base), '[^a-z0-9]', '', 'g')
                      || CASE WHEN rnd(base, 'tld') < 0.75 THEN '.com' WHEN rnd(base, 'tld') < 0.9 THEN '.io' ELSE '.co' END END AS domain,
            $now - to_seconds((25 + floor(rnd(base, 'age') * 1500)) * 86400 + rnd(base, 'sec') * 86400) AS created_at
     FROM named`,
    // Instances: 1–4 per customer; hosting, level, upgrade lag and ping rate per instance.
    `CREATE OR REPLACE TEMP TABLE gen_instances AS
     WITH base AS (
       SELECT c.customer_id, k, ${UUID(`c.customer_id || '#' || k`)} AS site_id, c.created_at AS customer_created_at
       FROM gen_customers c, range(4) t(k)
       WHERE k < 1 + (rnd(c.customer_id, 'n1') < 0.35)::INT + (rnd(c.customer_id, 'n2') < 0.13)::INT + (rnd(c.customer_id, 'n3') < 0.05)::INT),
     hosted AS (
       SELECT *, CASE WHEN rnd(site_id, 'host') < 0.12 THEN 'cloud' WHEN rnd(site_id, 'host') < 0.35 THEN 'managed' ELSE 'self-hosted' END AS hosting,
                 rnd(site_id, 'level') AS lr
       FROM base)
     SELECT customer_id, site_id, hosting,
            CASE WHEN hosting = 'self-hosted' THEN (CASE WHEN lr < 0.15 THEN 'none' WHEN lr < 0.45 THEN 'critical' ELSE 'full' END)
                 WHEN hosting = 'managed' THEN (CASE WHEN lr < 0.15 THEN 'full' ELSE 'full+user' END)
                 ELSE (CASE WHEN lr < 0.05 THEN 'full' ELSE 'full+user' END) END AS level,
            least(customer_created_at + to_days((k * 40 + floor(rnd(site_id, 'born') * 60))::INT), $now - to_days(3)) AS created_at,
            CASE hosting WHEN 'cloud' THEN 0 WHEN 'managed' THEN 1 + floor(rnd(site_id, 'lag') * 10)
                 ELSE 3 + floor(pow(rnd(site_id, 'lag'), 2) * 260) END AS lag,
            rnd(site_id, 'rate') AS rr,
            CASE WHEN rnd(site_id, 'stop') < 0.5 THEN NULL ELSE 35 + floor(rnd(site_id, 'stopday') * 50) END AS stopped_days_ago,
            5 + floor(pow(rnd(site_id, 'users'), 2) * 300)::INT AS users
     FROM hosted`,
    // Hand-written customers' instances are inserted by the caller between these statements (see seedDemoWarehouse).
  ];
}

function finishSql(): string[] {
  return [
    // What each instance sends: ping kind and rate; air-gapped "none" instances send nothing.
    `CREATE OR REPLACE TEMP TABLE gen_plan AS
     SELECT *,
            CASE WHEN level = 'critical' THEN 'critical' WHEN level IN ('full', 'full+user') THEN 'full'
                 WHEN stopped_days_ago IS NOT NULL THEN (CASE WHEN rr < 0.3 THEN 'critical' ELSE 'full' END) END AS ping_type,
            CASE WHEN level = 'critical' THEN 1 + floor(rr * 4) WHEN level = 'full+user' THEN 7 + floor(rr * 12) ELSE 3 + floor(rr * 11) END AS rate,
            CASE WHEN level = 'full+user' THEN 2 + floor(rnd(site_id, 'ev') * 7) ELSE 0 END AS ev_rate,
            CASE WHEN level = 'none' THEN stopped_days_ago END AS silent_days
     FROM gen_instances`,
    `CREATE OR REPLACE TABLE customers AS
     SELECT customer_id::VARCHAR AS customer_id, name::VARCHAR AS name, aliases::VARCHAR AS aliases, domain::VARCHAR AS domain, created_at::TIMESTAMP AS created_at
     FROM gen_customers ORDER BY customer_id`,
    `CREATE OR REPLACE TABLE instances AS
     SELECT site_id::VARCHAR AS site_id, customer_id::VARCHAR AS customer_id, hosting::VARCHAR AS hosting,
            (${versionAt('coalesce(silent_days, 0)', 'lag')})::VARCHAR AS version, created_at::TIMESTAMP AS created_at
     FROM gen_plan ORDER BY customer_id, site_id`,
    `CREATE OR REPLACE TABLE pings AS
     SELECT site_id, received_at, ping_type, version FROM (
       SELECT p.site_id, p.ping_type::VARCHAR AS ping_type, d + rnd(hash(p.site_id, d, j), 'at') AS ago,
              ($now - to_seconds(ago * 86400))::TIMESTAMP AS received_at,
              (${versionAt('ago', 'p.lag')})::VARCHAR AS version, p.created_at, p.silent_days
       FROM gen_plan p, range(${DEMO_DAYS}) t(d), range(24) u(j)
       WHERE p.ping_type IS NOT NULL AND j < p.rate)
     WHERE received_at >= created_at AND (silent_days IS NULL OR ago > silent_days)
     -- Clustered by instance, as the BigQuery table is: per-customer lookups skip most row groups.
     ORDER BY site_id, received_at`,
    // An instance's current version is the one its newest ping reported (the generator's whole-day
    // version above can be a release ahead of a ping sent hours later in the same day, or after it stopped).
    `UPDATE instances SET version = latest.version
     FROM (SELECT site_id, arg_max(version, received_at) AS version FROM pings GROUP BY site_id) AS latest
     WHERE latest.site_id = instances.site_id`,
    `CREATE OR REPLACE TABLE events AS
     SELECT site_id, occurred_at, user_id, event_name FROM (
       SELECT p.site_id, ($now - to_seconds((d + rnd(hash(p.site_id, d, j), 'ev_at')) * 86400))::TIMESTAMP AS occurred_at,
              ('u-' || substr(md5(p.site_id || ':' || (hash(p.site_id, d, j, 'user') % p.users)::VARCHAR), 1, 12))::VARCHAR AS user_id,
              (${list(EVENT_NAMES)})[1 + floor(pow(rnd(hash(p.site_id, d, j), 'name'), 1.8) * ${EVENT_NAMES.length})::INT]::VARCHAR AS event_name,
              p.created_at
       FROM gen_plan p, range(${DEMO_DAYS}) t(d), range(16) u(j)
       WHERE p.level = 'full+user' AND j < p.ev_rate)
     WHERE occurred_at >= created_at
     ORDER BY site_id, occurred_at`,
    `CREATE OR REPLACE TABLE _table_metadata (table_name VARCHAR PRIMARY KEY, last_modified TIMESTAMP, row_count BIGINT)`,
    `INSERT INTO _table_metadata
     SELECT 'customers', $now, count(*) FROM customers UNION ALL
     SELECT 'instances', $now, count(*) FROM instances UNION ALL
     SELECT 'pings', $now, count(*) FROM pings UNION ALL
     SELECT 'events', $now, count(*) FROM events`,
    // The demo sources (demo-sources.ts) kept their modification times in the table just replaced: forget
    // that they were set, so their first use sets them again, as on a fresh DATA_DIR. Kept, their record
    // would say they are set while a source measured by table_modified has no update time (unknown).
    `DROP TABLE IF EXISTS _demo_sources`,
    `CREATE OR REPLACE TABLE _demo (generated_at TIMESTAMP, seed_version INTEGER)`,
    `INSERT INTO _demo VALUES ($now, ${DEMO_SEED_VERSION})`,
    `DROP TABLE gen_customers`, `DROP TABLE gen_instances`, `DROP TABLE gen_plan`,
  ];
}

const micros = (d: Date) => timestampValue(BigInt(d.getTime()) * 1000n);

/**
 * Generates the demo warehouse into the connection's database, replacing any
 * demo tables there, in one transaction. Returns how long it took.
 */
export async function seedDemoWarehouse(conn: DuckDBConnection, now: Date = new Date()): Promise<{ seconds: number }> {
  const started = performance.now();
  const withNow = async (sql: string) => {
    if (sql.includes('$now')) await conn.run(sql, { now: micros(now) }, { now: TIMESTAMP });
    else await conn.run(sql);
  };
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const sql of generatorSql()) await withNow(sql);
    for (const c of DEMO_CUSTOMERS) {
      await conn.run('INSERT INTO gen_customers VALUES ($1, $2, $3, $4, $5::TIMESTAMP - INTERVAL 700 DAY)', [c.customerId, c.name, c.aliases, c.domain, micros(now)]);
      for (const i of c.instances) {
        const stopped = c === DEMO_VANDELAY ? DEMO_VANDELAY_STOPPED_DAYS_AGO : null;
        // Fixed rates and lags so the hand-written customers look the same on every generation.
        await conn.run(
          `INSERT INTO gen_instances (customer_id, site_id, hosting, level, created_at, lag, rr, stopped_days_ago, users)
           VALUES ($1, $2, $3, $4, $5::TIMESTAMP - INTERVAL 600 DAY, $6, 0.5, $7, 40)`,
          [c.customerId, i.siteId, i.hosting, i.level, micros(now), i.hosting === 'self-hosted' ? 30 : 2, stopped],
        );
      }
    }
    for (const sql of finishSql()) await withNow(sql);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return { seconds: (performance.now() - started) / 1000 };
}

/**
 * Records that a table changed (for simulated pipelines): sets its last
 * modification time and row count in `_table_metadata`, which tableFreshness reads.
 */
export async function touchTable(conn: DuckDBConnection, table: string, at: Date = new Date()): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
  await conn.run(
    `INSERT OR REPLACE INTO _table_metadata SELECT $name, $at, (SELECT count(*) FROM "${table}")`,
    { name: table, at: micros(at) },
    { at: TIMESTAMP },
  );
}

/**
 * Keeps the demo current: when it was generated (or last shifted) more than an
 * hour ago, moves every timestamp forward by the time elapsed, so the newest
 * pings stay recent. Returns the shift in ms (0 when none was needed).
 */
export async function shiftDemoToNow(conn: DuckDBConnection, now: Date = new Date()): Promise<number> {
  const reader = await conn.runAndReadAll('SELECT epoch_ms(generated_at) AS ms FROM _demo');
  const generated = Number(reader.getRowObjects()[0]?.['ms'] ?? now.getTime());
  const shiftMs = now.getTime() - generated;
  if (shiftMs <= 3_600_000) return 0;
  const by = `to_milliseconds(${Math.trunc(shiftMs)})`;
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(`UPDATE customers SET created_at = created_at + ${by}`);
    await conn.run(`UPDATE instances SET created_at = created_at + ${by}`);
    await conn.run(`UPDATE pings SET received_at = received_at + ${by}`);
    await conn.run(`UPDATE events SET occurred_at = occurred_at + ${by}`);
    // A table touched after generation must not land in the future.
    await conn.run(`UPDATE _table_metadata SET last_modified = least(last_modified + ${by}, $now)`, { now: micros(now) }, { now: TIMESTAMP });
    await conn.run(`UPDATE _demo SET generated_at = $now`, { now: micros(now) }, { now: TIMESTAMP });
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return shiftMs;
}

/** Whether the database holds a demo of the current generator version. */
export async function hasCurrentDemo(conn: DuckDBConnection): Promise<boolean> {
  const reader = await conn.runAndReadAll(
    `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = '_demo' AND schema_name = 'main' AND database_name = current_database()`,
  );
  if (Number(reader.getRowObjects()[0]?.['n'] ?? 0) === 0) return false;
  const version = await conn.runAndReadAll('SELECT max(seed_version) AS v FROM _demo');
  return Number(version.getRowObjects()[0]?.['v'] ?? 0) === DEMO_SEED_VERSION;
}
