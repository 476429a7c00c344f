/**
 * The browser tests load the page's compiled code (dist/page/), which
 * `npm test` builds first. A bare `vitest run` after editing the page's
 * TypeScript would test the old page: this rebuilds it first when any of its
 * sources is newer than the build (a few seconds, only then).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const PAGE_CONFIG = 'src/slack-standin/web/client/tsconfig.json';
const PAGE_ENTRY = 'dist/page/slack-standin/web/client/app.js';
/** What the page's build reads: its code, the shared Block Kit modules, the protocol. */
const PAGE_SOURCES = ['src/slack-standin/web/client', 'src/blockkit', 'src/slack-standin/web/protocol.ts'];

function newestMtime(p: string): number {
  const stat = statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(p).map((name) => newestMtime(path.join(p, name))));
}

/** Builds the page unless its build is newer than all of its sources. */
export function ensurePageBuilt(): void {
  const entry = path.join(root, PAGE_ENTRY);
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  const sources = Math.max(...PAGE_SOURCES.map((p) => newestMtime(path.join(root, p))));
  if (built >= sources) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', PAGE_CONFIG], { cwd: root, stdio: 'inherit' });
}
