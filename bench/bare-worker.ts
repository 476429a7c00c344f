/**
 * A bare Bolt app (HTTP receiver, signature checks, one no-op command) in its
 * own thread: the baseline the bot's ack latency is compared with.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, HTTPReceiver } from '@slack/bolt';

const signingSecret = randomBytes(16).toString('hex');
const receiver = new HTTPReceiver({ signingSecret, endpoints: '/slack/events' });
const app = new App({ token: 'xoxb-bare-bench', receiver, deferInitialization: true, clientOptions: { slackApiUrl: (workerData as { apiUrl: string }).apiUrl } });
app.command('/noop', async ({ ack }) => {
  await ack();
});
await app.init();
const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
/** This thread's Linux thread ID (for `BENCH_PIN_ACKS`: ack-charts pins it to a core), or undefined elsewhere. */
const tid = process.platform === 'linux' ? Number(readlinkSync('/proc/thread-self').split('/').pop()) : undefined;
parentPort!.postMessage({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, signingSecret, tid });
parentPort!.on('message', (m) => {
  if (m === 'stop') void app.stop().then(() => process.exit(0));
});
