/**
 * `/query list` with a large catalog: the reply must stay within Slack's
 * 50-block message limit, or Slack refuses it (`invalid_blocks`) and the
 * person sees nothing. The Slack stand-in refuses an over-limit message as
 * Slack does, and the test fails on the refusal.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { KnownBlock } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgedClickOn, startTestBot, StandinDefaults, type TestBot } from './support/harness.js';
import { blockKitViolations } from './support/block-limits.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { SLACK_LIMITS } from '../src/blockkit/limits.js';
import { ActionIds } from '../src/ids.js';

const SAVED_QUERIES = 30;
let t: TestBot;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'analytics-bot-queries-'));
  const template = await readFile(path.resolve('queries/instances-by-hosting.sql'), 'utf8');
  for (let i = 1; i <= SAVED_QUERIES; i++) {
    const name = `instances-by-hosting-${String(i).padStart(2, '0')}`;
    await writeFile(path.join(dir, `${name}.sql`), template.replace('name: instances-by-hosting', `name: ${name}`).replace('title: Instances by hosting', `title: Instances by hosting ${i}`));
  }
  t = await startTestBot({ env: { QUERIES_DIR: dir } });
}, 120_000);

afterAll(async () => {
  await t?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('/query list with 30 saved queries', () => {
  it('answers within the 50-block limit, a page at a time, saying which queries the page shows', async () => {
    const { replies } = await t.standin.runCommand(t.client, { command: '/query', text: 'list', userId: StandinDefaults.users.regular, channelId: StandinDefaults.channel, timeoutMs: 10_000 });
    const reply = replies.find((r) => r.via === 'response_url');
    expect(reply).toBeDefined();
    if (reply?.via !== 'response_url') return;
    // Slack accepted it: the person sees it.
    expect(reply.error).toBeUndefined();
    expect(reply.message).toBeDefined();
    const blocks = (reply.body['blocks'] ?? []) as KnownBlock[];
    expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.messageBlocks);
    expect(blockKitViolations(blocks)).toEqual([]);
    const text = blocksToText({ blocks });
    expect(text).toContain(`${SAVED_QUERIES} saved queries`);
    expect(text).toContain('/query instances-by-hosting-01');
    expect(text).toMatch(/Page 1 of 2: queries 1 to 20 of 30\./);
    expect(text).toContain('[Next page]');
  });

  it('answers a forged page click on a message in the channel apart, leaving that message as everyone sees it', async () => {
    await t.standin.runCommand(t.client, { command: '/query', text: 'instances-by-hosting-01', userId: StandinDefaults.users.regular, channelId: StandinDefaults.channel, timeoutMs: 20_000 });
    const posted = t.standin.conversation(StandinDefaults.channel).filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes('Instances by hosting 1')).at(-1);
    expect(posted).toBeDefined();
    const shown = JSON.stringify(posted!.blocks);
    // The list's Next, clicked on the query's result in the channel.
    const res = await forgedClickOn(t, { userId: StandinDefaults.users.regular, channelId: StandinDefaults.channel, message: posted!, action: { action_id: ActionIds.queryListNext, value: JSON.stringify({ s: '', n: 1 }) } });
    expect(res.status).toBe(200);
    await t.standin.waitFor(() => (t.standin.responses.length > res.from ? true : undefined));
    const answered = t.standin.responses.slice(res.from).map((r) => r.body);
    expect(answered.map((b) => b['replace_original'])).toEqual([false]);
    expect(blocksToText({ blocks: (answered[0]!['blocks'] ?? []) as KnownBlock[] })).toMatch(/Page 2 of 2/);
    expect(JSON.stringify(t.standin.message(StandinDefaults.channel, posted!.ts)?.blocks)).toBe(shown);
  });
});
