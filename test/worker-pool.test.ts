/**
 * The worker pool under the chart renderer, with small workers written inline
 * (`eval`): threads start only when needed and never more than the size; a
 * failing task fails alone; a thread that dies or hangs fails the task it was
 * running and the next task gets a new thread; close lets running tasks finish
 * and refuses the rest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { createWorkerPool, WorkerTaskError, type WorkerPool } from '../src/charts/worker-pool.js';

type Task = { do: 'echo' | 'fail' | 'exit' | 'throw-later' | 'hang'; value?: number; ms?: number };
type Result = { value: number | undefined; thread: number };

// Answers { value, thread } after `ms`; or fails, exits, throws outside any handler, or never answers.
const WORKER = `
const { parentPort, threadId } = require('node:worker_threads');
parentPort.on('message', ({ id, task }) => {
  if (task.do === 'exit') process.exit(3);
  if (task.do === 'throw-later') { setTimeout(() => { throw new Error('drawing blew up'); }, 5); return; }
  if (task.do === 'hang') return;
  setTimeout(() => {
    if (task.do === 'fail') parentPort.postMessage({ id, ok: false, error: 'bad input' });
    else parentPort.postMessage({ id, ok: true, result: { value: task.value, thread: threadId } });
  }, task.ms ?? 0);
});
`;

let pool: WorkerPool<Task, Result> | undefined;
let spawned = 0;
const makePool = (size: number, timeoutMs?: number) => {
  spawned = 0;
  pool = createWorkerPool<Task, Result>({
    name: 'test task',
    size,
    ...(timeoutMs ? { timeoutMs } : {}),
    spawn: () => {
      spawned++;
      return new Worker(WORKER, { eval: true });
    },
  });
  return pool;
};

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('worker pool', () => {
  it('starts no thread until the first task, and only as many as the work needs, up to its size', async () => {
    const p = makePool(2);
    expect(p.threads).toBe(0);
    expect(await p.run({ do: 'echo', value: 1 })).toMatchObject({ value: 1 });
    expect(p.threads).toBe(1);
    expect(await p.run({ do: 'echo', value: 2 })).toMatchObject({ value: 2 });
    expect(spawned).toBe(1);
    const results = await Promise.all([1, 2, 3, 4, 5].map((value) => p.run({ do: 'echo', value, ms: 30 })));
    expect(results.map((r) => r.value)).toEqual([1, 2, 3, 4, 5]);
    expect(spawned).toBe(2);
    expect(new Set(results.map((r) => r.thread)).size).toBe(2);
  });

  it('fails a task its worker reports as failed, and keeps the thread', async () => {
    const p = makePool(1);
    const first = await p.run({ do: 'echo', value: 1 });
    await expect(p.run({ do: 'fail' })).rejects.toThrow(new WorkerTaskError('test task failed: bad input'));
    expect((await p.run({ do: 'echo', value: 2 })).thread).toBe(first.thread);
    expect(spawned).toBe(1);
  });

  it.each([
    ['exits', { do: 'exit' } as Task, /stopped while working on it \(exit code 3\)/],
    ['throws outside any handler', { do: 'throw-later' } as Task, /stopped while working on it \(drawing blew up\)/],
  ])('when a worker %s, fails only its task; the waiting tasks run on a new thread', async (_, crash, message) => {
    const p = makePool(1);
    const before = await p.run({ do: 'echo', value: 0 });
    const crashed = p.run(crash);
    const after = [p.run({ do: 'echo', value: 1 }), p.run({ do: 'echo', value: 2 })];
    await expect(crashed).rejects.toThrow(message);
    const results = await Promise.all(after);
    expect(results.map((r) => r.value)).toEqual([1, 2]);
    expect(results[0]!.thread).not.toBe(before.thread);
    expect(spawned).toBe(2);
    expect(p.threads).toBe(1);
  });

  it('stops a thread whose task runs too long, and fails that task alone', async () => {
    // The limit counts from when a task is sent, a new thread's start included: 2 s, so the next task, on a
    // new thread, has time to start and answer on a busy machine (300 ms did not, in CI with two test files at once).
    const p = makePool(1, 2_000);
    const hung = p.run({ do: 'hang' });
    const next = p.run({ do: 'echo', value: 7 });
    await expect(hung).rejects.toThrow(/ran longer than 2000 ms/);
    expect(await next).toMatchObject({ value: 7 });
    expect(spawned).toBe(2);
  });

  it('fails the waiting tasks with the reason when no thread can start, and tries again for the next task', async () => {
    let broken = true;
    pool = createWorkerPool<Task, Result>({
      name: 'test task',
      size: 1,
      spawn: () => {
        if (broken) throw new Error('the worker script is not built');
        return new Worker(WORKER, { eval: true });
      },
    });
    await expect(pool.run({ do: 'echo', value: 1 })).rejects.toThrow('test task failed: no worker thread could start (the worker script is not built)');
    broken = false;
    expect(await pool.run({ do: 'echo', value: 2 })).toMatchObject({ value: 2 });
  });

  it('fails a task that cannot be sent to a thread, and keeps the thread', async () => {
    const p = makePool(1);
    const first = await p.run({ do: 'echo', value: 1 });
    await expect(p.run({ do: 'echo', value: (() => 1) as unknown as number })).rejects.toThrow(/^test task failed: .*could not be cloned/);
    expect((await p.run({ do: 'echo', value: 2 })).thread).toBe(first.thread);
  });

  it('closes: running tasks finish, waiting ones are refused, then every thread stops', async () => {
    const p = makePool(1);
    const running = p.run({ do: 'echo', value: 1, ms: 100 });
    const waiting = p.run({ do: 'echo', value: 2 });
    await new Promise((r) => setTimeout(r, 20));
    const closed = p.close();
    expect(p.close()).toBe(closed);
    await expect(waiting).rejects.toThrow(/refused: the worker pool is closing/);
    expect(await running).toMatchObject({ value: 1 });
    await closed;
    expect(p.threads).toBe(0);
    await expect(p.run({ do: 'echo', value: 3 })).rejects.toThrow(/refused: the worker pool is closed/);
  });
});
