/**
 * BigQuery Data Transfer Service (scheduled queries): reruns a transfer
 * config with `POST v1/{parent}:startManualRuns` (`requestedRunTime`: now),
 * then follows the run it created with `GET v1/{run name}`: PENDING/RUNNING →
 * running, SUCCEEDED → succeeded, FAILED/CANCELLED → failed with `errorStatus`.
 * Plain fetch with an auth header provider (Application Default Credentials
 * in production); the base URL is configurable for tests.
 */
import { PipelineError } from '../../errors.js';
import type { Pipelines, RunHandle, RunStatus, StartResult } from '../../ports/pipelines.js';
import type { RerunTarget } from '../../sources/catalog.js';
import { obj, requestJson, serviceMessage, withRetries, type JsonResponse } from './http.js';

/** Headers that authenticate a request (e.g. `{ authorization: 'Bearer …' }`). */
export type AuthHeaders = () => Promise<Record<string, string>>;

export interface DataTransferOptions {
  authHeaders: AuthHeaders;
  /** Base URL ending in `/`; default https://bigquerydatatransfer.googleapis.com/. */
  apiUrl?: string;
  timeoutMs?: number;
  maxRetryWaitMs?: number;
  now?: () => Date;
}


/** Application Default Credentials as headers, for production. */
export async function googleAuthHeaders(): Promise<AuthHeaders> {
  const { GoogleAuth } = await import('google-auth-library');
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  return async () => {
    const headers = await auth.getRequestHeaders();
    const out: Record<string, string> = {};
    if (headers instanceof Headers) headers.forEach((v, k) => (out[k] = v));
    else Object.assign(out, headers);
    return out;
  };
}

/** The Data Transfer adapter of the Pipelines port (transfer config targets only). */
export class DataTransferPipelines implements Pipelines {
  readonly kind = 'live' as const;
  private readonly base: string;

  constructor(private readonly opts: DataTransferOptions) {
    this.base = opts.apiUrl ?? 'https://bigquerydatatransfer.googleapis.com/';
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<JsonResponse> {
    return withRetries(async () => {
      let headers: Record<string, string>;
      try {
        headers = await this.opts.authHeaders();
      } catch (err) {
        throw new PipelineError('could not get Google credentials for the Data Transfer API', undefined, { cause: err });
      }
      return requestJson(this.base + path, { method, headers, body, timeoutMs: this.opts.timeoutMs ?? 20_000, service: 'BigQuery Data Transfer' });
    }, this.opts.maxRetryWaitMs ?? 30_000);
  }

  async start(target: RerunTarget, _options: { force: boolean }): Promise<StartResult> {
    if (target.kind !== 'data_transfer') throw new PipelineError(`not a Data Transfer target: ${target.kind}`);
    const startedAt = (this.opts.now?.() ?? new Date()).toISOString();
    const res = await this.call('POST', `v1/${target.transferConfig}:startManualRuns`, { requestedRunTime: startedAt });
    if (res.status < 200 || res.status >= 300) {
      const said = serviceMessage(obj(res.body['error'])['message'], '');
      const reason = res.status === 404 ? 'not_found' : res.status === 409 ? 'already_syncing' : res.status === 429 ? 'rate_limited' : 'failed';
      const message =
        reason === 'not_found' ? `BigQuery Data Transfer does not know this transfer config${said ? `: ${said}` : ''}.`
        : reason === 'already_syncing' ? `A run of this transfer config is already in progress${said ? `: ${said}` : ''}.`
        : reason === 'rate_limited' ? 'BigQuery Data Transfer is rate limiting us.'
        : `BigQuery Data Transfer answered ${res.status}${said ? `: ${said}` : ''}.`;
      return { ok: false, reason, message, ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}) };
    }
    const runs = Array.isArray(res.body['runs']) ? res.body['runs'] : [];
    const name = obj(runs[0])['name'];
    if (typeof name !== 'string' || !name.startsWith(`${target.transferConfig}/runs/`)) {
      return { ok: false, reason: 'failed', message: 'BigQuery Data Transfer started no run.' };
    }
    return { ok: true, run: { target, runId: name, startedAt } };
  }

  async status(run: RunHandle): Promise<RunStatus> {
    const res = await this.call('GET', `v1/${run.runId}`);
    if (res.status !== 200) {
      throw new PipelineError(`BigQuery Data Transfer answered ${res.status}: ${serviceMessage(obj(res.body['error'])['message'], 'no details')}`, res.retryAfterMs);
    }
    switch (res.body['state']) {
      case 'SUCCEEDED':
        return { state: 'succeeded' };
      case 'FAILED':
        return { state: 'failed', message: serviceMessage(obj(res.body['errorStatus'])['message'], 'The transfer run failed.') };
      case 'CANCELLED':
        return { state: 'failed', message: 'The transfer run was cancelled.' };
      default:
        return { state: 'running' };
    }
  }
}
