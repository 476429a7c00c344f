/**
 * The production warehouse: BigQuery through `@google-cloud/bigquery`. Every
 * job carries named, typed parameters, a bytes-billed cap, labels and a job
 * timeout; a query that outlives its timeout is cancelled. A running job is
 * polled with a growing pause; a job that fails for a reason BigQuery says to
 * retry (backendError, internalError, rate limits) runs again as a new job.
 *
 * Only what the REST API documents is sent (facts: test/support/vendor-facts/bigquery.ts):
 * the query parameters are built here in their REST form with
 * `parameterMode: 'NAMED'` (the client, given `params` and `types`, copies
 * `types` into the job configuration and writes the mode in lower case), and
 * result pages are read with jobs.getQueryResults directly (the client's
 * `skipParsing` option ends up as a query parameter the API does not have).
 */
import { randomUUID } from 'node:crypto';
import { BigQuery, type BigQueryOptions, type Query } from '@google-cloud/bigquery';
import type { BigQueryConfig } from '../../config.js';
import { CostCapError, WarehouseAccessError, WarehouseBusyError, WarehouseError, WarehouseTimeoutError } from '../../errors.js';
import { vendorSummary } from '../vendor-text.js';
import type { Cell, DryRunResult, QueryOptions, QueryParams, QueryResult, Row, TableFreshness, TableFreshnessOptions, Warehouse } from '../../ports/warehouse.js';
import { rewriteSql } from './sql.js';
import { dateFromEpoch, exactNumber } from './cells.js';

export interface BigQueryWarehouseOptions {
  /** Default query timeout; also sent as the job's `jobTimeoutMs`. */
  timeoutMs: number;
  /**
   * Credentials for the client. Unset: Application Default Credentials. Tests
   * pointing `apiEndpoint` at a loopback fake pass a client that adds no credentials.
   */
  authClient?: BigQueryOptions['authClient'];
  /** The pace of tables.get (default: METADATA_READS); tests scale it down with their fake's limits. */
  metadataReads?: MetadataReadPace;
}

/** How fast table metadata is read: a token bucket (`burst`, refilled at `perSecond`) and a cap on requests at once. */
export interface MetadataReadPace {
  perSecond: number;
  burst: number;
  concurrent: number;
  /** The pause before retrying a rate-limited read, doubled for the next, each with up to as much again of jitter. */
  retryPauseMs: number;
}

/**
 * tables.get within BigQuery's API request limits (Quotas and limits, "API requests"): 100 requests
 * a second per user per method, and 300 concurrent API requests per user; beyond them BigQuery answers
 * 403 rateLimitExceeded (or, as Google Cloud documents for REST calls, 429). A freshness check reads
 * every table of every source at once (150 sources of 8 tables: 1,200 requests), so reads are paced
 * process-wide: a burst of 20 and 70 a second after it keep any one second at 90 of the 100, leaving
 * room for other replicas and tools under the same service account; 100 tables take about 1.2 s, and
 * 1,200 about 17 s, within the default 20 s query deadline. 50 at once is a sixth of the 300. A read a person
 * waits on goes ahead of the scheduled check's (Pace), so it waits for a token, not for the check's 17 s.
 * A read refused for a rate limit anyway (another process spent the quota) is retried twice, after
 * 1–2 s and 2–4 s (BigQuery: "retry the operation after few seconds. Use exponential backoff"), if that
 * is before the deadline of a caller still waiting.
 */
const METADATA_READS: MetadataReadPace = { perSecond: 70, burst: 20, concurrent: 50, retryPauseMs: 1_000 };
const METADATA_READ_ATTEMPTS = 3;

/** How long getQueryResults is asked to hold a request while the job runs (BigQuery's default: 10 s). */
const POLL_HOLD_MS = 10_000;
/** The least time between two polls of a running job, doubling up to the most. */
const FIRST_POLL_PAUSE_MS = 100;
const MAX_POLL_PAUSE_MS = 1_000;

/**
 * Job failures BigQuery's error table says to retry (backendError, internalError: "retry the
 * request"; rateLimitExceeded, jobRateLimitExceeded: after a back-off), and the job's own
 * internal failures, jobBackendError and jobInternalError (HTTP 400, "the job was created
 * successfully, but failed with an internal error"), which Google's own client runs again as a
 * new job (googleapis/python-bigquery, google/cloud/bigquery/retry.py, job_retry_reasons). The
 * client retries requests; a job that failed this way is run again as a new job, within the
 * query's deadline.
 */
const RETRIED_JOB_REASONS = new Set(['backendError', 'internalError', 'rateLimitExceeded', 'jobRateLimitExceeded', 'jobBackendError', 'jobInternalError']);
const MAX_JOB_ATTEMPTS = 3;
/** Back-off before the second attempt (BigQuery's SLA asks for at least 1 s), doubling after. */
const JOB_RETRY_PAUSE_MS = 1_000;

interface TableRef {
  projectId: string;
  datasetId: string;
  tableId: string;
}

/** Labels as BigQuery accepts them: lowercase [a-z0-9_-], ≤63 chars, keys starting with a letter; at most 64. */
export function sanitizeLabels(labels: Record<string, string> = {}): Record<string, string> {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 63);
  const out: Record<string, string> = { app: 'analytics-bot' };
  for (const [k, v] of Object.entries(labels)) {
    if (Object.keys(out).length >= 64) break;
    let key = clean(k);
    if (!key) continue;
    if (!/^[a-z]/.test(key)) key = clean(`l_${key}`);
    out[key] = clean(v);
  }
  return out;
}

/** A query parameter as the REST API takes it (QueryParameter). */
interface RestQueryParameter {
  name: string;
  parameterType: { type: string };
  /** No `value`: NULL. */
  parameterValue: { value?: string };
}

/** Port parameters as REST QueryParameters (every scalar value is a string there). */
function toRestParams(used: string[], params: QueryParams): RestQueryParameter[] {
  return used.map((name) => {
    const p = params[name];
    if (!p) throw new WarehouseError(`query parameter @${name} is not provided`);
    const { type, value } = p;
    const bad = () => new WarehouseError(`query parameter @${name}: ${JSON.stringify(value)} is not a valid ${type}`);
    const param = (v: string | undefined): RestQueryParameter => ({ name, parameterType: { type }, parameterValue: v === undefined ? {} : { value: v } });
    if (value === null) {
      if (!['STRING', 'INT64', 'FLOAT64', 'BOOL', 'DATE', 'TIMESTAMP'].includes(type)) throw new WarehouseError(`query parameter @${name}: unknown type ${String(type)}`);
      return param(undefined);
    }
    switch (type) {
      case 'STRING':
        if (typeof value !== 'string') throw bad();
        return param(value);
      case 'INT64':
        if (!(typeof value === 'number' && Number.isInteger(value)) && !(typeof value === 'string' && /^-?\d+$/.test(value))) throw bad();
        return param(String(value));
      case 'FLOAT64':
        if (typeof value !== 'number') throw bad();
        return param(String(value));
      case 'BOOL':
        if (typeof value !== 'boolean') throw bad();
        return param(String(value));
      case 'DATE':
        if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw bad();
        return param(value);
      case 'TIMESTAMP': {
        const d = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
        if (!d || Number.isNaN(d.getTime())) throw bad();
        return param(d.toISOString());
      }
      default:
        throw new WarehouseError(`query parameter @${name}: unknown type ${String(type)}`);
    }
  });
}

/** The parts of a GetQueryResultsResponse read here. */
interface RestQueryResults {
  jobComplete?: boolean;
  schema?: { fields?: SchemaField[] };
  rows?: unknown[];
  pageToken?: string;
  totalBytesProcessed?: string;
  cacheHit?: boolean;
}

interface SchemaField {
  name?: string | null;
  type?: string | null;
  mode?: string | null;
  /** A RECORD's fields. */
  fields?: SchemaField[] | null;
}

/**
 * A REST cell (`{v}`) as a plain JS value: INT64/FLOAT/NUMERIC → number, TIMESTAMP → Date,
 * DATE → 'YYYY-MM-DD'. Cells hold scalars, so an ARRAY or STRUCT comes as JSON of its values.
 */
function fromRestValue(field: SchemaField, v: unknown): Cell {
  if (field.mode === 'REPEATED' || field.type === 'RECORD' || field.type === 'STRUCT') {
    const value = fromRestNested(field, v);
    return value === null ? null : JSON.stringify(value);
  }
  return fromRestScalar(field, v);
}

/**
 * A REPEATED or RECORD value as REST encodes it (TableCell; the official client's
 * mergeSchemaWithRows_ reads it so): a REPEATED field's `v` is an array of `{v}`, a
 * RECORD's is `{f: [{v}, …]}` in the order of its schema's fields.
 */
function fromRestNested(field: SchemaField, v: unknown): unknown {
  if (field.mode === 'REPEATED') {
    const item: SchemaField = { ...field, mode: 'NULLABLE' };
    return Array.isArray(v) ? v.map((c) => fromRestNested(item, (c as { v?: unknown } | null)?.v)) : [];
  }
  if (field.type === 'RECORD' || field.type === 'STRUCT') {
    if (v === null || v === undefined) return null;
    const cells = (v as { f?: Array<{ v?: unknown } | null> }).f ?? [];
    return Object.fromEntries((field.fields ?? []).map((sub, i) => [sub.name ?? `f${i}`, fromRestNested(sub, cells[i]?.v)]));
  }
  return fromRestScalar(field, v);
}

function fromRestScalar(field: SchemaField, v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') return JSON.stringify(v);
  switch (field.type) {
    case 'INTEGER': case 'INT64': case 'NUMERIC': case 'BIGNUMERIC':
      return exactNumber(v);
    case 'FLOAT': case 'FLOAT64':
      return Number(v);
    case 'BOOLEAN': case 'BOOL':
      return v === 'true';
    case 'TIMESTAMP':
      // int64 microseconds (formatOptions.useInt64Timestamp, the client's default), else float seconds.
      if (/^-?\d+$/.test(v)) return dateFromEpoch(BigInt(v), 1000n);
      return Number.isNaN(Number(v)) ? new Date(v) : new Date(Math.round(Number(v) * 1000));
    default:
      return v;
  }
}

interface ErrorProto {
  reason?: string;
  message?: string;
}

/** The Job resource the client attached to the error it made of a job's `status.errors`. */
interface JobStatusError {
  response?: { jobReference?: { jobId?: string; location?: string }; status?: { errorResult?: ErrorProto; errors?: ErrorProto[] }; statistics?: { totalBytesProcessed?: string } };
}

/**
 * The job, when the client's error is only its `status.errors`: the client fails a jobs.insert
 * whose job lists any, but only `errorResult` means the job failed ("Errors here do not
 * necessarily mean that the job has not completed or was unsuccessful", JobStatus.errors).
 */
function jobDespiteErrors(err: unknown): NonNullable<JobStatusError['response']> | undefined {
  const job = (err as JobStatusError | null)?.response;
  return typeof job?.status === 'object' && job.status !== null && !job.status.errorResult && job.jobReference ? job : undefined;
}

/** Why a job or request failed: the job's errorResult, else the first error of the answer. */
function failureReason(err: unknown): string | undefined {
  const e = err as { errors?: ErrorProto[] } & JobStatusError;
  return (typeof e?.response?.status === 'object' ? e.response.status.errorResult?.reason : undefined) ?? e?.errors?.[0]?.reason;
}

/** A fresh job ID: letters, digits and underscores, as jobReference.jobId allows. */
const newJobId = () => `analytics_bot_${randomUUID().replaceAll('-', '')}`;

/** Maps a client error to the port's coded errors. */
function toPortError(err: unknown, cap?: number): Error {
  if (err instanceof WarehouseError || err instanceof WarehouseTimeoutError || err instanceof WarehouseBusyError || err instanceof CostCapError || err instanceof WarehouseAccessError) return err;
  const e = err as { message?: string; errors?: ErrorProto[] } & JobStatusError;
  // A failed job: its errorResult says why; status.errors may list other errors first.
  const result = typeof e.response?.status === 'object' ? e.response.status.errorResult : undefined;
  const reason = failureReason(err);
  const message = result?.message ?? e.message ?? String(err);
  if (reason === 'bytesBilledLimitExceeded' && cap !== undefined) {
    const needed = /(\d+) or higher required/.exec(message)?.[1];
    return new CostCapError(needed ? Number(needed) : cap, cap);
  }
  // BigQuery's own words may reach Slack: cut to a short, credential-free summary.
  if (reason === 'timeout') return new WarehouseTimeoutError(`BigQuery: ${vendorSummary(message, 'timed out')}`, { cause: err });
  return new WarehouseError(`BigQuery: ${vendorSummary(message, 'request failed')}`, { cause: err });
}

/** The parts of a Table resource (tables.get) read here. */
interface TableMetadata {
  type?: string;
  lastModifiedTime?: string | number;
  numRows?: string | number | null;
  materializedView?: { lastRefreshTime?: string | number } | null;
  snapshotDefinition?: { snapshotTime?: string } | null;
}

/**
 * When a table's data last changed, from tables.get (Table.type: TABLE, VIEW, EXTERNAL,
 * MATERIALIZED_VIEW, SNAPSHOT; absent means TABLE). `lastModifiedTime` is "the time when this
 * table was last modified": for a view or an external table, whose data is not BigQuery's, that is
 * their definition, which says nothing of the data (null: unknown); a materialized view's data is
 * as of `materializedView.lastRefreshTime` ("the time when this materialized view was last refreshed"); a
 * snapshot's ("an immutable BigQuery table that preserves the contents of a base table at a particular
 * time") as of `snapshotDefinition.snapshotTime` ("the time at which the base table was snapshot", RFC 3339),
 * which may be days before the snapshot was made (its lastModifiedTime).
 */
function dataTime(meta: TableMetadata): Date | null {
  if (meta.type === 'VIEW' || meta.type === 'EXTERNAL') return null;
  if (meta.type === 'SNAPSHOT') {
    const snapshotTime = Date.parse(meta.snapshotDefinition?.snapshotTime ?? '');
    if (!Number.isNaN(snapshotTime)) return new Date(snapshotTime);
  }
  const at = (meta.type === 'MATERIALIZED_VIEW' ? meta.materializedView?.lastRefreshTime : undefined) ?? meta.lastModifiedTime;
  return at ? new Date(Number(at)) : null;
}

/** Where a read waits its turn in the pace: `background` (no person waits on it) yields to the others. */
interface PaceTicket {
  background: boolean;
}

interface PaceWaiter {
  start: (go: boolean) => void;
  abandoned: () => boolean;
  ticket: PaceTicket;
}

/**
 * A token bucket with a cap on work in progress, in two lanes, each first come first served: a read a person
 * waits on (/pipeline status, /query's freshness line) is admitted before any background read (the scheduled
 * check, 1,200 reads and ~17 s of the pace at 150 sources), so it waits for a token and a slot, not behind the
 * whole check. Background reads go on whenever no person's read waits, which is nearly always. A caller that
 * gave up while waiting (`abandoned`) is passed over and spends nothing.
 */
class Pace {
  private tokens: number;
  private refilledAt = performance.now();
  private running = 0;
  private readonly person: PaceWaiter[] = [];
  private readonly background: PaceWaiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pace: MetadataReadPace) {
    this.tokens = pace.burst;
  }

  /** Runs `work` when the pace allows; throws WarehouseTimeoutError('abandoned') if the caller gave up first. */
  async run<T>(work: () => Promise<T>, abandoned: () => boolean, ticket: PaceTicket): Promise<T> {
    const go = await new Promise<boolean>((start) => {
      (ticket.background ? this.background : this.person).push({ start, abandoned, ticket });
      this.admit();
    });
    if (!go) throw new WarehouseTimeoutError('abandoned');
    try {
      return await work();
    } finally {
      this.running--;
      this.admit();
    }
  }

  /** A person now waits on a read queued as background (they asked for the same table): it moves to the person lane. */
  promote(ticket: PaceTicket): void {
    ticket.background = false;
    const at = this.background.findIndex((w) => w.ticket === ticket);
    if (at < 0) return; // Not waiting (running, or between attempts): its next attempt queues as the person's.
    this.person.push(...this.background.splice(at, 1));
    this.admit();
  }

  private admit(): void {
    const now = performance.now();
    this.tokens = Math.min(this.pace.burst, this.tokens + ((now - this.refilledAt) * this.pace.perSecond) / 1000);
    this.refilledAt = now;
    const waiting = () => this.person.length + this.background.length > 0;
    while (waiting() && this.running < this.pace.concurrent && this.tokens >= 1) {
      const next = (this.person.length ? this.person : this.background).shift()!;
      if (next.abandoned()) {
        next.start(false);
        continue;
      }
      this.tokens--;
      this.running++;
      next.start(true);
    }
    // Out of tokens (not of room: a finishing request admits the next): come back when the next token is due.
    if (waiting() && this.running < this.pace.concurrent && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.admit();
      }, Math.ceil(((1 - this.tokens) * 1000) / this.pace.perSecond));
    }
  }
}

/** A caller of tables.get: whether it gave up, when it will (performance.now()), and whether no person waits on it. */
interface MetadataReader {
  abandoned: () => boolean;
  deadline: number;
  background: boolean;
}

/**
 * Runs `work` and gives up at the deadline, calling `onTimeout` (to cancel the job); `work` sees whether it was
 * abandoned: at the deadline, or once the caller has its answer, as when one of several reads failed and the rest,
 * still waiting their turn in the pace, would be sent for nobody.
 */
async function withDeadline<T>(timeoutMs: number, onTimeout: () => void, work: (abandoned: () => boolean) => Promise<T>): Promise<T> {
  let timedOut = false;
  let answered = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      onTimeout();
      reject(new WarehouseTimeoutError(`BigQuery did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const running = work(() => timedOut || answered);
  running.catch(() => undefined); // its failure after the deadline is nobody's business
  try {
    return await Promise.race([running, deadline]);
  } finally {
    answered = true;
    clearTimeout(timer);
  }
}

/** The BigQuery warehouse. `cfg.apiEndpoint` redirects the client (tests: a loopback fake). */
export function openBigQueryWarehouse(cfg: BigQueryConfig, opts: BigQueryWarehouseOptions): Warehouse {
  const bq = new BigQuery({
    projectId: cfg.project,
    location: cfg.location,
    ...(cfg.apiEndpoint ? { apiEndpoint: cfg.apiEndpoint } : {}),
    ...(opts.authClient ? { authClient: opts.authClient } : {}),
  });

  const metadataPace = opts.metadataReads ?? METADATA_READS;
  const pace = new Pace(metadataPace);

  /**
   * tables.get in flight by table, with the callers waiting for it: identical reads at once (several people asking
   * /pipeline status, a status while the scheduled check runs) are one request, in the pace's person lane
   * as soon as a person waits on it.
   */
  const reading = new Map<string, { meta: Promise<TableMetadata>; callers: MetadataReader[]; ticket: PaceTicket }>();

  /**
   * tables.get, paced, and retried after a rate limit within the caller's deadline. The client's own
   * retries of an answer are off here: they would bypass the pace, and wait 2 to 15 s regardless of the
   * deadline (`maxRetries` does not reach its retries of a lost connection, which keep to the deadline below).
   */
  const readTable = (ref: TableRef, caller: MetadataReader): Promise<TableMetadata> => {
    const key = `${ref.projectId}.${ref.datasetId}.${ref.tableId}`;
    const current = reading.get(key);
    if (current) {
      current.callers.push(caller);
      // A person asking for a table the scheduled check has queued does not wait behind the rest of the check.
      if (!caller.background && current.ticket.background) pace.promote(current.ticket);
      return current.meta;
    }
    const callers = [caller];
    const ticket: PaceTicket = { background: caller.background };
    const everyoneGaveUp = () => callers.every((c) => c.abandoned());
    const get = () =>
      new Promise<TableMetadata>((resolve, reject) => {
        // A request never answered (a connection dropped without a word) would keep its place in the pace for
        // the client's 60 s, and again for each of its retries of a lost connection, and every later read would
        // wait behind it: it gives its place back at the deadline, by when the caller that asked has given up.
        const stalled = setTimeout(() => reject(new WarehouseTimeoutError(`BigQuery did not answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
        // `maxRetries` is the client's per-request retry count (@google-cloud/common makeRequest); not in its types.
        bq.request(
          { uri: `/datasets/${encodeURIComponent(ref.datasetId)}/tables/${encodeURIComponent(ref.tableId)}`, projectId: ref.projectId, maxRetries: 0 } as Parameters<typeof bq.request>[0],
          (err, body) => {
            clearTimeout(stalled);
            if (err) reject(err);
            else resolve((body ?? {}) as TableMetadata);
          },
        );
      });
    const meta = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await pace.run(get, everyoneGaveUp, ticket);
        } catch (err) {
          const status = (err as { code?: number }).code;
          const rateLimited = status === 429 || (status === 403 && failureReason(err) === 'rateLimitExceeded');
          if (!rateLimited || everyoneGaveUp()) throw err;
          const busy = () => new WarehouseBusyError(`BigQuery refused tables.get for a rate limit ${attempt === 1 ? 'once' : `${attempt} times`}`, { cause: err });
          if (attempt >= METADATA_READ_ATTEMPTS) throw busy();
          const pause = metadataPace.retryPauseMs * 2 ** (attempt - 1);
          // The retry comes before the last waiting caller's deadline, or not at all: after it, it would be for nobody,
          // and a later caller of this table, joining this read, would wait out the pause with nothing sent.
          const left = Math.max(...callers.filter((c) => !c.abandoned()).map((c) => c.deadline)) - performance.now();
          if (pause >= left) throw busy();
          await new Promise((r) => setTimeout(r, pause + Math.random() * Math.min(pause, left - pause)));
        }
      }
    })().finally(() => reading.delete(key));
    reading.set(key, { meta, callers, ticket });
    return meta;
  };

  const tableRef = (logical: string): TableRef | undefined => {
    // A qualified `dataset.table` names itself: tableFreshness of the sources file's tables.
    const configured = (cfg.tables as Record<string, string | undefined>)[logical] ?? (/^([A-Za-z0-9_-]+\.){1,2}[A-Za-z0-9_]+$/.test(logical) ? logical : undefined);
    if (!configured) return undefined;
    const parts = configured.split('.');
    const tableId = parts.pop() ?? configured;
    const datasetId = parts.pop() ?? cfg.dataset;
    const projectId = parts.length ? parts.join('.') : cfg.project;
    return { projectId, datasetId, tableId };
  };

  /** The job configuration shared by query and dryRun. */
  const jobRequest = (sql: string, params: QueryParams, options: QueryOptions): Query => {
    const used = new Set<string>();
    const text = rewriteSql(sql, {
      table: (name) => {
        const ref = tableRef(name);
        if (!ref) throw new WarehouseError(`unknown table {{${name}}}`);
        return `\`${ref.projectId}.${ref.datasetId}.${ref.tableId}\``;
      },
      param: (name) => {
        used.add(name);
        return `@${name}`;
      },
    });
    const queryParameters = toRestParams([...used], params);
    return {
      query: text,
      useLegacySql: false,
      ...(used.size ? { parameterMode: 'NAMED', queryParameters } : {}),
      maximumBytesBilled: String(options.maximumBytesBilled ?? cfg.maximumBytesBilled),
      labels: sanitizeLabels(options.labels),
      ...(cfg.location ? { location: cfg.location } : {}),
    } as Query;
  };

  /** jobs.getQueryResults with exactly the documented parameters; the raw REST page (cells as sent). */
  const getQueryResults = (jobId: string, qs: Record<string, string | number | boolean>): Promise<RestQueryResults> =>
    new Promise((resolve, reject) => {
      bq.request({ uri: `/queries/${encodeURIComponent(jobId)}`, qs }, (err, body) => (err ? reject(err) : resolve((body ?? {}) as RestQueryResults)));
    });

  /**
   * Where the dataset's jobs run when BIGQUERY_LOCATION does not say (datasets.get, asked once).
   * jobs.get, getQueryResults and cancel must name a single-region job's location, or BigQuery
   * answers 404; a query runs where its tables are, so that is its job's location.
   */
  let datasetLocation: Promise<string | undefined> | undefined;
  const locationOfDataset = (): Promise<string | undefined> =>
    (datasetLocation ??= bq.dataset(cfg.dataset, { projectId: cfg.project }).getMetadata().then(
      ([meta]) => (meta as { location?: string }).location,
      () => {
        datasetLocation = undefined; // Ask again next time.
        return undefined;
      },
    ));

  /** The job's location: the one BigQuery gave it, else the configured one, else the dataset's. */
  const locationOf = async (job: { location?: string }) => job.location ?? cfg.location ?? (await locationOfDataset());

  const cancel = (jobId: string, job: { location?: string }) => () => {
    void locationOf(job)
      .then((location) => bq.job(jobId, { location }).cancel())
      .catch(() => undefined);
  };

  /** Inserts `current.jobId` and reads all its rows; `current.location` is set once BigQuery says where it runs. */
  const runJob = async (current: { jobId: string; location?: string }, request: Query, timeoutMs: number, started: number, abandoned: () => boolean): Promise<QueryResult> => {
    const { jobId } = current;
    const job = await bq.createQueryJob({ ...request, jobId, jobTimeoutMs: timeoutMs } as Query).then(
      ([created]) => created,
      async (err: { code?: number }) => {
        // A retried insert whose first attempt went through: the job is ours and running.
        if (err.code === 409) return bq.job(jobId, { location: await locationOf({}) });
        const inserted = jobDespiteErrors(err);
        if (inserted) return bq.job(jobId, { location: inserted.jobReference?.location ?? (await locationOf({})) });
        throw err;
      },
    );
    if (job.location) current.location = job.location;
    if (abandoned()) throw new WarehouseTimeoutError('abandoned');
    const rows: Row[] = [];
    let pageToken: string | undefined;
    let pause = FIRST_POLL_PAUSE_MS;
    const location = await locationOf(current);
    for (;;) {
      const asked = performance.now();
      const response = await getQueryResults(jobId, {
        ...(location ? { location } : {}),
        timeoutMs: Math.min(POLL_HOLD_MS, timeoutMs),
        'formatOptions.useInt64Timestamp': true,
        ...(pageToken ? { pageToken } : {}),
      });
      if (abandoned()) throw new WarehouseTimeoutError('abandoned');
      if (response.jobComplete === false) {
        // Still running. BigQuery may answer before timeoutMs ("the call is not guaranteed
        // to wait"): never ask again at once, or an early answer becomes a busy loop.
        const early = pause - (performance.now() - asked);
        if (early > 0) await new Promise((r) => setTimeout(r, early));
        pause = Math.min(pause * 2, MAX_POLL_PAUSE_MS);
        if (abandoned()) throw new WarehouseTimeoutError('abandoned');
        continue;
      }
      const fields = (response.schema?.fields ?? []) as SchemaField[];
      for (const r of (response.rows ?? []) as Array<{ f: Array<{ v: unknown }> }>) {
        const row: Row = {};
        fields.forEach((field, i) => (row[field.name ?? `f${i}`] = fromRestValue(field, r.f[i]?.v)));
        rows.push(row);
      }
      if (!response.pageToken) {
        return {
          rows,
          bytesProcessed: Number(response.totalBytesProcessed ?? 0),
          cacheHit: response.cacheHit === true,
          durationMs: Math.round(performance.now() - started),
        };
      }
      pageToken = response.pageToken;
    }
  };

  return {
    kind: 'bigquery',

    async query(sql: string, params: QueryParams = {}, options: QueryOptions = {}): Promise<QueryResult> {
      const started = performance.now();
      const request = jobRequest(sql, params, options);
      const cap = Number(request.maximumBytesBilled);
      const timeoutMs = options.timeoutMs ?? opts.timeoutMs;
      // Our own job ID lets us cancel the job even while its insert is still in flight.
      const current: { jobId: string; location?: string } = { jobId: newJobId() };
      try {
        return await withDeadline(timeoutMs, () => cancel(current.jobId, current)(), async (abandoned) => {
          for (let attempt = 1; ; attempt++) {
            try {
              return await runJob(current, request, timeoutMs, started, abandoned);
            } catch (err) {
              // A job that failed cannot run again: a failure worth retrying runs as a new job.
              if (attempt >= MAX_JOB_ATTEMPTS || abandoned() || !RETRIED_JOB_REASONS.has(failureReason(err) ?? '')) throw err;
              await new Promise((r) => setTimeout(r, JOB_RETRY_PAUSE_MS * 2 ** (attempt - 1)));
              if (abandoned()) throw new WarehouseTimeoutError('abandoned');
              // The failure may have been a request's, not the job's: the job may still run, and would be billed too.
              cancel(current.jobId, { ...current })();
              current.jobId = newJobId();
              delete current.location;
            }
          }
        });
      } catch (err) {
        throw toPortError(err, cap);
      }
    },

    async dryRun(sql: string, params: QueryParams = {}, options: QueryOptions = {}): Promise<DryRunResult> {
      const request = jobRequest(sql, params, options);
      try {
        return await withDeadline(options.timeoutMs ?? opts.timeoutMs, () => undefined, async () => {
          const statistics = await bq.createQueryJob({ ...request, dryRun: true } as Query).then(
            ([job]) => (job.metadata as JobStatusError['response'])?.statistics,
            (err: unknown) => {
              const planned = jobDespiteErrors(err);
              if (!planned) throw err;
              return planned.statistics;
            },
          );
          return { bytesProcessed: Number(statistics?.totalBytesProcessed ?? 0) };
        });
      } catch (err) {
        throw toPortError(err);
      }
    },

    async tableFreshness(tables: string[], options: TableFreshnessOptions = {}): Promise<TableFreshness[]> {
      // tables.get reads metadata only: no job, nothing billed.
      const deadline = performance.now() + opts.timeoutMs;
      const background = options.background === true;
      const one = async (table: string, abandoned: () => boolean): Promise<TableFreshness> => {
        const ref = tableRef(table);
        if (!ref) return { table, lastModified: null, rowCount: null, missing: true };
        try {
          const meta = await readTable(ref, { abandoned, deadline, background });
          return { table, lastModified: dataTime(meta), rowCount: meta.numRows !== undefined && meta.numRows !== null ? Number(meta.numRows) : null };
        } catch (err) {
          if ((err as { code?: number }).code === 404) return { table, lastModified: null, rowCount: null, missing: true };
          // A 403 is also how BigQuery says rateLimitExceeded: only accessDenied is a missing grant.
          if ((err as { code?: number }).code === 403 && failureReason(err) === 'accessDenied') throw new WarehouseAccessError(`${ref.projectId === cfg.project ? '' : `${ref.projectId}.`}${ref.datasetId}.${ref.tableId}`);
          throw err;
        }
      };
      try {
        return await withDeadline(opts.timeoutMs, () => undefined, (abandoned) => Promise.all(tables.map((table) => one(table, abandoned))));
      } catch (err) {
        throw toPortError(err);
      }
    },

    async close(): Promise<void> {
      // The client holds no resources that need releasing.
    },
  };
}
