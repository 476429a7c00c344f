/**
 * Acks first: work after an ack waits while a Slack request is being handled,
 * one waiter per turn of the event loop, never longer than its bound.
 */
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { foregroundBegun, foregroundIdle, trackForeground } from '../src/foreground.js';

/** Resolved promises settle in a turn or two; more turns show that one did not. */
const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await turn();
};

function track<T>(p: Promise<T>): { done: () => boolean } {
  let settled = false;
  void p.then(() => (settled = true));
  return { done: () => settled };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('foregroundIdle', () => {
  it('resolves at once when nothing is in the foreground', async () => {
    const idle = track(foregroundIdle());
    await turns(1);
    expect(idle.done()).toBe(true);
  });

  it('waits while foreground work is under way, and goes once it is done (ended twice counts once)', async () => {
    const first = foregroundBegun();
    const second = foregroundBegun();
    const idle = track(foregroundIdle());
    await turns();
    expect(idle.done()).toBe(false);
    first();
    first();
    await turns();
    expect(idle.done()).toBe(false); // the second is still under way
    second();
    await turns();
    expect(idle.done()).toBe(true);
  });

  it('lets waiters go in order, one per turn of the event loop, and stops letting them go when a request begins', async () => {
    const request = foregroundBegun();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) => foregroundIdle().then(() => order.push(n)));
    request();
    await turn();
    expect(order).toEqual([1]);
    await turn();
    expect(order).toEqual([1, 2]);
    const another = foregroundBegun();
    await turns();
    expect(order).toEqual([1, 2]);
    another();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });

  it('waits no longer than its bound', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const stuck = foregroundBegun();
    try {
      const idle = track(foregroundIdle(250));
      await vi.advanceTimersByTimeAsync(249);
      expect(idle.done()).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await turns(2);
      expect(idle.done()).toBe(true);
    } finally {
      stuck();
    }
  });

  it('lets waiters past their bound go one per turn, not all at once, while requests keep coming', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const stuck = foregroundBegun();
    try {
      const order: number[] = [];
      const waiters = [1, 2, 3].map((n) => foregroundIdle(20).then(() => order.push(n)));
      // All three bounds pass at once (synchronously, on the fake clock): they go one per turn of the event loop after it.
      vi.advanceTimersByTime(20);
      await Promise.resolve();
      expect(order).toEqual([]);
      await turn();
      expect(order).toEqual([1]);
      await turn();
      expect(order).toEqual([1, 2]);
      await turn();
      expect(order).toEqual([1, 2, 3]);
      await Promise.all(waiters);
      // A waiter past its bound goes once: the request's end later does not let it go again.
      stuck();
      await turns();
      expect(order).toEqual([1, 2, 3]);
    } finally {
      stuck();
    }
  });

  it('does not let a new waiter overtake those past their bound', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const stuck = foregroundBegun();
    const order: string[] = [];
    const old = foregroundIdle(20).then(() => order.push('old'));
    vi.advanceTimersByTime(20);
    // The request ends before the overdue waiter's turn: a newcomer still waits its turn behind it.
    stuck();
    const late = foregroundIdle(20).then(() => order.push('new'));
    await Promise.all([old, late]);
    expect(order).toEqual(['old', 'new']);
  });
});

describe('trackForeground', () => {
  it('holds work back while a Slack request has no response yet; other routes do not count', async () => {
    let held: ServerResponse | undefined;
    const arrived: string[] = [];
    const server = createServer((req, res) => {
      arrived.push(req.url ?? '');
      if (req.url === '/slack/events') held = res;
      else res.end('ok');
    });
    trackForeground(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const get = (path: string) =>
      new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    try {
      await get('/tasks/run');
      const idleAfterTasks = track(foregroundIdle());
      await turns(2);
      expect(idleAfterTasks.done()).toBe(true);

      const slack = get('/slack/events');
      while (!held) await turn();
      const idle = track(foregroundIdle());
      await turns();
      expect(idle.done()).toBe(false);
      held.end('');
      await slack;
      await turns();
      expect(idle.done()).toBe(true);
      expect(arrived).toEqual(['/tasks/run', '/slack/events']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('stops counting a request still open after Slack\'s 3 s (a stalled client does not hold work back for long)', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((_req, res) => void held.push(res));
    trackForeground(server, '/slack/events', 100);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const req = request({ host: '127.0.0.1', port, path: '/slack/events', method: 'POST', agent: false });
    req.on('error', () => {});
    req.write('token=');
    try {
      while (!held.length) await turn();
      const started = Date.now();
      await foregroundIdle(10_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(50);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      req.destroy();
      held[0]?.end();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
