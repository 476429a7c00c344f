/**
 * `npm run slack -- "/telemetry acme"`: sends a slash command to the running
 * bot through its local Slack stand-in (which signs it as Slack would) and
 * prints the bot's reply as readable text.
 *
 * Options: --as <user id> (default the regular demo user), --channel <id>,
 * --url <stand-in URL> (default http://127.0.0.1:$PORT or :3000).
 */
import { blocksToText, replyTag } from '../slack-standin/render-text.js';
import type { LocalAnswer } from '../slack-standin/web/protocol.js';

function parseArgs(argv: string[]): { line: string; userId?: string; channelId?: string; url: string } {
  let url = `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  let userId: string | undefined;
  let channelId: string | undefined;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--as') userId = argv[++i];
    else if (a === '--channel') channelId = argv[++i];
    else if (a === '--url') url = argv[++i] ?? url;
    else words.push(a);
  }
  return { line: words.join(' ').trim(), userId, channelId, url: url.replace(/\/$/, '') };
}

async function main(): Promise<number> {
  const { line, userId, channelId, url } = parseArgs(process.argv.slice(2));
  const match = /^(\/[a-z0-9_-]+)\s*([\s\S]*)$/i.exec(line);
  if (!match) {
    process.stderr.write('Usage: npm run slack -- "/telemetry acme" [--as U0BIZOPS] [--channel C0ANALYTIC]\n');
    return 2;
  }
  let res: Response;
  try {
    res = await fetch(`${url}/local/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: match[1], text: match[2], userId, channelId }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    process.stderr.write(`Could not reach the bot's local Slack stand-in at ${url}. Is \`npm start\` running (in local mode, without Slack credentials)?\n`);
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as LocalAnswer;
  if (!res.ok) {
    process.stderr.write(`${body.error ?? `The stand-in answered HTTP ${res.status}.`}\n`);
    return 1;
  }
  if (body.ack) process.stdout.write(`(acked: HTTP ${body.ack.status} in ${body.ack.ms} ms)\n`);
  const replies = body.replies ?? [];
  if (replies.length === 0) process.stdout.write('(no reply from the bot within the wait)\n');
  for (const r of replies) {
    const tag = replyTag(r);
    process.stdout.write(`\n${tag}\n${blocksToText(r.blocks?.length ? { text: r.text, blocks: r.blocks } : r.text ?? '')}\n`);
    for (const f of r.files ?? []) process.stdout.write(`[file: ${f.title ?? f.name ?? 'file'}]\n`);
  }
  return 0;
}

process.exitCode = await main();
