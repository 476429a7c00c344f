/**
 * Fivetran: reruns a connection through the REST API v1.
 * - `GET /v1/connections/{id}` first, to remember when it last succeeded or
 *   failed (so the end of *this* sync is told from an earlier one without
 *   comparing clocks), and to refuse a paused connection;
 * - `POST /v1/connections/{id}/sync` with `{ force }` (basic auth, key:secret);
 * - then `status()` reads `GET /v1/connections/{id}`: `sync_state` syncing →
 *   running, rescheduled → rescheduled (with `rescheduled_for`; on a connection
 *   whose `schedule_type` is manual it runs then only if asked), paused →
 *   failed (someone paused it), and a new `succeeded_at` / `failed_at` →
 *   succeeded / failed (both fields are optional: absent and null alike mean never;
 *   a new `succeeded_at` counts while the schedule's next sync runs, except on a run forced over a running
 *   sync, and a new `failed_at` only once none does);
 *   A connection Fivetran no longer knows (its own 404) ends the run failed: the
 *   end of its sync can never be seen, so it is not polled until the timeout;
 * - `recentRun()`: the connection is syncing, or it succeeded or failed since.
 * 429 honours Retry-After (waits up to `maxRetryWaitMs`, then reports it);
 * a 5xx is retried once, except a forced sync (a second forced POST would
 * restart the sync the first one started), and a 5xx to POST /sync is
 * answered `maybeStarted` (the caller asks recentRun before starting again);
 * 409 with Fivetran's `{ code, message }` means a sync is already running (a
 * proxy's page or JSON of it, or a page of another 4xx, starts nothing and is asked again). A 401 with Fivetran's JSON error, no
 * body or a plain-text one, or a 403 with its JSON error (an HTML page of
 * either, or a bare 403, is a proxy's, asked again), is the key refused: start() fails, and status() and
 * recentRun() throw `forbidden` (not retryable) so a followed run ends at once.
 * A 404 is an unknown connection only with Fivetran's JSON error (its
 * `code`); a page without it starts nothing and is asked again. A 2xx to
 * POST /sync without Fivetran's `{ code, message }` is answered `maybeStarted`
 * (a proxy may have passed the POST on). A 200
 * without the connection's `data.status` is not Fivetran's answer (a proxy's or portal's page): start()
 * posts nothing, and status() and recentRun() throw rather than read it as
 * "running" or "no run".
 * Facts: test/support/vendor-facts/fivetran.ts.
 */
import { PipelineError, type VendorFailureReason } from '../../errors.js';
import type { PipelineRuns, RunHandle, RunStatus, StartResult } from '../../ports/pipeline-runs.js';
import type { RerunTarget } from '../../sources/catalog.js';
import { followFailureReason, obj, requestJson, serviceMessage, withRetries, type JsonResponse } from './http.js';

export interface FivetranOptions {
  apiKey: string;
  apiSecret: string;
  /** Base URL ending in `/`; default https://api.fivetran.com/. */
  apiUrl?: string;
  timeoutMs?: number;
  /** The longest Retry-After we wait out before reporting "rate limited". Default 30 s. */
  maxRetryWaitMs?: number;
  now?: () => Date;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** The Fivetran adapter of the PipelineRuns port (Fivetran targets only). */
export class FivetranRuns implements PipelineRuns {
  readonly kind = 'live' as const;
  private readonly base: string;
  private readonly auth: string;
  /** Cut out of every answer before it is read: nothing Fivetran echoes can carry them into a message. */
  private readonly secrets: readonly string[];

  constructor(private readonly opts: FivetranOptions) {
    this.base = opts.apiUrl ?? 'https://api.fivetran.com/';
    const basic = Buffer.from(`${opts.apiKey}:${opts.apiSecret}`).toString('base64');
    this.auth = 'Basic ' + basic;
    this.secrets = [opts.apiKey, opts.apiSecret, basic];
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown, retryServerErrors = true): Promise<JsonResponse> {
    return withRetries(
      () =>
        requestJson(this.base + path, {
          method,
          headers: { authorization: this.auth, accept: 'application/json;version=2' },
          body,
          timeoutMs: this.opts.timeoutMs ?? 20_000,
          service: 'Fivetran',
          secrets: this.secrets,
        }),
      this.opts.maxRetryWaitMs ?? 30_000,
      { retryServerErrors },
    );
  }

  private connection(target: RerunTarget): string {
    if (target.kind !== 'fivetran') throw new PipelineError(`not a Fivetran target: ${target.kind}`, { reason: 'rejected' });
    return encodeURIComponent(target.connectionId);
  }

  async start(target: RerunTarget, options: { force: boolean }): Promise<StartResult> {
    const id = this.connection(target);
    const before = await this.call('GET', `v1/connections/${id}`);
    const failure = startFailure(before);
    if (failure) return failure;
    const connection = connectionOf(before);
    if (!connection) return { ok: false, reason: 'failed', message: `${NOT_FIVETRAN}; nothing was started.`, retryable: true };
    const { data, status } = connection;
    if (data['paused'] === true || status['sync_state'] === 'paused') return { ok: false, reason: 'paused', message: 'The connection is paused in Fivetran; resume it there first.', retryable: false };
    if (status['setup_state'] === 'broken' || status['setup_state'] === 'incomplete') {
      return { ok: false, reason: 'failed', message: `The connection's setup is ${String(status['setup_state'])} in Fivetran; fix it there first.`, retryable: false };
    }
    const syncing = status['sync_state'] === 'syncing';
    if (syncing && !options.force) return { ok: false, reason: 'already_syncing', message: 'Fivetran is already syncing this connection.', retryable: false };
    const startedAt = (this.opts.now?.() ?? new Date()).toISOString();
    // force=false is safe to send twice (Fivetran syncs only if not syncing); a second force=true would restart the sync.
    const res = await this.call('POST', `v1/connections/${id}/sync`, { force: options.force }, !options.force);
    const failed = startFailure(res);
    // A 5xx to POST /sync may come after the sync started: the caller looks (recentRun) before starting again.
    if (failed) return res.status >= 500 && !failed.ok ? { ...failed, maybeStarted: true } : failed;
    // Fivetran's 2xx is `{ code, message }`; a page in its place (a proxy's) may or may not have passed the POST on.
    if (res.page || typeof res.body['code'] !== 'string') {
      return { ok: false, reason: 'failed', message: `Fivetran's address answered the sync request ${res.status}, but not with Fivetran's answer (a proxy's page?); whether the sync started is not known yet.`, retryable: true, maybeStarted: true };
    }
    return {
      ok: true,
      run: {
        target,
        runId: target.kind === 'fivetran' ? target.connectionId : '',
        startedAt,
        // Forced over a sync already running: that sync may yet record a success (ending before the force lands), which is not ours.
        baseline: { succeededAt: str(data['succeeded_at']), failedAt: str(data['failed_at']), ...(syncing ? { forcedOver: 'syncing' } : {}) },
      },
    };
  }

  async status(run: RunHandle): Promise<RunStatus> {
    const res = await this.call('GET', `v1/connections/${this.connection(run.target)}`);
    // Fivetran's own 404 (`NotFound…`; not a proxy's page): the connection is gone, so is any end of this run.
    if (res.status === 404 && /^NotFound/.test(str(res.body['code']) ?? '')) {
      return { state: 'failed', message: `Fivetran no longer knows this connection: it was deleted (or put out of the API key's reach) while the sync was followed (${serviceMessage(res.body['message'], 'not found')}).` };
    }
    if (keyRefused(res)) throw keyRefusal(res);
    if (res.status !== 200) throw failure(res, followFailureReason(res.status, typeof res.body['code'] === 'string'));
    const { data, status } = connectionOf(res) ?? notFivetran();
    const succeededAt = str(data['succeeded_at']);
    const failedAt = str(data['failed_at']);
    const newer = (at: string | null, before: string | null | undefined) => at !== null && (before == null || Date.parse(at) > Date.parse(before));
    const ok = newer(succeededAt, run.baseline?.['succeededAt']);
    const bad = newer(failedAt, run.baseline?.['failedAt']);
    // A sync that succeeded since is the end of this run even if the schedule has begun the next one (sync_frequency
    // may be a minute or five: such a connection is hardly ever idle), unless the run was forced over a running sync:
    // that one may have succeeded just before the force landed, and the sync running now is ours. A failure is read
    // only once nothing syncs: it may be the sync a forced request stopped, or one Fivetran is already trying again.
    const syncing = status['sync_state'] === 'syncing';
    const forcedOverSync = run.baseline?.['forcedOver'] === 'syncing';
    if (ok && (!bad || Date.parse(succeededAt!) >= Date.parse(failedAt!)) && !(syncing && forcedOverSync)) return { state: 'succeeded' };
    if (bad && !syncing) return { state: 'failed', message: failureText(status) };
    if (status['sync_state'] === 'paused' || data['paused'] === true) return { state: 'failed', message: 'The connection was paused in Fivetran while the sync was followed.' };
    if (status['sync_state'] === 'rescheduled') {
      return {
        state: 'rescheduled',
        message: 'Fivetran rescheduled the sync',
        ...(str(status['rescheduled_for']) ? { rescheduledFor: str(status['rescheduled_for'])! } : {}),
        // On a manual schedule Fivetran syncs only when asked, a rescheduled sync included.
        ...(data['schedule_type'] === 'manual' ? { onlyIfAsked: true } : {}),
      };
    }
    return { state: 'running' };
  }

  async recentRun(target: RerunTarget, since: Date): Promise<RunHandle | null> {
    const res = await this.call('GET', `v1/connections/${this.connection(target)}`);
    if (keyRefused(res)) throw keyRefusal(res);
    if (res.status !== 200) throw failure(res, followFailureReason(res.status, !res.page && typeof res.body['code'] === 'string'));
    // An answer that is not Fivetran's shows no run, nor the absence of one: never "none" (the caller would start another).
    const { data, status } = connectionOf(res) ?? notFivetran();
    const connectionId = target.kind === 'fivetran' ? target.connectionId : '';
    const succeededAt = str(data['succeeded_at']);
    const failedAt = str(data['failed_at']);
    if (status['sync_state'] === 'syncing' || status['sync_state'] === 'rescheduled') {
      // Its end is a succeeded_at or failed_at newer than what the connection shows now.
      return { target, runId: connectionId, startedAt: since.toISOString(), baseline: { succeededAt, failedAt } };
    }
    const at = (t: string | null) => (t === null ? NaN : Date.parse(t));
    const ended = [at(succeededAt), at(failedAt)].filter((t) => t >= since.getTime());
    if (ended.length === 0) return null;
    // A sync that ended since: a baseline just before `since` makes status() report how it ended.
    const before = new Date(since.getTime() - 1).toISOString();
    const older = (t: string | null) => (t !== null && at(t) < since.getTime() ? t : before);
    return { target, runId: connectionId, startedAt: since.toISOString(), baseline: { succeededAt: older(succeededAt), failedAt: older(failedAt) } };
  }
}

const NOT_FIVETRAN = "Fivetran's address answered 200, but not with the connection's details (a proxy's or portal's page?)";

/**
 * The connection in a 200 answer to GET /v1/connections/{id}: `data` with its
 * required `status` object. Undefined when the answer is not Fivetran's (an
 * HTML page from a proxy, a portal or a wrong FIVETRAN_API_URL), which says
 * nothing about the connection.
 */
function connectionOf(res: JsonResponse): { data: Record<string, unknown>; status: Record<string, unknown> } | undefined {
  const data = res.body['data'];
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const status = (data as Record<string, unknown>)['status'];
  if (!status || typeof status !== 'object' || Array.isArray(status)) return undefined;
  return { data: data as Record<string, unknown>, status: status as Record<string, unknown> };
}

function notFivetran(): never {
  throw new PipelineError(NOT_FIVETRAN, { status: 200, reason: 'unavailable' });
}

/**
 * What Fivetran's refusal means, in its own words too when it gave any. Its
 * docs ("API Response Codes"): 401, the key and secret are missing or not
 * valid; 403, the authenticated user may not do this (the key's role).
 */
function keyRefusedText(res: JsonResponse): string {
  const said = serviceMessage(res.body['message'], '');
  const what = res.status === 403
    ? "Fivetran refused this action (403): our API key's role lacks permission for this connection; ask a Fivetran admin to grant it"
    : `Fivetran refused our API key (${res.status}); check FIVETRAN_API_KEY and FIVETRAN_API_SECRET`;
  return `${what}${said ? ` (Fivetran says: ${said})` : ''}.`;
}

/**
 * Fivetran's refusal of our key: a 401 or 403 with its JSON error, or a 401
 * with no body or a plain-text one (its gateway answers a bad key so, and its
 * docs promise the `{ code, message }` body only on "most" answers). An HTML
 * page of either, and a 403 without Fivetran's JSON (proxies answer so: Envoy's
 * `RBAC: access denied`, Cloudflare's `error code: 1020`), are not Fivetran's
 * word, and are asked again.
 */
const keyRefused = (res: JsonResponse): boolean => !res.page && (res.status === 401 || (res.status === 403 && typeof res.body['code'] === 'string'));

/** The error that ends a followed run at once (forbidden, not retryable): asking again with the same key cannot work. */
function keyRefusal(res: JsonResponse): PipelineError {
  return new PipelineError(keyRefusedText(res), { status: res.status, reason: 'forbidden', retryable: false });
}

/** A PipelineError for an answer other than 200 (the runner reads its reason and retryable). */
function failure(res: JsonResponse, reason?: VendorFailureReason): PipelineError {
  return new PipelineError(`Fivetran answered ${res.status}: ${serviceMessage(res.body['message'], 'no details')}`, {
    status: res.status,
    ...(reason ? { reason } : {}),
    ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}),
  });
}

function startFailure(res: JsonResponse): StartResult | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  const said = serviceMessage(res.body['message'], '');
  switch (res.status) {
    case 404:
      // Fivetran's own 404 names what it did not find (`code`, e.g. NotFound_Connection); a page without it is a proxy's or a wrong address's.
      if (res.page || typeof res.body['code'] !== 'string') {
        return { ok: false, reason: 'failed', message: "Fivetran's address answered 404, but not with Fivetran's own error (a proxy's, or a wrong FIVETRAN_API_URL?); nothing was started.", retryable: true };
      }
      return { ok: false, reason: 'not_found', message: `Fivetran does not know this connection${said ? `: ${said}` : ''}.`, retryable: false };
    case 409:
      // Fivetran's own 409 is its `{ code, message }`, as its 404 is: a page, or a proxy's JSON without `code`, started nothing.
      if (res.page || typeof res.body['code'] !== 'string') return proxyPage(res);
      return { ok: false, reason: 'already_syncing', message: `Fivetran says a sync is already running${said ? `: ${said}` : ''}.`, retryable: false };
    case 429:
      return { ok: false, reason: 'rate_limited', message: 'Fivetran is rate limiting us.', retryable: true, ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}) };
    case 401:
    case 403:
      if (keyRefused(res)) return { ok: false, reason: 'failed', message: keyRefusedText(res), retryable: false };
      // A proxy's page, or its bare 403: Fivetran never saw the request, so nothing was started; ask again.
      return { ok: false, reason: 'failed', message: `Fivetran's address answered ${res.status}, but not with Fivetran's own error (a proxy's?); nothing was started.`, retryable: true };
    default:
      if (res.page && res.status < 500) return proxyPage(res);
      return { ok: false, reason: 'failed', message: `Fivetran answered ${res.status}${said ? `: ${said}` : ''}.`, retryable: res.status >= 500 };
  }
}

/** A 4xx that is not Fivetran's `{ code, message }` (a proxy's page or JSON): Fivetran never saw the request, so nothing was started; ask again. */
function proxyPage(res: JsonResponse): StartResult {
  return { ok: false, reason: 'failed', message: `Fivetran's address answered ${res.status}, but not with Fivetran's own error (a proxy's?); nothing was started.`, retryable: true };
}

/**
 * Why a sync failed, from the connection's tasks and warnings when Fivetran
 * lists any. An Alert's `message` is only a label ("Reconnect", "Resync Table
 * Warning"); its optional `details` says what happened, so both are told.
 */
function failureText(status: Record<string, unknown>): string {
  const first = [...(Array.isArray(status['tasks']) ? status['tasks'] : []), ...(Array.isArray(status['warnings']) ? status['warnings'] : [])]
    .map((t) => {
      const label = serviceMessage(obj(t)['message'], '');
      const details = serviceMessage(obj(t)['details'], '');
      return label && details ? `${label}: ${details}` : label || details;
    })
    .find(Boolean);
  return first ?? 'Fivetran reports the sync failed.';
}
