/**
 * The newcomer's path: the built app starts on its embedded defaults in local
 * mode, and `npm run slack` talks to it; bad configuration stops it, naming
 * the variable. Runs the compiled app (`npm test` builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const main = path.join(root, 'dist/src/main.js');
const cli = path.join(root, 'dist/src/cli/slack.js');
const built = existsSync(main) && existsSync(cli);
const env = (extra: Record<string, string>) => {
  const e: Record<string, string | undefined> = { ...process.env, ...extra };
  for (const k of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'WAREHOUSE', 'STORE']) if (!(k in extra)) delete e[k];
  return e;
};

// `npm test` always builds first; a bare `vitest run` on an unbuilt tree has nothing to start.
describe.skipIf(!built && process.env.CI !== 'true')('the built app (skipped: run `npm run build` first)', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ WAREHOUSE: 'bigquery' }, 'BIGQUERY_PROJECT'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    [{ ANALYTICS_CHANNEL: '#analytics' }, 'ANALYTICS_CHANNEL'],
  ])('exits at start-up on %o, naming %s', (extra, variable) => {
    const r = spawnSync(process.execPath, [main], { env: env(extra), encoding: 'utf8', timeout: 20_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(variable);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  describe('local mode', () => {
    let child: ChildProcess;
    let dataDir: string;
    let url = '';
    let output = '';

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'analytics-bot-local-'));
      child = spawn(process.execPath, [main], { env: env({ PORT: '0', DATA_DIR: dataDir }), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start-up line within 60 s:\n${output}`)), 60_000);
        const check = () => {
          const m = /Slack stand-in: (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        child.stdout!.on('data', check);
        child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });
    }, 90_000);

    afterAll(async () => {
      if (child && child.exitCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dataDir, { recursive: true, force: true });
    });

    it('tells the newcomer what to try', () => {
      expect(output).toContain('local mode');
      expect(output).toContain('npm run slack -- "/telemetry acme"');
    });

    it('answers `npm run slack -- "/telemetry acme"` with the card', () => {
      const r = spawnSync(process.execPath, [cli, '--url', url, '/telemetry acme'], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Acme Corp: 3 instances');
      expect(r.stdout).toContain('[only visible to you]');
      expect(r.stdout).toContain('Full pings + user-level data');
    });

    it('explains usage and an unreachable bot', () => {
      const usage = spawnSync(process.execPath, [cli, '--url', url, 'telemetry'], { encoding: 'utf8', timeout: 10_000 });
      expect(usage.status).toBe(2);
      expect(usage.stderr).toContain('Usage');
      const down = spawnSync(process.execPath, [cli, '--url', 'http://127.0.0.1:9', '/telemetry acme'], { encoding: 'utf8', timeout: 10_000 });
      expect(down.status).toBe(1);
      expect(down.stderr).toContain('npm start');
      const unknown = spawnSync(process.execPath, [cli, '--url', url, '/nosuchcommand acme'], { encoding: 'utf8', timeout: 10_000 });
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toContain('/nosuchcommand is not a valid command');
      expect(unknown.stderr).toContain('/telemetry');
    });

    it('serves the page and every module of its compiled code from the build', async () => {
      const html = await (await fetch(`${url}/`)).text();
      const entry = /<script src="([^"]+)" type="module">/.exec(html)?.[1];
      expect(entry).toBeDefined();
      const seen = new Set<string>();
      const queue = [new URL(entry!, url).href];
      while (queue.length) {
        const module = queue.shift()!;
        if (seen.has(module)) continue;
        seen.add(module);
        const res = await fetch(module);
        expect(res.status, module).toBe(200);
        expect(res.headers.get('content-type')).toContain('javascript');
        for (const m of (await res.text()).matchAll(/^(?:import|export)\b[^'"]*from '(\.[^']+)'/gm)) queue.push(new URL(m[1]!, module).href);
      }
      // The app, its page code, and the Block Kit modules they share.
      expect([...seen].some((m) => m.endsWith('/blockkit/mrkdwn.js'))).toBe(true);
      for (const file of ['style.css', 'favicon.svg']) expect((await fetch(`${url}/static/${file}`)).status).toBe(200);
    });

    it('answers /healthz on PORT for the container HEALTHCHECK, from the bot behind the stand-in', async () => {
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, warehouse: 'embedded', store: 'embedded' });
    });

    it('stops cleanly on SIGTERM', async () => {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });
});
