/**
 * The use cases, built once from the adapters chosen at start-up.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../ports/store.js';
import type { Warehouse } from '../ports/warehouse.js';
import { TelemetryService } from './telemetry.js';
import { CustomerList } from './customers.js';
import { QueryService } from './query.js';
import { loadCatalog, type Catalog } from '../catalog/catalog.js';
import { createChartRenderer, type ChartRenderer } from '../charts/renderer.js';
import { WebClient, LogLevel as SlackLogLevel } from '@slack/web-api';
import type { LookerAdmin } from '../ports/looker-admin.js';
import { openLookerAdmin } from '../adapters/looker/index.js';
import { LookerAccessService } from './looker-access.js';
import { AuditService } from './audit.js';
import { PipelineRequestService } from './pipeline-request.js';
import { HomeService, lookerHomeFeed, pipelineHomeFeed } from './home.js';
import type { Pipelines } from '../ports/pipelines.js';
import { createPipelineServices, type PipelineServices } from './freshness-services.js';
import { toSyncedSources } from '../sources/synced.js';

export interface Adapters {
  warehouse: Warehouse;
  store: Store;
  /** Looker access adapter; default: chosen from `config.looker` (API, or record-only). */
  looker?: LookerAdmin;
  /** Saved-query catalog (issue 3); default: loaded from `config.queries.dir`. */
  catalog?: Catalog;
  /** Chart renderer (issue 3); default: one built here. */
  charts?: ChartRenderer;
  /** Pipeline runner (issue 5); default: chosen from `config.pipelines` (simulated, or Fivetran + Data Transfer). */
  pipelines?: Pipelines;
}

export interface Services {
  config: Config;
  logger: Logger;
  adapters: Adapters;
  telemetry: TelemetryService;
  // ── issue 3: saved queries ──
  queries: QueryService;
  // ── issue 4: Looker access ──
  lookerAccess: LookerAccessService;
  // ── issue 4: audit log, pipeline requests, App Home ──
  audit: AuditService;
  pipelineRequests: PipelineRequestService;
  home: HomeService;
  // ── issue 5: sources, freshness alerts, reruns ──
  pipelines: PipelineServices;
}

export function createServices(config: Config, logger: Logger, adapters: Adapters): Services {
  // One customer list for every use case that matches customer names: read once, not once each.
  const customers = new CustomerList({ warehouse: adapters.warehouse, logger });
  // Saved queries (issue 3): a bad catalog file throws CatalogError here, naming the file; main.ts checks it before opening adapters.
  const queries = new QueryService({
    catalog: adapters.catalog ?? loadCatalog(config.queries.dir),
    charts: adapters.charts ?? createChartRenderer(),
    warehouse: adapters.warehouse,
    store: adapters.store,
    logger: logger.child({ feature: 'query' }),
    maxBytes: config.queries.maxBytes,
    timeoutMs: config.queryTimeoutMs,
    customers,
  });
  // Freshness and reruns (issue 5): a bad sources file throws SourcesError here, naming the file and source.
  const pipelines = createPipelineServices(config, logger, adapters);
  const audit = new AuditService({ store: adapters.store, logger });
  const pipelineRequests = new PipelineRequestService({ store: adapters.store, audit, logger, sources: () => toSyncedSources(pipelines.catalog) });
  return {
    config,
    logger,
    adapters,
    telemetry: new TelemetryService({ warehouse: adapters.warehouse, logger, windowDays: config.telemetryWindowDays, customers }),
    queries,
    lookerAccess: new LookerAccessService({
      store: adapters.store,
      looker: adapters.looker ?? openLookerAdmin(config.looker),
      // Its own client: the expiry sweep runs outside any listener.
      slack: new WebClient(config.slack.botToken, {
        ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
        logLevel: SlackLogLevel.ERROR,
        retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
      }),
      logger: logger.child({ feature: 'looker_access' }),
      analyticsChannel: config.analyticsChannel,
      lookerAdminsUsergroup: config.lookerAdminsUsergroup,
      lookerConfig: config.looker,
    }),
    audit,
    pipelineRequests,
    pipelines,
    home: new HomeService({ feeds: [pipelineHomeFeed(pipelineRequests), lookerHomeFeed(adapters.store)], logger, canRequestPipeline: Boolean(config.analyticsChannel) }),
  };
}
