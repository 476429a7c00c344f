/**
 * A small pool of worker threads for CPU-heavy work that must not hold up the
 * event loop (chart drawing). Built on `node:worker_threads` alone:
 *
 * - lazy: no thread exists until the first task, and another is started only
 *   when every thread is busy and a task waits, up to `size`;
 * - one task per thread at a time, the rest wait in order;
 * - a thread that dies (uncaught error, `process.exit`, out of memory) or
 *   overruns `timeoutMs` fails only the task it was running, with a
 *   `WorkerTaskError` saying so (the caller turns it into its own coded error); it is dropped and the next task that needs a
 *   thread starts a new one;
 * - idle threads are unref'd, so they never keep the process alive;
 * - `close()` refuses new tasks, fails the waiting ones, lets the running ones
 *   finish, then stops every thread.
 *
 * Protocol: the pool posts `{ id, task }`; the worker answers
 * `{ id, ok: true, result }` or `{ id, ok: false, error }` (a message).
 */
import type { Worker } from 'node:worker_threads';

/** A task failed in its worker, the worker died under it, it ran too long, or the pool was closed. */
export class WorkerTaskError extends Error {
  override readonly name = 'WorkerTaskError';
}

export interface WorkerPoolOptions {
  /** At most this many threads. */
  size: number;
  /** Starts one thread. */
  spawn: () => Worker;
  /** Names the work in error messages, e.g. 'chart'. */
  name: string;
  /** A task still running after this long stops its thread and fails. Default 30 s. */
  timeoutMs?: number;
}

export interface WorkerPool<Task, Result> {
  run(task: Task): Promise<Result>;
  /** Threads alive now (started lazily, replaced after a crash). */
  readonly threads: number;
  close(): Promise<void>;
}

/** What a worker posts back for a task. */
export type WorkerReply<Result> = { id: number; ok: true; result: Result } | { id: number; ok: false; error: string };

interface Pending<Task, Result> {
  id: number;
  task: Task;
  resolve: (r: Result) => void;
  reject: (e: Error) => void;
}

interface Slot<Task, Result> {
  worker: Worker;
  current?: Pending<Task, Result> & { timer: NodeJS.Timeout };
  /** Why the thread is going away, when we know better than its exit code. */
  failure?: string;
  exited: Promise<void>;
}

export function createWorkerPool<Task, Result>(options: WorkerPoolOptions): WorkerPool<Task, Result> {
  const size = Math.max(1, Math.floor(options.size));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const slots = new Set<Slot<Task, Result>>();
  const waiting: Array<Pending<Task, Result>> = [];
  let nextId = 1;
  let closed = false;
  let closing: Promise<void> | undefined;
  let drained: (() => void) | undefined;

  const busy = () => [...slots].filter((s) => s.current).length;

  const finish = (slot: Slot<Task, Result>) => {
    const current = slot.current;
    if (current) clearTimeout(current.timer);
    slot.current = undefined;
    return current;
  };

  const spawn = (): Slot<Task, Result> => {
    const worker = options.spawn();
    let exited!: () => void;
    const slot: Slot<Task, Result> = { worker, exited: new Promise<void>((r) => (exited = r)) };
    worker.on('message', (reply: WorkerReply<Result>) => {
      const current = slot.current;
      if (!current || reply.id !== current.id) return;
      finish(slot);
      if (reply.ok) current.resolve(reply.result);
      else current.reject(new WorkerTaskError(`${options.name} failed: ${reply.error}`));
      idle(slot);
    });
    worker.on('error', (err: Error) => {
      slot.failure ??= err.message;
    });
    worker.on('messageerror', (err: Error) => {
      slot.failure ??= `a message could not be read: ${err.message}`;
      void worker.terminate();
    });
    worker.on('exit', (code: number) => {
      slots.delete(slot);
      const current = finish(slot);
      if (current) {
        const why = slot.failure ?? `exit code ${code}`;
        current.reject(new WorkerTaskError(`${options.name} failed: its worker thread stopped while working on it (${why}); a new thread takes the next one`));
      }
      exited();
      pump();
    });
    slots.add(slot);
    return slot;
  };

  const assign = (slot: Slot<Task, Result>, pending: Pending<Task, Result>) => {
    const timer = setTimeout(() => {
      slot.failure = `it ran longer than ${timeoutMs} ms`;
      void slot.worker.terminate();
    }, timeoutMs);
    timer.unref();
    slot.current = { ...pending, timer };
    slot.worker.ref();
    try {
      slot.worker.postMessage({ id: pending.id, task: pending.task });
    } catch (err) {
      // The task cannot be sent (not cloneable): it fails, the thread is free.
      finish(slot);
      pending.reject(new WorkerTaskError(`${options.name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      idle(slot);
    }
  };

  /** A thread with nothing to do: give it the next task, or let the process exit without it. */
  const idle = (slot: Slot<Task, Result>) => {
    if (slot.failure) return; // on its way out: its exit starts what waits
    const next = waiting.shift();
    if (next) return assign(slot, next);
    slot.worker.unref();
    if (closed && busy() === 0) drained?.();
  };

  const pump = () => {
    if (closed) {
      if (busy() === 0) drained?.();
      return;
    }
    for (const slot of slots) {
      if (waiting.length === 0) return;
      if (!slot.current && !slot.failure) assign(slot, waiting.shift()!);
    }
    while (waiting.length > 0 && slots.size < size) {
      let slot: Slot<Task, Result>;
      try {
        slot = spawn();
      } catch (err) {
        // No thread can start (e.g. the worker script is missing): every waiting task fails with the reason.
        const reason = err instanceof Error ? err.message : String(err);
        for (const pending of waiting.splice(0)) pending.reject(new WorkerTaskError(`${options.name} failed: no worker thread could start (${reason})`, { cause: err }));
        return;
      }
      assign(slot, waiting.shift()!);
    }
  };

  return {
    run(task: Task): Promise<Result> {
      if (closed) return Promise.reject(new WorkerTaskError(`${options.name} refused: the worker pool is closed`));
      return new Promise<Result>((resolve, reject) => {
        waiting.push({ id: nextId++, task, resolve, reject });
        pump();
      });
    },
    get threads() {
      return slots.size;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        for (const pending of waiting.splice(0)) pending.reject(new WorkerTaskError(`${options.name} refused: the worker pool is closing`));
        if (busy() > 0) await new Promise<void>((r) => (drained = r));
        const all = [...slots];
        await Promise.all(all.map((s) => s.worker.terminate()));
        await Promise.all(all.map((s) => s.exited));
      })();
      return closing;
    },
  };
}
