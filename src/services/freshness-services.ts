/**
 * Everything behind freshness alerts and reruns, built from the
 * configuration: the source catalog (validated: a bad sources file stops
 * start-up), the pipeline runs adapter, the freshness check, alerts and
 * reruns, and the recurring check as a job.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../ports/store.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { PipelineRuns } from '../ports/pipeline-runs.js';
import type { Directory } from '../ports/directory.js';
import { loadSources, type SourceCatalog } from '../sources/catalog.js';
import { openPipelineRuns } from '../adapters/pipeline-runs/index.js';
import type { EmbeddedWarehouse } from '../adapters/warehouse/duckdb.js';
import { ensureDemoSources, startDemoSchedule } from '../adapters/warehouse/demo-sources.js';
import { defineJob, type JobKind } from '../jobs/runner.js';
import type { JobSpec } from '../jobs/model.js';
import { nextRecurringRun } from '../jobs/policy.js';
import { FreshnessService, type SourceFreshness } from './freshness.js';
import { FreshnessAlerts } from './freshness-alerts.js';
import { RerunService } from './rerun.js';

export const FRESHNESS_CHECK_JOB = 'freshness.check';

export interface FreshnessServices {
  catalog: SourceCatalog;
  runs: PipelineRuns;
  freshness: FreshnessService;
  alerts: FreshnessAlerts;
  reruns: RerunService;
  /** Measures every source and applies the alerts (what each scheduled check runs). */
  check(now?: Date): Promise<SourceFreshness[]>;
  /** Creates the demo source tables on the embedded warehouse (once). */
  prepare(): Promise<void>;
  /** The recurring check, to schedule at start-up; undefined when the interval is 0 (checks only on request). */
  checkJob(): JobSpec | undefined;
  jobKinds(): Record<string, JobKind>;
  /** Starts the demo's simulated GitHub sync (embedded warehouse only). */
  start(): void;
  stop(): void;
}

export interface FreshnessServicesOptions {
  /** A catalog instead of SOURCES_FILE (tests). */
  catalog?: SourceCatalog;
  /** A pipeline runs adapter instead of the configured one (tests). */
  runs?: PipelineRuns;
  now?: () => Date;
}

export async function createFreshnessServices(
  config: Config,
  logger: Logger,
  adapters: { warehouse: Warehouse; store: Store; directory: Directory; runs?: PipelineRuns; sources?: SourceCatalog },
  kick: () => void,
  options: FreshnessServicesOptions = {},
): Promise<FreshnessServices> {
  const cfg = config.freshness;
  const log = logger.child({ component: 'freshness' });
  const catalog = options.catalog ?? adapters.sources ?? loadSources(cfg.sourcesFile);
  const { warehouse, store, directory } = adapters;
  const runs = options.runs ?? adapters.runs ?? (await openPipelineRuns(cfg, catalog, warehouse, { simulatedDurationMs: cfg.simulatedRunMs }));
  const now = options.now;
  let prepared: Promise<void> | undefined;
  const prepare = () => {
    prepared ??= warehouse.kind === 'embedded' ? ensureDemoSources(warehouse as EmbeddedWarehouse).then(() => undefined) : Promise.resolve();
    prepared.catch(() => (prepared = undefined));
    return prepared;
  };
  const freshness = new FreshnessService({ catalog, warehouse, store, logger: log, now, prepare });
  const alerts = new FreshnessAlerts({ store, catalog, logger: log, channel: config.analyticsChannel, reminderIntervalMs: cfg.reminderIntervalMs, kick, now });
  const reruns = new RerunService({
    store, directory, catalog, runs, freshness, alerts, logger: log,
    channel: config.analyticsChannel, bizopsUsergroup: config.bizopsUsergroup,
    timeoutMs: cfg.rerunTimeoutMs, pollMs: cfg.rerunPollMs, kick, now,
  });
  const check = async (at?: Date) => {
    await prepare();
    // Scheduled (or Cloud Scheduler's): nobody waits on it, so a person's /pipeline status meanwhile goes first.
    const results = await freshness.check(at, { background: true });
    await alerts.reconcile(results, at);
    await alerts.closeRemoved(at);
    return results;
  };
  let stopDemo = () => {};
  const clock = now ?? (() => new Date());

  return {
    catalog, runs, freshness, alerts, reruns, check, prepare,
    checkJob() {
      if (cfg.checkIntervalMs <= 0) return undefined;
      return { key: FRESHNESS_CHECK_JOB, kind: FRESHNESS_CHECK_JOB, payload: {}, runAt: clock().getTime() + cfg.checkIntervalMs };
    },
    jobKinds() {
      return {
        [FRESHNESS_CHECK_JOB]: defineJob({
          handler: async (ctx) => {
            const at = ctx.now();
            const results = await check(at);
            log.debug('freshness checked', { dueAt: ctx.dueAt, stale: results.filter((r) => r.dataState === 'stale').map((r) => r.source.id) });
            if (cfg.checkIntervalMs <= 0) return {};
            return { again: new Date(nextRecurringRun(ctx.dueAt, at.getTime(), cfg.checkIntervalMs)) };
          },
          // A failed check is the next one's to do.
          retry: { maxAttempts: 2 },
          resumeAt: (ctx) => new Date(ctx.now().getTime() + Math.max(cfg.checkIntervalMs, 60_000)),
        }),
        ...reruns.jobKinds(),
      };
    },
    start() {
      // The demo tables are created on first use (a check or /pipeline status), not here: start-up stays fast.
      if (runs.kind === 'embedded' && warehouse.kind === 'embedded') {
        stopDemo = startDemoSchedule(warehouse as EmbeddedWarehouse, { onError: (err) => log.warn('demo GitHub sync failed', { err }) });
      }
    },
    stop() {
      stopDemo();
    },
  };
}
