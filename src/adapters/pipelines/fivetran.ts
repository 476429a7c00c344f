/**
 * Fivetran: reruns a connection through the REST API v1.
 * - `GET /v1/connections/{id}` first, to remember when it last succeeded or
 *   failed (so the end of *this* sync is told from an earlier one without
 *   comparing clocks), and to refuse a paused connection;
 * - `POST /v1/connections/{id}/sync` with `{ force }` (basic auth, key:secret);
 * - then `status()` reads `GET /v1/connections/{id}`: `sync_state` syncing →
 *   running, rescheduled → rescheduled (with `rescheduled_for`), and a new
 *   `succeeded_at` / `failed_at` → succeeded / failed.
 * 429 honours Retry-After (waits up to `maxRetryWaitMs`, then reports it);
 * 5xx is retried once; 409 means a sync is already running.
 */
import { PipelineError } from '../../errors.js';
import type { Pipelines, RunHandle, RunStatus, StartResult } from '../../ports/pipelines.js';
import type { RerunTarget } from '../../sources/catalog.js';
import { obj, requestJson, serviceMessage, withRetries, type JsonResponse } from './http.js';

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

/** The Fivetran adapter of the Pipelines port (Fivetran targets only). */
export class FivetranPipelines implements Pipelines {
  readonly kind = 'live' as const;
  private readonly base: string;
  private readonly auth: string;

  constructor(private readonly opts: FivetranOptions) {
    this.base = opts.apiUrl ?? 'https://api.fivetran.com/';
    this.auth = 'Basic ' + Buffer.from(`${opts.apiKey}:${opts.apiSecret}`).toString('base64');
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<JsonResponse> {
    return withRetries(
      () =>
        requestJson(this.base + path, {
          method,
          headers: { authorization: this.auth, accept: 'application/json;version=2' },
          body,
          timeoutMs: this.opts.timeoutMs ?? 20_000,
          service: 'Fivetran',
        }),
      this.opts.maxRetryWaitMs ?? 30_000,
    );
  }

  private connection(target: RerunTarget): string {
    if (target.kind !== 'fivetran') throw new PipelineError(`not a Fivetran target: ${target.kind}`);
    return encodeURIComponent(target.connectionId);
  }

  async start(target: RerunTarget, options: { force: boolean }): Promise<StartResult> {
    const id = this.connection(target);
    const before = await this.call('GET', `v1/connections/${id}`);
    const failure = startFailure(before);
    if (failure) return failure;
    const data = obj(before.body['data']);
    if (data['paused'] === true) return { ok: false, reason: 'paused', message: 'The connection is paused in Fivetran; resume it there first.' };
    const syncing = obj(data['status'])['sync_state'] === 'syncing';
    if (syncing && !options.force) return { ok: false, reason: 'already_syncing', message: 'Fivetran is already syncing this connection.' };
    const startedAt = (this.opts.now?.() ?? new Date()).toISOString();
    const res = await this.call('POST', `v1/connections/${id}/sync`, { force: options.force });
    const failed = startFailure(res);
    if (failed) return failed;
    return {
      ok: true,
      run: {
        target,
        runId: target.kind === 'fivetran' ? target.connectionId : '',
        startedAt,
        baseline: { succeededAt: str(data['succeeded_at']), failedAt: str(data['failed_at']) },
      },
    };
  }

  async status(run: RunHandle): Promise<RunStatus> {
    const res = await this.call('GET', `v1/connections/${this.connection(run.target)}`);
    if (res.status !== 200) {
      throw new PipelineError(`Fivetran answered ${res.status}: ${serviceMessage(res.body['message'], 'no details')}`, res.retryAfterMs);
    }
    const data = obj(res.body['data']);
    const status = obj(data['status']);
    const succeededAt = str(data['succeeded_at']);
    const failedAt = str(data['failed_at']);
    const newer = (at: string | null, before: string | null | undefined) => at !== null && (before == null || Date.parse(at) > Date.parse(before));
    if (status['sync_state'] !== 'syncing') {
      const ok = newer(succeededAt, run.baseline?.['succeededAt']);
      const bad = newer(failedAt, run.baseline?.['failedAt']);
      if (ok && (!bad || Date.parse(succeededAt!) >= Date.parse(failedAt!))) return { state: 'succeeded' };
      if (bad) return { state: 'failed', message: failureText(status) };
    }
    if (status['sync_state'] === 'rescheduled') {
      return { state: 'rescheduled', message: 'Fivetran rescheduled the sync', ...(str(status['rescheduled_for']) ? { rescheduledFor: str(status['rescheduled_for'])! } : {}) };
    }
    return { state: 'running' };
  }
}

function startFailure(res: JsonResponse): StartResult | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  const said = serviceMessage(res.body['message'], '');
  switch (res.status) {
    case 404:
      return { ok: false, reason: 'not_found', message: `Fivetran does not know this connection${said ? `: ${said}` : ''}.` };
    case 409:
      return { ok: false, reason: 'already_syncing', message: `Fivetran says a sync is already running${said ? `: ${said}` : ''}.` };
    case 429:
      return { ok: false, reason: 'rate_limited', message: 'Fivetran is rate limiting us.', ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}) };
    case 401:
    case 403:
      return { ok: false, reason: 'failed', message: `Fivetran refused our API key (${res.status}); check FIVETRAN_API_KEY and FIVETRAN_API_SECRET.` };
    default:
      return { ok: false, reason: 'failed', message: `Fivetran answered ${res.status}${said ? `: ${said}` : ''}.` };
  }
}

/** Why a sync failed, from the connection's tasks and warnings when Fivetran lists any. */
function failureText(status: Record<string, unknown>): string {
  const first = [...(Array.isArray(status['tasks']) ? status['tasks'] : []), ...(Array.isArray(status['warnings']) ? status['warnings'] : [])]
    .map((t) => serviceMessage(obj(t)['message'], ''))
    .find(Boolean);
  return first ?? 'Fivetran reports the sync failed.';
}
