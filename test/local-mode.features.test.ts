/**
 * The bot's features tried the way a newcomer tries them: in local mode, in a
 * real browser (Debian's chromium), switching between the demo users to see
 * both sides of a flow. Screenshots land in docs/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { LocalMode } from '../src/local.js';
import { ActionIds, BlockIds } from '../src/ids.js';
import { StandinDefaults } from './support/harness.js';
import { browserSkipReason, screenshot, startLocalPage, type LocalPageRun } from './support/browser.js';

const skip = browserSkipReason();
if (skip) console.log(`Skipping the browser tests: ${skip}`);

const { regular, bizops, lookerAdmin } = StandinDefaults.users;
const channel = StandinDefaults.channel;
const WAIT = { timeout: 30_000 };

let run: LocalPageRun;
let local: LocalMode;
let page: Page;

const inChannel = (text: string | RegExp): Locator => page.locator('#messages article.msg').filter({ hasText: text });
const modal = () => page.locator('#modal');

async function type(line: string): Promise<void> {
  await page.locator('#composer').fill(line);
  await page.locator('#composer').press('Enter');
}

async function switchTo(userId: string): Promise<void> {
  await page.locator('#whoami').selectOption(userId);
  await page.waitForFunction((id) => new URL(location.href).searchParams.get('as') === id, userId);
}

async function goToChannel(): Promise<void> {
  await page.locator('[data-nav="channel:C0ANALYTIC"]').click();
}

/** The image has arrived and decoded in the browser: its real pixel size. */
async function loadedSize(img: Locator): Promise<[number, number]> {
  await img.waitFor(WAIT);
  await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await img.elementHandle(), WAIT);
  return img.evaluate((el) => [(el as HTMLImageElement).naturalWidth, (el as HTMLImageElement).naturalHeight] as [number, number]);
}

describe.skipIf(skip)('the features in the browser', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    run = await startLocalPage();
    ({ local, page } = run);
  }, 120_000);

  afterAll(async () => run?.stop());

  describe('/query', () => {
    it('runs a saved query and shows the chart the bot uploaded, served by the stand-in', async () => {
      await type('/query weekly-active-instances weeks=8');
      const result = inChannel('Weekly active instances').filter({ has: page.locator('.file-image img') });
      const [width, height] = await loadedSize(result.locator('.file-image img'));
      expect([width, height]).toEqual([1600, 800]);
      const src = await result.locator('.file-image img').getAttribute('src');
      expect(src).toMatch(/^\/files\/F[A-Z0-9]+$/);
      // The same bytes the bot uploaded.
      const fileId = src!.split('/').pop()!;
      expect(local.standin.file(fileId)?.mimetype).toBe('image/png');
      for (const label of ['Refresh', 'Show as table', 'Download CSV']) await result.getByRole('button', { name: label }).waitFor(WAIT);
      await result.scrollIntoViewIfNeeded();
      await screenshot(page, '04-query-chart');
    });

    it('asks for missing parameters in a modal, shows the bot\'s errors under the inputs, then runs', async () => {
      await type('/query customer-pings-per-day since=2001-01-01');
      await modal().locator('.modal-title').waitFor(WAIT);
      const customer = modal().locator(`[data-action-id="${ActionIds.queryParamInputPrefix}customer"]`);
      const since = modal().locator(`[data-action-id="${ActionIds.queryParamInputPrefix}since"]`);
      await customer.fill('stark');
      await since.fill('2001-01-01');
      await modal().locator('[data-modal-submit="1"]').click();
      const customerError = modal().locator(`[data-block-id="${BlockIds.queryParamPrefix}customer"] .bk-input-error`);
      await customerError.filter({ hasText: 'matches several customers' }).waitFor(WAIT);
      await modal().locator(`[data-block-id="${BlockIds.queryParamPrefix}since"] .bk-input-error`).filter({ hasText: 'must be on or after' }).waitFor(WAIT);
      await expect(customer.inputValue()).resolves.toBe('stark');
      await screenshot(page, '06-query-modal-errors');

      await customer.fill('Acme Corp');
      await since.fill(new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10));
      await modal().locator('[data-modal-submit="1"]').click();
      await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
      const result = inChannel('Customer: Acme Corp').filter({ has: page.locator('.file-image img') });
      const [width] = await loadedSize(result.locator('.file-image img'));
      expect(width).toBe(1600);
    });
  });

  describe('/looker-access', () => {
    it('requests elevated access as a user, is refused as approver, approved by the Looker admin; both sides update', async () => {
      await switchTo(regular);
      await goToChannel();
      await type('/looker-access');
      await modal().locator('.modal-title').filter({ hasText: 'Looker access' }).waitFor(WAIT);
      // Prefilled from the Slack profile.
      await expect(modal().locator(`[data-action-id="${ActionIds.lookerAccessEmail}"]`).inputValue()).resolves.toBe('riley@example.com');
      await modal().locator(`[data-action-id="${ActionIds.lookerAccessTeam}"]`).selectOption('engineering');
      await modal().locator(`[data-action-id="${ActionIds.lookerAccessLevel}"] input[value="develop"]`).check();
      // The bot redraws the modal with the reason and days (views.update, after the click's ack): submitted before that
      // lands, the bot would answer with that redraw instead of the error (a busy machine is slow enough to show it).
      await modal().locator(`[data-action-id="${ActionIds.lookerAccessReason}"]`).waitFor(WAIT);
      // Elevated access needs a reason: the bot says so under the input.
      await modal().locator('[data-modal-submit="1"]').click();
      await modal().locator(`[data-block-id="${BlockIds.lookerAccessReason}"] .bk-input-error`).waitFor(WAIT);
      await screenshot(page, '07-looker-access-modal');
      await modal().locator(`[data-action-id="${ActionIds.lookerAccessReason}"]`).fill('Build the product usage explore');
      await modal().locator(`[data-action-id="${ActionIds.lookerAccessDuration}"]`).fill('14');
      await modal().locator('[data-modal-submit="1"]').click();
      await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });

      const card = inChannel('Looker access request').filter({ has: page.locator(`button[data-action-id="${ActionIds.lookerAccessApprove}"]`) });
      await card.waitFor(WAIT);
      const ts = await card.getAttribute('data-ts');
      const cardNow = () => page.locator(`#messages article.msg[data-ts="${ts}"]`);

      // The requester cannot approve their own request: refused on the server, nothing changes.
      await cardNow().locator(`button[data-action-id="${ActionIds.lookerAccessApprove}"]`).click();
      await page.locator('#messages article.msg[data-ephemeral="1"]').filter({ hasText: /admin/i }).last().waitFor(WAIT);
      await expect(cardNow().locator(`button[data-action-id="${ActionIds.lookerAccessApprove}"]`).count()).resolves.toBe(1);

      await switchTo(lookerAdmin);
      await cardNow().locator(`button[data-action-id="${ActionIds.lookerAccessApprove}"]`).click();
      await cardNow().filter({ hasText: /Approved/ }).waitFor(WAIT);
      await expect(cardNow().textContent()).resolves.toContain('Alex Admin');
      await expect(cardNow().locator(`button[data-action-id="${ActionIds.lookerAccessApprove}"]`).count()).resolves.toBe(0);
      await screenshot(page, '08-looker-access-approved');

      // The requester sees the card updated, and a DM from the bot.
      await switchTo(regular);
      await cardNow().filter({ hasText: /Approved/ }).waitFor(WAIT);
      const dm = page.locator('[data-nav="dm"]');
      await dm.locator('.badge').waitFor(WAIT);
      await dm.click();
      await inChannel(/approved/i).first().waitFor(WAIT);
      expect(local.standin.conversation(regular).some((m) => /approved/i.test(m.text))).toBe(true);
      await goToChannel();
    });
  });

  describe('/pipeline request', () => {
    it('asks for a pipeline in a modal that updates to "already syncs", then BizOps decline it with a reason in a second modal', async () => {
      await switchTo(regular);
      await goToChannel();
      await type('/pipeline request');
      await modal().locator('.modal-title').filter({ hasText: 'Request a pipeline' }).waitFor(WAIT);
      await modal().locator(`[data-action-id="${ActionIds.pipelineRequestSource}"]`).selectOption('hubspot');
      await modal().locator(`[data-action-id="${ActionIds.pipelineRequestObjects}"]`).fill('deals, deal_pipeline_stages');
      await modal().locator(`[data-action-id="${ActionIds.pipelineRequestDestination}"]`).fill('hubspot');
      await modal().locator(`[data-action-id="${ActionIds.pipelineRequestWhy}"]`).fill('The pipeline forecast, by Friday');
      await modal().locator('[data-modal-submit="1"]').click();
      // response_action: update: the same modal, now saying what already syncs.
      await modal().getByText('Some of this may already be in BigQuery').waitFor(WAIT);
      await expect(modal().locator('[data-modal-submit="1"]').textContent()).resolves.toBe('Continue');
      await modal().locator('[data-modal-submit="1"]').click();
      await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });

      const card = inChannel('Pipeline request').filter({ has: page.locator(`button[data-action-id="${ActionIds.pipelineRequestDecline}"]`) });
      await card.waitFor(WAIT);
      const ts = await card.getAttribute('data-ts');
      const cardNow = () => page.locator(`#messages article.msg[data-ts="${ts}"]`);

      await switchTo(bizops);
      await cardNow().locator(`button[data-action-id="${ActionIds.pipelineRequestDecline}"]`).click();
      await modal().locator('.modal-title').filter({ hasText: 'Decline request' }).waitFor(WAIT);
      // Empty reason: refused in the page before anything is sent, as Slack does for a required input.
      await modal().locator('[data-modal-submit="1"]').click();
      await modal().locator(`[data-block-id="${BlockIds.pipelineRequestDeclineReason}"] .bk-input-error`).waitFor(WAIT);
      await modal().locator(`[data-action-id="${ActionIds.pipelineRequestDeclineReason}"]`).fill('HubSpot deals already sync daily into hubspot.deals');
      await modal().locator('[data-modal-submit="1"]').click();
      await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
      await cardNow().filter({ hasText: 'Declined by @Blake Bizops' }).waitFor(WAIT);
      await expect(cardNow().locator(`button[data-action-id="${ActionIds.pipelineRequestDecline}"]`).count()).resolves.toBe(0);

      await switchTo(regular);
      await page.locator('[data-nav="dm"]').click();
      await inChannel('declined your pipeline request').waitFor(WAIT);
      await expect(inChannel('declined your pipeline request').locator('blockquote').textContent()).resolves.toContain('already sync daily');
      await goToChannel();
    });
  });

  describe('freshness alerts and reruns', () => {
    it('shows the stale-source alert the bot posted by itself; BizOps click Rerun and the thread follows the run until the alert recovers', async () => {
      await switchTo(regular);
      await goToChannel();
      // Posted by the bot's own freshness check (local mode runs the first one at start-up), not in answer to anyone.
      const alert = inChannel('HubSpot is stale').filter({ has: page.locator(`button[data-action-id="${ActionIds.freshnessRerun}"]`) });
      await alert.waitFor(WAIT);
      const ts = await alert.getAttribute('data-ts');
      const alertNow = () => page.locator(`#messages article.msg[data-ts="${ts}"]`);

      // A regular user is refused on the server and offered to ask BizOps instead.
      await alertNow().locator(`button[data-action-id="${ActionIds.freshnessRerun}"]`).click();
      const refusal = page.locator('#messages article.msg[data-ephemeral="1"]').filter({ hasText: 'can rerun pipelines' });
      await refusal.waitFor(WAIT);
      await refusal.locator(`button[data-action-id="${ActionIds.rerunRequest}"]`).waitFor(WAIT);
      expect(local.standin.conversation(channel).some((m) => m.thread_ts === ts && /Rerun of HubSpot/.test(m.text))).toBe(false);

      await switchTo(bizops);
      await alertNow().locator(`button[data-action-id="${ActionIds.freshnessRerun}"]`).click();
      await alertNow().locator('button.replies').waitFor(WAIT);
      await alertNow().locator('button.replies').click();
      const rerun = page.locator('#thread-body article.msg').filter({ hasText: 'Rerun of HubSpot' });
      await rerun.waitFor(WAIT);
      await expect(rerun.textContent()).resolves.toContain('Blake Bizops');
      // One message, edited in place as the run goes: succeeded, then the freshness check's result.
      await rerun.filter({ hasText: 'succeeded' }).waitFor(WAIT);
      await rerun.filter({ hasText: 'HubSpot is fresh' }).waitFor(WAIT);
      await expect(page.locator('#thread-body article.msg').filter({ hasText: 'Rerun of HubSpot' }).count()).resolves.toBe(1);
      // The alert itself is edited to say it recovered, and loses its buttons.
      await alertNow().filter({ hasText: 'recovered' }).waitFor(WAIT);
      await expect(alertNow().locator(`button[data-action-id="${ActionIds.freshnessRerun}"]`).count()).resolves.toBe(0);
      await screenshot(page, '09-rerun-recovered');
      await page.locator('#thread-close').click();
    }, 120_000);
  });
});
