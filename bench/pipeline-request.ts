/**
 * `/pipeline request` and App Home benchmarks, on the embedded store,
 * through the signed receiver and the Slack stand-in:
 * 1. Submit → card: from the modal's signed view_submission to the card in
 *    the channel and the requester's DM (record once, audit, post, link, DM).
 * 2. Accept → card updated: from a BizOps click to the card edited in place
 *    (usergroup check, compare-and-set, audit, chat.update).
 * 3. App Home: from app_home_opened to views.publish, with 200 pipeline
 *    requests in the store (50 of them the user's).
 */
import { randomUUID } from 'node:crypto';
import { startTestBot } from '../test/support/harness.js';
import { ActionIds } from '../src/ids.js';
import { signSlackRequest } from '../src/slack-standin/signing.js';
import { summarize, ms } from './stats.js';

const CHANNEL = 'C0ANALYTIC';
const REQUESTER = 'U0REGULAR';
const BIZOPS = 'U0BIZOPS';

const values = (i: number) => ({
  [ActionIds.pipelineRequestSource]: 'other',
  [ActionIds.pipelineRequestObjects]: `Zendesk tickets ${i}`,
  [ActionIds.pipelineRequestDestination]: `bench_${i}`,
  [ActionIds.pipelineRequestFrequency]: 'daily',
  [ActionIds.pipelineRequestOwner]: BIZOPS,
  [ActionIds.pipelineRequestWhy]: 'Benchmark',
});

export async function run(): Promise<void> {
  const t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0' } });
  try {
    const dm = t.standin.dmChannelId(REQUESTER);
    const submit: number[] = [];
    const accept: number[] = [];
    for (let i = 0; i < 45; i++) {
      await t.standin.runCommand(t.client, { command: '/pipeline', text: 'request', userId: REQUESTER, channelId: CHANNEL, timeoutMs: 2000, settleMs: 1 });
      const dms = t.standin.conversation(dm).length;
      const started = performance.now();
      await t.standin.submitView(t.client, { userId: REQUESTER, values: values(i), timeoutMs: 1, settleMs: 1 });
      const card = await t.standin.waitFor(() => t.standin.conversation(CHANNEL).find((m) => (m.text ?? '').includes(`→ bench_${i} `)));
      await t.standin.waitFor(() => t.standin.conversation(dm).length > dms);
      if (i >= 5) submit.push(performance.now() - started);

      const clicked = performance.now();
      await t.standin.clickAction(t.client, { userId: BIZOPS, channelId: CHANNEL, ts: card.ts, actionId: ActionIds.pipelineRequestAccept, timeoutMs: 1, settleMs: 1 });
      await t.standin.waitFor(() => (t.standin.message(CHANNEL, card.ts)?.text ?? '').includes('Accepted'));
      if (i >= 5) accept.push(performance.now() - clicked);
    }
    const s = summarize(submit);
    const a = summarize(accept);
    console.log(`pipeline request submit→card+DM p50: ${ms(s.p50)}`);
    console.log(`pipeline request submit→card+DM p90: ${ms(s.p90)}`);
    console.log(`pipeline request accept→card updated p50: ${ms(a.p50)}`);
    console.log(`pipeline request accept→card updated p90: ${ms(a.p90)}`);

    // More requests by others, straight into the store, so Home has something to sort.
    for (let i = 0; i < 155; i++) {
      await t.bot.services.pipelineRequests.create(`VBENCHHOME${i}`, i % 3 ? 'U0ADMIN' : REQUESTER, {
        source: 'github', objects: 'commits', destination: `home_${i}`, frequency: 'hourly', owner: BIZOPS, why: 'Benchmark',
      });
    }
    const home: number[] = [];
    for (let i = 0; i < 30; i++) {
      const publishes = t.standin.callsTo('views.publish').length;
      const body = JSON.stringify({
        token: 'x', team_id: 'T0ANALYTIC', api_app_id: 'A0ANALYTIC', type: 'event_callback', event_id: `Ev${randomUUID().slice(0, 8)}`, event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_home_opened', user: BIZOPS, channel: `D${BIZOPS}`, tab: 'home', event_ts: (Date.now() / 1000).toFixed(6) },
      });
      const started = performance.now();
      await t.client.raw(body, { 'content-type': 'application/json', ...signSlackRequest(t.signingSecret, body) });
      await t.standin.waitFor(() => t.standin.callsTo('views.publish').length > publishes);
      if (i >= 5) home.push(performance.now() - started);
    }
    const h = summarize(home);
    console.log(`app home open→publish (BizOps, 200 requests) p50: ${ms(h.p50)}`);
    console.log(`app home open→publish (BizOps, 200 requests) p90: ${ms(h.p90)}`);
  } finally {
    await t.stop();
  }
}
