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
import { SAVED_MESSAGES_PER_CONVERSATION } from '../src/slack-standin/saved-workspace.js';
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

describe('local mode after a restart', { timeout: 120_000 }, () => {
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
});
