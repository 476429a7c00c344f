import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebClient } from '@slack/web-api';
import { SlackGateway } from '../src/slack/gateway.js';
import { DeferJob } from '../src/jobs/runner.js';
import { createLogger } from '../src/logger.js';

// The pace of background posts per channel: Slack's one a second with short bursts.
describe('SlackGateway.pace', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function gateway(clock: () => number) {
    const logger = createLogger({ level: 'silent', secrets: [] });
    // No request is made: pace() only keeps time.
    return new SlackGateway(new WebClient('xoxb-unused', { slackApiUrl: 'http://127.0.0.1:9/api/' }), logger, clock, { perSecond: 1, burst: 3 });
  }

  it('lets a burst go at once, spaces the next ones a second apart, and defers a job whose turn is more than 2 s away', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const runnerClock = () => 5_000_000; // the runner's clock may differ from Slack's real time
    const g = gateway(runnerClock);
    const waited: number[] = [];
    const take = async () => {
      const start = Date.now();
      const p = g.pace('C1');
      await vi.runAllTimersAsync();
      await p;
      waited.push(Date.now() - start);
    };
    for (let i = 0; i < 3; i++) await take();
    expect(waited).toEqual([0, 0, 0]);
    // The 4th and 5th go 1 s after the one before (each waits its turn, which the fake clock passes).
    const t0 = Date.now();
    await take();
    expect(Date.now() - t0).toBe(1000);
    await take();
    expect(waited.slice(3)).toEqual([1000, 1000]);
    // Three more at once: two wait their turns (1 s and 2 s), the third would wait 3 s and is deferred by as much on the runner's clock.
    const fourth = g.pace('C1');
    const fifth = g.pace('C1');
    await expect(g.pace('C1')).rejects.toSatisfy((e) => e instanceof DeferJob && e.untilMs === runnerClock() + 3000);
    await vi.runAllTimersAsync();
    await Promise.all([fourth, fifth]);
    // Another channel has its own turn.
    const other = Date.now();
    await g.pace('C2');
    expect(Date.now() - other).toBe(0);
  });
});
