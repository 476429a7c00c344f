/**
 * The Slack Web API clients, configured in one place with a policy per kind
 * of call:
 *
 * - interactive: what a person waits on within Slack's 3 seconds (views.open
 *   with a trigger, views.update, ephemeral answers, App Home). No retries, a
 *   short timeout, and a rate-limited call fails at once instead of pausing
 *   the client's queue (the Web API client pauses every call in the process
 *   while it waits out one Retry-After).
 * - background: what jobs send (cards, DMs, alerts, uploads). No retries in
 *   the client either: the job runner retries with backoff, honouring
 *   Retry-After per job, so one rate-limited call never stalls the others.
 */
import { LogLevel, WebClient, type Logger as SlackLogger, type WebClientOptions } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { slackFetch } from './fetch.js';

export type SlackCallKind = 'interactive' | 'background';

/** A Web API client logger that writes through ours (the client logs its own warnings). */
function slackLogger(logger: Logger): SlackLogger {
  const log = logger.child({ component: 'web-api' });
  const text = (m: unknown[]) => m.map((x) => (typeof x === 'string' ? x : x instanceof Error ? x.message : JSON.stringify(x))).join(' ');
  let level = LogLevel.WARN;
  return {
    debug: () => {},
    info: () => {},
    warn: (...m: unknown[]) => log.warn(text(m)),
    error: (...m: unknown[]) => log.error(text(m)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** Options of the Web API client for a kind of call. */
export function slackClientOptions(config: Config, logger: Logger, kind: SlackCallKind): WebClientOptions {
  return {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    logger: slackLogger(logger),
    logLevel: LogLevel.WARN,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: kind === 'interactive' ? 2_500 : 15_000,
    // Bolt's respond() uses the same (src/slack/fetch.ts).
    fetch: slackFetch(),
  };
}

export function createSlackClient(config: Config, logger: Logger, kind: SlackCallKind): WebClient {
  return new WebClient(config.slack.botToken, slackClientOptions(config, logger, kind));
}
