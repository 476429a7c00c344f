/**
 * Builds everything behind freshness alerts and reruns from the configuration:
 * the source catalog (validated: a bad sources file stops start-up), the
 * Pipelines adapter, the freshness check, alerts, reruns and the schedule.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { WebClient, LogLevel } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../ports/store.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Pipelines } from '../ports/pipelines.js';
import { loadSources, type SourceCatalog } from '../sources/catalog.js';
import { openPipelines, EmbeddedPipelines } from '../adapters/pipelines/index.js';
import type { EmbeddedWarehouse } from '../adapters/warehouse/duckdb.js';
import { ensureDemoSources, startDemoSchedule } from '../adapters/warehouse/demo-sources.js';
import { FreshnessScheduler } from '../scheduler.js';
import { FreshnessService, type SourceFreshness } from './freshness.js';
import { FreshnessAlerts } from './freshness-alerts.js';
import { RerunService } from './rerun.js';

export interface PipelineServices {
  catalog: SourceCatalog;
  pipelines: Pipelines;
  freshness: FreshnessService;
  alerts: FreshnessAlerts;
  reruns: RerunService;
  scheduler: FreshnessScheduler;
  /** Who this replica is, in leases and claims. */
  holder: string;
  /** Measures every source and applies the alerts (what each tick runs). */
  check(now?: Date): Promise<SourceFreshness[]>;
  /** Creates the demo source tables on the embedded warehouse (once). */
  prepare(): Promise<void>;
  /** Starts the schedule (and, on the demo, its simulated GitHub sync). */
  start(): void;
  stop(): Promise<void>;
}

export interface PipelineServicesOptions {
  /** A catalog instead of SOURCES_FILE (tests). */
  catalog?: SourceCatalog;
  /** A Pipelines adapter instead of the configured one (tests). */
  pipelines?: Pipelines;
  now?: () => Date;
}

/** A Web API client for posting outside listeners (alerts, rerun messages), logging through our logger. */
function slackClient(config: Config, logger: Logger): WebClient {
  const log = logger.child({ component: 'web-api' });
  return new WebClient(config.slack.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 2, factor: 2, minTimeout: 300, maxTimeout: 3000 },
    logLevel: LogLevel.WARN,
    logger: {
      debug: () => {},
      info: () => {},
      warn: (...m: unknown[]) => log.warn(m.map(String).join(' ')),
      error: (...m: unknown[]) => log.error(m.map(String).join(' ')),
      setLevel: () => {},
      getLevel: () => LogLevel.WARN,
      setName: () => {},
    },
  });
}

export function createPipelineServices(
  config: Config,
  logger: Logger,
  adapters: { warehouse: Warehouse; store: Store; pipelines?: Pipelines },
  options: PipelineServicesOptions = {},
): PipelineServices {
  const cfg = config.pipelines;
  const log = logger.child({ component: 'pipelines' });
  const catalog = options.catalog ?? loadSources(cfg.sourcesFile);
  const { warehouse, store } = adapters;
  const pipelines = options.pipelines ?? adapters.pipelines ?? openPipelines(cfg, catalog, warehouse, { simulatedDurationMs: cfg.simulatedRunMs });
  const holder = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const slack = slackClient(config, logger);
  const now = options.now;
  let prepared: Promise<void> | undefined;
  const prepare = () => {
    prepared ??= warehouse.kind === 'embedded' ? ensureDemoSources(warehouse as EmbeddedWarehouse).then(() => undefined) : Promise.resolve();
    prepared.catch(() => (prepared = undefined));
    return prepared;
  };
  const freshness = new FreshnessService({ catalog, warehouse, store, logger: log, now, prepare });
  const alerts = new FreshnessAlerts({ store, slack, catalog, logger: log, channel: config.analyticsChannel, reminderIntervalMs: cfg.reminderIntervalMs, holder, now });
  const reruns = new RerunService({
    store, slack, catalog, pipelines, freshness, alerts, logger: log,
    channel: config.analyticsChannel, bizopsUsergroup: config.bizopsUsergroup,
    timeoutMs: cfg.rerunTimeoutMs, pollMs: cfg.rerunPollMs, holder, now,
  });

  const check = async (at?: Date) => {
    await prepare();
    const results = await freshness.check(at);
    await alerts.reconcile(results, at);
    return results;
  };
  const scheduler = new FreshnessScheduler({ store, logger: log, holder, intervalMs: cfg.checkIntervalMs, check: (at) => check(at), now });
  let stopDemo = () => {};

  return {
    catalog, pipelines, freshness, alerts, reruns, scheduler, holder, check, prepare,
    start() {
      // The demo tables are created on first use (a check or /pipeline status), not here: start-up stays fast.
      if (pipelines instanceof EmbeddedPipelines && warehouse.kind === 'embedded') {
        stopDemo = startDemoSchedule(warehouse as EmbeddedWarehouse, { onError: (err) => log.warn('demo GitHub sync failed', { err }) });
      }
      scheduler.start();
    },
    async stop() {
      stopDemo();
      await scheduler.stop();
      await reruns.stop();
      if (pipelines instanceof EmbeddedPipelines) pipelines.stop();
    },
  };
}
