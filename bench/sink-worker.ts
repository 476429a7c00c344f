/**
 * A minimal Slack for the ack benchmark, in its own thread: answers the Web API
 * (`auth.test` and anything else with ok) and accepts response_url posts,
 * telling the parent each one's ID. The full stand-in validates and stores
 * every message; here that work would land on the bot's thread and be
 * measured as the bot's, which Slack's own servers never are.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort } from 'node:worker_threads';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = req.url ?? '/';
    res.setHeader('content-type', 'application/json');
    if (url.startsWith('/response/')) {
      parentPort!.postMessage(url.slice('/response/'.length));
      res.end('{"ok":true}');
    } else if (url.startsWith('/api/auth.test')) {
      res.end(JSON.stringify({ ok: true, url: 'https://bench.slack.com/', team: 'Bench', user: 'bot', team_id: 'T0BENCH', user_id: 'U0BOT', bot_id: 'B0BOT' }));
    } else {
      res.end('{"ok":true}');
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => parentPort!.postMessage({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
parentPort!.on('message', (m) => {
  if (m === 'stop') server.close(() => process.exit(0));
});
