/**
 * The BigQuery adapter against answers the REST API allows but the happy path
 * never shows (facts: test/support/vendor-facts/bigquery.ts): getQueryResults
 * answering `jobComplete: false` at once, a job whose `status.errors` hold
 * errors it got past (no `errorResult`), REPEATED and RECORD cells (a REPEATED
 * field's `v` is an array of `{ v }`, a RECORD's is `{ f: [{ v }] }`).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Warehouse } from '../src/ports/warehouse.js';
import { CostCapError } from '../src/errors.js';
import { openBigQueryWarehouse } from '../src/adapters/warehouse/bigquery.js';
import { openEmbeddedWarehouse, type EmbeddedWarehouse } from '../src/adapters/warehouse/duckdb.js';
import { FakeBigQuery, fakeCredentials } from './support/fake-bigquery.js';

let embedded: EmbeddedWarehouse;
let connection: DuckDBConnection;
/** A fake whose getQueryResults never holds a request for an incomplete job. */
let impatient: FakeBigQuery;
let bigquery: Warehouse;

beforeAll(async () => {
  embedded = await openEmbeddedWarehouse({ dataDir: ':memory:', timeoutMs: 10_000 });
  connection = await embedded.connection();
  impatient = await FakeBigQuery.start({ connection, pollMs: 0 });
  bigquery = openBigQueryWarehouse(impatient.config(), { timeoutMs: 10_000, authClient: fakeCredentials() });
}, 120_000);

afterAll(async () => {
  await impatient?.close();
  connection?.closeSync();
  await embedded?.close();
});

describe('BigQuery adapter: variations the REST API allows', () => {
  it('waits between polls of a job that is still running, however soon getQueryResults answers', async () => {
    impatient.slowNextJobs(1, 1500);
    const before = impatient.requests.length;
    const r = await bigquery.query('SELECT 1 AS x');
    expect(r.rows).toEqual([{ x: 1 }]);
    const polls = impatient.requests.slice(before).filter((q) => q.method === 'GET' && q.path.includes('/queries/'));
    // A busy loop asks hundreds of times in 1.5 s; backing off to a second between polls asks a handful.
    expect(polls.length).toBeGreaterThan(1);
    expect(polls.length).toBeLessThanOrEqual(10);
    // And it asks BigQuery to hold the request while the job runs.
    expect(Number(polls[0]!.query['timeoutMs'])).toBeGreaterThan(0);
  });

  it('takes a job whose status.errors lists errors it got past, without an errorResult, as done', async () => {
    impatient.warnNextJobs(1);
    const r = await bigquery.query('SELECT 1 AS x');
    expect(r.rows).toEqual([{ x: 1 }]);
    const job = impatient.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/jobs')).slice(-1)[0]!;
    expect(job.status).toBe(200);
    impatient.warnNextJobs(1);
    expect((await bigquery.dryRun('SELECT * FROM {{pings}}')).bytesProcessed).toBeGreaterThan(0);
  });

  it("reads a failed job's reason from its errorResult, not from the first of status.errors", async () => {
    impatient.warnNextJobs(1);
    const err = await bigquery.query('SELECT * FROM {{pings}}', {}, { maximumBytesBilled: 10 * 1024 ** 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CostCapError);
    expect((err as CostCapError).capBytes).toBe(10 * 1024 ** 2);
  });

  it('reads REPEATED and RECORD cells as JSON of their values, not of the REST encoding', async () => {
    const r = await bigquery.query(
      "SELECT [1, 2] AS xs, {'a': 'x', 'n': 3} AS s, [{'k': 'a', 'at': TIMESTAMP '2026-11-30 12:00:00+00'}] AS rs, CAST([] AS INTEGER[]) AS none",
    );
    expect(r.rows).toEqual([{
      xs: '[1,2]',
      s: '{"a":"x","n":3}',
      rs: '[{"k":"a","at":"2026-11-30T12:00:00.000Z"}]',
      none: '[]',
    }]);
  });

  it('follows its own job when a retried jobs.insert meets it (409), the first answer lost', async () => {
    impatient.loseAnswerOfNext(1, /\/jobs$/);
    const before = impatient.requests.length;
    const r = await bigquery.query('SELECT 2 AS y');
    expect(r.rows).toEqual([{ y: 2 }]);
    const inserts = impatient.requests.slice(before).filter((q) => q.method === 'POST' && q.path.endsWith('/jobs'));
    expect(inserts.map((q) => q.status)).toEqual([503, 409]);
    expect(inserts[1]!.body.jobReference.jobId).toBe(inserts[0]!.body.jobReference.jobId);
  });

  it('refuses over the bytes cap when the job fails after it started (getQueryResults answers the error)', async () => {
    impatient.slowNextJobs(1, 300);
    const err = await bigquery.query('SELECT * FROM {{pings}}', {}, { maximumBytesBilled: 10 * 1024 ** 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CostCapError);
    expect((err as CostCapError).estimatedBytes).toBeGreaterThan(10 * 1024 ** 2);
  });

  it('runs the query again as a new job when the job itself failed with a reason worth retrying', async () => {
    impatient.failNextJobs(1, 'backendError');
    impatient.failNextJobs(1, 'jobRateLimitExceeded', 'Exceeded rate limits: too many concurrent queries for this project');
    const before = impatient.requests.length;
    const r = await bigquery.query('SELECT 3 AS z');
    expect(r.rows).toEqual([{ z: 3 }]);
    const inserts = impatient.requests.slice(before).filter((q) => q.method === 'POST' && q.path.endsWith('/jobs'));
    expect(inserts).toHaveLength(3);
    // A failed job cannot be run again: each attempt is a job of its own.
    expect(new Set(inserts.map((q) => q.body.jobReference.jobId)).size).toBe(3);
    // Each job given up on is cancelled (harmless when it failed; a job still running would be billed too).
    const failed = inserts.slice(0, 2).map((q) => q.body.jobReference.jobId as string);
    await vi.waitFor(() => {
      const cancels = impatient.requests.slice(before).filter((q) => q.method === 'POST' && q.path.endsWith('/cancel')).map((q) => q.path);
      for (const id of failed) expect(cancels.some((p) => p.includes(`/jobs/${id}/cancel`))).toBe(true);
    });
  });

  it("runs the query again as a new job after jobBackendError or jobInternalError (the job's own internal failure, a 400)", async () => {
    impatient.failNextJobs(1, 'jobBackendError', 'The job encountered an internal error during execution and was unable to complete successfully.');
    impatient.failNextJobs(1, 'jobInternalError', 'The job encountered an internal error during execution and was unable to complete successfully.');
    const before = impatient.requests.length;
    const r = await bigquery.query('SELECT 5 AS v');
    expect(r.rows).toEqual([{ v: 5 }]);
    const inserts = impatient.requests.slice(before).filter((q) => q.method === 'POST' && q.path.endsWith('/jobs'));
    expect(new Set(inserts.map((q) => q.body.jobReference.jobId)).size).toBe(3);
  });

  it('does not run again a job that failed for a reason retrying cannot help', async () => {
    impatient.failNextJobs(1, 'invalidQuery', 'Syntax error: Unexpected end of script at [1:7]');
    const before = impatient.requests.length;
    await expect(bigquery.query('SELECT 4 AS w')).rejects.toThrow(/Syntax error/);
    expect(impatient.requests.slice(before).filter((q) => q.method === 'POST' && q.path.endsWith('/jobs'))).toHaveLength(1);
  });

  it("tells a table's data time by its kind (Table.type): a materialized view's last refresh; none for a view or an external table, whose lastModifiedTime is their definition's", async () => {
    const [table] = await bigquery.tableFreshness(['customers']);
    const dataTime = table!.lastModified!.getTime();
    try {
      impatient.tableKind('customers', { type: 'MATERIALIZED_VIEW', lastRefreshTime: dataTime + 5_000 });
      expect((await bigquery.tableFreshness(['customers']))[0]).toMatchObject({ lastModified: new Date(dataTime + 5_000) });
      // Never refreshed yet (the field is output only, and absent then): its definition's time is all there is.
      impatient.tableKind('customers', { type: 'MATERIALIZED_VIEW' });
      expect((await bigquery.tableFreshness(['customers']))[0]).toMatchObject({ lastModified: new Date(dataTime - 86_400_000) });
      impatient.tableKind('customers', { type: 'VIEW' });
      expect((await bigquery.tableFreshness(['customers']))[0]).toEqual({ table: 'customers', lastModified: null, rowCount: null });
      impatient.tableKind('customers', { type: 'EXTERNAL' });
      expect((await bigquery.tableFreshness(['customers']))[0]).toEqual({ table: 'customers', lastModified: null, rowCount: null });
    } finally {
      impatient.tableKind('customers', undefined);
    }
  });

  it("tells a table snapshot's data time by its snapshotDefinition.snapshotTime, not by when the snapshot was made (lastModifiedTime)", async () => {
    const [table] = await bigquery.tableFreshness(['customers']);
    const madeAt = table!.lastModified!.getTime();
    // Snapshot of the base table as it was three days before the snapshot was made (FOR SYSTEM_TIME AS OF).
    const snapshotTime = madeAt - 3 * 86_400_000 + 250;
    try {
      impatient.tableKind('customers', { type: 'SNAPSHOT', snapshotTime });
      expect((await bigquery.tableFreshness(['customers']))[0]).toMatchObject({ lastModified: new Date(snapshotTime) });
    } finally {
      impatient.tableKind('customers', undefined);
    }
  });
});
