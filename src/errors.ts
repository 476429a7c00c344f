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

/** The warehouse did not answer within the time allowed. */
export class WarehouseTimeoutError extends CodedError {
  readonly code = 'warehouse_timeout';
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

/** A call to Slack's Web API failed. */
export class SlackApiError extends CodedError {
  readonly code = 'slack_api_failed';
  constructor(readonly slackError: string, message?: string) {
    super(message ?? `Slack API error: ${slackError}`);
  }
}

/** The Looker API failed or refused (HTTP status and Looker's message, never credentials). */
export class LookerError extends CodedError {
  readonly code = 'looker_failed';
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A pipeline service (Fivetran, BigQuery Data Transfer) failed to answer; `retryAfterMs` when it asked us to wait. */
export class PipelineError extends CodedError {
  readonly code = 'pipeline_failed';
  constructor(message: string, readonly retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
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
