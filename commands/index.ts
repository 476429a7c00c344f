/**
 * The one place that registers every listener. Returns the slash commands it
 * registered, which the manifest test compares with manifest.yml.
 */
import type { App } from '@slack/bolt';
import type { Services } from '../src/services/index.js';
import { registerTelemetry } from './telemetry.js';
import { registerLookerAccess } from './looker-access.js';

export function registerAll(app: App, services: Services): string[] {
  return [
    ...registerTelemetry(app, { telemetry: services.telemetry, logger: services.logger }),
    ...registerLookerAccess(app, { lookerAccess: services.lookerAccess, logger: services.logger, lookerAdminsUsergroup: services.config.lookerAdminsUsergroup }),
  ];
}
