/**
 * A loopback BigQuery Data Transfer Service (REST v1) for the calls the bot
 * makes, following the facts in test/support/vendor-facts/datatransfer.ts:
 *
 * - every request is checked against those facts (method, path, parameters,
 *   body fields, Bearer auth); a refused request gets Google's 400 and fails
 *   the test (see vendor-facts/setup.ts);
 * - configs may be named with the project ID or number, with or without a
 *   location; the service answers run names as Google does:
 *   `projects/{NUMBER}/locations/{location}/transferConfigs/{id}/runs/{run}`;
 * - runs go PENDING → RUNNING → SUCCEEDED | FAILED | CANCELLED; optional
 *   fields are left out until set (startTime, endTime, errorStatus, and the
 *   error's message when the config says so);
 * - `requestedRunTime` in the future is refused, as the API says;
 * - runs.list pages (`pageSize`, `nextPageToken`), oldest first by default
 *   (the order is not documented, so clients must not rely on it), and its
 *   pages may be shorter than asked (`maxPageSize`, as AIP-158 allows);
 * - faults: any status for the next matching requests, optionally after the
 *   request took effect (a 5xx on startManualRuns whose run was created
 *   anyway), a dropped connection after the effect, a 200 whose body is
 *   cut off midway (the answer lost after its status line), and a 409 as
 *   either of the codes Google maps to it (ALREADY_EXISTS, ABORTED); an
 *   error may carry a google.rpc.RetryInfo in its details; or a proxy's HTML
 *   page (`page`) or JSON that is not Google's (`body`) answers in Google's
 *   place, with any status, 200 included;
 * - every answer in Google's own form, the faults' included, must have a
 *   status the facts list for the operation or for every call (`spec.answered`;
 *   any 5xx may come), or the test fails.
 */
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpecChecker } from './vendor-facts/spec.js';
import { dataTransferFacts } from './vendor-facts/datatransfer.js';

export interface FakeTransferConfig {
  /** Canonical: `projects/{number}/locations/{location}/transferConfigs/{id}`. */
  name: string;
  projectId: string;
  projectNumber: string;
  location: string;
  configId: string;
  outcome: 'succeed' | 'fail' | 'cancel';
  /** Failed runs leave errorStatus.message out (the field is optional). */
  errorWithoutMessage: boolean;
  /** How long a run stays PENDING, then RUNNING. */
  pendingMs: number;
  runMs: number;
}

interface FakeRun {
  name: string;
  config: FakeTransferConfig;
  createdAt: number;
  runTime: string;
  scheduleTime: string;
  manual: boolean;
  notified?: boolean;
}

export interface DataTransferRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
  status: number;
  /** When it arrived (epoch ms). */
  at: number;
}

interface Fault {
  method: string;
  path: RegExp;
  /** 'drop': close the connection unanswered; 'truncate': answer 200 and close it midway through the body. */
  status: number | 'drop' | 'truncate';
  headers: Record<string, string>;
  remaining: number;
  /** Do what the request asks first, then answer with the fault. */
  afterEffect: boolean;
  /** The error's `status` (google.rpc.Code name) when the HTTP status maps to several: 409 is ALREADY_EXISTS or ABORTED. */
  rpcStatus: string | undefined;
  /** A google.rpc.RetryInfo in the error's details, its `retryDelay` a Duration in JSON (`"30s"`, `"1.5s"`). */
  retryDelay: string | undefined;
  /** An HTML page instead of Google's JSON error, as a proxy or load balancer in front of Google answers. */
  page: boolean;
  /** This JSON instead of Google's answer (a proxy's or portal's own JSON, e.g. `{ "status": "ok" }` with a 200). */
  body: unknown;
}

const STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };
const NAME = /^projects\/([^/]+)\/(?:locations\/([^/]+)\/)?transferConfigs\/([^/]+)(?:\/runs\/([^/]+))?$/;

export class FakeDataTransfer {
  readonly requests: DataTransferRequest[] = [];
  readonly configs = new Map<string, FakeTransferConfig>();
  readonly runs = new Map<string, FakeRun>();
  readonly spec = new SpecChecker(dataTransferFacts);
  /** runs.list order (not documented by Google). */
  listOrder: 'oldest-first' | 'newest-first' = 'oldest-first';
  /**
   * The most runs.list answers in a page, whatever pageSize asked (default 1000, the documented maximum): a
   * List method may return fewer results than page_size before the end, nextPageToken saying there are more (AIP-158).
   */
  maxPageSize = 1000;
  url = '';
  private server!: Server;
  private faults: Fault[] = [];
  private readonly numbers = new Map<string, string>();
  onSucceeded: ((config: string) => Promise<void> | void) | undefined;

  private constructor(readonly token: string) {}

  static async start(opts: { token?: string } = {}): Promise<FakeDataTransfer> {
    const fake = new FakeDataTransfer(opts.token ?? 'fake-access-token');
    fake.server = createServer((req, res) => void fake.handle(req, res));
    fake.server.listen(0, '127.0.0.1');
    await once(fake.server, 'listening');
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/`;
    return fake;
  }

  /** The project number Google would answer with for a project ID (made up, stable). */
  projectNumber(projectId: string): string {
    if (/^\d+$/.test(projectId)) return projectId;
    let n = this.numbers.get(projectId);
    if (!n) {
      n = String(100_000_000_000 + this.numbers.size * 7919 + projectId.length);
      this.numbers.set(projectId, n);
    }
    return n;
  }

  /**
   * Adds a transfer config under any name the bot may be configured with
   * (`projects/{id or number}[/locations/{l}]/transferConfigs/{c}`; no location means `us`).
   */
  addConfig(name: string, init: Partial<Omit<FakeTransferConfig, 'name' | 'projectId' | 'projectNumber' | 'configId'>> = {}): FakeTransferConfig {
    const m = NAME.exec(name);
    if (!m || m[4]) throw new Error(`not a transfer config name: ${name}`);
    const projectId = m[1]!;
    const location = init.location ?? m[2] ?? 'us';
    const projectNumber = this.projectNumber(projectId);
    const c: FakeTransferConfig = {
      outcome: 'succeed', errorWithoutMessage: false, pendingMs: 50, runMs: 150, ...init,
      name: `projects/${projectNumber}/locations/${location}/transferConfigs/${m[3]!}`,
      projectId, projectNumber, location, configId: m[3]!,
    };
    this.configs.set(c.name, c);
    return c;
  }

  /** A run the config's own schedule started at `at` (for runs.list). */
  addScheduledRun(config: FakeTransferConfig, at: Date): FakeRun {
    const run: FakeRun = { name: `${config.name}/runs/${randomUUID()}`, config, createdAt: at.getTime(), runTime: at.toISOString(), scheduleTime: at.toISOString(), manual: false };
    this.runs.set(run.name, run);
    return run;
  }

  /**
   * The next `times` requests matching method and path answer `status` (or
   * drop the connection). `afterEffect`: the request is carried out first
   * (startManualRuns creates its run), as when a server fails after committing.
   * `rpcStatus`: the error's google.rpc.Code name where one HTTP status stands
   * for several (409: ALREADY_EXISTS by default, or ABORTED, a concurrency
   * conflict to be retried). `retryDelay`: the error's details carry a
   * google.rpc.RetryInfo with this delay (Google's way to say when to retry a
   * RESOURCE_EXHAUSTED, where a Retry-After header may well be absent).
   * `page`: a proxy's HTML page answers with `status` (200 included);
   * `body`: this JSON answers with `status`, in place of Google's.
   */
  failNext(method: 'GET' | 'POST', path: RegExp, status: number | 'drop' | 'truncate', options: { headers?: Record<string, string>; times?: number; afterEffect?: boolean; rpcStatus?: 'ALREADY_EXISTS' | 'ABORTED'; retryDelay?: string; page?: boolean; body?: unknown } = {}): void {
    this.faults.push({ method, path, status, headers: options.headers ?? {}, remaining: options.times ?? 1, afterEffect: options.afterEffect ?? false, rpcStatus: options.rpcStatus, retryDelay: options.retryDelay, page: options.page ?? false, body: options.body });
  }

  startRequests(): DataTransferRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith(':startManualRuns'));
  }

  /** Runs created by startManualRuns. */
  manualRuns(): FakeRun[] {
    return [...this.runs.values()].filter((r) => r.manual);
  }

  async close(): Promise<void> {
    this.spec.dispose();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** The config a name (any accepted form) designates. */
  config(name: string): FakeTransferConfig | undefined {
    const m = NAME.exec(name);
    if (!m) return undefined;
    const number = this.projectNumber(m[1]!);
    return [...this.configs.values()].find((c) => c.projectNumber === number && c.configId === m[3] && (!m[2] || m[2] === c.location));
  }

  private run(name: string): FakeRun | undefined {
    const m = NAME.exec(name);
    const config = m?.[4] ? this.config(name.replace(/\/runs\/[^/]+$/, '')) : undefined;
    return config ? this.runs.get(`${config.name}/runs/${m![4]!}`) : undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const checked = this.spec.check({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body: raw });
    const record: DataTransferRequest = { method, path: decodeURIComponent(url.pathname), query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization, body: checked.body, status: 0, at: Date.now() };
    this.requests.push(record);
    // Google's own answers are checked against the statuses the facts list for the operation (`vendorBody`: false for a proxy's or portal's).
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}, vendorBody = true) => {
      record.status = status;
      this.spec.answered(checked, status, { vendorBody });
      send(res, status, body, headers);
    };
    const error = (code: number, message: string, headers: Record<string, string> = {}, status = STATUS[code] ?? 'UNKNOWN', details?: unknown[]) =>
      answer(code, { error: { code, message, status, ...(details ? { details } : {}) } }, headers);

    if (req.headers.authorization !== `Bearer ${this.token}`) return error(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    if (!checked.operation) return error(404, `Method not found: ${method} ${url.pathname}`);
    if (checked.problems.length) return error(400, `Invalid request: ${checked.problems[0]}`);

    const faultAt = this.faults.findIndex((f) => f.remaining > 0 && f.method === method && f.path.test(url.pathname));
    const fault = faultAt >= 0 ? this.faults[faultAt] : undefined;
    if (fault) fault.remaining--;
    const failWith = () => {
      if (fault!.status === 'drop') {
        record.status = -1;
        res.destroy();
        return;
      }
      if (fault!.status === 'truncate') {
        record.status = 200;
        this.spec.answered(checked, 200, { vendorBody: true });
        res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': '4096' });
        res.write('{\n  "runs": [\n    {\n      "name": "projects/');
        setTimeout(() => res.destroy(), 20);
        return;
      }
      if (fault!.page) {
        record.status = fault!.status;
        this.spec.answered(checked, fault!.status, { vendorBody: false });
        res.writeHead(fault!.status, { 'content-type': 'text/html', ...fault!.headers });
        res.end(`<html><head><title>${fault!.status}</title></head><body><h1>${fault!.status}</h1><p>Request refused.</p></body></html>`);
        return;
      }
      if (fault!.body !== undefined) return answer(fault!.status, fault!.body, fault!.headers, false);
      const retryInfo = fault!.retryDelay ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: fault!.retryDelay }] : undefined;
      error(fault!.status, `fake ${fault!.rpcStatus ?? fault!.status}`, fault!.headers, fault!.rpcStatus, retryInfo);
    };
    if (fault && !fault.afterEffect) return failWith();

    const [status, body] = await this.route(checked.operation.id, checked.params, url.searchParams, checked.body);
    if (fault) return failWith();
    if (status >= 400) return error(status, String((body as { message: string }).message));
    answer(status, body);
  }

  private async route(op: string, params: Record<string, string>, query: URLSearchParams, body: unknown): Promise<[number, unknown]> {
    if (op.endsWith('startManualRuns')) {
      const config = this.config(params['parent']!);
      if (!config) return [404, { message: `Transfer config ${params['parent']} not found` }];
      const b = (body ?? {}) as { requestedRunTime?: string; requestedTimeRange?: unknown };
      if ((b.requestedRunTime === undefined) === (b.requestedTimeRange === undefined)) return [400, { message: 'Exactly one of requested_run_time or requested_time_range must be set.' }];
      if (b.requestedRunTime !== undefined && Date.parse(b.requestedRunTime) > Date.now()) return [400, { message: 'requested_run_time must be a past time and cannot include future time values.' }];
      const now = new Date();
      const run: FakeRun = {
        name: `${config.name}/runs/${randomUUID().replaceAll('-', '').slice(0, 20)}`, config, createdAt: now.getTime(),
        runTime: b.requestedRunTime ?? now.toISOString(), scheduleTime: now.toISOString(), manual: true,
      };
      this.runs.set(run.name, run);
      return [200, { runs: [this.resource(run)] }];
    }
    if (op.endsWith('runs.get')) {
      const run = this.run(params['name']!);
      if (!run) return [404, { message: `Transfer run ${params['name']} not found` }];
      const resource = this.resource(run);
      if (resource['state'] === 'SUCCEEDED' && !run.notified) {
        run.notified = true;
        await this.onSucceeded?.(run.config.name);
      }
      return [200, resource];
    }
    if (op.endsWith('runs.list')) {
      const config = this.config(params['parent']!);
      if (!config) return [404, { message: `Transfer config ${params['parent']} not found` }];
      let runs = [...this.runs.values()].filter((r) => r.config === config).sort((a, b) => a.createdAt - b.createdAt);
      if (this.listOrder === 'newest-first') runs.reverse();
      const states = query.getAll('states');
      if (states.length) runs = runs.filter((r) => states.includes(String(this.resource(r)['state'])));
      const size = Math.min(Number(query.get('pageSize') ?? 1000), 1000, this.maxPageSize);
      const start = Number(query.get('pageToken') ?? 0);
      const page = runs.slice(start, start + size).map((r) => this.resource(r));
      return [200, { ...(page.length ? { transferRuns: page } : {}), ...(start + size < runs.length ? { nextPageToken: String(start + size) } : {}) }];
    }
    return [404, { message: `no route for ${op}` }];
  }

  private resource(run: FakeRun): Record<string, unknown> {
    const age = Date.now() - run.createdAt;
    const c = run.config;
    const end = c.outcome === 'succeed' ? 'SUCCEEDED' : c.outcome === 'fail' ? 'FAILED' : 'CANCELLED';
    const state = age < c.pendingMs ? 'PENDING' : age < c.pendingMs + c.runMs ? 'RUNNING' : end;
    const done = state !== 'PENDING' && state !== 'RUNNING';
    return {
      name: run.name,
      scheduleTime: nanos(run.scheduleTime),
      runTime: run.runTime,
      ...(age >= c.pendingMs ? { startTime: nanos(new Date(run.createdAt + c.pendingMs).toISOString()) } : {}),
      ...(done ? { endTime: nanos(new Date(run.createdAt + c.pendingMs + c.runMs).toISOString()) } : {}),
      updateTime: nanos(new Date().toISOString()),
      dataSourceId: 'scheduled_query',
      state,
      destinationDatasetId: 'sourcegraph_production',
      ...(run.manual ? {} : { schedule: 'every 24 hours' }),
      ...(state === 'FAILED'
        ? { errorStatus: c.errorWithoutMessage ? { code: 3 } : { code: 3, message: 'Query error: Table sourcegraph_production.subscriptions_raw was not found' } }
        : {}),
    };
  }
}

/** A timestamp as Google's JSON writes it (protobuf Timestamp: RFC 3339, Z-normalized, with 0, 3, 6 or 9 fractional digits); order is kept. */
function nanos(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$1250391Z');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}
