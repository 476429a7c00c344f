/**
 * Picks the Pipelines adapter: simulated on the demo warehouse, or Fivetran
 * and BigQuery Data Transfer (each source's rerun target says which).
 */
import { ConfigError, PipelineError } from '../../errors.js';
import type { PipelinesConfig } from '../../config.js';
import type { Pipelines, RunHandle, RunStatus, StartResult } from '../../ports/pipelines.js';
import type { RerunTarget, SourceCatalog } from '../../sources/catalog.js';
import type { Warehouse } from '../../ports/warehouse.js';
import type { EmbeddedWarehouse } from '../warehouse/duckdb.js';
import { EmbeddedPipelines } from './embedded.js';
import { FivetranPipelines } from './fivetran.js';
import { DataTransferPipelines, googleAuthHeaders, type AuthHeaders } from './datatransfer.js';

export { EmbeddedPipelines, FivetranPipelines, DataTransferPipelines, googleAuthHeaders, type AuthHeaders };

/** Routes each target to the adapter of its kind. */
export class LivePipelines implements Pipelines {
  readonly kind = 'live' as const;
  constructor(private readonly by: { fivetran?: Pipelines; dataTransfer?: Pipelines }) {}
  private pick(target: RerunTarget): Pipelines {
    const p = target.kind === 'fivetran' ? this.by.fivetran : this.by.dataTransfer;
    if (!p) throw new PipelineError(`no ${target.kind} client is configured`, { reason: 'rejected' });
    return p;
  }
  start(target: RerunTarget, options: { force: boolean }): Promise<StartResult> {
    return this.pick(target).start(target, options);
  }
  status(run: RunHandle): Promise<RunStatus> {
    return this.pick(run.target).status(run);
  }
  recentRun(target: RerunTarget, since: Date): Promise<RunHandle | null> {
    return this.pick(target).recentRun(target, since);
  }
}

export interface OpenPipelinesOptions {
  /** Data Transfer credentials other than Application Default Credentials (tests). */
  dataTransferAuth?: AuthHeaders;
  /** Simulated sync duration (embedded). */
  simulatedDurationMs?: number;
}

/**
 * The configured runner. `live` needs Fivetran credentials when any source
 * reruns a Fivetran connection (start-up stops otherwise).
 */
export function openPipelines(config: PipelinesConfig, catalog: SourceCatalog, warehouse: Warehouse, options: OpenPipelinesOptions = {}): Pipelines {
  if (config.runner === 'embedded') {
    if (warehouse.kind !== 'embedded') throw new ConfigError('PIPELINES', 'embedded (simulated) reruns need WAREHOUSE=embedded; use PIPELINES=live with BigQuery');
    return new EmbeddedPipelines({ warehouse: warehouse as EmbeddedWarehouse, catalog, durationMs: options.simulatedDurationMs });
  }
  const needsFivetran = catalog.sources.some((s) => s.rerun?.kind === 'fivetran');
  const { apiKey, apiSecret, apiUrl } = config.fivetran;
  if (needsFivetran && (!apiKey || !apiSecret)) {
    throw new ConfigError('FIVETRAN_API_KEY', 'is required with PIPELINES=live: sources.yml reruns Fivetran connections (set FIVETRAN_API_KEY and FIVETRAN_API_SECRET)');
  }
  let auth = options.dataTransferAuth;
  if (!auth) {
    const pending = googleAuthHeaders();
    pending.catch(() => undefined);
    auth = async () => (await pending)();
  }
  return new LivePipelines({
    fivetran: apiKey && apiSecret ? new FivetranPipelines({ apiKey, apiSecret, apiUrl }) : undefined,
    dataTransfer: new DataTransferPipelines({ authHeaders: auth, apiUrl: config.dataTransfer.apiUrl }),
  });
}
