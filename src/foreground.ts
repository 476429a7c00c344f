/**
 * Acks first. Slack waits for an ack (3 s, and people feel far less); the work
 * that follows an ack (a lookup, its reply) can wait a few milliseconds. The
 * HTTP receiver marks each request as foreground from its arrival until its
 * response is sent; work after an ack awaits `foregroundIdle()` at the points
 * where it would take the event loop for a while, so an ack that has begun is
 * not queued behind it. Waiters go one per turn of the event loop, so requests
 * that arrived meanwhile are read first; none waits longer than `maxWaitMs`, so
 * under a steady stream of requests the work still goes on. Waiters whose bound
 * has passed also go one per turn, not all at once: under a burst, the lookups
 * of a hundred acks must not run back to back while the next acks wait.
 */
import type { Server } from 'node:http';

let inFlight = 0;
const waiting: Array<() => void> = [];
let releasing = false;

function releaseOne(): void {
  releasing = false;
  if (inFlight > 0) return;
  waiting.shift()?.();
  if (waiting.length > 0) {
    releasing = true;
    setImmediate(releaseOne);
  }
}

/** Marks foreground work begun; call the returned function (once or more) when it is done. */
export function foregroundBegun(): () => void {
  inFlight++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    inFlight--;
    if (inFlight === 0 && waiting.length > 0 && !releasing) {
      releasing = true;
      setImmediate(releaseOne);
    }
  };
}

/** Waiters whose bound has passed, let go one per turn whatever the foreground does. */
const overdue: Array<() => void> = [];
let releasingOverdue = false;

function releaseOverdue(): void {
  overdue.shift()?.();
  if (overdue.length > 0) setImmediate(releaseOverdue);
  else releasingOverdue = false;
}

/** Resolves when no foreground work is under way (at once if none is), or soon after `maxWaitMs`. */
export function foregroundIdle(maxWaitMs = 250): Promise<void> {
  if (inFlight === 0 && waiting.length === 0 && overdue.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const go = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      const i = waiting.indexOf(go);
      if (i < 0) return;
      waiting.splice(i, 1);
      overdue.push(resolve);
      if (!releasingOverdue) {
        releasingOverdue = true;
        setImmediate(releaseOverdue);
      }
    }, maxWaitMs);
    waiting.push(go);
    // Nothing in the foreground (only others past their bound ahead of it): it goes in its turn, after them.
    if (inFlight === 0 && !releasing) {
      releasing = true;
      setImmediate(releaseOne);
    }
  });
}

/**
 * Every request the server receives on `path` (Slack's events, commands and
 * interactions) is foreground until its response is sent, its connection
 * closes, or `maxMs` has passed. Other routes (a scheduler's /tasks/run that runs jobs for seconds,
 * health checks) are not.
 */
export function trackForeground(server: Server, path = '/slack/events', maxMs = FOREGROUND_MAX_MS): void {
  server.on('request', (req, res) => {
    if (requestPath(req.url) !== path) return;
    const begun = foregroundBegun();
    // A request that takes longer is no ack Slack still waits for (a slow or stalled client): it stops holding work back.
    const timer = setTimeout(begun, maxMs).unref();
    const done = () => {
      clearTimeout(timer);
      begun();
    };
    res.once('finish', done);
    res.once('close', done);
  });
}

/** Slack waits 3 s for an ack; a request still open after that no longer counts as foreground. */
export const FOREGROUND_MAX_MS = 3_000;

/**
 * A request's path as Bolt's HTTP receiver reads it (`new URL(url, base).pathname`: dot segments, `%2e` among
 * them, resolved; query and fragment dropped), so that a check in front of Bolt sees the path Bolt routes on;
 * null when it cannot be read (`//`, on which Bolt's receiver throws).
 */
export function requestPath(url: string | undefined): string | null {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return null;
  }
}
