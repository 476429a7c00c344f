/**
 * The small HTTP client the pipeline adapters share: JSON in and out, a
 * timeout, Retry-After parsing, and errors that never carry credentials.
 */
import { PipelineError, reasonOfStatus, type VendorFailureReason } from '../../errors.js';
import { parseRetryAfter } from '../retry-after.js';
import { vendorSummary, withoutSecrets } from '../vendor-text.js';

export interface JsonResponse {
  status: number;
  /** Parsed body; `{}` when empty or not JSON. */
  body: Record<string, unknown>;
  /** Milliseconds from Retry-After (seconds or an HTTP date), if sent. */
  retryAfterMs: number | undefined;
  /** The body is an HTML page (a proxy's, a load balancer's or a portal's), not the service's own answer. */
  page: boolean;
}

/**
 * Sends a JSON request; network failures, timeouts and a body cut off on the way become
 * PipelineError with reason 'unavailable' (no URL credentials in the message).
 */
export async function requestJson(
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: unknown; timeoutMs: number; service: string; secrets?: readonly string[] },
): Promise<JsonResponse> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: { accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    throw new PipelineError(timedOut ? `${init.service} did not answer within ${init.timeoutMs} ms` : `${init.service} could not be reached`, { reason: 'unavailable', cause: err });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    // The status line came but the body did not (connection lost midway): as good as no answer.
    throw new PipelineError(`${init.service} answered ${res.status} but the answer was cut off`, { reason: 'unavailable', cause: err });
  }
  // The caller's own credentials, should the service echo them, are cut out before anything reads the answer.
  if (init.secrets?.length) text = withoutSecrets(text, init.secrets);
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    // And again from the parsed strings: JSON may write a credential with escapes (`\u0053…`) the raw text does not match.
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = (init.secrets?.length ? scrubbed(parsed, init.secrets) : parsed) as Record<string, unknown>;
  } catch {
    body = {};
  }
  const page = /html/i.test(res.headers.get('content-type') ?? '') || /^\s*</.test(text);
  return { status: res.status, body, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')), page };
}

/** `value` (parsed JSON) with `secrets` cut out of every string in it, keys included. */
function scrubbed(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return withoutSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((v) => scrubbed(v, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutSecrets(k, secrets), scrubbed(v, secrets)]));
  }
  return value;
}

/** A service's own error text, cut to a short, credential-free summary (see vendorSummary). */
export function serviceMessage(text: unknown, fallback: string): string {
  return vendorSummary(text, fallback);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A JSON object field, or `{}`: for reading services' bodies without trusting their shape. */
export const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * The retry policy both pipeline APIs get: a 429 is waited out when its
 * Retry-After is at most `maxRetryWaitMs` (twice at most; a 429 means the
 * request was not carried out). A 5xx is retried once, after its Retry-After
 * (or the service's own retry delay, which the caller puts in `retryAfterMs`)
 * or else half a second, only when `retryServerErrors` says the request is
 * idempotent: a POST that starts a run may have started it before the server
 * failed, so the caller checks instead (never retry a non-idempotent request
 * blindly). A 5xx asking a longer wait is returned with it, for the caller.
 */
export async function withRetries(send: () => Promise<JsonResponse>, maxRetryWaitMs: number, options: { retryServerErrors: boolean } = { retryServerErrors: true }): Promise<JsonResponse> {
  let serverErrors = 0;
  for (let attempt = 0; ; attempt++) {
    const res = await send();
    if (res.status === 429 && attempt < 2 && (res.retryAfterMs ?? 1000) <= maxRetryWaitMs) {
      await sleep(res.retryAfterMs ?? 1000);
      continue;
    }
    if (res.status >= 500 && options.retryServerErrors && serverErrors++ < 1 && (res.retryAfterMs ?? 500) <= maxRetryWaitMs) {
      await sleep(res.retryAfterMs ?? 500);
      continue;
    }
    return res;
  }
}

/**
 * Why following a run failed, for an answer other than 200: `forbidden` (the
 * caller ends the run) only for the vendor's own 401/403 (its JSON error, not
 * a proxy's page); a proxy's or load balancer's page of any status is no
 * answer (`unavailable`: ask again); 429 waits.
 */
export function followFailureReason(status: number, vendorJson: boolean): VendorFailureReason {
  if (status === 429) return 'rate_limited';
  if ((status === 401 || status === 403) && vendorJson) return 'forbidden';
  return vendorJson && status < 500 ? reasonOfStatus(status) : 'unavailable';
}
