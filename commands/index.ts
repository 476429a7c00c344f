/**
 * The one place that registers every listener, routed by name through one Bolt
 * listener per kind (src/slack/listeners.ts). Returns the slash commands it
 * registered, which the manifest test compares with manifest.yml.
 */
import type { Listeners } from '../src/slack/listeners.js';
import type { Services } from '../src/services/index.js';
import type { Directory } from '../src/ports/directory.js';
import type { JobRunner } from '../src/jobs/runner.js';
import type { WebClient } from '@slack/web-api';
import { registerTelemetry } from './telemetry.js';
import { registerQuery } from './query.js';
import { registerSubscriptions } from './subscriptions.js';
import { registerLookerAccess } from './looker-access.js';
import { registerPipeline } from './pipeline.js';
import { pipelineRequestSubcommand, registerPipelineRequest, type PipelineRequestDeps } from './pipeline-request.js';
import { registerAnalytics } from './analytics.js';
import { homePublisher, homeReader, registerHome } from './home.js';
import { freshnessSubcommands, registerFreshness, type FreshnessDeps } from './freshness.js';
import { pipelineRerunSubcommand, registerReruns } from './pipeline-rerun.js';

export interface ListenerContext {
  directory: Directory;
  jobs: JobRunner;
  /** How long a `/telemetry` lookup runs before a "Looking up" note is shown; the command's default when omitted. */
  telemetryNoteAfterMs?: number;
}

/** Registers every command's listeners on `app` (src/slack/listeners.ts); returns the slash commands. */
export function registerAll(app: Listeners, services: Services, context: ListenerContext): string[] {
  const { config, logger } = services;
  const groups = { bizopsUsergroup: config.bizopsUsergroup, lookerAdminsUsergroup: config.lookerAdminsUsergroup };
  const freshness: FreshnessDeps = {
    freshness: services.freshness, logger, analyticsChannel: config.analyticsChannel, bizopsUsergroup: config.bizopsUsergroup, warehouseKind: services.adapters.warehouse.kind,
  };
  const homeDeps = { home: services.home, logger, analyticsChannel: config.analyticsChannel, ...groups };
  // One cache of group member lists for the Home tab and its "Show all" lists.
  const readHome = homeReader(homeDeps);
  const publishHome = homePublisher(homeDeps, readHome);
  const refreshHome = (client: WebClient, userId: string) => publishHome(client, userId);
  const pipelineRequest: PipelineRequestDeps = { requests: services.pipelineRequests, logger, refreshHome };
  const subscriptionDeps = { subscriptions: services.subscriptions, queries: services.queries, logger: logger.child({ feature: 'subscriptions' }), refreshHome };
  return [
    ...registerTelemetry(app, {
      telemetry: services.telemetry, clicks: services.clicks, logger, lookerUrl: config.looker?.baseUrl ?? null,
      lookingUpNoteAfterMs: context.telemetryNoteAfterMs,
    }),
    ...registerQuery(app, { queries: services.queries, clicks: services.clicks, logger, subscriptions: subscriptionDeps }),
    ...registerSubscriptions(app, subscriptionDeps),
    ...registerLookerAccess(app, { lookerAccess: services.lookerAccess, logger, lookerAdminsUsergroup: config.lookerAdminsUsergroup, jobs: context.jobs }),
    ...registerPipeline(app, {
      logger,
      subcommands: { request: pipelineRequestSubcommand(pipelineRequest), ...freshnessSubcommands(freshness), rerun: pipelineRerunSubcommand(freshness) },
    }),
    ...registerFreshness(app, freshness),
    ...registerReruns(app, freshness),
    ...registerPipelineRequest(app, pipelineRequest),
    ...registerAnalytics(app, {
      audit: services.audit, clicks: services.clicks, directory: context.directory, logger, ...groups,
      sourceNames: new Map(services.freshness.catalog.sources.map((s) => [s.id, s.name])),
    }),
    ...registerHome(app, homeDeps, publishHome, readHome),
  ];
}
