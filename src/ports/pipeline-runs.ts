/**
 * PipelineRuns: what reruns a source. Fivetran connections and BigQuery Data
 * Transfer configs in production; a simulated runner on the demo warehouse.
 *
 * Expected failures (already syncing, rate limited, unknown connection, the
 * service erred) are values the caller shows; exceptions are for the rest.
 */
import type { RerunTarget } from '../sources/catalog.js';

export type { RerunTarget };

/** A started run, as stored between polls (JSON only). */
export interface RunHandle {
  target: RerunTarget;
  /** Fivetran: the connection ID; Data Transfer: the run's resource name; embedded: a local ID. */
  runId: string;
  /** ISO time the run was requested. */
  startedAt: string;
  /** Adapter state needed to tell this run's end from an earlier one (e.g. Fivetran's previous succeeded_at). */
  baseline?: Record<string, string | null>;
}

export type StartResult =
  | { ok: true; run: RunHandle }
  | {
      ok: false;
      /** already_syncing: the service is running it now (Fivetran 409, or a sync in progress). */
      reason: 'already_syncing' | 'rate_limited' | 'not_found' | 'paused' | 'failed';
      /** What to tell the user: the service's own words where it gave some. */
      message: string;
      /** When the service asked us to wait (Retry-After). */
      retryAfterMs?: number;
      /**
       * Whether starting again later may work (rate limited, the service was
       * unavailable and shows no run); false for refusals (unknown, paused,
       * credentials refused). Before starting again, ask `recentRun` first.
       * Every adapter sets it; optional only for callers that build a result themselves.
       */
      retryable?: boolean;
      /**
       * The request may have been carried out: the service answered 5xx or the
       * answer was lost, and whether a run started cannot be told yet. The
       * caller must not report it as a final failure: it tries again later,
       * asking `recentRun` before starting anything.
       */
      maybeStarted?: boolean;
    };

export type RunState = 'running' | 'rescheduled' | 'succeeded' | 'failed';

export interface RunStatus {
  state: RunState;
  /** Failure reason, or what the service says it is doing. */
  message?: string;
  /** For `rescheduled`: when the service will try again (ISO), if it said. */
  rescheduledFor?: string;
  /**
   * For `rescheduled`: the service will not run it then by itself; someone must
   * ask again (a Fivetran connection whose schedule type is manual: "this
   * endpoint is the only way syncs occur — including syncs in a rescheduled state").
   */
  onlyIfAsked?: boolean;
}

/** A transient failure while following a run (429, 5xx, network); the caller polls again later. */
export interface PipelineRuns {
  readonly kind: 'embedded' | 'live';
  /** Starts a run. `force` restarts a sync already in progress (Fivetran), and only after the user confirmed. */
  start(target: RerunTarget, options: { force: boolean }): Promise<StartResult>;
  /** Where the run is now. Throws PipelineError on a transient failure (its `retryable` says so). */
  status(run: RunHandle): Promise<RunStatus>;
  /**
   * A run of this target that started at or after `since`, if the service
   * shows one, as a handle `status` can follow; null when there is none.
   * The job runner asks before starting a run again after a crash (or after
   * a start whose answer was lost), so a second run is never started.
   * Fivetran: the connection is syncing, or its last sync succeeded or failed
   * after `since`. Data Transfer: a manual run of the config with the run
   * time start() asks for at `since` or later (see the adapter).
   * Embedded: the simulated run started at or after `since`.
   * Throws PipelineError when the service cannot be asked (then do not start).
   */
  recentRun(target: RerunTarget, since: Date): Promise<RunHandle | null>;
}
