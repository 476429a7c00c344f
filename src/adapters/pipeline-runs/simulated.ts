/**
 * The simulated pipeline runner for the demo warehouse: a rerun "syncs" for
 * a few seconds, then refreshes the source's tables (their `_fivetran_synced`
 * and modification time).
 *
 * Nothing lives in timers or in this process's memory, so a restart loses
 * nothing: a run is a row in the demo warehouse (`_simulated_runs`), and its
 * state follows from its RunHandle alone: running until startedAt + duration,
 * then succeeded. The refresh is applied on the first status call after that,
 * idempotently: stamped with the run's end time, and only on tables older than
 * that, so any number of calls (from any replica, before or after a restart)
 * leave the same tables.
 */
import { randomUUID } from 'node:crypto';
import type { EmbeddedWarehouse } from '../warehouse/duckdb.js';
import { refreshDemoTables } from '../warehouse/demo-sources.js';
import type { PipelineRuns, RunHandle, RunStatus, StartResult } from '../../ports/pipeline-runs.js';
import type { RerunTarget, Source, SourceCatalog } from '../../sources/catalog.js';

export interface SimulatedRunsOptions {
  warehouse: EmbeddedWarehouse;
  catalog: SourceCatalog;
  /** How long a simulated sync takes. Default 3 s. */
  durationMs?: number;
  now?: () => Date;
}

const keyOf = (t: RerunTarget) => (t.kind === 'fivetran' ? `fivetran:${t.connectionId}` : `data_transfer:${t.transferConfig}`);

export class SimulatedRuns implements PipelineRuns {
  readonly kind = 'embedded' as const;
  private ready: Promise<void> | undefined;

  constructor(private readonly opts: SimulatedRunsOptions) {}

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private source(target: RerunTarget): Source | undefined {
    const key = keyOf(target);
    return this.opts.catalog.sources.find((s) => s.rerun && keyOf(s.rerun) === key);
  }

  /** Runs a statement on a connection of its own. */
  private async sql<T = Record<string, unknown>>(text: string, values: Record<string, string | number> = {}): Promise<T[]> {
    this.ready ??= (async () => {
      const conn = await this.opts.warehouse.connection();
      try {
        await conn.run('CREATE TABLE IF NOT EXISTS _simulated_runs (run_id VARCHAR PRIMARY KEY, target_key VARCHAR NOT NULL, started_ms BIGINT NOT NULL, duration_ms BIGINT NOT NULL)');
      } finally {
        conn.closeSync();
      }
    })();
    await this.ready;
    const conn = await this.opts.warehouse.connection();
    try {
      const reader = await conn.runAndReadAll(text, values);
      return reader.getRowObjectsJS() as T[];
    } finally {
      conn.closeSync();
    }
  }

  async start(target: RerunTarget, _options: { force: boolean }): Promise<StartResult> {
    const source = this.source(target);
    if (!source) return { ok: false, reason: 'not_found', message: 'No demo source has this rerun target.', retryable: false };
    const now = this.now().getTime();
    const key = keyOf(target);
    const running = await this.sql<{ n: bigint }>('SELECT count(*) AS n FROM _simulated_runs WHERE target_key = $key AND started_ms + duration_ms > $now', { key, now });
    if (Number(running[0]?.n ?? 0) > 0) return { ok: false, reason: 'already_syncing', message: 'The simulated pipeline is already running.', retryable: false };
    const durationMs = this.opts.durationMs ?? 3000;
    const runId = `sim-${randomUUID()}`;
    await this.sql('INSERT INTO _simulated_runs VALUES ($runId, $key, $now, $durationMs)', { runId, key, now, durationMs });
    return { ok: true, run: { target, runId, startedAt: new Date(now).toISOString(), baseline: { durationMs: String(durationMs) } } };
  }

  async status(run: RunHandle): Promise<RunStatus> {
    const started = Date.parse(run.startedAt);
    const duration = Number(run.baseline?.['durationMs'] ?? this.opts.durationMs ?? 3000);
    if (Number.isNaN(started) || !Number.isFinite(duration)) return { state: 'failed', message: 'The simulated run handle is not readable.' };
    const endsAt = new Date(started + duration);
    if (this.now().getTime() < endsAt.getTime()) return { state: 'running' };
    const source = this.source(run.target);
    if (!source) return { state: 'failed', message: 'No demo source has this rerun target.' };
    try {
      const tables = source.tables.map((t) => t.name);
      const freshness = await this.opts.warehouse.tableFreshness(tables);
      const landed = freshness.filter((f) => f.lastModified !== null && f.lastModified.getTime() >= endsAt.getTime()).map((f) => f.table);
      const refreshed = await refreshDemoTables(this.opts.warehouse, tables.filter((t) => !landed.includes(t)), endsAt);
      if (landed.length + refreshed.length === 0) return { state: 'failed', message: "The demo warehouse has none of this source's tables." };
      return { state: 'succeeded' };
    } catch (err) {
      return { state: 'failed', message: `The simulated sync could not write: ${(err as Error).message}` };
    }
  }

  async recentRun(target: RerunTarget, since: Date): Promise<RunHandle | null> {
    const rows = await this.sql<{ run_id: string; started_ms: bigint | number; duration_ms: bigint | number }>(
      'SELECT run_id, started_ms, duration_ms FROM _simulated_runs WHERE target_key = $key AND started_ms >= $since ORDER BY started_ms DESC LIMIT 1',
      { key: keyOf(target), since: since.getTime() },
    );
    const row = rows[0];
    if (!row) return null;
    return { target, runId: row.run_id, startedAt: new Date(Number(row.started_ms)).toISOString(), baseline: { durationMs: String(Number(row.duration_ms)) } };
  }

  /** Nothing to cancel: runs live in the warehouse, not in timers (kept for callers that stop it). */
  stop(): void {}
}
