/**
 * Entry point: read configuration, open the adapters it names, start the bot.
 * With no Slack credentials, runs in local mode: a Slack stand-in on PORT plays
 * Slack's side, and the bot talks to it exactly as it would to Slack.
 */
import { mkdir } from 'node:fs/promises';
import { loadConfig, secretsOf, type Config } from './config.js';
import { ConfigError, toCodedError } from './errors.js';
import { createLogger } from './logger.js';
import { openWarehouse } from './adapters/warehouse/index.js';
import { openStore } from './adapters/store/index.js';
import { createBot, type Bot } from './app.js';
import { CatalogError, loadCatalog, type Catalog } from './catalog/catalog.js';
import { createChartRenderer } from './charts/renderer.js';
import { startLocal } from './local.js';
import { installProcessGuards } from './process-guards.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  installProcessGuards(logger);
  // The saved-query catalog is checked before the slow part of start-up: a bad file stops here, named.
  let catalog: Catalog;
  try {
    catalog = loadCatalog(config.queries.dir);
  } catch (err) {
    if (err instanceof CatalogError) {
      process.stderr.write(`Query catalog error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const charts = createChartRenderer();
  await mkdir(config.dataDir, { recursive: true });
  const started = Date.now();
  const warehouse = await openWarehouse(config, logger);
  const store = await openStore(config.store, config.dataDir);
  const adapters = { warehouse, store, catalog, charts };
  logger.info('adapters ready', { warehouse: warehouse.kind, store: store.kind, ms: Date.now() - started });

  let stopStandin = async () => {};
  let bot: Bot;
  if (config.slack.mode === 'local') {
    const local = await startLocal(config, logger, adapters);
    bot = local.bot;
    stopStandin = () => local.stop();
  } else {
    bot = await createBot(config, logger, adapters);
    const { url } = await bot.start(config.port);
    logger.info('analytics-bot started', { mode: config.slack.mode, url: config.slack.mode === 'http' ? `${url}/slack/events` : undefined });
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    await bot.stop().catch(() => {});
    await stopStandin().catch(() => {});
    await Promise.allSettled([warehouse.close(), store.close(), charts.close()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  const coded = toCodedError(err);
  process.stderr.write(`analytics-bot failed to start: ${coded.message} (${coded.code})\n`);
  process.exit(1);
});
