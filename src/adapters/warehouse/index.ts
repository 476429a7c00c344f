/**
 * Picks the Warehouse adapter named by the configuration (`WAREHOUSE`). Each
 * adapter module is imported only when chosen: BigQuery's client and DuckDB's
 * native bindings are the heaviest modules the bot has, and a process never
 * needs both.
 */
import path from 'node:path';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { Warehouse } from '../../ports/warehouse.js';
import type { BigQueryWarehouseOptions } from './bigquery.js';

export type { BigQueryWarehouseOptions } from './bigquery.js';
export type { EmbeddedWarehouse, EmbeddedWarehouseOptions } from './duckdb.js';

export interface OpenWarehouseOptions {
  /** BigQuery credentials other than Application Default Credentials (tests against a loopback fake). */
  bigQueryAuthClient?: BigQueryWarehouseOptions['authClient'];
}

/**
 * Opens the configured warehouse: BigQuery (production) or the embedded DuckDB
 * demo in `DATA_DIR/warehouse.duckdb`, generated on first start.
 */
export async function openWarehouse(config: Config, logger?: Logger, options: OpenWarehouseOptions = {}): Promise<Warehouse> {
  if (config.warehouse.kind === 'bigquery') {
    const { openBigQueryWarehouse } = await import('./bigquery.js');
    return openBigQueryWarehouse(config.warehouse.bigquery, { timeoutMs: config.queryTimeoutMs, authClient: options.bigQueryAuthClient });
  }
  const { openEmbeddedWarehouse } = await import('./duckdb.js');
  const warehouse = await openEmbeddedWarehouse({ dataDir: config.dataDir, timeoutMs: config.queryTimeoutMs });
  const file = path.join(config.dataDir, 'warehouse.duckdb');
  if (warehouse.demo.generated) logger?.info('demo warehouse generated', { file, seconds: Number(warehouse.demo.seconds.toFixed(2)) });
  else if (warehouse.demo.shiftedMs > 0) logger?.info('demo warehouse moved to the present', { file, shiftedHours: Math.round(warehouse.demo.shiftedMs / 3_600_000) });
  return warehouse;
}
