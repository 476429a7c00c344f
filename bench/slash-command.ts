/** One signed slash command over a keep-alive agent, as Slack sends it; resolves with the ack latency. */
import { type Agent, request } from 'node:http';
import { signSlackRequest } from '../src/slack-standin/signing.js';

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
    is_enterprise_install: 'false', response_url: c.responseUrl, trigger_id: `${Date.now()}.1.bench`,
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
