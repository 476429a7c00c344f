/**
 * Freshness and rerun benchmarks, on the embedded warehouse and
 * store, through the signed receiver and the Slack stand-in:
 * 1. A freshness check of every source (measure + alert reconcile, nothing to post).
 * 2. `/pipeline status`: from the signed command to the ephemeral reply.
 * 3. The closed loop: `/pipeline rerun hubspot` by BizOps to the rerun message
 *    showing the freshness check after it (simulated sync of 0 ms, polled every 10 ms).
 */
import { startTestBot } from '../test/support/harness.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { summarize, ms } from './stats.js';

const CHANNEL = 'C0ANALYTIC';
const BIZOPS = 'U0BIZOPS';

export async function run(): Promise<void> {
  const t = await startTestBot({ env: { FRESHNESS_CHECK_INTERVAL_MS: '0', PIPELINES_SIMULATED_RUN_MS: '0', RERUN_POLL_MS: '10' } });
  try {
    const p = t.bot.services.freshness;
    await p.check();
    const checks: number[] = [];
    for (let i = 0; i < 60; i++) {
      const started = performance.now();
      await p.check();
      if (i >= 10) checks.push(performance.now() - started);
    }
    const c = summarize(checks);
    console.log(`freshness check (5 sources, embedded) p50: ${ms(c.p50)}`);
    console.log(`freshness check (5 sources, embedded) p90: ${ms(c.p90)}`);

    const status: number[] = [];
    for (let i = 0; i < 40; i++) {
      const started = performance.now();
      const { ack } = await t.standin.runCommand(t.client, { command: '/pipeline', text: 'status', userId: BIZOPS, channelId: CHANNEL, timeoutMs: 1, settleMs: 1 });
      const id = ack.responseUrl.split('/').pop();
      await t.standin.waitFor(() => t.standin.responses.find((r) => r.id === id));
      if (i >= 5) status.push(performance.now() - started);
    }
    const s = summarize(status);
    console.log(`/pipeline status command→reply p50: ${ms(s.p50)}`);
    console.log(`/pipeline status command→reply p90: ${ms(s.p90)}`);

    const loops: number[] = [];
    for (let i = 0; i < 25; i++) {
      const before = t.standin.conversation(CHANNEL).length;
      const started = performance.now();
      await t.standin.runCommand(t.client, { command: '/pipeline', text: 'rerun hubspot', userId: BIZOPS, channelId: CHANNEL, timeoutMs: 1, settleMs: 1 });
      await t.standin.waitFor(() =>
        t.standin.conversation(CHANNEL).slice(before).find((m) => m.text.startsWith('Rerun of HubSpot') && blocksToText(m.blocks ?? []).includes('Freshness check')),
      { timeoutMs: 10_000 });
      if (i >= 5) loops.push(performance.now() - started);
      // The lock goes just after the last edit; the next rerun must find it gone.
      while (await p.freshness.activeRerun('hubspot')) await new Promise((r) => setTimeout(r, 2));
    }
    const l = summarize(loops);
    console.log(`rerun command→message with freshness result p50: ${ms(l.p50)}`);
    console.log(`rerun command→message with freshness result p90: ${ms(l.p90)}`);
  } finally {
    await t.stop();
  }
}
