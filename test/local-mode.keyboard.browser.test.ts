/**
 * The local page with the keyboard only: a modal (and a confirm dialog) takes
 * the focus when it opens, as a dialog must, so what is typed next goes into
 * it and not into the composer hidden behind it; Tab stays inside it; it is
 * named by its title; and closing it gives the focus back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ActionIds } from '../src/ids.js';
import { browserSkipReason, startLocalPage, type LocalPageRun } from './support/browser.js';

const skip = browserSkipReason();
if (skip) console.log(`Skipping the browser tests: ${skip}`);

const WAIT = { timeout: 30_000 };

let run: LocalPageRun;
let page: Page;

/** The block_id and action_id of the Block Kit element that has the focus (or holds it: a radio button's group), and the focused option's value. */
const focusedElement = () =>
  page.evaluate(() => {
    const a = document.activeElement;
    const el = a?.closest<HTMLElement>('[data-action-id]');
    return { blockId: el?.dataset['blockId'] ?? '', actionId: el?.dataset['actionId'] ?? '', value: a instanceof HTMLInputElement ? a.value : '' };
  });

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

  it('a views.update keeps the focus on the element that had it: a select, and a radio button', async () => {
    await page.locator('#composer').fill('/query subscribe weekly-active-instances');
    await page.locator('#composer').press('Enter');
    const modal = page.locator('#modal');
    const field = (actionId: string) => modal.locator(`[data-action-id="${actionId}"]`);
    await field(ActionIds.subscriptionScheduleKind).waitFor(WAIT);
    // Picking a schedule kind redraws the modal (views.update) with a day to pick.
    await field(ActionIds.subscriptionScheduleKind).focus();
    await field(ActionIds.subscriptionScheduleKind).selectOption('weekly');
    await field(ActionIds.subscriptionDay).waitFor(WAIT);
    await expect.poll(focusedElement, { timeout: 2000 }).toMatchObject({ actionId: ActionIds.subscriptionScheduleKind });
    await page.keyboard.press('Escape');
    await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });

    // A radio button that dispatches its action (the Looker access level) keeps the focus on the option chosen.
    await page.locator('#composer').fill('/looker-access');
    await page.locator('#composer').press('Enter');
    await page.getByRole('dialog', { name: 'Looker access' }).waitFor(WAIT);
    const levels = field(ActionIds.lookerAccessLevel).locator('input[type="radio"]');
    await levels.first().waitFor(WAIT);
    const before = await modal.innerHTML();
    const target = levels.last();
    const value = await target.getAttribute('value');
    await target.focus();
    await target.check();
    await expect.poll(() => modal.innerHTML(), { timeout: 10_000 }).not.toBe(before);
    await expect.poll(focusedElement, { timeout: 2000 }).toMatchObject({ actionId: ActionIds.lookerAccessLevel, value });
    await page.keyboard.press('Escape');
    await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
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
