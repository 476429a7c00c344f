/**
 * The use cases, built once from the adapters chosen at start-up.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../ports/store.js';
import type { Warehouse } from '../ports/warehouse.js';
import { TelemetryService } from './telemetry.js';

export interface Adapters {
  warehouse: Warehouse;
  store: Store;
}

export interface Services {
  config: Config;
  logger: Logger;
  adapters: Adapters;
  telemetry: TelemetryService;
}

export function createServices(config: Config, logger: Logger, adapters: Adapters): Services {
  return {
    config,
    logger,
    adapters,
    telemetry: new TelemetryService({ warehouse: adapters.warehouse, logger, windowDays: config.telemetryWindowDays }),
  };
}
