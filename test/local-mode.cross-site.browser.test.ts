/**
 * The local page's routes act as any user of the workspace (run a command as
 * the Looker admin, approve, rerun) and read all of it. Another site open in
 * the newcomer's browser must not reach them: a cross-site request (forgery)
 * is refused, and so is a request that names another host (DNS rebinding:
 * evil.example resolving to 127.0.0.1). The page itself, the terminal client
 * and the tests, which send neither, keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { loopbackServer } from './support/ports.js';
import { browserSkipReason, startLocalPage, type LocalPageRun } from './support/browser.js';
import { StandinDefaults } from '../src/slack-standin/server.js';

const skip = browserSkipReason();
if (skip) console.log(`Skipping the browser tests: ${skip}`);

const { lookerAdmin: admin } = StandinDefaults.users;
const channel = StandinDefaults.channel;

/** A raw HTTP request with the headers a browser would send, Host included. */
function raw(url: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: body === undefined ? 'GET' : 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(skip)('the local page against other sites', { timeout: 120_000 }, () => {
  let run: LocalPageRun;
  let evil: Awaited<ReturnType<typeof loopbackServer>>;

  beforeAll(async () => {
    run = await startLocalPage();
    // Another site, on another port of the same machine: what a page open in another tab could be.
    evil = await loopbackServer(async (_req, res) => {
      const target = run.local.url;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>evil</title>
<form id="f" method="POST" action="${target}/local/command" enctype="text/plain" target="sink"><input name='{"command":"/telemetry","text":"initech","userId":"${admin}","x":"' value='"}'></form>
<iframe name="sink"></iframe>
<script>
  const body = JSON.stringify({ command: '/telemetry', text: 'globex', userId: '${admin}' });
  window.sent = Promise.all([
    fetch('${target}/local/command', { method: 'POST', mode: 'no-cors', body }).then(() => 'sent', (e) => String(e)),
    fetch('${target}/local/home', { method: 'POST', mode: 'no-cors', body: JSON.stringify({ userId: '${admin}' }) }).then(() => 'sent', (e) => String(e)),
    // Slack's side, as the bot: a Web API call with any bot-shaped token, and a response_url made up from its shape.
    fetch('${target}/api/chat.postMessage', { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ token: 'xoxb-evil', channel: '${channel}', text: 'Forged by evil.example' }) }).then(() => 'sent', (e) => String(e)),
    fetch('${target}/response/' + btoa(JSON.stringify(['${channel}', '${admin}', null])).replace(/=+$/, '') + '.x', { method: 'POST', mode: 'no-cors', body: JSON.stringify({ response_type: 'in_channel', text: 'Forged by evil.example' }) }).then(() => 'sent', (e) => String(e)),
  ]);
  document.getElementById('f').submit();
</script>`);
    });
  }, 120_000);

  afterAll(async () => {
    await evil?.close();
    await run?.stop();
  });

  it('a page on another site cannot run a command or open the Home tab as a user, nor post as the bot through Slack’s side (Web API, response_url)', async () => {
    const before = run.local.standin.calls.length;
    const tab = await run.browser.newPage();
    await tab.goto(evil.url);
    await expect(tab.evaluate(() => (window as unknown as { sent: Promise<string[]> }).sent)).resolves.toEqual(['sent', 'sent', 'sent', 'sent']);
    // Long enough for a command to reach the bot and be answered.
    await tab.waitForTimeout(3000);
    await tab.close();
    expect(run.local.standin.calls.slice(before).map((c) => c.method)).toEqual([]);
    expect(run.local.standin.conversation(channel, { visibleTo: admin }).filter((m) => /Initech|Globex/i.test(m.text ?? ''))).toEqual([]);
    expect(run.local.standin.homeView(admin)).toBeUndefined();
    expect(run.local.standin.conversation(channel).filter((m) => (m.text ?? '').includes('Forged by evil.example'))).toEqual([]);
    expect(run.local.standin.responses.filter((r) => JSON.stringify(r.body).includes('Forged'))).toEqual([]);
  });

  it('a page on another site cannot show the page in a frame, where a click on its bait would land on Approve (clickjacking)', async () => {
    const framing = await loopbackServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>evil</title>
<p>Click the button for a prize</p><iframe src="${run.local.url}/?as=${admin}" width="900" height="600" style="opacity:0.01"></iframe>`);
    });
    const tab = await run.browser.newPage();
    try {
      await tab.goto(framing.url, { waitUntil: 'load' });
      const frame = await (await tab.locator('iframe').elementHandle())!.contentFrame();
      // Refused, the frame holds the browser's error page: no composer, no buttons, nothing to click as the admin.
      expect(await frame!.locator('#composer, [data-action-id]').count()).toBe(0);
    } finally {
      await tab.close();
      await framing.close();
    }
  });

  it('the page itself still works: a command from its composer is answered', async () => {
    await run.page.locator('#composer').fill('/telemetry initech');
    await run.page.locator('#composer').press('Enter');
    await run.page.locator('#messages article.msg', { hasText: /Initech/ }).first().waitFor({ timeout: 30_000 });
  });

  it('a request naming another host (DNS rebinding) reads nothing and does nothing; a loopback name is served', async () => {
    const url = run.local.url;
    const port = new URL(url).port;
    const state = await raw(url, `/local/state?user=${admin}`, { host: `evil.example:${port}` });
    expect(state.status).toBe(403);
    expect(state.text).not.toContain(admin);
    expect(state.text).toMatch(/127\.0\.0\.1|localhost/);
    const events = await raw(url, '/local/events', { host: `evil.example:${port}` });
    expect(events.status).toBe(403);
    const before = run.local.standin.calls.length;
    const command = await raw(url, '/local/command', { host: `evil.example:${port}`, 'content-type': 'application/json' }, JSON.stringify({ command: '/telemetry', text: 'acme', userId: admin }));
    expect(command.status).toBe(403);
    expect(run.local.standin.calls.length).toBe(before);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
      expect((await raw(url, `/local/state?user=${admin}`, { host })).status, host).toBe(200);
    }
  });

  it('a cross-site request with no Sec-Fetch-Site (an older browser) is told by its Origin', async () => {
    const url = run.local.url;
    const before = run.local.standin.calls.length;
    const forged = await raw(url, '/local/command', { origin: 'http://evil.example', 'content-type': 'text/plain' }, JSON.stringify({ command: '/telemetry', text: 'acme', userId: admin }));
    expect(forged.status).toBe(403);
    expect(run.local.standin.calls.length).toBe(before);
    const own = await raw(url, '/local/command', { origin: url, 'content-type': 'application/json' }, JSON.stringify({ command: '/telemetry', text: 'acme', userId: admin, settleMs: 50 }));
    expect(own.status).toBe(200);
  });
});
