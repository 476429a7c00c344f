/**
 * Local mode: with no Slack credentials, a Slack stand-in plays Slack's side on
 * one port (the Web API, response_url, files, and a browser page that looks
 * like Slack), and the bot runs behind it on a loopback port, talking to it
 * through the same signed HTTP receiver production uses.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from './config.js';
import { listenErrorWithFreePort } from './listen-error.js';
import type { Logger } from './logger.js';
import { createBot, type Bot } from './app.js';
import { SlackStandin, StandinDefaults } from './slack-standin/server.js';
import { BotClient } from './slack-standin/bot-client.js';
import { readAppManifest } from './slack-standin/manifest.js';
import { createLocalPage, type LocalPage, type SlashCommandInfo } from './slack-standin/web/page.js';
import type { Adapters } from './services/index.js';

/** A running local mode: the bot, its stand-in, and the page's URL. */
export interface LocalMode {
  bot: Bot;
  standin: SlackStandin;
  /** The browser page mounted on the stand-in. */
  page: LocalPage;
  /** The stand-in's base URL; the page is served at its root. */
  url: string;
  /** The bot's base URL (`/slack/events` under it). */
  botUrl: string;
  /** The slash commands the page completes, in manifest order. */
  commands: SlashCommandInfo[];
  stop(): Promise<void>;
}

/** The file in DATA_DIR that keeps the local page's conversations across restarts. */
export const LOCAL_WORKSPACE_FILE = 'slack-standin.json';
/** The directory in DATA_DIR that keeps the files the bot uploaded (charts) across restarts. */
export const LOCAL_FILES_DIR = 'slack-standin-files';

/** Options of {@link startLocal}. */
export interface LocalOptions {
  /** Interface to listen on; default 127.0.0.1 (the stand-in accepts anyone who can reach it). */
  host?: string;
  /** Where to read the slash commands' descriptions; default the package's manifest.yml. */
  manifestPath?: string | URL;
  /** Print the "open this page" banner; default true. */
  banner?: boolean;
}

/**
 * The slash commands the bot registered, described from manifest.yml
 * (description and usage hint) when the manifest lists them.
 */
export function describeCommands(registered: readonly string[], manifestPath?: string | URL): SlashCommandInfo[] {
  const listed: SlashCommandInfo[] = readAppManifest(manifestPath)?.commands ?? [];
  const known = new Set(registered);
  const described = listed.filter((c) => known.has(c.command));
  const undescribed = registered.filter((c) => !described.some((d) => d.command === c)).map((command) => ({ command, description: '', usageHint: '' }));
  return [...described, ...undescribed];
}

/** The banner's account of where the bot reads and keeps data: what is embedded lives in the data directory. */
export function whereDataLives(config: Pick<Config, 'warehouse' | 'store' | 'dataDir'>): string {
  const { warehouse, store, dataDir } = config;
  if (warehouse.kind === 'embedded' && store.kind === 'embedded') return `on the embedded warehouse and store in ${dataDir}`;
  const warehouseText = warehouse.kind === 'embedded' ? `the embedded warehouse in ${dataDir}` : `BigQuery (project ${warehouse.bigquery.project})`;
  const storeText =
    store.kind === 'embedded'
      ? `the embedded store in ${dataDir}`
      : `Firestore (project ${store.projectId}${store.emulatorHost ? `, emulator at ${store.emulatorHost}` : ''})`;
  return `on ${warehouseText} and ${storeText}`;
}

/** The most of a stand-in's problem the log keeps. */
const LOGGED_PROBLEM_MAX = 500;
const clip = (text: string) => (text.length > LOGGED_PROBLEM_MAX ? `${text.slice(0, LOGGED_PROBLEM_MAX)}… (${text.length} characters)` : text);

/**
 * Starts the stand-in on `config.port` with the page mounted, and the bot on
 * a free loopback port behind it, with fresh credentials only these two know.
 * Unset channel and user-group settings default to the stand-in's workspace.
 */
export async function startLocal(config: Config, logger: Logger, adapters: Adapters, options: LocalOptions = {}): Promise<LocalMode> {
  const host = options.host ?? '127.0.0.1';
  // A request Slack would refuse is answered as Slack would, and said here: the page keeps working.
  const standin = new SlackStandin({
    // The problem may quote what was sent (an argument's name): a line of the log stays a line, whatever was posted.
    onViolation: (v) => logger.warn('the bot sent Slack something its documentation refuses or ignores', { via: v.where, problem: clip(v.message), slackAnswer: v.answer ?? 'ignored' }),
    // The store in DATA_DIR keeps the ts of what the bot posted (an alert card it edits later): the channel is kept beside it.
    stateFile: path.join(config.dataDir, LOCAL_WORKSPACE_FILE),
    filesDir: path.join(config.dataDir, LOCAL_FILES_DIR),
    onStateError: (err) => logger.warn('the local Slack page could not keep its messages in DATA_DIR; a restart will start it empty', { err }),
  });
  const page = createLocalPage(standin);
  let botHealth: string | undefined;
  // The container's HEALTHCHECK asks PORT for /healthz: here that is the stand-in, so pass it on to the bot.
  const fallback: typeof page.handle = (req, res) => {
    if (req.url !== '/healthz' || req.method !== 'GET') return page.handle(req, res);
    void (async () => {
      const answer = botHealth ? await fetch(botHealth).catch(() => undefined) : undefined;
      const body = answer ? await answer.text().catch(() => '') : '';
      res.writeHead(answer?.status ?? 503, { 'content-type': 'application/json' });
      res.end(body || JSON.stringify({ ok: false, error: 'the bot is not running' }));
    })();
  };
  let url: string;
  try {
    ({ url } = await standin.start({ port: config.port, host, fallback }));
  } catch (error) {
    page.close();
    throw await listenErrorWithFreePort(error, config.port, host);
  }
  try {
    const signingSecret = randomBytes(24).toString('hex');
    const botToken = `xoxb-local-${randomBytes(12).toString('hex')}`;
    // Made here, after the logger: it must mask them as it masks configured credentials.
    logger.addSecrets(signingSecret, botToken);
    const localConfig: Config = {
      ...config,
      slack: { ...config.slack, botToken, signingSecret, apiUrl: `${url}/api/` },
      analyticsChannel: config.analyticsChannel ?? StandinDefaults.channel,
      bizopsUsergroup: config.bizopsUsergroup ?? StandinDefaults.usergroups.bizops,
      lookerAdminsUsergroup: config.lookerAdminsUsergroup ?? StandinDefaults.usergroups.lookerAdmins,
    };
    const bot = await createBot(localConfig, logger, adapters);
    const { url: botUrl } = await bot.start(0, '127.0.0.1');
    botHealth = `${botUrl}/healthz`;
    standin.connectBot(new BotClient({ botUrl: `${botUrl}/slack/events`, signingSecret, responseUrlBase: `${url}/response` }));
    const commands = describeCommands(bot.commands, options.manifestPath);
    page.setCommands(commands);
    // Slack would see the first freshness check one interval (5 minutes) after start; here the
    // newcomer is looking now, so check at once and let any alerts land while the page opens.
    if (localConfig.freshness.checkIntervalMs > 0) {
      void bot.services.freshness.check().then(
        () => bot.jobs.kick(),
        (err: unknown) => logger.warn('first freshness check failed', { err }),
      );
    }
    if (options.banner ?? true) {
      const shown = host === '0.0.0.0' ? url.replace('0.0.0.0', 'localhost') : url;
      // The terminal client looks for the stand-in on PORT, or 3000: on another port it needs to be told.
      const port = new URL(url).port;
      const cliPrefix = port && port !== '3000' ? `PORT=${port} ` : '';
      process.stdout.write(
        [
          '',
          `analytics-bot is running in local mode (no Slack credentials set), ${whereDataLives(config)}.`,
          `  Open ${shown} in a browser and type  /telemetry acme  in #analytics.`,
          `  Or from a terminal:  ${cliPrefix}npm run slack -- "/telemetry acme"   (add  --as ${StandinDefaults.users.bizops}  to act as someone in BizOps)`,
          `  Slack stand-in: ${url}   bot: ${botUrl}/slack/events`,
          'Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to connect to a real workspace (see README).',
          '',
        ].join('\n'),
      );
    }
    return {
      bot, standin, page, url, botUrl, commands,
      async stop() {
        page.close();
        await bot.stop().catch(() => {});
        await standin.stop();
      },
    };
  } catch (error) {
    page.close();
    await standin.stop();
    throw error;
  }
}
