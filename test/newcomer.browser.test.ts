/**
 * A newcomer's first five minutes on the local page (the README's walkthrough),
 * with the bad input a newcomer types: an empty command, a pasted wall of text,
 * a customer that does not exist, /query parameters that do not check out, a
 * modal closed twice. Each answer must arrive, say what to do next in words,
 * and show no stack trace; the page must log no error and the bot no error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { ActionIds, BlockIds } from '../src/ids.js';
import { browserSkipReason, screenshot, startLocalPage, type LocalPageRun } from './support/browser.js';

const skip = browserSkipReason();
if (skip) console.log(`Skipping the browser tests: ${skip}`);

const WAIT = { timeout: 30_000 };

let run: LocalPageRun;
let page: Page;
const pageErrors: string[] = [];

const messages = (): Locator => page.locator('#messages article.msg');
const modal = () => page.locator('#modal');

/**
 * Sends a line from the composer; a message that was not on the page before must contain `expected`. Not simply the
 * next one: another may land first (a rerun's post from the test before, a redraw after switching who you are).
 */
async function send(line: string, expected: string | RegExp): Promise<Locator> {
  const earlier = await messages().count();
  // Every message of the channel, the page's redraw of it or not (switching who you are redraws it): from the stand-in.
  const seen = new Set(run.local.standin.conversation('C0ANALYTIC').map((m) => m.ts));
  await page.locator('#composer').fill(line);
  await page.locator('#composer').press('Enter');
  const says = (text: string) => (typeof expected === 'string' ? text.includes(expected) : expected.test(text));
  for (const end = Date.now() + WAIT.timeout; ; await page.waitForTimeout(100)) {
    const now = await messages().evaluateAll((els) => els.map((e) => ({ ts: (e as HTMLElement).dataset['ts'] ?? '', text: (e as HTMLElement).innerText })));
    // A message is new by its ts; a page's own note, which has none, by its place after those there before.
    const index = now.findIndex((m, i) => (m.ts ? !seen.has(m.ts) : i >= earlier) && says(m.text));
    if (index !== -1) return now[index]!.ts ? page.locator(`#messages article.msg[data-ts="${now[index]!.ts}"]`) : messages().nth(index);
    if (Date.now() > end) throw new Error(`no new message saying ${String(expected)} after “${line.slice(0, 60)}”; the page shows: ${now.slice(-3).map((m) => m.text.slice(0, 80)).join(' | ')}`);
  }
}

/** What a person must never see: a stack frame, an error class, a raw JSON error or an unescaped tag. */
async function expectReadable(reply: Locator): Promise<void> {
  const text = await reply.innerText();
  expect(text.match(/\bat \S+ \([^)]*:\d+:\d+\)|\.ts:\d+|\.js:\d+|\bError:|\bTypeError\b|\{"|undefined|null\b|NaN|\[object /)?.[0]).toBeUndefined();
}

describe.skipIf(skip)('a newcomer\'s first five minutes, with bad input', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    // Opened in Tokyo: Riley's Slack time zone is America/Los_Angeles, and the page shows times in it, as Slack would.
    run = await startLocalPage({ timezoneId: 'Asia/Tokyo' });
    ({ page } = run);
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  }, 120_000);

  afterAll(async () => run?.stop());

  it('an empty /telemetry and an empty /query answer with how to use them', async () => {
    const help = await send('/telemetry', /\/telemetry <customer>|\/telemetry acme/);
    // The help names the argument as Slack shows it: "<customer>", not a link to "customer".
    await expect(help.innerText()).resolves.toMatch(/\/telemetry <customer>|\/telemetry acme/);
    await expectReadable(help);
    const list = await send('/query', /Run/);
    await expect(list.getByRole('button', { name: 'Run' }).first().isVisible()).resolves.toBe(true);
    await expectReadable(list);
  });

  it('a pasted wall of text is refused in a sentence, not echoed back', async () => {
    const wall = 'acme '.repeat(1200);
    const telemetry = await send(`/telemetry ${wall}`, /too long|at most/i);
    await expectReadable(telemetry);
    expect((await telemetry.innerText()).length).toBeLessThan(600);
    const query = await send(`/query weekly-active-instances ${'weeks=8 '.repeat(1500)}`, /too long|at most/i);
    await expectReadable(query);
    expect((await query.innerText()).length).toBeLessThan(600);
  });

  it('an unknown customer says so and suggests what to try', async () => {
    const reply = await send('/telemetry zzqx-no-such-customer', /No customer|no customer|not find|couldn.t find/i);
    await expectReadable(reply);
    await expect(reply.innerText()).resolves.toContain('zzqx-no-such-customer');
  });

  it('an unknown /query name suggests the closest, each with Run', async () => {
    const reply = await send('/query weekly-activ-instances', /Did you mean/);
    await expectReadable(reply);
    await reply.getByRole('button', { name: 'Run' }).first().waitFor(WAIT);
    // The typo's query first, not the ones that merely share the word "instances".
    await expect(reply.locator('code', { hasText: /-/ }).first().innerText()).resolves.toBe('weekly-active-instances');
  });

  it('bad /query parameters open the modal with each problem under its input; fixing them runs the query', async () => {
    await page.locator('#composer').fill('/query weekly-active-instances weeks=500 colour=red');
    await page.locator('#composer').press('Enter');
    await modal().locator('.modal-title').waitFor(WAIT);
    const weeks = modal().locator(`[data-action-id="${ActionIds.queryParamInputPrefix}weeks"]`);
    // The bad value is not kept; what was wrong is said in the input, in words, by the label people see.
    await expect(weeks.inputValue()).resolves.toBe('');
    await expect(weeks.getAttribute('placeholder')).resolves.toMatch(/from 1 to 13, got 500/);
    await expect(modal().innerText()).resolves.toMatch(/Not used from your command: “colour” is not a parameter/);
    await expect(modal().innerText()).resolves.not.toMatch(/\blimit:|\bweeks:/);
    // A value out of range typed in the modal: the bot's error appears under the input at once.
    await weeks.fill('99');
    const started = Date.now();
    await modal().locator('[data-modal-submit="1"]').click();
    await modal().locator(`[data-block-id="${BlockIds.queryParamPrefix}weeks"] .bk-input-error`).filter({ hasText: /from 1 to 13/ }).waitFor(WAIT);
    expect(Date.now() - started).toBeLessThan(3000);
    await screenshot(page, '14-newcomer-bad-params');
    await weeks.fill('6');
    await modal().locator('[data-modal-submit="1"]').click();
    await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
    await messages().filter({ hasText: 'Weekly active instances' }).filter({ has: page.locator('.file-image img') }).last().waitFor(WAIT);
  });

  it('a parameter given twice with different values is asked again, not guessed', async () => {
    await page.locator('#composer').fill('/query weekly-active-instances weeks=5 weeks=9');
    await page.locator('#composer').press('Enter');
    await modal().locator('.modal-title').waitFor(WAIT);
    const weeks = modal().locator(`[data-action-id="${ActionIds.queryParamInputPrefix}weeks"]`);
    await expect(weeks.inputValue()).resolves.toBe('');
    await expect(weeks.getAttribute('placeholder')).resolves.toBe('⚠ Given twice with different values (“5”, “9”): which one?');
    await page.keyboard.press('Escape');
    await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
  });

  it('closing a modal twice (Esc, then Cancel) closes it once and logs nothing wrong', async () => {
    const closes: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/local/close') closes.push(r.postData() ?? '');
    });
    await page.locator('#composer').fill('/looker-access');
    await page.locator('#composer').press('Enter');
    await modal().locator('.modal-title').waitFor(WAIT);
    const cancel = modal().locator('[data-modal-cancel="1"]');
    // Esc, Esc again, then a click on Cancel as the modal goes away.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await cancel.click({ timeout: 1000, force: true }).catch(() => undefined);
    await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
    // The page is usable at once: the composer takes the next command.
    const help = await send('/telemetry', /telemetry/);
    await expectReadable(help);
    expect(closes).toHaveLength(1);
    expect(run.local.standin.modals('U0REGULAR')).toEqual([]);
  });

  it('a link the bot gives to a message ("follow it") opens its thread here, not Slack\'s site, which the page is not', async () => {
    await page.locator('#whoami').selectOption('U0BIZOPS');
    try {
      await page.locator('#composer').fill('/pipeline rerun hubspot');
      await page.locator('#composer').press('Enter');
      const follow = messages().filter({ hasText: 'follow it' }).last().getByRole('link', { name: 'follow it' });
      await follow.waitFor(WAIT);
      const pages = page.context().pages().length;
      expect(await follow.getAttribute('href')).toMatch(/^https:\/\/[a-z0-9-]+\.slack\.com\/archives\//);
      await follow.click();
      await page.locator('#thread').filter({ hasText: 'Rerun of HubSpot' }).waitFor(WAIT);
      expect(page.context().pages()).toHaveLength(pages);
      expect(new URL(page.url()).host).toBe(new URL(run.local.url).host);
    } finally {
      await page.locator('#thread-close').click().catch(() => undefined);
      await page.locator('#whoami').selectOption('U0REGULAR');
    }
  });

  it('shows a message\'s time in the reader\'s Slack time zone (Los Angeles), not the browser\'s (Tokyo)', async () => {
    const reply = await send('/telemetry acme', /Acme/);
    const ts = run.local.standin.conversation('C0ANALYTIC').at(-1)!.ts;
    const inZone = (timeZone: string) => new Date(Number(ts) * 1000).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', timeZone });
    expect(inZone('America/Los_Angeles')).not.toBe(inZone('Asia/Tokyo'));
    await expect(reply.locator('.msg-time').innerText()).resolves.toBe(inZone('America/Los_Angeles'));
  });

  it('a mistyped ?as= (a user the workspace does not have) opens the page as the default user, not an empty page', async () => {
    // A page of its own: its refused state read is the console error this test is about, not one to count below.
    const other = await run.browser.newPage();
    try {
      await other.goto(`${run.local.url}/?as=u0bizops`);
      await other.locator('#messages article.msg').first().waitFor(WAIT);
      await expect(other.locator('#whoami').inputValue()).resolves.toBe('U0REGULAR');
      expect(new URL(other.url()).searchParams.get('as')).toBe('U0REGULAR');
      await other.locator('#composer').fill('/telemetry acme');
      await other.locator('#composer').press('Enter');
      await other.locator('#messages article.msg').filter({ hasText: 'Acme' }).first().waitFor(WAIT);
    } finally {
      await other.close();
    }
  });

  it('leaves no error in the page and none in the bot\'s logs', () => {
    expect(pageErrors).toEqual([]);
    const errors = run.logs.filter((l) => /"level":(50|60)|"level":"(error|fatal)"/.test(l));
    expect(errors).toEqual([]);
  });
});
