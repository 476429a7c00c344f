/**
 * The one place that registers every listener. Returns the slash commands it
 * registered, which the manifest test compares with manifest.yml.
 */
import type { App } from '@slack/bolt';
import type { Services } from '../src/services/index.js';
import { registerTelemetry } from './telemetry.js';
import { registerQuery } from './query.js';
import { registerLookerAccess } from './looker-access.js';
import { registerPipeline } from './pipeline.js';
import { pipelineRequestSubcommand, registerPipelineRequest, type PipelineRequestDeps } from './pipeline-request.js';
import { registerAnalytics } from './analytics.js';
import { registerHome } from './home.js';
import { freshnessSubcommands, registerFreshness, type FreshnessDeps } from './freshness.js';

export function registerAll(app: App, services: Services): string[] {
  const { config, logger } = services;
  const groups = { bizopsUsergroup: config.bizopsUsergroup, lookerAdminsUsergroup: config.lookerAdminsUsergroup };
  const pipelineRequest: PipelineRequestDeps = { requests: services.pipelineRequests, logger, analyticsChannel: config.analyticsChannel, bizopsUsergroup: config.bizopsUsergroup };
  const freshness: FreshnessDeps = {
    pipelines: services.pipelines, logger, analyticsChannel: config.analyticsChannel, bizopsUsergroup: config.bizopsUsergroup, warehouseKind: services.adapters.warehouse.kind,
  };
  return [
    ...registerTelemetry(app, { telemetry: services.telemetry, logger: services.logger }),
    ...registerQuery(app, { queries: services.queries, logger: services.logger }),
    ...registerLookerAccess(app, { lookerAccess: services.lookerAccess, logger: services.logger, lookerAdminsUsergroup: services.config.lookerAdminsUsergroup }),
    ...registerPipeline(app, { logger, subcommands: { request: pipelineRequestSubcommand(pipelineRequest), ...freshnessSubcommands(freshness) } }),
    ...registerFreshness(app, freshness),
    ...registerPipelineRequest(app, pipelineRequest),
    ...registerAnalytics(app, { audit: services.audit, logger, ...groups }),
    ...registerHome(app, { home: services.home, logger, analyticsChannel: config.analyticsChannel, ...groups }),
  ];
}
