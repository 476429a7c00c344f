/**
 * Coded errors. Each class carries a stable string `code` so callers, logs and
 * tests can tell failures apart without parsing messages. Expected failures
 * (no such customer, not allowed) are values, not exceptions; these are for the
 * unexpected and for failures of the systems behind the ports.
 */
export abstract class CodedError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value is missing or invalid; start-up stops. */
export class ConfigError extends CodedError {
  readonly code = 'config_invalid';
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

/** The warehouse failed to answer (error from BigQuery/DuckDB, or bad response). */
export class WarehouseError extends CodedError {
  readonly code = 'warehouse_failed';
}

/** The warehouse refused to show a table to the bot (BigQuery: accessDenied): a grant is missing, and waiting will not help. */
export class WarehouseAccessError extends CodedError {
  readonly code = 'warehouse_denied';
  constructor(readonly table: string) {
    super(`the warehouse refused access to ${table}`);
  }
}

/** The warehouse did not answer within the time allowed. */
export class WarehouseTimeoutError extends CodedError {
  readonly code = 'warehouse_timeout';
}

/**
 * The warehouse refused for a rate limit (BigQuery: rateLimitExceeded, 429), still so after the retries that fit
 * before the deadline: busy, not broken; a minute later it answers.
 */
export class WarehouseBusyError extends CodedError {
  readonly code = 'warehouse_busy';
}

/**
 * The customer list could not be read to check a customer a person named
 * (`/query customer=…` on a cold instance): no query ran. `reason` is the
 * warehouse's own code (`warehouse_timeout`, `warehouse_failed`, …).
 */
export class CustomerCheckError extends CodedError {
  readonly code = 'customer_check_failed';
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    // A refused table is named (a grant is missing, and waiting will not help); other causes stay in the log.
    const denied = options?.cause instanceof WarehouseAccessError ? `: ${options.cause.message}` : '';
    super(reason === 'warehouse_timeout' ? 'the warehouse did not answer in time with the customer list' : `the customer list could not be read from the warehouse${denied}`, options);
  }
}

/** A query would scan more bytes than allowed. */
export class CostCapError extends CodedError {
  readonly code = 'cost_cap_exceeded';
  constructor(readonly estimatedBytes: number, readonly capBytes: number) {
    super(`query would process ${estimatedBytes} bytes, over the cap of ${capBytes}`);
  }
}

/** The state store failed. */
export class StoreError extends CodedError {
  readonly code = 'store_failed';
}

/** A call to Slack's Web API failed; `retryable` says whether waiting may help. */
export class SlackApiError extends CodedError {
  readonly code = 'slack_api_failed';
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(readonly slackError: string, message?: string, options: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message ?? `Slack API error: ${slackError}`, { cause: options.cause });
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Why a vendor call failed, in a word the job runner can act on:
 * - `rate_limited` (429), `unavailable` (network, timeout, 5xx): try again later;
 * - `user_disabled` (the Looker user is disabled), `forbidden` (403, e.g. refused
 *   on Looker (Google Cloud core)), `not_found` (404), `rejected` (any other
 *   refusal: 400, 401 after a fresh login, 409, 422, an answer we cannot use): give up and say so.
 */
export type VendorFailureReason = 'user_disabled' | 'forbidden' | 'not_found' | 'rate_limited' | 'unavailable' | 'rejected';

/** Whether a failure for this reason may succeed when tried again. */
export const isRetryableReason = (reason: VendorFailureReason): boolean => reason === 'rate_limited' || reason === 'unavailable';

/** The reason an HTTP status (or no answer at all: undefined) stands for. */
export function reasonOfStatus(status: number | undefined): VendorFailureReason {
  if (status === undefined || status >= 500) return 'unavailable';
  if (status === 429) return 'rate_limited';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  return 'rejected';
}

export interface VendorErrorOptions {
  /** The HTTP status, when the vendor answered. */
  status?: number;
  /** Default: from `status` (see reasonOfStatus). */
  reason?: VendorFailureReason;
  /** Default: from `reason` (rate_limited and unavailable are retryable). */
  retryable?: boolean;
  /** When the vendor asked us to wait (Retry-After). */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A vendor's API failed to answer or refused: `reason` and `retryable` tell
 * the job runner whether to try again, `retryAfterMs` how long the vendor
 * asked us to wait (Retry-After). The message carries the vendor's words only
 * through vendorSummary (never credentials).
 */
export abstract class VendorError extends CodedError {
  readonly status: number | undefined;
  readonly reason: VendorFailureReason;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: VendorErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.reason = options.reason ?? reasonOfStatus(options.status);
    this.retryable = options.retryable ?? isRetryableReason(this.reason);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The Looker API failed or refused; the message names the call. */
export class LookerError extends VendorError {
  readonly code = 'looker_failed';
  /** False when the answer was not Looker's own JSON (a proxy's or portal's page): its status is not Looker's word. */
  readonly fromLooker: boolean;
  constructor(message: string, options: VendorErrorOptions & { fromLooker?: boolean } = {}) {
    super(message, options);
    this.fromLooker = options.fromLooker ?? true;
  }
}

/** A pipeline service (Fivetran, BigQuery Data Transfer) failed to answer or refused. */
export class PipelineError extends VendorError {
  readonly code = 'pipeline_failed';
}

/** A chart could not be drawn: the drawing failed, its worker thread crashed or ran too long, or the renderer is closed. */
export class ChartRenderError extends CodedError {
  readonly code = 'chart_render_failed';
}

/** Anything else. */
export class UnexpectedError extends CodedError {
  readonly code = 'unexpected';
}

/** Turns anything thrown into a coded error, keeping the original as `cause`. */
export function toCodedError(err: unknown): CodedError {
  if (err instanceof CodedError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UnexpectedError(message, { cause: err });
}
