/**
 * The simulated pipeline runner for the demo warehouse: a rerun "syncs" for
 * a few seconds, then refreshes the source's tables (their `_fivetran_synced`
 * and modification time). Runs live in this process only.
 */
import { randomUUID } from 'node:crypto';
import type { EmbeddedWarehouse } from '../warehouse/duckdb.js';
import { refreshDemoTables } from '../warehouse/demo-sources.js';
import type { Pipelines, RunHandle, RunStatus, StartResult } from '../../ports/pipelines.js';
import type { RerunTarget, SourceCatalog } from '../../sources/catalog.js';

export interface EmbeddedPipelinesOptions {
  warehouse: EmbeddedWarehouse;
  catalog: SourceCatalog;
  /** How long a simulated sync takes. Default 3 s. */
  durationMs?: number;
  now?: () => Date;
}

interface SimulatedRun {
  key: string;
  state: RunStatus['state'];
  message?: string;
}

const keyOf = (t: RerunTarget) => (t.kind === 'fivetran' ? `fivetran:${t.connectionId}` : `data_transfer:${t.transferConfig}`);

export class EmbeddedPipelines implements Pipelines {
  readonly kind = 'embedded' as const;
  private readonly runs = new Map<string, SimulatedRun>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: EmbeddedPipelinesOptions) {}

  async start(target: RerunTarget, _options: { force: boolean }): Promise<StartResult> {
    const key = keyOf(target);
    const source = this.opts.catalog.sources.find((s) => s.rerun && keyOf(s.rerun) === key);
    if (!source) return { ok: false, reason: 'not_found', message: 'No demo source has this rerun target.' };
    if ([...this.runs.values()].some((r) => r.key === key && r.state === 'running')) {
      return { ok: false, reason: 'already_syncing', message: 'The simulated pipeline is already running.' };
    }
    const runId = `sim-${randomUUID()}`;
    const run: SimulatedRun = { key, state: 'running' };
    this.runs.set(runId, run);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const now = this.opts.now?.() ?? new Date();
      refreshDemoTables(this.opts.warehouse, source.tables.map((t) => t.name), now).then(
        (done) => {
          run.state = done.length ? 'succeeded' : 'failed';
          if (!done.length) run.message = 'The demo warehouse has none of this source\'s tables.';
        },
        (err: unknown) => {
          run.state = 'failed';
          run.message = `The simulated sync could not write: ${(err as Error).message}`;
        },
      );
    }, this.opts.durationMs ?? 3000);
    this.timers.add(timer);
    return { ok: true, run: { target, runId, startedAt: (this.opts.now?.() ?? new Date()).toISOString() } };
  }

  async status(run: RunHandle): Promise<RunStatus> {
    const r = this.runs.get(run.runId);
    if (!r) return { state: 'failed', message: 'The simulated run was lost (the bot restarted).' };
    return { state: r.state, ...(r.message ? { message: r.message } : {}) };
  }

  /** Cancels pending simulated syncs (shutdown). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
