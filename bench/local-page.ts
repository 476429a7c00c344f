/**
 * The local page's live updates: how long from the bot posting a message
 * (a Web API call to the stand-in) to the page hearing about it over
 * Server-Sent Events, and how long the page's state snapshot takes to serve
 * for a busy channel. No browser: the page's own HTTP traffic, measured.
 */
import { SlackStandin } from '../src/slack-standin/server.js';
import { createLocalPage } from '../src/slack-standin/web/page.js';
import { ms, summarize } from './stats.js';

const POSTS = 300;
const SNAPSHOTS = 200;

export async function run(): Promise<void> {
  const standin = new SlackStandin();
  const page = createLocalPage(standin);
  const { url } = await standin.start({ port: 0, host: '127.0.0.1', fallback: page.handle });
  const post = (text: string) =>
    fetch(`${url}/api/chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-bench' },
      body: JSON.stringify({ channel: 'C0ANALYTIC', text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] }),
    });

  const controller = new AbortController();
  const events = await fetch(`${url}/local/events`, { signal: controller.signal });
  const reader = events.body!.getReader();
  let buffered = '';
  let waiting: (() => void) | undefined;
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffered += new TextDecoder().decode(value);
      if (buffered.includes('event: change')) {
        buffered = '';
        waiting?.();
      }
    }
  })();

  const live: number[] = [];
  for (let i = 0; i < POSTS; i++) {
    const heard = new Promise<void>((resolve) => (waiting = resolve));
    const started = performance.now();
    await post(`Freshness check ${i}: *HubSpot* is late`);
    await heard;
    live.push(performance.now() - started);
  }
  const l = summarize(live);
  console.log(`bot post → page change event p50: ${ms(l.p50)}`);
  console.log(`bot post → page change event p99: ${ms(l.p99)}`);

  const snapshots: number[] = [];
  let bytes = 0;
  for (let i = 0; i < SNAPSHOTS; i++) {
    const started = performance.now();
    const body = await (await fetch(`${url}/local/state?user=U0REGULAR`)).text();
    snapshots.push(performance.now() - started);
    bytes = body.length;
  }
  const s = summarize(snapshots);
  console.log(`state snapshot with ${POSTS} messages p50: ${ms(s.p50)} (${Math.round(bytes / 1024)} KB)`);

  controller.abort();
  page.close();
  await standin.stop();
}
