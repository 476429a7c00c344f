/**
 * Local mode across a restart: the store in DATA_DIR keeps the ts of what the
 * bot posted, and the stand-in keeps the channel beside it, so after `npm start`
 * again the page shows the channel as it was and the bot's edits by ts land.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, secretsOf } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { openWarehouse } from '../src/adapters/warehouse/index.js';
import { openStore } from '../src/adapters/store/index.js';
import { LOCAL_WORKSPACE_FILE, startLocal, type LocalMode } from '../src/local.js';
import { SlackStandin } from '../src/slack-standin/server.js';
import {
  EPHEMERAL_IN_MEMORY_PER_CONVERSATION,
  MESSAGES_IN_MEMORY_PER_CONVERSATION,
  SAVED_MESSAGES_PER_CONVERSATION,
  SAVED_REPLIES_PER_CONVERSATION,
} from '../src/slack-standin/saved-workspace.js';
import { FILES_IN_MEMORY, SAVED_UNSHARED_FILES } from '../src/slack-standin/files.js';
import { WebClient } from '@slack/web-api';
import { DuckDBInstance } from '@duckdb/node-api';
import { blocksToText } from '../src/slack-standin/render-text.js';
import type { LocalAnswer } from '../src/slack-standin/web/protocol.js';
import { freshDataDir, StandinDefaults } from './support/harness.js';

const channel = StandinDefaults.channel;
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Local mode on `dataDir`, started as src/main.ts starts it; `stop` closes the adapters too. */
async function startOn(dataDir: string, logs: string[] = []): Promise<LocalMode> {
  const config = { ...loadConfig({ DATA_DIR: dataDir }), port: 0 };
  const logger = createLogger({ level: 'info', secrets: secretsOf(config), write: (l) => logs.push(l) });
  const warehouse = await openWarehouse(config, logger);
  const store = await openStore(config.store, config.dataDir);
  const local = await startLocal(config, logger, { warehouse, store }, { banner: false });
  return {
    ...local,
    async stop() {
      await local.stop();
      await warehouse.close();
      await store.close();
    },
  };
}

interface PageMessage { ts: string; text: string; files?: Array<{ url: string }> }

async function pageChannel(local: LocalMode): Promise<PageMessage[]> {
  const res = await fetch(`${local.url}/local/state?user=${StandinDefaults.users.regular}`);
  const state = (await res.json()) as { conversations: Record<string, PageMessage[]> };
  return state.conversations[channel] ?? [];
}

/** Each source's state in `/pipeline status` as BizOps sees it: name → fresh, stale, unknown or running. */
async function sourceStates(local: LocalMode): Promise<Record<string, string>> {
  const res = await fetch(`${local.url}/local/command`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command: '/pipeline', text: 'status', userId: StandinDefaults.users.bizops, channelId: channel, timeoutMs: 30_000 }),
  });
  expect(res.status).toBe(200);
  const reply = ((await res.json()) as LocalAnswer).replies?.find((r) => r.text?.includes('Pipeline freshness'));
  const text = blocksToText(reply ? { text: reply.text, blocks: reply.blocks } : '');
  return Object.fromEntries([...text.matchAll(/ (fresh|stale|unknown|running) \*([^*]+)\*/g)].map((m) => [m[2]!, m[1]!]));
}

describe('local mode after a restart', { timeout: 120_000 }, () => {
  it('gives every demo source the state a fresh DATA_DIR gives it after the demo data of another version is generated again', async () => {
    const dataDir = await freshDataDir();
    dirs.push(dataDir);
    const first = await startOn(dataDir);
    let before: Record<string, string>;
    try {
      before = await sourceStates(first);
    } finally {
      await first.stop();
    }
    expect(before['Production Postgres (subscriptions)']).toBe('fresh');
    expect(Object.keys(before)).toHaveLength(5);

    // As a release whose demo generator had another version left it: the next start generates the demo again.
    const db = await DuckDBInstance.create(path.join(dataDir, 'warehouse.duckdb'));
    const conn = await db.connect();
    await conn.run('UPDATE _demo SET seed_version = seed_version - 1');
    conn.closeSync();
    db.closeSync();

    const logs: string[] = [];
    const second = await startOn(dataDir, logs);
    try {
      expect(logs.join('\n')).toContain('demo warehouse generated');
      // Production Postgres is measured by its table's modification time, kept beside the demo's and
      // replaced with them: it is set again (fresh), not left with no update time (unknown).
      expect(await sourceStates(second)).toEqual(before);
    } finally {
      await second.stop();
    }
  });

  it('shows the channel as it was, charts included, and the bot edits an alert card it posted before the restart by its ts', async () => {
    const dataDir = await freshDataDir();
    dirs.push(dataDir);

    const first = await startOn(dataDir);
    let posted: { ts: string; text: string };
    let chart: { ts: string; bytes: Buffer };
    try {
      // Local mode checks freshness at start: the demo warehouse has stale sources, and the bot posts their alert cards.
      const alert = await first.standin.waitFor(() => first.standin.conversation(channel).find((m) => m.text.includes('is stale')), { timeoutMs: 30_000 });
      posted = { ts: alert.ts, text: alert.text };
      // And a chart the bot uploaded and shared in the channel.
      const res = await fetch(`${first.url}/local/command`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command: '/query', text: 'instances-by-hosting', userId: StandinDefaults.users.regular, channelId: channel, timeoutMs: 30_000 }),
      });
      expect(res.status).toBe(200);
      const shared = await first.standin.waitFor(() => first.standin.conversation(channel).find((m) => m.files?.length), { timeoutMs: 30_000 });
      chart = { ts: shared.ts, bytes: first.standin.file(shared.files![0]!.id)!.bytes! };
    } finally {
      await first.stop();
    }

    const logs: string[] = [];
    const second = await startOn(dataDir, logs);
    try {
      // The chart is on the page, served by the stand-in of this run (on another port).
      const sharedOnPage = (await pageChannel(second)).find((m) => m.ts === chart.ts);
      expect(sharedOnPage?.files).toHaveLength(1);
      const image = await fetch(new URL(sharedOnPage!.files![0]!.url, second.url));
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await image.arrayBuffer()).equals(chart.bytes)).toBe(true);

      // The page, and Slack's own history, have the message by the same ts.
      expect((await pageChannel(second)).find((m) => m.ts === posted.ts)?.text).toBe(posted.text);
      const history = await second.bot.app.client.conversations.history({ channel });
      expect(history.messages?.find((m) => m.ts === posted.ts)?.text).toBe(posted.text);

      const updated = await second.bot.app.client.chat.update({ channel, ts: posted.ts, text: 'Edited after the restart' });
      expect(updated.ok).toBe(true);
      expect(second.standin.message(channel, posted.ts)?.text).toBe('Edited after the restart');

      // New messages come after the old ones.
      const next = await second.bot.app.client.chat.postMessage({ channel, text: 'After the restart' });
      expect(BigInt(next.ts!.replace('.', ''))).toBeGreaterThan(BigInt(posted.ts.replace('.', '')));
      expect(logs.join('\n')).not.toContain('could not keep its messages');
    } finally {
      await second.stop();
    }
  });

  it('keeps the newest messages of each conversation, and starts empty (saying so) from a file it cannot read', async () => {
    const dataDir = await freshDataDir();
    dirs.push(dataDir);
    const stateFile = path.join(dataDir, LOCAL_WORKSPACE_FILE);
    const standin = new SlackStandin({ stateFile });
    await standin.start();
    try {
      for (let i = 0; i < SAVED_MESSAGES_PER_CONVERSATION + 5; i++) {
        await fetch(`${standin.url}/api/chat.postMessage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test' },
          body: JSON.stringify({ channel, text: `message ${i}` }),
        });
      }
    } finally {
      await standin.stop();
    }
    const again = new SlackStandin({ stateFile });
    const kept = again.conversation(channel).map((m) => m.text);
    expect(kept).toHaveLength(SAVED_MESSAGES_PER_CONVERSATION);
    expect(kept.at(-1)).toBe(`message ${SAVED_MESSAGES_PER_CONVERSATION + 4}`);
    expect(kept[0]).toBe('message 5');
    // Written whole, then renamed: no temporary file is left behind.
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ version: 1 });
    expect((await readdir(dataDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    await writeFile(stateFile, '{ not json');
    const errors: unknown[] = [];
    const fresh = new SlackStandin({ stateFile, onStateError: (e) => errors.push(e) });
    expect(fresh.conversation(channel)).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it('keeps an alert card and a chart however many ephemeral messages, thread replies and other uploads came after them', async () => {
    const dataDir = await freshDataDir();
    dirs.push(dataDir);
    const options = { stateFile: path.join(dataDir, LOCAL_WORKSPACE_FILE), filesDir: path.join(dataDir, 'files') };
    const user = StandinDefaults.users.regular;
    const chartBytes = Buffer.from('the alert chart, as PNG bytes would be');
    let alertTs: string;
    let chartId: string;
    let chartTs: string;
    const standin = new SlackStandin(options);
    await standin.start();
    try {
      const slack = new WebClient('xoxb-test', { slackApiUrl: `${standin.url}/api/` });
      alertTs = (await slack.chat.postMessage({ channel, text: 'hubspot is stale' })).ts!;
      await slack.files.uploadV2({ channel_id: channel, filename: 'weekly.png', file: chartBytes });
      const withChart = await standin.waitFor(() => standin.conversation(channel).find((m) => m.files?.length));
      chartId = withChart.files![0]!.id;
      chartTs = withChart.ts;
      // The /telemetry cards of a busy day (ephemeral), a long rerun thread, and charts delivered in DMs or
      // never shared: more of each than the state file keeps messages, and than it kept files.
      for (let i = 0; i < SAVED_MESSAGES_PER_CONVERSATION + 5; i++) {
        await slack.chat.postEphemeral({ channel, user, text: `card ${i}` });
        await slack.chat.postMessage({ channel, thread_ts: alertTs, text: `reply ${i}` });
        await slack.files.uploadV2({ filename: `other-${i}.png`, file: Buffer.from(`other ${i}`) });
      }
    } finally {
      await standin.stop();
    }

    const again = new SlackStandin(options);
    await again.start();
    try {
      // Ephemeral messages are gone, as Slack drops them on a reload; the alert and the newest replies are kept.
      const kept = again.conversation(channel);
      expect(kept.filter((m) => m.ephemeral)).toEqual([]);
      expect(kept[0]).toMatchObject({ ts: alertTs, text: 'hubspot is stale' });
      const replies = kept.filter((m) => m.text.startsWith('reply '));
      expect(replies).toHaveLength(SAVED_REPLIES_PER_CONVERSATION);
      expect(replies.at(-1)?.text).toBe(`reply ${SAVED_MESSAGES_PER_CONVERSATION + 4}`);

      const slack = new WebClient('xoxb-test', { slackApiUrl: `${again.url}/api/` });
      const updated = await slack.chat.update({ channel, ts: alertTs, text: 'hubspot is fresh again' });
      expect(updated.ok).toBe(true);
      expect(again.message(channel, alertTs)?.text).toBe('hubspot is fresh again');

      // The chart a kept message shows is served; of the files no kept message shows, only the newest few are kept.
      expect(again.message(channel, chartTs)?.files?.[0]?.id).toBe(chartId);
      const chart = await fetch(`${again.url}/files/${chartId}`);
      expect(chart.status).toBe(200);
      expect(Buffer.from(await chart.arrayBuffer()).equals(chartBytes)).toBe(true);
      expect((await readdir(options.filesDir)).filter((f) => f.endsWith('.json'))).toHaveLength(1 + SAVED_UNSHARED_FILES);
    } finally {
      await again.stop();
    }
  });

  it('holds in memory, however long it runs, about what it keeps in its files, and serves a chart it no longer holds from the files directory', async () => {
    const dataDir = await freshDataDir();
    dirs.push(dataDir);
    const standin = new SlackStandin({ stateFile: path.join(dataDir, LOCAL_WORKSPACE_FILE), filesDir: path.join(dataDir, 'files') });
    await standin.start();
    try {
      const user = StandinDefaults.users.regular;
      const slack = new WebClient('xoxb-test', { slackApiUrl: `${standin.url}/api/` });
      const alertTs = (await slack.chat.postMessage({ channel, text: 'hubspot is stale' })).ts!;
      const chartBytes = Buffer.from('the first chart, as PNG bytes would be');
      await slack.files.uploadV2({ channel_id: channel, filename: 'weekly.png', file: chartBytes });
      const chartId = (await standin.waitFor(() => standin.conversation(channel).find((m) => m.files?.length))).files![0]!.id;
      // Weeks of a local bot: more messages than memory holds, and more uploads.
      for (let i = 0; i <= MESSAGES_IN_MEMORY_PER_CONVERSATION / 2; i++) {
        await slack.chat.postEphemeral({ channel, user, text: `card ${i}` });
        await slack.chat.postMessage({ channel, thread_ts: alertTs, text: `reply ${i}` });
        if (i < FILES_IN_MEMORY + 5) await slack.files.uploadV2({ filename: `other-${i}.png`, file: Buffer.from(`other ${i}`) });
      }

      const held = standin.conversation(channel);
      expect(held.length).toBeLessThanOrEqual(MESSAGES_IN_MEMORY_PER_CONVERSATION);
      expect(held[0]).toMatchObject({ ts: alertTs, text: 'hubspot is stale' });
      const cards = held.filter((m) => m.ephemeral);
      expect(cards.length).toBeLessThanOrEqual(EPHEMERAL_IN_MEMORY_PER_CONVERSATION + MESSAGES_IN_MEMORY_PER_CONVERSATION / 2);
      expect(cards.at(-1)?.text).toBe(`card ${MESSAGES_IN_MEMORY_PER_CONVERSATION / 2}`);
      expect(held.filter((m) => m.text.startsWith('reply ')).at(-1)?.text).toBe(`reply ${MESSAGES_IN_MEMORY_PER_CONVERSATION / 2}`);
      // The alert still counts its replies, cut or not.
      expect(held[0]?.reply_count).toBe(MESSAGES_IN_MEMORY_PER_CONVERSATION / 2 + 1);

      expect(standin.uploadsInMemory).toBeLessThanOrEqual(FILES_IN_MEMORY);
      const chart = await fetch(`${standin.url}/files/${chartId}`);
      expect(chart.status).toBe(200);
      expect(Buffer.from(await chart.arrayBuffer()).equals(chartBytes)).toBe(true);
      expect(standin.file(chartId)?.bytes?.equals(chartBytes)).toBe(true);
    } finally {
      await standin.stop();
    }
  });
});
