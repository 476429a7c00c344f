/**
 * BigQuery Data Transfer Service (scheduled queries), REST v1 (facts:
 * test/support/vendor-facts/datatransfer.ts):
 * - start: `POST v1/{config}:startManualRuns` with `requestedRunTime` a few
 *   seconds in the past, whole seconds (the API refuses a time in the future,
 *   and the host clock may be ahead of Google's). The run it created is
 *   accepted by its config ID: Google answers
 *   `projects/{NUMBER}/locations/{location}/transferConfigs/{id}/runs/{run}`
 *   whatever form the config was named in. This POST is not idempotent: a 5xx
 *   or a lost answer is never retried blindly; the config's runs are listed
 *   instead, and a run requested since is taken as ours; so are they after a
 *   2xx whose body names no run of the config (cut off on the way). A 409
 *   is Google's ALREADY_EXISTS (read as a run already in progress) or ABORTED
 *   (a concurrency conflict: nothing started, and asking again may work).
 *   A 4xx other than 429 is Google's word only with its JSON error (its
 *   `error.status`); a proxy's page or JSON started nothing and is asked again.
 *   When to retry is Retry-After, or else the error's google.rpc.RetryInfo,
 *   on a 5xx as on a 429 (a longer delay than we wait goes to the job runner).
 * - status: `GET v1/{run name}`: PENDING/RUNNING/unspecified → running,
 *   SUCCEEDED → succeeded, FAILED (with `errorStatus`, whose message may be
 *   absent) / CANCELLED → failed. A 200 that is not a TransferRun (neither a
 *   run's `name` nor one of its states: a proxy's page or its own JSON) is no
 *   answer, asked again, as a proxy's page of any other status is.
 * - recentRun: `GET v1/{config}/runs` (every page, the order is not
 *   documented), a manual run (its `schedule` empty: the config's own
 *   schedule starts the others) whose runTime is at least the one start()
 *   asks for at `since` (it is the requestedRunTime, from this host's clock,
 *   so an earlier run, say a failure from just before, never matches);
 *   without a runTime, one whose scheduleTime is at or after `since` minus
 *   ten seconds of clock skew and that had not ended before `since`. A 200
 *   page in place of the list is no answer, nor
 *   is a list with pages left past the most we read (pages may be shorter than
 *   pageSize: AIP-158, "the service may return fewer than this value").
 * Plain fetch with an auth header provider (Application Default Credentials
 * in production); the base URL is configurable for tests. Why not the official
 * client (`@google-cloud/bigquery-data-transfer`): see the README.
 */
import { PipelineError } from '../../errors.js';
import type { PipelineRuns, RunHandle, RunStatus, StartResult } from '../../ports/pipeline-runs.js';
import type { RerunTarget } from '../../sources/catalog.js';
import { followFailureReason, obj, requestJson, serviceMessage, withRetries, type JsonResponse } from './http.js';

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

/** How far in the past `requestedRunTime` is put, against a host clock ahead of Google's. */
export const RUN_TIME_SKEW_MS = 5_000;
/** A run requested this long before `since` still counts as recent (clocks differ). */
export const RECENT_RUN_SKEW_MS = 10_000;
const MAX_LIST_PAGES = 20;

/** The `requestedRunTime` start() asks for at `at` (epoch ms): whole seconds, RUN_TIME_SKEW_MS before it. */
function requestedRunTimeAt(at: Date): number {
  return Math.floor((at.getTime() - RUN_TIME_SKEW_MS) / 1000) * 1000;
}
/** TransferRun.state as the discovery document lists it. */
const RUN_STATES: readonly unknown[] = ['TRANSFER_STATE_UNSPECIFIED', 'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

/**
 * Whether a 200 to runs.get is Google's TransferRun: JSON with the run's
 * `name` or one of the states. Every field is optional in proto3 JSON (an
 * unspecified state is left out), but a run always has its name; a proxy's
 * or portal's page, or JSON of its own, has neither.
 */
function isTransferRun(res: JsonResponse): boolean {
  if (res.page) return false;
  const name = res.body['name'];
  return (typeof name === 'string' && parseTransferName(name)?.runId != null) || RUN_STATES.includes(res.body['state']);
}

/**
 * When Google asks to retry, from a google.rpc.RetryInfo in the error's
 * `details` (`retryDelay`, a Duration in JSON: `"30s"`, `"1.5s"`): Google's
 * error model says it there, with or without a Retry-After header.
 */
function retryInfoDelayMs(body: Record<string, unknown>): number | undefined {
  const details = obj(body['error'])['details'];
  for (const d of Array.isArray(details) ? details : []) {
    const detail = obj(d);
    if (detail['@type'] !== 'type.googleapis.com/google.rpc.RetryInfo') continue;
    const m = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(String(detail['retryDelay'] ?? ''));
    if (m) return Number(m[1]) * 1000 + Math.ceil(Number(`0.${m[2] ?? '0'}`) * 1000);
  }
  return undefined;
}

/** The credentials could not be had, so the request was never sent. */
class NoCredentials extends PipelineError {}

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

/** The parts of a transfer config or run name; project is an ID or a number, location may be absent. */
export function parseTransferName(name: string): { project: string; location: string | null; configId: string; runId: string | null } | null {
  const m = /^projects\/([^/]+)\/(?:locations\/([^/]+)\/)?transferConfigs\/([^/]+)(?:\/runs\/([^/]+))?$/.exec(name);
  return m ? { project: m[1]!, location: m[2] ?? null, configId: m[3]!, runId: m[4] ?? null } : null;
}

/** Whether a run name (as Google answers it) belongs to the configured transfer config. */
export function runBelongsTo(runName: string, transferConfig: string): boolean {
  const run = parseTransferName(runName);
  const config = parseTransferName(transferConfig);
  if (!run?.runId || !config || config.runId) return false;
  // The project may come back as its number, and a location is added when the config was named without one.
  if (run.configId !== config.configId) return false;
  return config.location === null || run.location === null || run.location.toLowerCase() === config.location.toLowerCase();
}

/** The Data Transfer adapter of the PipelineRuns port (transfer config targets only). */
export class DataTransferRuns implements PipelineRuns {
  readonly kind = 'live' as const;
  private readonly base: string;

  constructor(private readonly opts: DataTransferOptions) {
    this.base = opts.apiUrl ?? 'https://bigquerydatatransfer.googleapis.com/';
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private async call(method: 'GET' | 'POST', path: string, body: unknown, idempotent: boolean): Promise<JsonResponse> {
    return withRetries(async () => {
      let headers: Record<string, string>;
      try {
        headers = await this.opts.authHeaders();
      } catch (err) {
        // Usually the metadata server's hiccup on Cloud Run: try again (a missing setup fails every attempt, and says so).
        throw new NoCredentials('could not get Google credentials for the Data Transfer API', { reason: 'unavailable', cause: err });
      }
      const res = await requestJson(this.base + path, { method, headers, body, timeoutMs: this.opts.timeoutMs ?? 20_000, service: 'BigQuery Data Transfer' });
      return res.retryAfterMs === undefined ? { ...res, retryAfterMs: retryInfoDelayMs(res.body) } : res;
    }, this.opts.maxRetryWaitMs ?? 30_000, { retryServerErrors: idempotent });
  }

  private config(target: RerunTarget): string {
    if (target.kind !== 'data_transfer') throw new PipelineError(`not a Data Transfer target: ${target.kind}`, { reason: 'rejected' });
    return target.transferConfig;
  }

  async start(target: RerunTarget, _options: { force: boolean }): Promise<StartResult> {
    const config = this.config(target);
    const requestedAt = this.now();
    // Whole seconds, a little in the past: never "in the future" for Google.
    const runTime = new Date(requestedRunTimeAt(requestedAt)).toISOString();
    let res: JsonResponse;
    try {
      res = await this.call('POST', `v1/${config}:startManualRuns`, { requestedRunTime: runTime }, false);
    } catch (err) {
      // No credentials: no request was sent (a 429 before it was not carried out), so no run was created. Ask again later.
      if (err instanceof NoCredentials) return { ok: false, reason: 'failed', message: `${err.message}; no run was started.`, retryable: true };
      // No answer (timeout, connection lost): the run may have been created. Look before saying anything.
      if (err instanceof PipelineError && err.reason === 'unavailable') return this.afterLostStart(target, requestedAt, err.message);
      throw err;
    }
    if (res.status >= 500) return this.afterLostStart(target, requestedAt, `BigQuery Data Transfer answered ${res.status}`, res.retryAfterMs);
    if (res.status < 200 || res.status >= 300) {
      const said = serviceMessage(obj(res.body['error'])['message'], '');
      // Only Google's own error (google.rpc.Status as JSON: `error.status`) says what became of the request. A proxy's page
      // or its own JSON (a gateway's 403, a wrong DATA_TRANSFER_API_URL's 404) never reached Google: nothing started, ask again.
      if (res.status !== 429 && (res.page || typeof obj(res.body['error'])['status'] !== 'string')) {
        return { ok: false, reason: 'failed', message: `BigQuery Data Transfer's address answered ${res.status}, but not with Google's own error (a proxy's, or a wrong DATA_TRANSFER_API_URL?); no run was started.`, retryable: true };
      }
      // 409 is ALREADY_EXISTS or ABORTED; ABORTED is a concurrency conflict that created nothing and is retried at a higher level.
      if (res.status === 409 && obj(res.body['error'])['status'] === 'ABORTED') {
        return { ok: false, reason: 'failed', message: `BigQuery Data Transfer aborted the request (a concurrent change)${said ? `: ${said}` : ''}; no run was started.`, retryable: true };
      }
      const reason = res.status === 404 ? 'not_found' : res.status === 409 ? 'already_syncing' : res.status === 429 ? 'rate_limited' : 'failed';
      const message =
        reason === 'not_found' ? `BigQuery Data Transfer does not know this transfer config${said ? `: ${said}` : ''}.`
        : reason === 'already_syncing' ? `A run of this transfer config is already in progress${said ? `: ${said}` : ''}.`
        : reason === 'rate_limited' ? 'BigQuery Data Transfer is rate limiting us.'
        : `BigQuery Data Transfer answered ${res.status}${said ? `: ${said}` : ''}.`;
      return { ok: false, reason, message, retryable: reason === 'rate_limited', ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}) };
    }
    const runs = Array.isArray(res.body['runs']) ? res.body['runs'] : [];
    const name = runs.map((r) => obj(r)['name']).find((n): n is string => typeof n === 'string' && runBelongsTo(n, config));
    // A 2xx without the run (its body cut off on the way, or no runs in it): the run may exist all the same.
    if (!name) return this.afterLostStart(target, requestedAt, 'BigQuery Data Transfer accepted the request but its answer named no run of this transfer config');
    return { ok: true, run: { target, runId: name, startedAt: requestedAt.toISOString() } };
  }

  /**
   * The start's answer was lost or was a 5xx: a run requested since then is ours; otherwise say it failed
   * (retryable, after `retryAfterMs` when the 5xx said when: Retry-After or its google.rpc.RetryInfo).
   */
  private async afterLostStart(target: RerunTarget, requestedAt: Date, what: string, retryAfterMs?: number): Promise<StartResult> {
    const wait = retryAfterMs !== undefined ? { retryAfterMs } : {};
    let found: RunHandle | null;
    try {
      found = await this.recentRun(target, requestedAt);
    } catch {
      // Retryable, but only through recentRun: the rerun's start job asks it before starting again.
      return { ok: false, reason: 'failed', message: `${what}, and whether a run started cannot be told yet.`, retryable: true, maybeStarted: true, ...wait };
    }
    if (found) return { ok: true, run: found };
    return { ok: false, reason: 'failed', message: `${what}; no run was started.`, retryable: true, ...wait };
  }

  async status(run: RunHandle): Promise<RunStatus> {
    const res = await this.call('GET', `v1/${run.runId}`, undefined, true);
    // Google's own 404 (its error body says NOT_FOUND; not a proxy's page): the run, or its config, was deleted.
    if (res.status === 404 && obj(res.body['error'])['status'] === 'NOT_FOUND') {
      return { state: 'failed', message: `BigQuery Data Transfer no longer knows this run: it or its transfer config was deleted while it was followed (${serviceMessage(obj(res.body['error'])['message'], 'not found')}).` };
    }
    if (res.status !== 200) {
      throw new PipelineError(`BigQuery Data Transfer answered ${res.status}: ${serviceMessage(obj(res.body['error'])['message'], 'no details')}`, {
        status: res.status,
        reason: followFailureReason(res.status, typeof obj(res.body['error'])['status'] === 'string'),
        ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}),
      });
    }
    // Not Google's answer: it says nothing of the run, which is asked about again (never read as "running" until the timeout).
    if (!isTransferRun(res)) {
      throw new PipelineError("BigQuery Data Transfer's address answered 200, but not with the transfer run (a proxy's or portal's page?)", { status: 200, reason: 'unavailable' });
    }
    switch (res.body['state']) {
      case 'SUCCEEDED':
        return { state: 'succeeded' };
      case 'FAILED':
        return { state: 'failed', message: serviceMessage(obj(res.body['errorStatus'])['message'], 'The transfer run failed (BigQuery gave no reason).') };
      case 'CANCELLED':
        return { state: 'failed', message: 'The transfer run was cancelled.' };
      default:
        // PENDING, RUNNING, TRANSFER_STATE_UNSPECIFIED or a state added later.
        return { state: 'running' };
    }
  }

  async recentRun(target: RerunTarget, since: Date): Promise<RunHandle | null> {
    const config = this.config(target);
    const after = since.getTime() - RECENT_RUN_SKEW_MS;
    // What start() asks for when it runs at `since` or later: Google gives the run that requestedRunTime as its runTime.
    const askedRunTime = requestedRunTimeAt(since);
    let best: { name: string; at: number; startedAt: number } | null = null;
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const query = new URLSearchParams({ pageSize: '1000', ...(pageToken ? { pageToken } : {}) });
      const res = await this.call('GET', `v1/${config}/runs?${query.toString()}`, undefined, true);
      if (res.status !== 200) {
        // As in status(): only Google's own error (its JSON) is a refusal; a proxy's page of any status is no answer.
        throw new PipelineError(`BigQuery Data Transfer answered ${res.status} listing runs: ${serviceMessage(obj(res.body['error'])['message'], 'no details')}`, {
          status: res.status,
          reason: followFailureReason(res.status, typeof obj(res.body['error'])['status'] === 'string'),
          ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}),
        });
      }
      // A proxy's page with a 200 lists nothing: never "no run" (the caller would start another).
      if (res.page) throw new PipelineError("BigQuery Data Transfer's address answered 200 listing runs, but with a page, not Google's list (a proxy's?)", { status: 200, reason: 'unavailable' });
      for (const r of Array.isArray(res.body['transferRuns']) ? res.body['transferRuns'] : []) {
        const run = obj(r);
        const name = run['name'];
        // scheduleTime is when a manual run was requested; startTime, updateTime when it is missing.
        const stamp = [run['scheduleTime'], run['startTime'], run['updateTime']].find((t): t is string => typeof t === 'string' && !Number.isNaN(Date.parse(t)));
        if (typeof name !== 'string' || !stamp || !runBelongsTo(name, config)) continue;
        // A run of the config's own schedule (TransferRun.schedule, empty for manual runs) is not one we asked for.
        if (typeof run['schedule'] === 'string' && run['schedule'] !== '') continue;
        // Ours has the run time we asked for, set by this host's clock: an earlier run (a failed one from just before,
        // which a rerun asked again at once would otherwise follow again, starting nothing) has an earlier one,
        // whatever Google's clock says. Without a runTime: requested since (Google's clock, so with the skew
        // allowed), and not ended before `since`.
        const runTime = typeof run['runTime'] === 'string' ? Date.parse(run['runTime']) : NaN;
        const endedAt = typeof run['endTime'] === 'string' ? Date.parse(run['endTime']) : NaN;
        const startedAt = Date.parse(stamp);
        const ours = Number.isNaN(runTime) ? startedAt >= after && !(endedAt < since.getTime()) : runTime >= askedRunTime;
        const at = Number.isNaN(runTime) ? startedAt : runTime;
        if (ours && (!best || at > best.at)) best = { name, at, startedAt };
      }
      const next = res.body['nextPageToken'];
      pageToken = typeof next === 'string' && next ? next : undefined;
      if (!pageToken) break;
    }
    if (best) return { target, runId: best.name, startedAt: new Date(best.startedAt).toISOString() };
    // Pages left unread (they may be shorter than asked: AIP-158) may hold the run: its absence is not known, so never "none".
    if (pageToken) {
      throw new PipelineError(`BigQuery Data Transfer listed ${MAX_LIST_PAGES} pages of this transfer config's runs and had more; whether a run was requested since cannot be told`, { reason: 'unavailable' });
    }
    return null;
  }
}
