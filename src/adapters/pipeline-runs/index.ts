/**
 * Picks the PipelineRuns adapter: simulated on the demo warehouse, or Fivetran
 * and BigQuery Data Transfer (each source's rerun target says which). Only the
 * chosen adapters' modules are loaded; Data Transfer's credentials
 * (google-auth-library) are loaded on its first call.
 */
import { ConfigError, PipelineError } from '../../errors.js';
import type { FreshnessConfig } from '../../config.js';
import type { PipelineRuns, RunHandle, RunStatus, StartResult } from '../../ports/pipeline-runs.js';
import type { RerunTarget, SourceCatalog } from '../../sources/catalog.js';
import type { Warehouse } from '../../ports/warehouse.js';
import type { EmbeddedWarehouse } from '../warehouse/duckdb.js';
import type { AuthHeaders } from './datatransfer.js';

export type { AuthHeaders };

/** Routes each target to the adapter of its kind. */
export class LiveRuns implements PipelineRuns {
  readonly kind = 'live' as const;
  constructor(private readonly by: { fivetran?: PipelineRuns; dataTransfer?: PipelineRuns }) {}
  private pick(target: RerunTarget): PipelineRuns {
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

export interface OpenPipelineRunsOptions {
  /** Data Transfer credentials other than Application Default Credentials (tests). */
  dataTransferAuth?: AuthHeaders;
  /** Simulated sync duration (embedded). */
  simulatedDurationMs?: number;
}

/**
 * The configured runner. `live` needs Fivetran credentials when any source
 * reruns a Fivetran connection (start-up stops otherwise).
 */
export async function openPipelineRuns(config: FreshnessConfig, catalog: SourceCatalog, warehouse: Warehouse, options: OpenPipelineRunsOptions = {}): Promise<PipelineRuns> {
  if (config.runner === 'embedded') {
    if (warehouse.kind !== 'embedded') throw new ConfigError('PIPELINES', 'embedded (simulated) reruns need WAREHOUSE=embedded; use PIPELINES=live with BigQuery');
    const { SimulatedRuns } = await import('./simulated.js');
    return new SimulatedRuns({ warehouse: warehouse as EmbeddedWarehouse, catalog, durationMs: options.simulatedDurationMs });
  }
  const needsFivetran = catalog.sources.some((s) => s.rerun?.kind === 'fivetran');
  const { apiKey, apiSecret, apiUrl } = config.fivetran;
  if (needsFivetran && (!apiKey || !apiSecret)) {
    throw new ConfigError('FIVETRAN_API_KEY', 'is required with PIPELINES=live: sources.yml reruns Fivetran connections (set FIVETRAN_API_KEY and FIVETRAN_API_SECRET)');
  }
  const [{ FivetranRuns }, { DataTransferRuns, googleAuthHeaders }] = await Promise.all([import('./fivetran.js'), import('./datatransfer.js')]);
  let auth = options.dataTransferAuth;
  if (!auth) {
    // Application Default Credentials, looked for on the first call: nothing the first ack needs.
    let pending: Promise<AuthHeaders> | undefined;
    auth = async () => (await (pending ??= googleAuthHeaders().catch((err: unknown) => {
      pending = undefined;
      throw err;
    })))();
  }
  return new LiveRuns({
    fivetran: apiKey && apiSecret ? new FivetranRuns({ apiKey, apiSecret, apiUrl }) : undefined,
    dataTransfer: new DataTransferRuns({ authHeaders: auth, apiUrl: config.dataTransfer.apiUrl }),
  });
}
