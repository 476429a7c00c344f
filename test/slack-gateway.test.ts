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

  it('reserves a turn before slow work: the wait overlaps the work, and the turn is not given to another', async () => {
    vi.useFakeTimers({ now: 2_000_000 });
    const g = gateway(() => 7_000_000);
    for (let i = 0; i < 3; i++) expect(g.reserveTurn('C1')).toBeLessThanOrEqual(Date.now()); // the burst: no wait
    const turn = g.reserveTurn('C1');
    expect(turn).toBe(Date.now() + 1000);
    // The next one is after the reserved turn, whatever happens to it meanwhile.
    expect(g.reserveTurn('C1')).toBe(Date.now() + 2000);
    // 600 ms of drawing later, the reserved turn is 400 ms away.
    await vi.advanceTimersByTimeAsync(600);
    const start = Date.now();
    const waiting = g.turnAt(turn);
    await vi.runAllTimersAsync();
    await waiting;
    expect(Date.now() - start).toBe(400);
    // A turn already passed: no wait.
    const late = Date.now();
    await g.turnAt(turn - 5_000);
    expect(Date.now()).toBe(late);
    // Beyond the short wait, the job is deferred before any work is done, and nothing is reserved.
    expect(g.reserveTurn('C1')).toBe(2_000_000 + 3000);
    expect(() => g.reserveTurn('C1')).toThrow(DeferJob);
    expect(() => g.reserveTurn('C1')).toThrow(DeferJob);
  });
});
