/**
 * A scheduled delivery set up the way a person would: in local mode, in a real
 * browser, from the Subscribe… button under a chart. The modal's time picker,
 * channel picker, choices and its redraw by schedule kind work in the page;
 * Run now from /query subscriptions delivers it into the channel; Delete there
 * redraws the list without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { LocalMode } from '../src/local.js';
import { ActionIds } from '../src/ids.js';
import { StandinDefaults } from './support/harness.js';
import { browserSkipReason, screenshot, startLocalPage, type LocalPageRun } from './support/browser.js';

const skip = browserSkipReason();
if (skip) console.log(`Skipping the browser tests: ${skip}`);

const { regular } = StandinDefaults.users;
const channel = StandinDefaults.channel;
const WAIT = { timeout: 30_000 };

let run: LocalPageRun;
let local: LocalMode;
let page: Page;

const inChannel = (text: string | RegExp): Locator => page.locator('#messages article.msg').filter({ hasText: text });
const modal = () => page.locator('#modal');
const field = (actionId: string) => modal().locator(`[data-action-id="${actionId}"]`);

async function type(line: string): Promise<void> {
  await page.locator('#composer').fill(line);
  await page.locator('#composer').press('Enter');
}

describe.skipIf(skip)('scheduled deliveries in the browser', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    run = await startLocalPage();
    ({ local, page } = run);
  }, 120_000);

  afterAll(async () => run?.stop());

  it('subscribes from a chart with the modal\'s pickers, then Run now delivers it to the channel', async () => {
    await type('/query weekly-active-instances weeks=8');
    const chart = inChannel('Weekly active instances').filter({ has: page.locator('.file-image img') });
    await chart.getByRole('button', { name: 'Subscribe…' }).click(WAIT);
    await modal().locator('.modal-title', { hasText: 'Schedule a delivery' }).waitFor(WAIT);
    // The channel picker starts on the channel the chart is in; the query's value as typed is kept.
    await expect(field(ActionIds.subscriptionChannel).inputValue()).resolves.toBe(channel);
    await expect(field(`${ActionIds.subscriptionParamPrefix}weeks`).inputValue()).resolves.toBe('8');
    // Weekly redraws the modal with a day to pick; what was already chosen stays.
    await field(ActionIds.subscriptionScheduleKind).selectOption('weekly');
    await field(ActionIds.subscriptionDay).waitFor(WAIT);
    await expect(field(ActionIds.subscriptionChannel).inputValue()).resolves.toBe(channel);
    await expect(field(`${ActionIds.subscriptionParamPrefix}weeks`).inputValue()).resolves.toBe('8');
    await field(ActionIds.subscriptionDay).selectOption('tue');
    await field(ActionIds.subscriptionTime).fill('08:30');
    await field(ActionIds.subscriptionFormat).locator('input[value="chart_csv"]').check();
    await screenshot(page, '12-subscription-modal');
    await modal().locator('[data-modal-submit="1"]').click();
    await modal().waitFor({ state: 'hidden', ...WAIT });

    const subs = await local.bot.services.subscriptions.listOf(regular);
    expect(subs).toHaveLength(1);
    const sub = subs[0]!;
    expect(sub).toMatchObject({
      owner: regular, query: 'weekly-active-instances', params: { weeks: '8' }, target: { kind: 'channel', channel },
      schedule: { kind: 'weekly', day: 'tue', time: '08:30' }, format: 'chart_csv', status: 'active',
    });
    const ref = `SUB-${sub.id.replace(/^sub_/, '').slice(-6).toUpperCase()}`;
    expect(local.standin.conversation(regular).some((m) => (m.text ?? '').includes(`Scheduled a delivery of *Weekly active instances* (\`${ref}\`): Every Tuesday at 08:30`))).toBe(true);

    // Run now, from the list.
    await type('/query subscriptions');
    const list = inChannel(/Your scheduled deliveries and alerts/);
    await list.getByRole('button', { name: 'Run now' }).click(WAIT);
    const delivered = inChannel(`Scheduled delivery ${ref}`);
    await delivered.locator('.file-image img').waitFor(WAIT);
    await delivered.getByRole('button', { name: 'Manage' }).waitFor(WAIT);
    // The chart and its CSV, both in the channel.
    const files = () => local.standin.conversation(channel).flatMap((m) => m.files ?? []).map((f) => f.name ?? '').filter((n) => n.includes(ref));
    await local.standin.waitFor(() => (files().length >= 2 ? true : undefined), { timeoutMs: 30_000 });
    expect(files().map((n) => n.split('.').pop()).sort()).toEqual(['csv', 'png']);
    await delivered.first().scrollIntoViewIfNeeded();
    await screenshot(page, '13-subscription-delivered');

    // Delete, from the list, after its confirm dialog: the list is drawn again without it.
    await list.getByRole('button', { name: 'Delete' }).click(WAIT);
    const dialog = page.getByRole('alertdialog', { name: 'Delete it?' });
    await dialog.getByRole('button', { name: 'Delete' }).click(WAIT);
    await inChannel(`Deleted ${ref}`).filter({ hasText: 'No scheduled deliveries or alerts of yours.' }).waitFor(WAIT);
    await expect(local.bot.services.subscriptions.listOf(regular)).resolves.toEqual([]);
    expect(run.logs.filter((l) => /"severity":"(ERROR|CRITICAL)"/.test(l))).toEqual([]);
  });

  it("a list's buttons act on their own item: Run beside the last query of /query list runs that one, not the first", async () => {
    const charts = (title: string) => inChannel(title).filter({ has: page.locator('.file-image img') });
    const wai = await charts('Weekly active instances').count();
    const byHosting = await charts('Instances by hosting').count();
    await type('/query list instances');
    const list = inChannel(/saved queries match/).last();
    await list.waitFor(WAIT);
    // Every Run button shares one action_id: the page says which block was clicked, as Slack's payload does.
    await expect(list.getByRole('button', { name: 'Run' }).count()).resolves.toBeGreaterThan(1);
    await list.locator('.bk-section').filter({ hasText: '/query weekly-active-instances' }).getByRole('button', { name: 'Run' }).click(WAIT);
    await expect.poll(() => charts('Weekly active instances').count(), { timeout: 30_000 }).toBe(wai + 1);
    expect(await charts('Instances by hosting').count()).toBe(byHosting);
  });
});
