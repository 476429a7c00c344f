/**
 * A loopback server following Fivetran's REST API v1 as the bot uses it:
 * `GET /v1/connections/{id}` (connection details: `paused`, `succeeded_at`,
 * `failed_at`, `status.sync_state` scheduled|syncing|rescheduled|paused,
 * `status.rescheduled_for`, `status.tasks`) and `POST /v1/connections/{id}/sync`
 * (`{ force }`; answers `{ code: 'Success', message }`). Basic auth with the
 * key and secret is checked. Each connection syncs for `syncMs`, then
 * succeeds, fails, or is rescheduled (and stays so). Faults can be queued:
 * any status (409, 429 with Retry-After, 500) for the next matching requests.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeConnection {
  id: string;
  service: string;
  schema: string;
  paused: boolean;
  syncState: 'scheduled' | 'syncing' | 'rescheduled' | 'paused';
  succeededAt: string | null;
  failedAt: string | null;
  rescheduledFor: string | null;
  tasks: Array<{ code: string; message: string }>;
  /** What the next sync does. */
  outcome: 'succeed' | 'fail' | 'reschedule';
  /** How long a sync takes. */
  syncMs: number;
  /** Syncs started (POST /sync accepted). */
  syncs: number;
}

export interface FivetranRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  accept: string | undefined;
  body: unknown;
  /** When it arrived (epoch ms). */
  at: number;
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  headers: Record<string, string>;
  body: unknown;
  remaining: number;
}

export class FakeFivetran {
  readonly requests: FivetranRequest[] = [];
  readonly connections = new Map<string, FakeConnection>();
  url = '';
  private server!: Server;
  private faults: Fault[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private hooks = new Set<Promise<void>>();
  /** Called when a sync succeeds (e.g. to refresh the warehouse tables). */
  onSucceeded: ((id: string) => Promise<void> | void) | undefined;

  private constructor(readonly apiKey: string, readonly apiSecret: string) {}

  static async start(opts: { apiKey?: string; apiSecret?: string } = {}): Promise<FakeFivetran> {
    const fake = new FakeFivetran(opts.apiKey ?? 'test-key', opts.apiSecret ?? 'test-secret-value');
    fake.server = createServer((req, res) => void fake.handle(req, res));
    fake.server.listen(0, '127.0.0.1');
    await once(fake.server, 'listening');
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/`;
    return fake;
  }

  /** Adds (or replaces) a connection, last synced `succeededAgoMs` ago. */
  addConnection(id: string, init: Partial<FakeConnection> & { succeededAgoMs?: number } = {}): FakeConnection {
    const c: FakeConnection = {
      id, service: 'hubspot', schema: id, paused: false, syncState: 'scheduled',
      succeededAt: new Date(Date.now() - (init.succeededAgoMs ?? 30 * 3_600_000)).toISOString(),
      failedAt: null, rescheduledFor: null, tasks: [], outcome: 'succeed', syncMs: 200, syncs: 0,
      ...init,
    };
    this.connections.set(id, c);
    return c;
  }

  /** The next `times` requests matching method and path answer `status` (e.g. 429 with `{ 'Retry-After': '1' }`). */
  failNext(method: 'GET' | 'POST', path: RegExp, status: number, options: { headers?: Record<string, string>; body?: unknown; times?: number } = {}): void {
    this.faults.push({
      method, path, status, headers: options.headers ?? {}, remaining: options.times ?? 1,
      body: options.body ?? { code: status === 429 ? 'TooManyRequests' : status === 409 ? 'Conflict' : 'InternalServerError', message: `fake ${status}` },
    });
  }

  /** POST /sync requests received. */
  syncRequests(): FivetranRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && /\/sync$/.test(r.path));
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled([...this.hooks]);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    let body: unknown = undefined;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return send(res, 400, { code: 'InvalidInput', message: 'Malformed JSON' });
    }
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, authorization: req.headers.authorization, accept: req.headers.accept, body, at: Date.now() });

    const expected = 'Basic ' + Buffer.from(`${this.apiKey}:${this.apiSecret}`).toString('base64');
    if (req.headers.authorization !== expected) return send(res, 401, { code: 'AuthFailed', message: 'Authorization failed' });

    const fault = this.faults.find((f) => f.remaining > 0 && f.method === method && f.path.test(path));
    if (fault) {
      fault.remaining--;
      return send(res, fault.status, fault.body, fault.headers);
    }

    const m = /^\/v1\/connections\/([^/]+)(\/sync)?$/.exec(path);
    const c = m ? this.connections.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m) return send(res, 404, { code: 'NotFound', message: 'Not found' });
    if (!c) return send(res, 404, { code: 'NotFound_Connection', message: `Connection with id '${decodeURIComponent(m[1]!)}' doesn't exist` });

    if (method === 'GET' && !m[2]) return send(res, 200, { code: 'Success', data: this.resource(c) });
    if (method === 'POST' && m[2]) {
      const force = typeof body === 'object' && body !== null && (body as { force?: unknown }).force === true;
      if (c.paused) return send(res, 409, { code: 'Conflict', message: 'Connection is paused' });
      // force=false only syncs a connection that isn't syncing already.
      if (c.syncState === 'syncing' && !force) return send(res, 409, { code: 'Conflict', message: 'Sync is already in progress' });
      this.beginSync(c);
      return send(res, 200, { code: 'Success', message: `Sync has been successfully triggered for connection with id '${c.id}'` });
    }
    return send(res, 405, { code: 'MethodNotAllowed', message: `${method} not allowed` });
  }

  /** Starts a sync of a connection (also what Fivetran's own schedule does). */
  beginSync(c: FakeConnection): void {
    c.syncs++;
    c.syncState = 'syncing';
    c.rescheduledFor = null;
    const run = c.syncs;
    const timer = setTimeout(async () => {
      this.timers.delete(timer);
      if (c.syncs !== run) return; // a forced restart replaced this sync
      const at = new Date().toISOString();
      if (c.outcome === 'succeed') {
        const hook = Promise.resolve(this.onSucceeded?.(c.id));
        this.hooks.add(hook);
        await hook.finally(() => this.hooks.delete(hook));
        c.succeededAt = at;
        c.syncState = 'scheduled';
        c.tasks = [];
      } else if (c.outcome === 'fail') {
        c.failedAt = at;
        c.syncState = 'scheduled';
        c.tasks = [{ code: 'reconnect', message: 'HubSpot OAuth token expired: reconnect the connection' }];
      } else {
        c.syncState = 'rescheduled';
        c.rescheduledFor = new Date(Date.now() + 3_600_000).toISOString();
      }
    }, c.syncMs);
    this.timers.add(timer);
  }

  private resource(c: FakeConnection): Record<string, unknown> {
    return {
      id: c.id, group_id: 'group_demo', service: c.service, service_version: 1, schema: c.schema,
      connected_by: 'user_demo', created_at: '2024-01-01T00:00:00.000Z',
      succeeded_at: c.succeededAt, failed_at: c.failedAt, paused: c.paused, pause_after_trial: false,
      sync_frequency: 1440, schedule_type: 'auto',
      status: {
        setup_state: 'connected', sync_state: c.paused ? 'paused' : c.syncState, update_state: 'on_schedule', is_historical_sync: false,
        tasks: c.tasks, warnings: [], ...(c.rescheduledFor ? { rescheduled_for: c.rescheduledFor } : {}),
      },
    };
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
