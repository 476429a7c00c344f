/**
 * The use cases, built once from the adapters chosen at start-up, and the
 * job kinds they run.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../ports/store.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Directory } from '../ports/directory.js';
import type { LookerAdmin } from '../ports/looker-admin.js';
import type { PipelineRuns } from '../ports/pipeline-runs.js';
import { TelemetryService } from './telemetry.js';
import { CustomerList } from './customers.js';
import { QueryService } from './query.js';
import { loadCatalog, type Catalog } from '../catalog/catalog.js';
import { createChartRenderer, type ChartRenderer } from '../charts/renderer.js';
import { openLookerAdmin } from '../adapters/looker/index.js';
import { LookerAccessService } from './looker-access.js';
import { AuditService } from './audit.js';
import { PipelineRequestService } from './pipeline-request.js';
import { HomeService, cachedEmailOf, lookerHomeFeed, pipelineHomeFeed } from './home.js';
import { createFreshnessServices, type FreshnessServices } from './freshness-services.js';
import { toSyncedSources } from '../sources/synced.js';
import type { SourceCatalog } from '../sources/catalog.js';
import { Clicks } from './clicks.js';
import { SubscriptionService } from './subscriptions.js';
import type { JobKind } from '../jobs/runner.js';
import type { JobSpec } from '../jobs/model.js';

export interface Adapters {
  warehouse: Warehouse;
  store: Store;
  /** Looker access adapter; default: chosen from `config.looker` (API, or record-only). */
  looker?: LookerAdmin;
  /** Saved-query catalog; default: loaded from `config.queries.dir`. */
  catalog?: Catalog;
  /** Chart renderer; default: one built here. */
  charts?: ChartRenderer;
  /** The sources checked for freshness; default: loaded from `config.freshness.sourcesFile`. */
  sources?: SourceCatalog;
  /** Pipeline runs (reruns); default: chosen from `config.freshness` (simulated, or Fivetran + Data Transfer). */
  runs?: PipelineRuns;
}

export interface Services {
  config: Config;
  logger: Logger;
  adapters: Adapters;
  telemetry: TelemetryService;
  queries: QueryService;
  lookerAccess: LookerAccessService;
  audit: AuditService;
  pipelineRequests: PipelineRequestService;
  home: HomeService;
  clicks: Clicks;
  /** Scheduled deliveries and alerts of saved queries. */
  subscriptions: SubscriptionService;
  /** Sources, freshness checks, alerts and reruns. */
  freshness: FreshnessServices;
  /** Every job kind the use cases run. */
  jobKinds(): Record<string, JobKind>;
  /** Recurring work to schedule at start-up (enqueued once across replicas: fixed keys). */
  recurringJobs(): JobSpec[];
  /** Closes what the use cases own (the chart renderer built here, when none was given). */
  close(): Promise<void>;
}

export interface ServiceContext {
  directory: Directory;
  /** Asks the job runner to look for due jobs now. */
  kick: () => void;
  /** The clock decisions and jobs are stamped with (tests move it; the runner uses the same). */
  now?: () => Date;
}

/**
 * Builds the use cases. Async only to load the adapters the configuration
 * names (Looker, pipeline runs): a module it does not name is never loaded.
 */
export async function createServices(config: Config, logger: Logger, adapters: Adapters, context: ServiceContext): Promise<Services> {
  const { directory, kick } = context;
  const clock = context.now ? { now: context.now } : {};
  // One customer list for every use case that matches customer names: read once, not once each.
  const customers = new CustomerList({ warehouse: adapters.warehouse, logger });
  const ownCharts = adapters.charts ? undefined : createChartRenderer();
  // A bad catalog file throws CatalogError here, naming the file; main.ts checks it before opening adapters.
  const queries = new QueryService({
    catalog: adapters.catalog ?? loadCatalog(config.queries.dir),
    charts: adapters.charts ?? ownCharts!,
    warehouse: adapters.warehouse,
    store: adapters.store,
    logger: logger.child({ feature: 'query' }),
    maxBytes: config.queries.maxBytes,
    timeoutMs: config.queryTimeoutMs,
    customers,
    kick,
    ...clock,
  });
  // A bad sources file throws SourcesError here, naming the file and source; main.ts checks it before opening adapters.
  const freshness = await createFreshnessServices(config, logger, { ...adapters, directory }, kick, clock);
  const audit = new AuditService({ store: adapters.store, logger });
  const pipelineRequests = new PipelineRequestService({
    store: adapters.store,
    directory,
    logger,
    analyticsChannel: config.analyticsChannel,
    bizopsUsergroup: config.bizopsUsergroup,
    kick,
    sources: () => toSyncedSources(freshness.catalog),
    ...clock,
  });
  const lookerAccess = new LookerAccessService({
    store: adapters.store,
    looker: adapters.looker ?? (await openLookerAdmin(config.looker)),
    directory,
    logger: logger.child({ feature: 'looker_access' }),
    analyticsChannel: config.analyticsChannel,
    lookerAdminsUsergroup: config.lookerAdminsUsergroup,
    lookerConfig: config.looker,
    sweepIntervalMs: config.lookerSweepIntervalMs,
    lockLeaseMs: config.jobs.leaseMs,
    kick,
    ...clock,
  });
  const subscriptions = new SubscriptionService({
    store: adapters.store,
    directory,
    queries,
    logger: logger.child({ feature: 'subscriptions' }),
    limits: config.subscriptions,
    bizopsUsergroup: config.bizopsUsergroup,
    kick,
    ...clock,
  });
  return {
    config,
    logger,
    adapters,
    subscriptions,
    telemetry: new TelemetryService({ warehouse: adapters.warehouse, logger, windowDays: config.telemetryWindowDays, customers, ...clock }),
    queries,
    lookerAccess,
    audit,
    pipelineRequests,
    freshness,
    clicks: new Clicks(adapters.store, logger),
    home: new HomeService({
      feeds: [pipelineHomeFeed(pipelineRequests), lookerHomeFeed(adapters.store, context.now, cachedEmailOf(directory), logger)],
      logger,
      canRequestPipeline: Boolean(config.analyticsChannel),
      subscriptionsOf: async (userId) => (await subscriptions.listOf(userId)).map((subscription) => ({ subscription, title: queries.catalog.get(subscription.query)?.title ?? subscription.query })),
      ...clock,
    }),
    jobKinds: () => ({ ...lookerAccess.jobKinds(), ...freshness.jobKinds() }),
    recurringJobs: () => [lookerAccess.sweepJob(), ...[freshness.checkJob()].filter((j): j is JobSpec => j !== undefined)],
    close: async () => {
      await ownCharts?.close();
    },
  };
}
