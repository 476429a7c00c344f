/**
 * A loopback server following Fivetran's REST API v1 as the bot uses it
 * (facts: test/support/vendor-facts/fivetran.ts, from Fivetran's OpenAPI).
 * Every request is checked against those facts (method, path, body fields,
 * basic auth, Accept, and a POST's Content-Type: without application/json it
 * is Fivetran's 415, body or not); a refused request fails the test (vendor-facts/setup.ts),
 * and so does an answer in Fivetran's `{ code, message }` whose status its docs do not list
 * for the operation (`spec.answered`; any 5xx, a proxy's page and a bare body excepted).
 * Variations: `succeeded_at`/`failed_at` null or left out, setup_state
 * broken/incomplete, tasks and warnings absent (and a task's `message` a
 * label, with what happened in its `details`), and POST /sync with force
 * false on a syncing (or paused) connection answers 200 and starts nothing,
 * as the spec says.
 *
 * `GET /v1/connections/{id}` (connection details: `paused`, `succeeded_at`,
 * `failed_at`, `status.sync_state` scheduled|syncing|rescheduled|paused,
 * `status.rescheduled_for`, `status.tasks`) and `POST /v1/connections/{id}/sync`
 * (`{ force }`; answers `{ code: 'Success', message }`). Basic auth with the
 * key and secret is checked. Each connection syncs for `syncMs`, then
 * succeeds, fails, or is rescheduled for `rescheduleMs` later. At
 * `rescheduled_for` a connection on the auto schedule resumes syncing by
 * itself, as Fivetran does (`resume` says how that sync goes); one on a
 * manual schedule stays rescheduled until asked. On `schedule`, the next
 * sync begins by itself a while after one succeeded, as a connection's
 * `sync_frequency` has it. Faults can be queued:
 * any status (409, 429 with Retry-After or without it, as Fivetran's docs do
 * not promise the header, 500) for the next matching requests,
 * optionally after the request took effect (`afterEffect`: a 5xx to POST
 * /sync whose sync started anyway), with Fivetran's `{ code, message }` or a
 * proxy's HTML page (`page`), or with a bare body (`bare`: none at all, or a
 * line of text/plain), as Fivetran's gateway may answer a 401: its spec gives
 * no body for 401 and its docs promise `{ code, message }` only on "most"
 * answers. `unauthorized` says how a request with the wrong key is answered
 * (JSON by default, or bare the same two ways). A connection deleted from
 * `connections` answers Fivetran's 404 `{ code: "NotFound_Connection", message }`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpecChecker } from './vendor-facts/spec.js';
import { fivetranFacts } from './vendor-facts/fivetran.js';

export interface FakeConnection {
  id: string;
  service: string;
  schema: string;
  paused: boolean;
  syncState: 'scheduled' | 'syncing' | 'rescheduled' | 'paused';
  succeededAt: string | null;
  failedAt: string | null;
  rescheduledFor: string | null;
  /** Fivetran's Alert: `message` is a label ("Reconnect"), `details` (optional) says more. */
  tasks: Array<{ code: string; message: string; details?: string }>;
  /** What the next sync does. */
  outcome: 'succeed' | 'fail' | 'reschedule';
  /** How long a sync takes. */
  syncMs: number;
  /** Syncs started (POST /sync accepted, or resumed by the schedule at rescheduled_for). */
  syncs: number;
  setupState: 'incomplete' | 'connected' | 'broken';
  /** Fivetran's `schedule_type`: on `manual`, a sync runs only when asked (a rescheduled one included). */
  scheduleType: 'auto' | 'manual';
  /** How unset timestamps and lists are sent: `null` / `[]`, or left out (both are what the spec allows). */
  unset: 'null' | 'absent';
  /** A rescheduled sync's `rescheduled_for` is this far ahead (default an hour). */
  rescheduleMs: number;
  /** How the sync resumed at `rescheduled_for` goes (auto schedule only); default: as the first one. */
  resume?: { outcome: 'succeed' | 'fail' | 'reschedule'; syncMs: number };
  /**
   * Fivetran's own schedule (auto only): the next sync begins `afterMs` after one succeeded and takes `syncMs`
   * (`sync_frequency` is 1 to 1440 minutes: a connection syncing every few minutes is hardly ever idle). Default: none.
   */
  schedule?: { afterMs: number; syncMs: number };
  /** A forced sync request records the sync it stops as failed (`failed_at`), before the new one ends. */
  stoppedSyncFails?: boolean;
}

export interface FivetranRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  accept: string | undefined;
  contentType: string | undefined;
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
  /** Do what the request asks first, then answer with the fault. */
  afterEffect: boolean;
  /** An HTML page as the body instead of Fivetran's JSON. */
  page: string | undefined;
  /** No JSON: an empty body, or a line of text/plain. */
  bare: Bare | undefined;
}

/** A body that is not JSON: none at all, or a line of text/plain. */
export type Bare = 'empty' | 'text';

export class FakeFivetran {
  readonly requests: FivetranRequest[] = [];
  readonly spec = new SpecChecker(fivetranFacts);
  readonly connections = new Map<string, FakeConnection>();
  url = '';
  private server!: Server;
  private faults: Fault[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private hooks = new Set<Promise<void>>();
  /** Called when a sync succeeds (e.g. to refresh the warehouse tables). */
  onSucceeded: ((id: string) => Promise<void> | void) | undefined;
  /** How a request with the wrong key is answered: Fivetran's JSON error, or a bare 401. */
  unauthorized: 'json' | Bare = 'json';
  /** Runs after a request took effect and before it is answered (crash tests kill the bot here). */
  onApplied: ((call: { method: string; path: string }) => void | Promise<void>) | undefined;

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
      failedAt: null, rescheduledFor: null, tasks: [], outcome: 'succeed', syncMs: 200, syncs: 0, setupState: 'connected', scheduleType: 'auto', unset: 'null', rescheduleMs: 3_600_000,
      ...init,
    };
    this.connections.set(id, c);
    return c;
  }

  /**
   * The next `times` requests matching method and path answer `status` (e.g. 429 with `{ 'Retry-After': '1' }`;
   * only the headers given are sent, so a 429 without them has no Retry-After).
   * `afterEffect`: the request is carried out first (a POST /sync starts the sync), then answered with the fault.
   * `bare`: no JSON body (none, or a line of text/plain), as Fivetran's gateway may answer a 401.
   */
  failNext(method: 'GET' | 'POST', path: RegExp, status: number, options: { headers?: Record<string, string>; body?: unknown; times?: number; afterEffect?: boolean; page?: boolean; bare?: Bare } = {}): void {
    this.faults.push({
      method, path, status, remaining: options.times ?? 1, afterEffect: options.afterEffect ?? false, bare: options.bare,
      // `page`: an HTML error page, as a proxy or load balancer in front of Fivetran answers.
      headers: { ...(options.page ? { 'content-type': 'text/html' } : {}), ...options.headers },
      page: options.page ? `<html><head><title>${status}</title></head><body><h1>${status}</h1><p>The server could not handle the request.</p></body></html>` : undefined,
      body: options.body ?? { code: status === 429 ? 'TooManyRequests' : status === 409 ? 'Conflict' : 'InternalServerError', message: `fake ${status}` },
    });
  }

  /** POST /sync requests received. */
  syncRequests(): FivetranRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && /\/sync$/.test(r.path));
  }

  async close(): Promise<void> {
    this.spec.dispose();
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
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const checked = this.spec.check({ method, path, query: url.searchParams, headers: req.headers, body: raw });
    const body = checked.body;
    this.requests.push({ method, path, authorization: req.headers.authorization, accept: req.headers.accept, contentType: req.headers['content-type'], body, at: Date.now() });
    // Every answer is checked against the statuses Fivetran documents for the operation: its `{ code, message }`
    // JSON is its own answer; a proxy's page and a bare body are not (their status says nothing of Fivetran's).
    const send = (res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}, vendorBody = true) => {
      this.spec.answered(checked, status, { vendorBody });
      writeJson(res, status, payload, headers);
    };
    const sendBare = (res: ServerResponse, status: number, bare: Bare, headers: Record<string, string> = {}) => {
      this.spec.answered(checked, status, { vendorBody: false });
      writeBare(res, status, bare, headers);
    };
    if (!checked.operation) return send(res, 404, { code: 'NotFound', message: 'Not found' });
    const refused = checked.problems.filter((p) => !/Authorization/.test(p));
    // A POST whose Content-Type is missing or not JSON is Fivetran's 415, whatever its body.
    const mediaType = refused.find((p) => /header Content-Type|body sent as/.test(p));
    if (mediaType) return send(res, 415, { code: 'UnsupportedMediaType', message: mediaType });
    if (refused.length) return send(res, 400, { code: 'InvalidInput', message: refused[0] });

    const expected = 'Basic ' + Buffer.from(`${this.apiKey}:${this.apiSecret}`).toString('base64');
    if (req.headers.authorization !== expected) {
      return this.unauthorized === 'json' ? send(res, 401, { code: 'AuthFailed', message: 'Authorization failed' }) : sendBare(res, 401, this.unauthorized);
    }

    const fault = this.faults.find((f) => f.remaining > 0 && f.method === method && f.path.test(path));
    if (fault) fault.remaining--;
    const faultAnswer = (f: Fault) => (f.bare ? sendBare(res, f.status, f.bare, f.headers) : send(res, f.status, f.page ?? f.body, f.headers, f.page === undefined));
    if (fault && !fault.afterEffect) return faultAnswer(fault);
    /** The answer to a request that took effect: the fault's, when it comes after the effect. */
    const answer = (status: number, payload: unknown) => (fault ? faultAnswer(fault) : send(res, status, payload));

    const m = /^\/v1\/connections\/([^/]+)(\/sync)?$/.exec(path);
    const c = m ? this.connections.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m) return send(res, 404, { code: 'NotFound', message: 'Not found' });
    if (!c) return send(res, 404, { code: 'NotFound_Connection', message: `Connection with id '${decodeURIComponent(m[1]!)}' doesn't exist` });

    if (method === 'GET' && !m[2]) {
      const data = this.resource(c);
      await this.onApplied?.({ method, path });
      return res.destroyed ? undefined : answer(200, { code: 'Success', data });
    }
    if (method === 'POST' && m[2]) {
      const force = typeof body === 'object' && body !== null && (body as { force?: unknown }).force === true;
      // The spec: force=false syncs only a connection that isn't syncing; the answer is 200 either way. A paused one doesn't sync.
      if (!c.paused && (force || c.syncState !== 'syncing')) {
        // The spec does not say how the sync a forced request stops is recorded: a failure is what a client must not misread.
        if (c.syncState === 'syncing' && c.stoppedSyncFails) c.failedAt = new Date().toISOString();
        this.beginSync(c);
      }
      await this.onApplied?.({ method, path });
      if (res.destroyed) return;
      return answer(200, { code: 'Success', message: `Sync has been successfully triggered for connection with id '${c.id}'` });
    }
    return send(res, 405, { code: 'MethodNotAllowed', message: `${method} not allowed` });
  }

  /** Starts a sync of a connection (also what Fivetran's own schedule does). */
  beginSync(c: FakeConnection): void {
    c.syncs++;
    c.syncState = 'syncing';
    c.rescheduledFor = null;
    const run = c.syncs;
    const timer = setTimeout(() => void finish(), c.syncMs);
    const finish = async () => {
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
        this.scheduleNext(c);
      } else if (c.outcome === 'fail') {
        c.failedAt = at;
        c.syncState = 'scheduled';
        // As the spec has it: `message` a label ("Reconnect, Resync Table Warning"), `details` the context beyond it.
        c.tasks = [{ code: 'reconnect', message: 'Reconnect', details: 'HubSpot OAuth token expired: reconnect the connection' }];
      } else {
        c.syncState = 'rescheduled';
        c.rescheduledFor = new Date(Date.now() + c.rescheduleMs).toISOString();
        // On the auto schedule Fivetran resumes the sync at rescheduled_for; on a manual one it waits to be asked.
        if (c.scheduleType === 'auto') {
          const resumed = setTimeout(() => {
            this.timers.delete(resumed);
            if (c.syncs !== run || c.syncState !== 'rescheduled' || c.paused) return;
            if (c.resume) {
              c.outcome = c.resume.outcome;
              c.syncMs = c.resume.syncMs;
            }
            this.beginSync(c);
          }, c.rescheduleMs);
          this.timers.add(resumed);
        }
      }
    };
    this.timers.add(timer);
  }

  /** The sync the connection's own schedule begins after one ended (see FakeConnection.schedule). */
  private scheduleNext(c: FakeConnection): void {
    const schedule = c.schedule;
    if (!schedule || c.scheduleType !== 'auto') return;
    const run = c.syncs;
    const next = setTimeout(() => {
      this.timers.delete(next);
      if (c.syncs !== run || c.paused || c.syncState === 'syncing') return;
      c.syncMs = schedule.syncMs;
      this.beginSync(c);
    }, schedule.afterMs);
    this.timers.add(next);
  }

  private resource(c: FakeConnection): Record<string, unknown> {
    const opt = (key: string, v: unknown) => (v === null || (Array.isArray(v) && v.length === 0) ? (c.unset === 'null' ? { [key]: v } : {}) : { [key]: v });
    return {
      id: c.id, group_id: 'group_demo', service: c.service, service_version: 1, schema: c.schema,
      ...(c.unset === 'null' ? { connected_by: 'user_demo' } : {}), created_at: '2024-01-01T00:00:00.000Z',
      ...opt('succeeded_at', micros(c.succeededAt)), ...opt('failed_at', micros(c.failedAt)),
      paused: c.paused, pause_after_trial: false, sync_frequency: 1440, schedule_type: c.scheduleType, data_delay_sensitivity: 'NORMAL',
      status: {
        setup_state: c.setupState, sync_state: c.paused ? 'paused' : c.syncState, update_state: 'on_schedule', is_historical_sync: false,
        ...opt('tasks', c.tasks), ...opt('warnings', []), ...(c.rescheduledFor ? { rescheduled_for: micros(c.rescheduledFor) } : {}),
      },
    };
  }
}

/** A timestamp as the spec's examples write it, to the microsecond (`2024-03-17T12:31:40.870504Z`); order is kept. */
function micros<T extends string | null>(iso: T): T {
  return (iso === null ? iso : iso.replace(/\.(\d{3})Z$/, '.$1504Z')) as T;
}

/** A status with no JSON: no body at all (no Content-Type), or the status's reason phrase as text/plain. */
function writeBare(res: ServerResponse, status: number, bare: Bare, headers: Record<string, string> = {}): void {
  if (bare === 'empty') {
    res.writeHead(status, { 'content-length': '0', ...headers });
    res.end();
    return;
  }
  const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : `Error ${status}`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
