/**
 * Entry point: read configuration, start the bot on the adapters it names.
 * With no Slack credentials, runs in local mode: a Slack stand-in on PORT plays
 * Slack's side, and the bot talks to it exactly as it would to Slack.
 *
 * The bot listens before its warehouse and store are open (src/adapters/lazy.ts):
 * a cold instance acks its first request first, then loads them. An adapter that
 * cannot open stops the process, as before.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { loadConfig, secretsOf, type Config } from './config.js';
import { ConfigError, toCodedError } from './errors.js';
import { withoutSecretShapes } from './secret-shapes.js';
import { withoutSecrets } from './adapters/vendor-text.js';
import { createLogger } from './logger.js';
import { openWarehouse } from './adapters/warehouse/index.js';
import { openStore } from './adapters/store/index.js';
import { LazyStore, LazyWarehouse } from './adapters/lazy.js';
import { createBot, type Bot } from './app.js';
import { CatalogError, loadCatalog, type Catalog } from './catalog/catalog.js';
import { createChartRenderer } from './charts/renderer.js';
import { loadSources, SourcesError, type SourceCatalog } from './sources/catalog.js';
import { installProcessGuards } from './process-guards.js';
import { checkPortFree, listenErrorWithFreePort } from './listen-error.js';

/**
 * The configured credentials, once read: the lines written to stderr without the logger (a refusal, the last-resort
 * "failed to start") mask them as the logger does. An error may quote one (a Web API or gateway echoing the request).
 */
let knownSecrets: string[] = [];

/** A line for stderr with every known credential and anything shaped like one cut out. */
const masked = (text: string): string => withoutSecretShapes(withoutSecrets(text, knownSecrets));

/** In HTTP mode, how long start-up work waits for the first request's ack (see BotOptions). */
const FIRST_ACK_WAIT_MS = 250;

/**
 * Makes the data directory (DATA_DIR) if it is not there, and checks this user may write in it:
 * one that cannot be used is a ConfigError naming DATA_DIR, the path and what to do.
 */
async function prepareDataDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EEXIST' ? `${dir} is a file, not a directory`
      : code === 'ENOTDIR' ? `${dir} cannot be a directory: part of its path is a file`
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? `${dir} cannot be written by this user`
      : `${dir} cannot be made (${code ?? 'error'})`;
    throw new ConfigError('DATA_DIR', `${why}: point DATA_DIR at a directory this user can write, or leave it unset for ./.data`);
  }
}

/**
 * Runs a start-up check: a failure of the kind it expects (a bad setting or file) stops the
 * process with one line (exit 2), saying what to fix; anything else propagates.
 */
async function orExit<T>(what: string, expected: new (...args: never[]) => Error, check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    if (err instanceof expected) {
      // Written before the logger exists, so masked here: no refusal quotes a credential's shape.
      process.stderr.write(`${what} error: ${masked(err.message)}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config: Config = await orExit('Configuration', ConfigError, () => loadConfig());
  knownSecrets = secretsOf(config);
  const logger = createLogger({ level: config.logLevel, secrets: knownSecrets });
  installProcessGuards(logger);
  // The saved-query catalog and the sources file are checked before the slow part of start-up (the demo
  // warehouse): a bad file stops here, named.
  const catalog: Catalog = await orExit('Query catalog', CatalogError, () => loadCatalog(config.queries.dir));
  const sources: SourceCatalog = await orExit('Sources file', SourcesError, () => loadSources(config.freshness.sourcesFile));
  await orExit('Configuration', ConfigError, () => prepareDataDir(config.dataDir));
  const charts = createChartRenderer();
  const warehouse = new LazyWarehouse(config.warehouse.kind, () => openWarehouse(config, logger));
  const store = new LazyStore(config.store.kind, () => openStore(config.store, config.dataDir));
  const adapters = { warehouse, store, catalog, charts, sources };

  let stopStandin = async () => {};
  let bot: Bot | undefined;
  let stopping = false;
  // Installed before start-up goes on: a SIGTERM while the adapters open still closes them.
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    // Cloud Run kills the process 10 s after SIGTERM: leave before that, whatever still hangs.
    setTimeout(() => {
      logger.warn('shutdown took too long; exiting');
      process.exit(0);
    }, 9_500).unref();
    await bot?.stop().catch(() => {});
    await stopStandin().catch(() => {});
    await Promise.allSettled([warehouse.close(), store.close(), charts.close()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    if (config.slack.mode === 'local') {
      // Local mode tells the newcomer to try a command once it starts: by then the demo warehouse is there.
      await Promise.all([warehouse.open(), store.open()]);
      const { startLocal } = await import('./local.js');
      const local = await startLocal(config, logger, adapters);
      bot = local.bot;
      stopStandin = () => local.stop();
    } else {
      bot = await createBot(config, logger, adapters, { firstAckWaitMs: FIRST_ACK_WAIT_MS });
      // Bolt's Socket Mode receiver listens on PORT (health, /tasks) with no error handler: a taken port would be an
      // uncaught exception with its stack, so it is tried first, just before, and said as the HTTP receiver's is.
      if (config.slack.mode === 'socket') await checkPortFree(config.port);
      // Taken, or privileged: said as a configuration error naming PORT, as local mode says it.
      const { url } = await bot.start(config.port).catch(async (err: unknown) => {
        throw await listenErrorWithFreePort(err, config.port, '0.0.0.0');
      });
      logger.info('analytics-bot started', { mode: config.slack.mode, url: config.slack.mode === 'http' ? `${url}/slack/events` : undefined });
    }
    // Opened by now, or opening (the warm-ups use both): a failure stops the process here.
    await Promise.all([warehouse.open(), store.open()]);
    logger.info('adapters ready', { warehouse: warehouse.kind, store: store.kind, ms: Math.round(process.uptime() * 1000) });
  } catch (err) {
    // Stopped while starting: what failed is what the shutdown closed.
    if (stopping) return;
    throw err;
  }
}

main().catch((err) => {
  // A setting found wrong only once used (PORT taken, the token Slack refuses) is said as every other one is.
  if (err instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${masked(err.message)}\n`);
    process.exit(2);
  }
  const coded = toCodedError(err);
  process.stderr.write(`analytics-bot failed to start: ${masked(coded.message)} (${coded.code})\n`);
  process.exit(1);
});
