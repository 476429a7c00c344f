/**
 * Loaded into the spawned bot by the memory benchmark (`node --import`), never
 * by the bot itself: once a second it sends the parent, over the IPC channel,
 * what only the process can see of its memory (the main thread's V8 heap,
 * external and ArrayBuffer memory, the heap limit). Neither the channel nor the
 * timer keeps the process alive.
 */
import { getHeapStatistics } from 'node:v8';

export interface MemoryProbe {
  probe: 'memory';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  heapLimit: number;
}

if (process.send) {
  const report = () => {
    const m = process.memoryUsage();
    const message: MemoryProbe = {
      probe: 'memory', rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers,
      heapLimit: getHeapStatistics().heap_size_limit,
    };
    if (process.connected) process.send!(message);
  };
  setInterval(report, 1000).unref();
  process.channel?.unref();
}
