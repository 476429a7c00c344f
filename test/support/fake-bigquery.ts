/**
 * A loopback server speaking the BigQuery REST API v2, as `@google-cloud/bigquery`
 * uses it: jobs.insert (incl. dry runs), jobs.query, jobs.getQueryResults,
 * jobs.get, jobs.cancel and tables.get. Queries run on a DuckDB connection (the
 * demo seed) after translating `project.dataset.table` names and @params.
 * Every request is recorded and checked against the facts in
 * test/support/vendor-facts/bigquery.ts (method, path, parameters, body
 * fields and their types, Bearer auth): a refused request gets BigQuery's 400
 * and fails the test (vendor-facts/setup.ts). Faults can be injected: error
 * responses, delays, and jobs that never complete. Every answer, an injected
 * error's included, must have a status the facts list for the operation (or
 * for every call, or any 5xx): `spec.answered` fails the test otherwise.
 * BigQuery's API request limits can be enforced on tables.get (`apiLimits`):
 * a request beyond them is refused as BigQuery refuses it.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  DuckDBArrayType, DuckDBArrayValue, DuckDBListType, DuckDBListValue, DuckDBStructType, DuckDBStructValue, type DuckDBType,
  DuckDBDateValue, DuckDBDecimalValue, DuckDBTimestampMillisecondsValue, DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue, DuckDBTimestampTZValue, DuckDBTimestampValue, DuckDBTypeId,
  type DuckDBConnection, type DuckDBValue,
} from '@duckdb/node-api';
import { PassThroughClient } from 'google-auth-library';
import type { BigQueryConfig } from '../../src/config.js';
import type { ParamType, QueryParams } from '../../src/ports/warehouse.js';
import { bindDuckDbParams, estimateScanBytes, measureTables, rewriteSql } from '../../src/adapters/warehouse/duckdb.js';
import { SpecChecker } from './vendor-facts/spec.js';
import { bigQueryFacts } from './vendor-facts/bigquery.js';

export interface RecordedRequest {
  method: string;
  /** Path without the `/bigquery/v2` prefix and query string, e.g. `/projects/p/jobs`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** The HTTP status answered, once answered. */
  status?: number;
}

interface Fault {
  /** error: answer an error instead; delay: answer late; lost: do it, then answer an error (the answer was lost on the way). */
  kind: 'error' | 'delay' | 'lost';
  remaining: number;
  match?: RegExp;
  status?: number;
  reason?: string;
  message?: string;
  ms?: number;
}

interface RestError {
  status: number;
  reason: string;
  message: string;
}

interface Field {
  name: string;
  type: string;
  mode: 'NULLABLE' | 'REPEATED';
  /** A RECORD's fields. */
  fields?: Field[];
}

interface JobState {
  projectId: string;
  jobId: string;
  location: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  configuration: any;
  created: number;
  done: boolean;
  error?: RestError;
  fields?: Field[];
  /** DuckDB rows, encoded per request (timestamps depend on formatOptions). */
  rows?: DuckDBValue[][];
  bytes: number;
  /** Errors the job got past: in `status.errors` (and getQueryResults' `errors`), before the errorResult if it failed. */
  warnings?: Array<{ reason: string; message: string }>;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE',
};
const DEFAULT_REASON: Record<number, string> = {
  400: 'invalid', 403: 'accessDenied', 404: 'notFound', 429: 'rateLimitExceeded', 500: 'backendError', 503: 'backendError',
};
const PAGE_ROWS = 10_000;

/** The access token the fake accepts (as `Authorization: Bearer …`). */
export const FAKE_BIGQUERY_TOKEN = 'fake-bigquery-access-token';

/** An auth client that sends a fixed fake access token: the client talks to this fake as to BigQuery, with a Bearer header. */
export function fakeCredentials(): PassThroughClient {
  return new (class extends PassThroughClient {
    override async getRequestHeaders(): Promise<Headers> {
      return new Headers({ authorization: `Bearer ${FAKE_BIGQUERY_TOKEN}` });
    }
  })();
}

export interface FakeBigQueryOptions {
  /** Where queries run; the caller keeps ownership. */
  connection: DuckDBConnection;
  project?: string;
  dataset?: string;
  location?: string;
  /** How long getQueryResults holds a request for a job that is not complete. */
  pollMs?: number;
  /** BigQuery's API request limits, enforced on tables.get (unset: none). */
  apiLimits?: ApiLimits;
}

/**
 * BigQuery's limits on API requests (Quotas and limits, "API requests"): 100 requests a second
 * per user per method and 300 concurrent API requests per user, beyond which "throttling might
 * occur". Tests scale them down. A request beyond either is refused with BigQuery's 403
 * rateLimitExceeded (Troubleshoot quota and limit errors), or with the 429 TOO MANY REQUESTS that
 * Google Cloud documents for a quota exceeded by a REST request (`status: 429`).
 */
export interface ApiLimits {
  /** Requests admitted in any one second (a sliding window). */
  perSecond: number;
  /** Requests in progress at once. */
  concurrent: number;
  status?: 403 | 429;
}

/** The BigQuery REST fake. Start with `FakeBigQuery.start(...)`; `url` is its `apiEndpoint`. */
export class FakeBigQuery {
  readonly requests: RecordedRequest[] = [];
  readonly spec = new SpecChecker(bigQueryFacts);
  readonly project: string;
  readonly dataset: string;
  readonly location: string;
  private readonly jobs = new Map<string, JobState>();
  private faults: Fault[] = [];
  private hangJobs = 0;
  private slowJobs: number[] = [];
  private warnJobs = 0;
  private failJobs: RestError[] = [];
  /** tables.get answers these tables as another kind than TABLE (see `tableKind`). */
  private readonly kinds = new Map<string, TableKind>();
  private queue: Promise<unknown> = Promise.resolve();
  private sizes = new Map<string, number>();
  private server!: Server;
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;
  /** tables.get requests admitted in the last second (their times), and those in progress. */
  private admitted: number[] = [];
  private tablesGetInProgress = 0;
  /** The limits enforced on tables.get; a test may change them. */
  apiLimits: ApiLimits | undefined;
  url = '';

  private constructor(private readonly opts: FakeBigQueryOptions) {
    this.project = opts.project ?? 'test-project';
    this.dataset = opts.dataset ?? 'analytics';
    this.location = opts.location ?? 'US';
    this.apiLimits = opts.apiLimits;
  }

  static async start(opts: FakeBigQueryOptions): Promise<FakeBigQuery> {
    const fake = new FakeBigQuery(opts);
    fake.sizes = await measureTables(opts.connection);
    fake.server = createServer((req, res) => {
      const handled = fake.handle(req, res);
      fake.inflight.add(handled);
      void handled.finally(() => fake.inflight.delete(handled));
    });
    fake.server.listen(0, '127.0.0.1');
    await once(fake.server, 'listening');
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** A BigQueryConfig pointing at this fake, with the logical tables under their own names. */
  config(overrides: Partial<BigQueryConfig> = {}): BigQueryConfig {
    return {
      project: this.project, dataset: this.dataset, location: this.location,
      tables: { customers: 'customers', instances: 'instances', pings: 'pings', events: 'events' },
      maximumBytesBilled: 1024 ** 3, apiEndpoint: this.url, ...overrides,
    };
  }

  /** Requests that create a job or run a query (jobs.insert, jobs.query). */
  jobRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && /^\/projects\/[^/]+\/(jobs|queries)$/.test(r.path));
  }

  /** The next `count` requests (those whose path matches `match`, if given) fail with `status` and BigQuery's error body. */
  failNext(count: number, status = 500, opts: { reason?: string; message?: string; match?: RegExp } = {}): void {
    this.faults.push({ kind: 'error', remaining: count, status, ...opts });
  }

  /** The next `count` requests (matching `match`, if given) are answered only after `ms`. */
  /** The next `count` matching requests are carried out, and then answered with a 503, as when an answer is lost on the way: a client retrying a jobs.insert meets its own job (409). */
  loseAnswerOfNext(count: number, match?: RegExp): void {
    this.faults.push({ kind: 'lost', remaining: count, status: 503, match });
  }

  delayNext(count: number, ms: number, match?: RegExp): void {
    this.faults.push({ kind: 'delay', remaining: count, ms, match });
  }

  /** Jobs created by the next `count` job requests never complete (jobComplete: false) until cancelled. */
  hangNextJobs(count: number): void {
    this.hangJobs += count;
  }

  /**
   * Jobs created by the next `count` job requests complete only `ms` after they start. With
   * `pollMs: 0` getQueryResults answers `jobComplete: false` at once meanwhile, which the API
   * allows ("the call is not guaranteed to wait for the specified timeout").
   */
  slowNextJobs(count: number, ms: number): void {
    for (let i = 0; i < count; i++) this.slowJobs.push(ms);
  }

  /**
   * Jobs created by the next `count` job requests list an error they got past in
   * `status.errors` (first, before any errorResult): "Errors here do not necessarily mean
   * that the job has not completed or was unsuccessful" (JobStatus.errors).
   */
  warnNextJobs(count: number): void {
    this.warnJobs += count;
  }

  /**
   * Jobs created by the next `count` job requests fail by themselves: jobs.insert answers 200
   * with the job DONE and its `status.errorResult` (e.g. backendError, internalError,
   * rateLimitExceeded, jobRateLimitExceeded: failures BigQuery's error table says to retry; jobBackendError,
   * jobInternalError: "the job was created successfully, but failed with an internal error", a 400, which Google's
   * own client runs again as a new job, python-bigquery's retry.py job_retry_reasons).
   */
  failNextJobs(count: number, reason: string, message = 'Error encountered during execution. Retrying may solve the problem.'): void {
    const status = reason === 'rateLimitExceeded' || reason === 'jobRateLimitExceeded' ? 403 : reason === 'jobBackendError' || reason === 'jobInternalError' ? 400 : 500;
    for (let i = 0; i < count; i++) this.failJobs.push({ status, reason, message });
  }

  /**
   * tables.get answers the table as another of Table.type's kinds (discovery: TABLE, VIEW, EXTERNAL,
   * MATERIALIZED_VIEW, SNAPSHOT), with what that kind's resource has: a VIEW its `view` and no
   * numRows/numBytes, an EXTERNAL table its `externalDataConfiguration` and no numRows, a
   * MATERIALIZED_VIEW its `materializedView` with `lastRefreshTime` ("the time when this materialized
   * view was last refreshed"). `lastModifiedTime` is then when the definition changed: the definition's
   * time is a day before the table's data here. A SNAPSHOT ("an immutable BigQuery table that preserves
   * the contents of a base table at a particular time") has its `snapshotDefinition` with `snapshotTime`
   * ("the time at which the base table was snapshot", RFC 3339 in JSON), which may be well before the
   * snapshot was made (FOR SYSTEM_TIME AS OF): its lastModifiedTime is when it was made, here the table's
   * data time. `undefined` answers it as a TABLE again.
   */
  tableKind(tableId: string, kind: TableKind | undefined): void {
    if (kind) this.kinds.set(tableId, kind);
    else this.kinds.delete(tableId);
  }

  /** Forgets recorded requests and pending faults, and the requests counted against `apiLimits` this second. */
  reset(): void {
    this.requests.length = 0;
    this.admitted = [];
    this.faults = [];
    this.hangJobs = 0;
    this.slowJobs = [];
    this.warnJobs = 0;
    this.failJobs = [];
    this.kinds.clear();
  }

  /** Stops listening and waits for requests in progress, so the caller may close the connection afterwards. */
  async close(): Promise<void> {
    this.spec.dispose();
    this.closed = true;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.allSettled([...this.inflight]);
    await this.queue.catch(() => undefined);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname.replace(/^\/bigquery\/v2/, ''),
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: undefined,
    };
    this.requests.push(record);
    res.once('finish', () => (record.status = res.statusCode));
    const checked = this.spec.check({ method: record.method, path: url.pathname, query: url.searchParams, headers: req.headers, body: text });
    // Every answer is BigQuery's own JSON, the injected faults' included: its status must be one the facts list for the operation.
    const reply = (status: number, body: unknown) => {
      this.spec.answered(checked, status, { vendorBody: true });
      this.send(res, status, body);
    };
    const replyError = (e: RestError) => {
      this.spec.answered(checked, e.status, { vendorBody: true });
      this.sendError(res, e);
    };
    if (!checked.operation) return replyError({ status: 404, reason: 'notFound', message: `Not found: ${record.method} ${url.pathname}` });
    if (checked.problems.length) {
      const auth = checked.problems.some((p) => /Authorization/.test(p));
      return replyError(auth ? { status: 401, reason: 'unauthorized', message: 'Request is missing required authentication credential.' } : { status: 400, reason: 'invalid', message: checked.problems[0]! });
    }
    const limited = checked.operation.id === 'bigquery.tables.get' ? this.apiLimits : undefined;
    if (limited) {
      const refused = this.beyondLimits(limited);
      if (refused) return replyError({ status: limited.status ?? 403, reason: 'rateLimitExceeded', message: refused });
      this.tablesGetInProgress++;
      res.once('close', () => this.tablesGetInProgress--);
    }
    try {
      record.body = text ? JSON.parse(text) : undefined;
      const fault = this.takeFault(record.path);
      if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
      if (this.closed) return void res.destroy();
      if (fault?.kind === 'error') {
        const status = fault.status ?? 500;
        return replyError({ status, reason: fault.reason ?? DEFAULT_REASON[status] ?? 'backendError', message: fault.message ?? 'Injected failure.' });
      }
      const [status, body] = await this.route(record);
      if (fault?.kind === 'lost') return replyError({ status: 503, reason: 'backendError', message: 'The service is currently unavailable.' });
      reply(status, body);
    } catch (err) {
      const e = err as Partial<RestError> & Error;
      replyError({ status: e.status ?? 500, reason: e.reason ?? 'internalError', message: e.message });
    }
  }

  /** Why a request beyond BigQuery's API request limits is refused (BigQuery's words), or undefined: admitted. */
  private beyondLimits(limits: ApiLimits): string | undefined {
    const now = performance.now();
    this.admitted = this.admitted.filter((at) => now - at < 1000);
    const more = 'For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas';
    if (this.tablesGetInProgress >= limits.concurrent) return `Exceeded rate limits: too many concurrent api requests for this user_method. ${more}`;
    if (this.admitted.length >= limits.perSecond) return `Exceeded rate limits: too many api requests per user per method for this user_method. ${more}`;
    this.admitted.push(now);
    return undefined;
  }

  private takeFault(path: string): Fault | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && (!f.match || f.match.test(path)));
    if (fault) fault.remaining--;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return fault;
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(body));
  }

  private sendError(res: ServerResponse, e: RestError): void {
    this.send(res, e.status, {
      error: {
        code: e.status,
        message: e.message,
        errors: [{ message: e.message, domain: 'global', reason: e.reason }],
        status: STATUS_TEXT[e.status] ?? 'UNKNOWN',
      },
    });
  }

  private async route(r: RecordedRequest): Promise<[number, unknown]> {
    let m: RegExpExecArray | null;
    if (r.method === 'POST' && (m = /^\/projects\/([^/]+)\/jobs$/.exec(r.path))) return [200, await this.insertJob(m[1]!, r.body)];
    if (r.method === 'POST' && (m = /^\/projects\/([^/]+)\/queries$/.exec(r.path))) return [200, await this.jobsQuery(m[1]!, r.body)];
    if (r.method === 'GET' && (m = /^\/projects\/([^/]+)\/queries\/([^/]+)$/.exec(r.path))) return [200, await this.getQueryResults(m[2]!, r.query)];
    if (r.method === 'GET' && (m = /^\/projects\/([^/]+)\/jobs\/([^/]+)$/.exec(r.path))) return [200, this.jobResource(this.job(m[2]!, r.query['location']))];
    if (r.method === 'POST' && (m = /^\/projects\/([^/]+)\/jobs\/([^/]+)\/cancel$/.exec(r.path))) return [200, this.cancel(m[2]!, r.query['location'])];
    if (r.method === 'GET' && (m = /^\/projects\/([^/]+)\/datasets\/([^/]+)$/.exec(r.path))) return [200, this.getDataset(m[1]!, decodeURIComponent(m[2]!))];
    if (r.method === 'GET' && (m = /^\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(r.path))) {
      return [200, await this.getTable(m[1]!, m[2]!, decodeURIComponent(m[3]!))];
    }
    throw fail(404, 'notFound', `Not found: ${r.method} ${r.path}`);
  }

  /**
   * A job by ID and the `location` it was asked with: a job outside the US and
   * EU multi-regions must be named with its location, and a job named with
   * another location is not that job (BigQuery answers 404 either way).
   */
  private job(jobId: string, location: string | undefined): JobState {
    const job = this.jobs.get(jobId);
    const named = location ? location.toLowerCase() === job?.location.toLowerCase() : /^(us|eu)$/i.test(job?.location ?? '');
    if (!job || !named) throw fail(404, 'notFound', `Not found: Job ${this.project}:${location ?? 'US'}.${jobId}`);
    return job;
  }

  /** datasets.get: the dataset and where it lives. */
  private getDataset(projectId: string, datasetId: string): unknown {
    if (projectId !== this.project || datasetId !== this.dataset) throw fail(404, 'notFound', `Not found: Dataset ${projectId}:${datasetId}`);
    return {
      kind: 'bigquery#dataset', etag: randomUUID(), id: `${projectId}:${datasetId}`,
      datasetReference: { projectId, datasetId }, location: this.location, type: 'DEFAULT',
      creationTime: '1700000000000', lastModifiedTime: '1700000000000',
    };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async insertJob(projectId: string, body: any): Promise<unknown> {
    const query = body?.configuration?.query;
    if (!query?.query) throw fail(400, 'invalid', 'Only query jobs are supported by this fake.');
    const jobId: string = body.jobReference?.jobId ?? randomUUID();
    const location: string = body.jobReference?.location ?? this.location;
    // A query runs where its tables are: asked to run elsewhere, BigQuery does not find them there.
    if (location.toLowerCase() !== this.location.toLowerCase()) throw fail(404, 'notFound', `Not found: Dataset ${this.project}:${this.dataset} was not found in location ${location}`);
    if (body.configuration.dryRun) {
      const bytes = await this.plan(query).then((p) => p.bytes);
      const warned = this.warnJobs > 0 && this.warnJobs--;
      return {
        kind: 'bigquery#job',
        jobReference: { projectId, location },
        configuration: body.configuration,
        status: { state: 'DONE', ...(warned ? { errors: [{ reason: 'invalid', message: 'Error while reading data, error message: 1 row skipped' }] } : {}) },
        statistics: { creationTime: String(Date.now()), totalBytesProcessed: String(bytes), query: { totalBytesProcessed: String(bytes), totalBytesBilled: '0', cacheHit: false, statementType: 'SELECT' } },
      };
    }
    if (this.jobs.has(jobId)) throw fail(409, 'duplicate', `Already Exists: Job ${projectId}:${location}.${jobId}`);
    const job = await this.startJob(projectId, jobId, location, body.configuration);
    return this.jobResource(job);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async jobsQuery(projectId: string, body: any): Promise<unknown> {
    const configuration = {
      query: {
        query: body.query, useLegacySql: body.useLegacySql, parameterMode: body.parameterMode,
        queryParameters: body.queryParameters, maximumBytesBilled: body.maximumBytesBilled,
      },
      labels: body.labels, dryRun: body.dryRun,
    };
    if (body.dryRun) {
      const { bytes } = await this.plan(configuration.query);
      return { kind: 'bigquery#queryResponse', jobComplete: true, totalBytesProcessed: String(bytes), cacheHit: false };
    }
    const job = await this.startJob(projectId, `job_${randomUUID().replaceAll('-', '')}`, body.location ?? this.location, configuration);
    return this.results(job, { 'formatOptions.useInt64Timestamp': String(body.formatOptions?.useInt64Timestamp ?? false), maxResults: body.maxResults });
  }

  private async startJob(projectId: string, jobId: string, location: string, configuration: unknown): Promise<JobState> {
    const job: JobState = { projectId, jobId, location, configuration, created: Date.now(), done: false, bytes: 0 };
    this.jobs.set(jobId, job);
    if (this.warnJobs > 0) {
      this.warnJobs--;
      job.warnings = [{ reason: 'invalid', message: 'Error while reading data, error message: 1 row skipped' }];
    }
    if (this.hangJobs > 0) {
      this.hangJobs--;
      return job;
    }
    const failure = this.failJobs.shift();
    if (failure) {
      job.error = failure;
      job.done = true;
      return job;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const q = (configuration as any).query;
      const plan = await this.plan(q);
      job.bytes = plan.bytes;
      const cap = q.maximumBytesBilled !== undefined ? Number(q.maximumBytesBilled) : undefined;
      if (cap !== undefined && plan.bytes > cap) {
        throw fail(400, 'bytesBilledLimitExceeded', `Query exceeded limit for bytes billed: ${cap}. ${plan.bytes} or higher required.`);
      }
      const reader = await this.serial(() => this.opts.connection.runAndReadAll(plan.sql, plan.values, plan.types));
      job.fields = reader.columnNames().map((name, i) => restField(name, reader.columnType(i)));
      job.rows = reader.getRows();
    } catch (err) {
      const e = err as Partial<RestError> & Error;
      job.error = { status: e.status ?? 400, reason: e.reason ?? 'invalidQuery', message: e.message };
    }
    const slow = this.slowJobs.shift();
    if (slow === undefined) job.done = true;
    else setTimeout(() => (job.done = true), slow).unref();
    return job;
  }

  /** Translates a query configuration to DuckDB: checks the dialect and parameters, estimates bytes. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async plan(q: any) {
    if (q.useLegacySql !== false) throw fail(400, 'invalidQuery', 'This fake speaks GoogleSQL only: set useLegacySql to false.');
    const params: QueryParams = {};
    for (const p of q.queryParameters ?? []) {
      if (!p.name) throw fail(400, 'invalidQuery', 'Positional parameters are not supported by this fake.');
      params[p.name] = fromRestParam(p.parameterType?.type, p.parameterValue?.value);
    }
    if ((q.queryParameters ?? []).length && String(q.parameterMode).toUpperCase() !== 'NAMED') {
      throw fail(400, 'invalidQuery', 'parameterMode must be NAMED for named parameters.');
    }
    const used: string[] = [];
    const sql = rewriteSql(q.query as string, {
      backticked: (id) => {
        const parts = id.split('.');
        const table = parts.pop()!;
        const dataset = parts.pop() ?? this.dataset;
        const project = parts.length ? parts.join('.') : this.project;
        if (project !== this.project || dataset !== this.dataset) throw fail(404, 'notFound', `Not found: Dataset ${project}:${dataset}`);
        if (!this.sizes.has(table)) throw fail(404, 'notFound', `Not found: Table ${project}:${dataset}.${table}`);
        return `"${table}"`;
      },
      param: (name) => {
        used.push(name);
        return `$${name}`;
      },
    });
    let bound;
    try {
      bound = bindDuckDbParams([...new Set(used)], params);
    } catch (err) {
      throw fail(400, 'invalidQuery', (err as Error).message);
    }
    const bytes = await this.serial(async () => {
      const prepared = await this.opts.connection.prepare(sql);
      prepared.destroySync();
      return estimateScanBytes(this.opts.connection, sql, this.sizes);
    }).catch((err: Error) => {
      throw fail(400, 'invalidQuery', err.message);
    });
    return { sql, ...bound, bytes };
  }

  private async getQueryResults(jobId: string, query: Record<string, string>): Promise<unknown> {
    const job = this.job(jobId, query['location']);
    if (!job.done) {
      await new Promise((r) => setTimeout(r, Math.min(Number(query['timeoutMs'] ?? 10_000), this.opts.pollMs ?? 100)));
    }
    return this.results(job, query);
  }

  private results(job: JobState, query: Record<string, string | number | undefined>): unknown {
    const jobReference = { projectId: job.projectId, jobId: job.jobId, location: job.location };
    if (!job.done) return { kind: 'bigquery#getQueryResultsResponse', jobReference, jobComplete: false };
    if (job.error) throw fail(job.error.status, job.error.reason, job.error.message);
    const all = job.rows ?? [];
    const start = Number(query['pageToken'] ?? query['startIndex'] ?? 0);
    const size = Number(query['maxResults'] ?? PAGE_ROWS) || PAGE_ROWS;
    const page = all.slice(start, start + size);
    const int64Timestamps = String(query['formatOptions.useInt64Timestamp']) === 'true';
    return {
      kind: 'bigquery#getQueryResultsResponse',
      etag: randomUUID(),
      schema: { fields: job.fields },
      jobReference,
      totalRows: String(all.length),
      ...(start + size < all.length ? { pageToken: String(start + size) } : {}),
      rows: page.map((r) => ({ f: r.map((v, i) => ({ v: restCell(v, job.fields![i]!, int64Timestamps) })) })),
      totalBytesProcessed: String(job.bytes),
      jobComplete: true,
      cacheHit: false,
      ...(job.warnings ? { errors: job.warnings } : {}),
    };
  }

  private jobResource(job: JobState): unknown {
    const stats = job.done && !job.error
      ? { totalBytesProcessed: String(job.bytes), query: { totalBytesProcessed: String(job.bytes), totalBytesBilled: String(job.bytes), cacheHit: false, statementType: 'SELECT' } }
      : {};
    const errorResult = job.error ? { reason: job.error.reason, message: job.error.message } : undefined;
    const errors = [...(job.warnings ?? []), ...(errorResult ? [errorResult] : [])];
    return {
      kind: 'bigquery#job',
      id: `${job.projectId}:${job.location}.${job.jobId}`,
      jobReference: { projectId: job.projectId, jobId: job.jobId, location: job.location },
      configuration: job.configuration,
      status: { state: job.done ? 'DONE' : 'RUNNING', ...(errorResult ? { errorResult } : {}), ...(errors.length ? { errors } : {}) },
      statistics: { creationTime: String(job.created), startTime: String(job.created), ...(job.done ? { endTime: String(Date.now()) } : {}), ...stats },
    };
  }

  private cancel(jobId: string, location: string | undefined): unknown {
    const job = this.job(jobId, location);
    if (!job.done) {
      job.done = true;
      job.error = { status: 400, reason: 'stopped', message: 'Job execution was cancelled: User requested cancellation' };
    }
    return { kind: 'bigquery#jobCancelResponse', job: this.jobResource(job) };
  }

  private async getTable(projectId: string, datasetId: string, tableId: string): Promise<unknown> {
    const r = projectId === this.project && datasetId === this.dataset
      ? await this.serial(() => this.opts.connection.runAndReadAll(
        'SELECT epoch_ms(last_modified) AS ms, row_count FROM _table_metadata WHERE table_name = $t', { t: tableId }))
      : undefined;
    const row = r?.getRows()[0];
    if (!row) throw fail(404, 'notFound', `Not found: Table ${projectId}:${datasetId}.${tableId}`);
    const cols = await this.serial(() => this.opts.connection.runAndReadAll(
      `SELECT column_name, data_type_id FROM duckdb_columns() WHERE table_name = $t AND schema_name = 'main' ORDER BY column_index`, { t: tableId }));
    const table = {
      kind: 'bigquery#table',
      etag: randomUUID(),
      id: `${projectId}:${datasetId}.${tableId}`,
      tableReference: { projectId, datasetId, tableId },
      schema: { fields: cols.getRows().map(([name, typeId]) => ({ name: String(name), type: restType(Number(typeId)), mode: 'NULLABLE' })) },
      numBytes: String(this.sizes.get(tableId) ?? 0),
      numRows: String(row[1]),
      creationTime: String(row[0]),
      lastModifiedTime: String(row[0]),
      type: 'TABLE',
      location: this.location,
    };
    const other = this.kinds.get(tableId);
    if (!other) return table;
    if (other.type === 'SNAPSHOT') {
      return { ...table, type: 'SNAPSHOT', snapshotDefinition: { baseTableReference: { projectId, datasetId, tableId: `${tableId}_base` }, snapshotTime: new Date(other.snapshotTime).toISOString().replace('Z', '+00:00') } };
    }
    // Another kind: lastModifiedTime is when its definition last changed, a day before the data here.
    const defined = String(Number(row[0]) - 86_400_000);
    const { numBytes: _bytes, numRows: _rows, ...common } = table;
    if (other.type === 'VIEW') return { ...common, type: 'VIEW', creationTime: defined, lastModifiedTime: defined, view: { query: `SELECT * FROM \`${projectId}.${datasetId}.base\``, useLegacySql: false } };
    if (other.type === 'EXTERNAL') return { ...common, numBytes: '0', type: 'EXTERNAL', creationTime: defined, lastModifiedTime: defined, externalDataConfiguration: { sourceUris: [`gs://${projectId}-exports/${tableId}/*.parquet`], sourceFormat: 'PARQUET' } };
    return {
      ...table, type: 'MATERIALIZED_VIEW', creationTime: defined, lastModifiedTime: defined,
      materializedView: { query: `SELECT * FROM \`${projectId}.${datasetId}.base\``, enableRefresh: true, refreshIntervalMs: '1800000', ...(other.lastRefreshTime !== undefined ? { lastRefreshTime: String(other.lastRefreshTime) } : {}) },
    };
  }

  /** One statement at a time on the shared connection. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** The kinds of table tables.get can answer besides TABLE (see FakeBigQuery.tableKind). */
type TableKind = { type: 'VIEW' | 'MATERIALIZED_VIEW' | 'EXTERNAL'; lastRefreshTime?: number } | { type: 'SNAPSHOT'; snapshotTime: number };

function fail(status: number, reason: string, message: string): Error & RestError {
  return Object.assign(new Error(message), { status, reason });
}

/** A REST query parameter as a port parameter (REST encodes scalars as strings). */
function fromRestParam(type: string | undefined, value: unknown): QueryParams[string] {
  const t = (type ?? 'STRING') as ParamType;
  if (value === null || value === undefined) return { type: t, value: null };
  const s = String(value);
  switch (t) {
    case 'INT64': return { type: t, value: s };
    case 'FLOAT64': return { type: t, value: Number(s) };
    case 'BOOL': return { type: t, value: s === 'true' };
    // Trim sub-millisecond digits, which Date cannot parse.
    case 'TIMESTAMP': return { type: t, value: new Date(s.replace(/(\.\d{3})\d+/, '$1').replace(' ', 'T')) };
    default: return { type: t, value: s };
  }
}

/** BigQuery's legacy type names, as the REST API reports them in schemas. */
function restType(id: DuckDBTypeId): string {
  switch (id) {
    case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER: case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT: case DuckDBTypeId.USMALLINT: case DuckDBTypeId.UINTEGER: case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT: case DuckDBTypeId.UHUGEINT:
      return 'INTEGER';
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE: return 'FLOAT';
    case DuckDBTypeId.DECIMAL: return 'NUMERIC';
    case DuckDBTypeId.BOOLEAN: return 'BOOLEAN';
    case DuckDBTypeId.DATE: return 'DATE';
    case DuckDBTypeId.TIME: return 'TIME';
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_TZ: case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS: case DuckDBTypeId.TIMESTAMP_NS:
      return 'TIMESTAMP';
    default: return 'STRING';
  }
}

/** A result column as a schema field: a DuckDB LIST is REPEATED, a STRUCT a RECORD with its fields. */
function restField(name: string, type: DuckDBType): Field {
  if (type instanceof DuckDBListType || type instanceof DuckDBArrayType) return { ...restField(name, type.valueType), mode: 'REPEATED' };
  if (type instanceof DuckDBStructType) {
    return { name, type: 'RECORD', mode: 'NULLABLE', fields: type.entryNames.map((n, i) => restField(n, type.entryTypes[i]!)) };
  }
  return { name, type: restType(type.typeId), mode: 'NULLABLE' };
}

/**
 * A cell's `v` as BigQuery's REST API encodes it (TableCell, as the client's
 * mergeSchemaWithRows_ reads it): a REPEATED field's is an array of `{ v }` (empty,
 * never null, for no items), a RECORD's is `{ f: [{ v }, …] }`, a scalar's a string.
 */
function restCell(v: DuckDBValue, field: Field, int64Timestamps: boolean): unknown {
  if (field.mode === 'REPEATED') {
    const items = v instanceof DuckDBListValue || v instanceof DuckDBArrayValue ? v.items : [];
    return items.map((item) => ({ v: restCell(item, { ...field, mode: 'NULLABLE' }, int64Timestamps) }));
  }
  if (field.type === 'RECORD') {
    if (!(v instanceof DuckDBStructValue)) return null;
    return { f: (field.fields ?? []).map((sub) => ({ v: restCell(v.entries[sub.name] ?? null, sub, int64Timestamps) })) };
  }
  return restValue(v, int64Timestamps);
}

/** A DuckDB value in BigQuery's REST string encoding. */
function restValue(v: DuckDBValue, int64Timestamps: boolean): string | null {
  if (v === null) return null;
  const micros = timestampMicros(v);
  if (micros !== undefined) {
    if (int64Timestamps) return micros.toString();
    // BigQuery's float-seconds form, e.g. "1.700000000123456E9".
    return (Number(micros) / 1e6).toExponential().replace('e+', 'E');
  }
  if (v instanceof DuckDBDateValue || v instanceof DuckDBDecimalValue) return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
  return typeof v === 'object' ? v.toString() : String(v);
}

function timestampMicros(v: DuckDBValue): bigint | undefined {
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return v.micros;
  if (v instanceof DuckDBTimestampMillisecondsValue) return v.millis * 1000n;
  if (v instanceof DuckDBTimestampSecondsValue) return v.seconds * 1_000_000n;
  if (v instanceof DuckDBTimestampNanosecondsValue) return v.nanos / 1000n;
  return undefined;
}
