/**
 * A minimal Slack for the ack benchmarks, in its own thread: answers the Web
 * API (`auth.test`, the three steps of a file upload, and anything else with
 * ok) and accepts response_url posts, telling the parent each one's ID. The
 * full stand-in validates and stores every message; here that work would land
 * on the bot's thread and be measured as the bot's, which Slack's own servers
 * never are. `chat.postMessage` answers with a channel and ts, as Slack does.
 * Given a port in `workerData.uploads`, it posts there the channel of each
 * completed upload (a chart delivered) and of each message posted (a table or
 * an empty result delivered).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

const uploads = (workerData as { uploads?: MessagePort } | undefined)?.uploads;
let files = 0;
let posts = 0;
let base = '';

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
    } else if (url.startsWith('/api/files.getUploadURLExternal')) {
      const id = `F0BENCH${++files}`;
      res.end(JSON.stringify({ ok: true, upload_url: `${base}/upload/${id}`, file_id: id }));
    } else if (url.startsWith('/upload/')) {
      res.setHeader('content-type', 'text/plain');
      res.end(`OK - ${Buffer.concat(chunks).length}`);
    } else if (url.startsWith('/api/files.completeUploadExternal')) {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      uploads?.postMessage(form.get('channel_id'));
      const list = JSON.parse(form.get('files') ?? '[]') as Array<{ id: string; title?: string }>;
      res.end(JSON.stringify({ ok: true, files: list.map((f) => ({ id: f.id, title: f.title ?? '' })) }));
    } else if (url.startsWith('/api/chat.postMessage')) {
      // As Slack answers: the message's channel and ts (deliveries that post a message keep the ts).
      const text = Buffer.concat(chunks).toString();
      let channel: string | null = null;
      try {
        channel = (JSON.parse(text) as { channel?: string }).channel ?? null;
      } catch {
        channel = new URLSearchParams(text).get('channel');
      }
      uploads?.postMessage(channel);
      res.end(JSON.stringify({ ok: true, channel, ts: `${Math.floor(Date.now() / 1000)}.${String(++posts).padStart(6, '0')}` }));
    } else {
      res.end('{"ok":true}');
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  parentPort!.postMessage({ url: base });
});
parentPort!.on('message', (m) => {
  if (m === 'stop') server.close(() => process.exit(0));
});
