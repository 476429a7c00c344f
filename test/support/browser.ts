/**
 * A real browser for page tests: Debian's chromium, driven by playwright-core,
 * in a fresh profile. Nothing here downloads a browser: playwright-core has no
 * download step, and the executable is the system one.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig, secretsOf } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openWarehouse } from '../../src/adapters/warehouse/index.js';
import { openStore } from '../../src/adapters/store/index.js';
import { startLocal, type LocalMode } from '../../src/local.js';
import { freshDataDir } from './harness.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. Under CI=true this never skips. */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `${CHROMIUM_PATH} is missing (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`${reason}: CI must run the browser tests.`);
  return reason;
}

export interface TestBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Launches chromium headless with a throwaway user-data-dir. */
export async function launchBrowser(options: { timezoneId?: string } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'analytics-bot-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 860 },
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
    deviceScaleFactor: 1,
    timezoneId: 'America/Los_Angeles',
    locale: 'en-US',
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go: docs/screenshots/ (committed, linked from the README). */
export const SCREENSHOT_DIR = path.resolve('docs/screenshots');

/** Saves a screenshot of the page as docs/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), animations: 'disabled' });
}

/** Local mode as `npm start` runs it without Slack credentials, on a fresh data dir, with a browser page open on it. */
export interface LocalPageRun {
  local: LocalMode;
  browser: TestBrowser;
  page: Page;
  /** Every JSON log line the bot wrote. */
  logs: string[];
  stop(): Promise<void>;
}

/** Starts local mode through src/local.ts (as src/main.ts does) and opens the page as `userId`. */
export async function startLocalPage(options: { env?: Record<string, string>; userId?: string; timezoneId?: string } = {}): Promise<LocalPageRun> {
  const dataDir = await freshDataDir();
  // Any free port: 0 is not a PORT an operator may set, so it is set on the loaded configuration.
  const config = { ...loadConfig({ DATA_DIR: dataDir, ...options.env }), port: 0 };
  if (config.slack.mode !== 'local') throw new Error('startLocalPage: the environment names Slack credentials');
  const logs: string[] = [];
  const logger = createLogger({ level: 'info', secrets: secretsOf(config), write: (l) => logs.push(l) });
  const warehouse = await openWarehouse(config, logger);
  const store = await openStore(config.store, config.dataDir);
  const local = await startLocal(config, logger, { warehouse, store }, { banner: false });
  // The browser's own zone (an IANA name) when given: the page must not show it, but the reader's Slack zone.
  const browser = await launchBrowser(options.timezoneId ? { timezoneId: options.timezoneId } : {});
  const page = await browser.newPage();
  await page.goto(`${local.url}/?as=${options.userId ?? 'U0REGULAR'}`);
  await page.locator('#conn.live').waitFor({ timeout: 20_000 });
  return {
    local, browser, page, logs,
    async stop() {
      await browser.close();
      await local.stop();
      await warehouse.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
