/**
 * A loopback server following the BigQuery Data Transfer Service REST API v1
 * as the bot uses it: `POST v1/{parent=projects/*\/locations/*\/transferConfigs/*}:startManualRuns`
 * (body `{ requestedRunTime }` or `{ requestedTimeRange }`; answers
 * `{ runs: [TransferRun] }`) and `GET v1/{name=…/runs/*}` (a TransferRun:
 * `state` PENDING → RUNNING → SUCCEEDED | FAILED with `errorStatus`).
 * A bearer token is required. Errors use Google's `{ error: { code, message, status } }`;
 * faults (409, 429 with Retry-After, 500) can be queued.
 */
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTransferConfig {
  name: string;
  outcome: 'succeed' | 'fail';
  /** How long a run stays PENDING, then RUNNING. */
  pendingMs: number;
  runMs: number;
}

interface FakeRun {
  name: string;
  config: FakeTransferConfig;
  createdAt: number;
  runTime: string;
}

export interface DataTransferRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

const STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

export class FakeDataTransfer {
  readonly requests: DataTransferRequest[] = [];
  readonly configs = new Map<string, FakeTransferConfig>();
  readonly runs = new Map<string, FakeRun>();
  url = '';
  private server!: Server;
  private faults: Array<{ method: string; path: RegExp; status: number; headers: Record<string, string>; remaining: number }> = [];
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

  addConfig(name: string, init: Partial<FakeTransferConfig> = {}): FakeTransferConfig {
    const c: FakeTransferConfig = { name, outcome: 'succeed', pendingMs: 50, runMs: 150, ...init };
    this.configs.set(name, c);
    return c;
  }

  failNext(method: 'GET' | 'POST', path: RegExp, status: number, options: { headers?: Record<string, string>; times?: number } = {}): void {
    this.faults.push({ method, path, status, headers: options.headers ?? {}, remaining: options.times ?? 1 });
  }

  startRequests(): DataTransferRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith(':startManualRuns'));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return error(res, 400, 'Invalid JSON payload received.');
    }
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://fake').pathname);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, authorization: req.headers.authorization, body });
    if (req.headers.authorization !== `Bearer ${this.token}`) return error(res, 401, 'Request had invalid authentication credentials.');
    const fault = this.faults.find((f) => f.remaining > 0 && f.method === method && f.path.test(path));
    if (fault) {
      fault.remaining--;
      return error(res, fault.status, `fake ${fault.status}`, fault.headers);
    }

    const start = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/transferConfigs\/[^/:]+):startManualRuns$/.exec(path);
    if (method === 'POST' && start) {
      const config = this.configs.get(start[1]!);
      if (!config) return error(res, 404, `Transfer config ${start[1]} not found`);
      const b = (body ?? {}) as { requestedRunTime?: unknown; requestedTimeRange?: unknown };
      if (typeof b.requestedRunTime !== 'string' && typeof b.requestedTimeRange !== 'object') return error(res, 400, 'Either requested_run_time or requested_time_range must be set');
      if (typeof b.requestedRunTime === 'string' && Date.parse(b.requestedRunTime) > Date.now() + 1000) return error(res, 400, 'requested_run_time must not be in the future');
      const run: FakeRun = { name: `${config.name}/runs/${randomUUID().slice(0, 18)}`, config, createdAt: Date.now(), runTime: String(b.requestedRunTime ?? new Date().toISOString()) };
      this.runs.set(run.name, run);
      return send(res, 200, { runs: [this.resource(run)] });
    }
    const get = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/transferConfigs\/[^/]+\/runs\/[^/]+)$/.exec(path);
    if (method === 'GET' && get) {
      const run = this.runs.get(get[1]!);
      if (!run) return error(res, 404, `Transfer run ${get[1]} not found`);
      const resource = this.resource(run);
      if (resource['state'] === 'SUCCEEDED' && !(run as FakeRun & { notified?: boolean }).notified) {
        (run as FakeRun & { notified?: boolean }).notified = true;
        await this.onSucceeded?.(run.config.name);
      }
      return send(res, 200, resource);
    }
    return error(res, 404, `Method not found: ${method} ${path}`);
  }

  private resource(run: FakeRun): Record<string, unknown> {
    const age = Date.now() - run.createdAt;
    const c = run.config;
    const state = age < c.pendingMs ? 'PENDING' : age < c.pendingMs + c.runMs ? 'RUNNING' : c.outcome === 'succeed' ? 'SUCCEEDED' : 'FAILED';
    const done = state === 'SUCCEEDED' || state === 'FAILED';
    return {
      name: run.name,
      scheduleTime: run.runTime,
      runTime: run.runTime,
      ...(age >= c.pendingMs ? { startTime: new Date(run.createdAt + c.pendingMs).toISOString() } : {}),
      ...(done ? { endTime: new Date(run.createdAt + c.pendingMs + c.runMs).toISOString() } : {}),
      updateTime: new Date().toISOString(),
      dataSourceId: 'scheduled_query',
      state,
      userId: '-1',
      destinationDatasetId: 'sourcegraph_production',
      ...(state === 'FAILED' ? { errorStatus: { code: 3, message: 'Query error: Table sourcegraph_production.subscriptions_raw was not found' } } : {}),
    };
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, code: number, message: string, headers: Record<string, string> = {}): void {
  send(res, code, { error: { code, message, status: STATUS[code] ?? 'UNKNOWN' } }, headers);
}
