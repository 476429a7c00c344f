/** One signed slash command over a keep-alive agent, as Slack sends it; resolves with the ack latency. */
import { type Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { signSlackRequest } from '../src/slack-standin/signing.js';

/**
 * A trigger ID unique to each request, as Slack's are. The bot keys a delivery
 * on it (a repeated request posts once), so two requests sent in the same
 * millisecond must not share one: with `${Date.now()}` alone, a chart now and
 * then "never came" because the bot rightly took it for a repeat.
 */
const triggerPrefix = randomBytes(4).toString('hex');
let triggers = 0;
export function benchTriggerId(): string {
  return `${Date.now()}.${triggerPrefix}${++triggers}.bench`;
}

export interface SlashCommand {
  /** For error messages. */
  name: string;
  botUrl: string;
  signingSecret: string;
  command: string;
  text: string;
  channelId: string;
  responseUrl: string;
}

export function sendSlashCommand(agent: Agent, c: SlashCommand): Promise<number> {
  const body = new URLSearchParams({
    token: 'bench', team_id: 'T0BENCH', team_domain: 'bench', channel_id: c.channelId, channel_name: 'analytics',
    user_id: 'U0REGULAR', user_name: 'riley', command: c.command, text: c.text, api_app_id: 'A0BENCH',
    is_enterprise_install: 'false', response_url: c.responseUrl, trigger_id: benchTriggerId(),
  }).toString();
  const url = new URL(c.botUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...signSlackRequest(c.signingSecret, body) } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${c.name}: HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
