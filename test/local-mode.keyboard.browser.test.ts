/**
 * The local page with the keyboard only: a modal (and a confirm dialog) takes
 * the focus when it opens, as a dialog must, so what is typed next goes into
 * it and not into the composer hidden behind it; Tab stays inside it; it is
 * named by its title; and closing it gives the focus back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserSkipReason, startLocalPage, type LocalPageRun } from './support/browser.js';

const skip = browserSkipReason();
if (skip) console.log(`Skipping the browser tests: ${skip}`);

const WAIT = { timeout: 30_000 };

let run: LocalPageRun;
let page: Page;

/** Where the focus is: the element's id or tag, and whether it is inside `#within`. */
const focusIn = (within: string) =>
  page.evaluate((sel) => {
    const a = document.activeElement;
    return { id: a?.id || a?.tagName || '', inside: Boolean(a && document.querySelector(sel)?.contains(a)) };
  }, within);

describe.skipIf(skip)('the local page, by keyboard', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    run = await startLocalPage();
    ({ page } = run);
  }, 120_000);

  afterAll(async () => run?.stop());

  it('a modal opened from the composer takes the focus, is named by its title, keeps Tab inside, and gives the focus back on Esc', async () => {
    await page.locator('#composer').focus();
    await page.keyboard.type('/looker-access');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Looker access' }).waitFor(WAIT);
    await expect.poll(() => focusIn('#modal'), { timeout: 2000 }).toMatchObject({ inside: true });
    // What is typed now goes into the modal, not into the composer behind it.
    await page.keyboard.type('abc');
    await expect(page.locator('#composer').inputValue()).resolves.toBe('');
    const focusable = await page.locator('#modal').locator('button, input, select, textarea, a[href]').count();
    for (let i = 0; i < focusable + 2; i++) {
      await page.keyboard.press('Tab');
      await expect(focusIn('#modal'), `after ${i + 1} × Tab`).resolves.toMatchObject({ inside: true });
    }
    for (let i = 0; i < focusable + 2; i++) {
      await page.keyboard.press('Shift+Tab');
      await expect(focusIn('#modal'), `after ${i + 1} × Shift+Tab`).resolves.toMatchObject({ inside: true });
    }
    await page.keyboard.press('Escape');
    await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
    await expect(focusIn('body')).resolves.toMatchObject({ id: 'composer' });
  });

  it('a confirm dialog takes the focus, and Esc answers Cancel and gives the focus back to its button', async () => {
    await page.locator('#whoami').selectOption('U0BIZOPS');
    await page.locator('#conn.live').waitFor(WAIT);
    await page.locator('#composer').fill('/pipeline rerun github force');
    await page.locator('#composer').press('Enter');
    const force = page.locator('#messages article.msg').getByRole('button', { name: 'Force rerun' }).last();
    await force.waitFor(WAIT);
    const calls = run.local.standin.calls.length;
    await force.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('alertdialog', { name: 'Restart the sync?' }).waitFor(WAIT);
    await expect.poll(() => focusIn('#confirm'), { timeout: 2000 }).toMatchObject({ inside: true });
    await page.keyboard.press('Escape');
    await page.locator('#confirm-overlay').waitFor({ state: 'hidden', ...WAIT });
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Force rerun');
    // Cancelled: nothing was sent to the bot.
    await page.waitForTimeout(500);
    expect(run.local.standin.calls.length).toBe(calls);
  });
});
