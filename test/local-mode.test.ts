/**
 * Local mode in a real browser: the bot started the way `npm start` starts it
 * without Slack credentials (src/local.ts), the page served by its Slack
 * stand-in, driven in Debian's chromium. Everything the page does goes through
 * the stand-in's local routes as signed requests to the bot's HTTP receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { KnownBlock, View } from '@slack/types';
import type { LocalMode } from '../src/local.js';
import { ActionIds } from '../src/ids.js';
import { StandinDefaults } from './support/harness.js';
import { browserSkipReason, screenshot, startLocalPage, type LocalPageRun } from './support/browser.js';

const skip = browserSkipReason();
if (skip) console.log(`Skipping the browser tests: ${skip}`);

const { regular, bizops, lookerAdmin } = StandinDefaults.users;
const channel = StandinDefaults.channel;
const WAIT = { timeout: 20_000 };

let run: LocalPageRun;
let local: LocalMode;
let page: Page;

/** The message in the main list that contains `text`. */
const message = (text: string | RegExp): Locator => page.locator('#messages article.msg').filter({ hasText: text });

async function type(line: string): Promise<void> {
  const composer = page.locator('#composer');
  await composer.fill(line);
  await composer.press('Enter');
}

async function switchTo(userId: string): Promise<void> {
  await page.locator('#whoami').selectOption(userId);
  await page.waitForFunction((id) => new URL(location.href).searchParams.get('as') === id, userId);
}

describe.skipIf(skip)('local mode in the browser', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    run = await startLocalPage({ env: { LOG_LEVEL: 'info' } });
    ({ local, page } = run);
  }, 120_000);

  afterAll(async () => run?.stop());

  it('opens on #analytics and completes the bot commands from the manifest', async () => {
    await expect(page.locator('#conv-title').textContent()).resolves.toContain('analytics');
    const composer = page.locator('#composer');
    await composer.fill('/');
    const option = page.locator('#completions li[data-command="/telemetry"]');
    await option.waitFor(WAIT);
    // Description and usage hint come from manifest.yml.
    await expect(option.textContent()).resolves.toContain("A customer's instances");
    await expect(option.textContent()).resolves.toContain('acme | Acme Corp | acme.com');
    await composer.fill('/tel');
    await composer.press('Tab');
    await expect(composer.inputValue()).resolves.toBe('/telemetry ');
    await expect(page.locator('#completions').isHidden()).resolves.toBe(true);
    await expect(page.locator('#composer-hint').textContent()).resolves.toContain('acme | Acme Corp');
    await composer.fill('/');
    await option.waitFor(WAIT);
    await screenshot(page, '00-command-completion');
    await composer.fill('');
  });

  it('types /telemetry acme and shows the card, only to the user, from the bot through the signed receiver', async () => {
    await type('/telemetry acme');
    const card = message('Acme Corp: 3 instances');
    await card.waitFor(WAIT);
    await expect(card.locator('.bk-header').textContent()).resolves.toBe('Acme Corp: 3 instances, best level Full pings + user-level data');
    await expect(card.textContent()).resolves.toContain('3 instances');
    await expect(card.locator('.ephemeral-label').textContent()).resolves.toContain('Only visible to you');
    // Each instance: its level and hosting first, then the facts as fields.
    await expect(card.textContent()).resolves.toMatch(/Full pings \+ user-level data · (Sourcegraph cloud|Self-hosted|Managed)/);
    await expect(card.locator('.bk-fields').first().textContent()).resolves.toContain('Last ping received');
    // The stand-in holds the message the bot posted to the response_url, for this user only.
    const stored = local.standin.conversation(channel).filter((m) => m.text.includes('Acme Corp'));
    expect(stored.at(-1)?.ephemeral?.user).toBe(regular);
    expect(stored.at(-1)?.via).toBe('response_url');
    await screenshot(page, '01-telemetry-acme');
  });

  it('shares the card in the channel: the ephemeral copy goes, everyone sees the shared one', async () => {
    const card = message('Acme Corp: 3 instances').filter({ has: page.locator('[data-ephemeral="1"]') }).or(
      page.locator('#messages article.msg[data-ephemeral="1"]').filter({ hasText: 'Acme Corp: 3 instances' }),
    );
    await card.first().locator('button[data-action-id="telemetry_share"]').click();
    const shared = page.locator('#messages article.msg[data-ephemeral="0"]').filter({ hasText: 'Acme Corp: 3 instances' });
    await shared.waitFor(WAIT);
    await expect(shared.textContent()).resolves.toContain('shared by @Riley Regular');
    await page.locator('#messages article.msg[data-ephemeral="1"]').filter({ hasText: 'Acme Corp: 3 instances' }).waitFor({ state: 'detached', ...WAIT });
    await screenshot(page, '02-telemetry-shared');

    await switchTo(bizops);
    await page.locator('#messages article.msg[data-ephemeral="0"]').filter({ hasText: 'Acme Corp: 3 instances' }).waitFor(WAIT);
    await expect(page.locator('#messages article.msg[data-ephemeral="1"]').count()).resolves.toBe(0);
    await switchTo(regular);
  });

  it('picks one of several customers for /telemetry stark; the picker becomes the card in place', async () => {
    await type('/telemetry stark');
    const picker = message('Several customers match');
    await picker.waitFor(WAIT);
    const ts = await picker.getAttribute('data-ts');
    const choices = picker.locator('[data-action-id^="telemetry_pick_customer"]');
    expect(await choices.count()).toBeGreaterThan(1);
    await screenshot(page, '03-telemetry-stark-picker');
    const first = choices.first();
    const isSelect = (await first.evaluate((el) => el.tagName)) === 'SELECT';
    if (isSelect) await first.selectOption({ index: 1 });
    else await first.click();
    const card = page.locator(`#messages article.msg[data-ts="${ts}"]`).filter({ hasText: /Stark[^\n]*: \d+ instances?/ });
    await card.waitFor(WAIT);
    await expect(card.locator('.edited').count()).resolves.toBe(1);
  });

  it('answers an unknown command the way Slack does, sending nothing to the bot', async () => {
    const calls = local.standin.calls.length;
    const responses = local.standin.responses.length;
    await type('/nosuch thing');
    await page.locator('#messages article.local-note').filter({ hasText: '/nosuch is not a valid command' }).waitFor(WAIT);
    expect(local.standin.calls.length).toBe(calls);
    expect(local.standin.responses.length).toBe(responses);
  });

  it('shows what the bot posts by itself live: channel messages, thread replies, DMs with an unread badge', async () => {
    const client = local.bot.app.client;
    const posted = await client.chat.postMessage({
      channel,
      text: 'Freshness check: HubSpot is late',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: ':rotating_light: HubSpot is late' } },
        { type: 'section', text: { type: 'mrkdwn', text: '*HubSpot* last synced <!date^1700000000^{date_short}|Nov 14>, owner <!subteam^S0BIZOPS>' } },
      ],
    });
    const alert = message('HubSpot is late');
    await alert.waitFor(WAIT);
    await expect(alert.locator('.mention').first().textContent()).resolves.toBe('@bizops');
    await client.chat.postMessage({ channel, thread_ts: posted.ts!, text: 'Still late after 4 hours.' });
    await alert.locator('button.replies').filter({ hasText: '1 reply' }).click();
    await page.locator('#thread-body article.msg').filter({ hasText: 'Still late after 4 hours.' }).waitFor(WAIT);
    await page.locator('#thread-close').click();

    await client.chat.postMessage({ channel: regular, text: 'Your Looker access request was approved.' });
    const dmNav = page.locator('[data-nav="dm"]');
    await dmNav.locator('.badge').waitFor(WAIT);
    await dmNav.click();
    await message('Your Looker access request was approved.').waitFor(WAIT);
    await expect(dmNav.locator('.badge').count()).resolves.toBe(0);
    await page.locator('[data-nav="channel:C0ANALYTIC"]').click();
  });

  it("opens the App Home tab: the stand-in sends app_home_opened and the page shows the view the bot publishes", async () => {
    await page.locator('[data-nav="dm"]').click();
    await page.locator('#tab-home').click();
    await page.locator('#home .bk').waitFor(WAIT);
    const published = await local.standin.waitFor(() => local.standin.homeView(regular));
    const headers = published.blocks.flatMap((b) => {
      const block = b as { type?: string; text?: { text?: string } };
      return block.type === 'header' && block.text?.text ? [block.text.text] : [];
    });
    expect(headers.length).toBeGreaterThan(0);
    await expect(page.locator('#home .bk-header').allTextContents()).resolves.toEqual(headers);
    await screenshot(page, '05-app-home');
    // A button on the Home tab acts from the Home view, and may open a modal.
    await page.locator(`#home button[data-action-id="${ActionIds.homeNewPipelineRequest}"]`).click();
    await page.locator('#modal .modal-title').filter({ hasText: 'Request a pipeline' }).waitFor(WAIT);
    await page.locator('#modal [data-modal-close="1"]').click();
    await page.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
    expect(local.standin.modals(regular)).toHaveLength(0);
    await page.locator('#tab-messages').click();
    await page.locator('[data-nav="channel:C0ANALYTIC"]').click();
  });
});

// ---------------------------------------------------------------- Block Kit and modals

/** A message with every interactive element the page renders, for a test-only command. */
function galleryBlocks(imageBase: string): KnownBlock[] {
  return [
    { type: 'header', text: { type: 'plain_text', text: 'Block Kit gallery' } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: '*Bold*, _italic_, ~strike~, `code`, <https://example.com|a link>, <@U0ADMIN> :white_check_mark:' },
      accessory: { type: 'overflow', action_id: 'g_overflow', options: [{ text: { type: 'plain_text', text: 'Snooze 1 h' }, value: '1h' }, { text: { type: 'plain_text', text: 'Snooze 4 h' }, value: '4h' }] },
    },
    { type: 'section', fields: [{ type: 'mrkdwn', text: '*Rows*\n1,234' }, { type: 'mrkdwn', text: '*Cost*\n12 MB' }] },
    { type: 'section', text: { type: 'mrkdwn', text: '> A quote\n&gt; not a quote: escaped, as user text is &lt;script&gt;x&lt;/script&gt;' } },
    { type: 'divider' },
    {
      type: 'actions',
      elements: [
        { type: 'button', action_id: 'g_primary', style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: 'yes' },
        {
          type: 'button', action_id: 'g_danger', style: 'danger', text: { type: 'plain_text', text: 'Force rerun' }, value: 'force',
          confirm: { title: { type: 'plain_text', text: 'Force a rerun?' }, text: { type: 'mrkdwn', text: 'This resyncs everything.' }, confirm: { type: 'plain_text', text: 'Force it' }, deny: { type: 'plain_text', text: 'Stop' } },
        },
        { type: 'static_select', action_id: 'g_select', placeholder: { type: 'plain_text', text: 'Pick a chart' }, options: [{ text: { type: 'plain_text', text: 'Line' }, value: 'line' }, { text: { type: 'plain_text', text: 'Bar' }, value: 'bar' }] },
        { type: 'datepicker', action_id: 'g_date', placeholder: { type: 'plain_text', text: 'Since' } },
        { type: 'users_select', action_id: 'g_user', placeholder: { type: 'plain_text', text: 'Who' } },
      ],
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: 'computed <!date^1700000000^{date_num}|2023-11-14>' }] },
    { type: 'image', image_url: `${imageBase}/static/favicon.svg`, alt_text: 'The app icon', title: { type: 'plain_text', text: 'An image block' } },
  ];
}

function galleryModal(step: string): View {
  return {
    type: 'modal',
    callback_id: 'g_modal',
    private_metadata: step,
    title: { type: 'plain_text', text: step === 'pushed' ? 'Pushed view' : 'Request access' },
    submit: { type: 'plain_text', text: step === 'pushed' ? 'Done' : 'Submit' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      ...(step === 'updated' ? [{ type: 'section', text: { type: 'mrkdwn', text: ':sparkles: Updated by the bot' } } as KnownBlock] : []),
      { type: 'input', block_id: 'email', label: { type: 'plain_text', text: 'Looker email' }, element: { type: 'email_text_input', action_id: 'email_value' }, hint: { type: 'plain_text', text: 'Your work email' } },
      {
        type: 'input', block_id: 'team', label: { type: 'plain_text', text: 'Team' },
        element: { type: 'static_select', action_id: 'team_value', options: ['Engineering', 'Sales', 'Other'].map((t) => ({ text: { type: 'plain_text' as const, text: t }, value: t.toLowerCase() })) },
      },
      { type: 'input', block_id: 'days', optional: true, label: { type: 'plain_text', text: 'Days' }, element: { type: 'number_input', action_id: 'days_value', is_decimal_allowed: false } },
      { type: 'input', block_id: 'until', optional: true, label: { type: 'plain_text', text: 'Until' }, element: { type: 'datepicker', action_id: 'until_value' } },
      { type: 'input', block_id: 'who', optional: true, label: { type: 'plain_text', text: 'For' }, element: { type: 'users_select', action_id: 'who_value' } },
      { type: 'input', block_id: 'flags', optional: true, label: { type: 'plain_text', text: 'Flags' }, element: { type: 'checkboxes', action_id: 'flags_value', options: [{ text: { type: 'plain_text', text: 'Push another view' }, value: 'push' }] } },
      { type: 'input', block_id: 'why', optional: true, label: { type: 'plain_text', text: 'Why' }, element: { type: 'plain_text_input', action_id: 'why_value', multiline: true } },
      { type: 'actions', elements: [{ type: 'button', action_id: 'g_update', text: { type: 'plain_text', text: 'Update this view' } }] },
    ],
  };
}

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
type ActionArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

/**
 * Test-only listeners added to the running bot, so the page's rendering of
 * every element and of the modal lifecycle is tested against a real Bolt app
 * and real Slack semantics, independently of which features have landed.
 */
function addGalleryListeners(l: LocalMode): void {
  // Where the bot's own commands register: a name without a listener is answered by the bot's router.
  const app = l.bot.listeners;
  app.command('/gallery', async ({ ack, respond }: CommandArgs) => {
    await ack();
    await respond({ response_type: 'ephemeral', text: 'Block Kit gallery', blocks: galleryBlocks(l.url) });
  });
  app.command('/gallery-modal', async ({ ack, client, command }: CommandArgs) => {
    await ack();
    await client.views.open({ trigger_id: command.trigger_id, view: galleryModal('first') });
  });
  const say = (what: (a: ActionArgs) => string) => async (args: ActionArgs) => {
    await args.ack();
    await args.respond({ response_type: 'ephemeral', replace_original: false, text: what(args) });
  };
  const action = (a: ActionArgs) => a.action as unknown as Record<string, unknown>;
  app.action('g_primary', say((a) => `Approved by <@${a.body.user.id}>`));
  app.action('g_danger', say(() => 'Forced a rerun'));
  app.action('g_select', say((a) => `Chart: ${(action(a)['selected_option'] as { value: string }).value}`));
  app.action('g_overflow', say((a) => `Overflow: ${(action(a)['selected_option'] as { value: string }).value}`));
  app.action('g_date', say((a) => `Since ${String(action(a)['selected_date'])}`));
  app.action('g_user', say((a) => `Picked <@${String(action(a)['selected_user'])}>`));
  app.action('g_update', async ({ ack, body, client }: ActionArgs) => {
    await ack();
    const view = (body as { view?: { id: string; state: { values: Record<string, Record<string, { value?: string | null }>> } } }).view!;
    // The bot sees what the user had typed when they clicked.
    const typed = view.state.values['email']?.['email_value']?.value ?? '';
    await client.views.update({ view_id: view.id, view: { ...galleryModal('updated'), private_metadata: `updated:${typed}` } });
  });
  app.view('g_modal', async ({ ack, view, body, client }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => {
    const v = view.state.values;
    const email = v['email']?.['email_value']?.value ?? '';
    if (view.private_metadata === 'pushed') return ack();
    if (!/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(email)) return ack({ response_action: 'errors', errors: { email: 'Enter an email address like name@example.com.' } });
    if (v['flags']?.['flags_value']?.selected_options?.some((o) => o.value === 'push')) return ack({ response_action: 'push', view: galleryModal('pushed') });
    await ack();
    const team = v['team']?.['team_value']?.selected_option?.value;
    const until = v['until']?.['until_value']?.selected_date;
    const who = v['who']?.['who_value']?.selected_user;
    await client.chat.postMessage({ channel: body.user.id, text: `Request from <@${body.user.id}>: ${email}, team ${team}, until ${until ?? 'none'}, for <@${who ?? body.user.id}>` });
  });
  // A chart as /query posts one: filler first, so the channel scrolls, then a file whose image loads after its message is drawn.
  app.command('/gallery-chart', async ({ ack, client, command }: CommandArgs) => {
    await ack();
    for (let i = 1; i <= 12; i++) await client.chat.postMessage({ channel: command.channel_id, text: `Filler message ${i}` });
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="800"><rect width="1600" height="800" fill="#1d3557"/></svg>';
    await client.files.uploadV2({ channel_id: command.channel_id, file: Buffer.from(svg), filename: 'chart.svg', title: 'A late chart', initial_comment: 'Weekly chart' });
  });
  l.page.setCommands([
    ...l.commands,
    { command: '/gallery', description: 'Every Block Kit element (test only)', usageHint: '' },
    { command: '/gallery-modal', description: 'A modal (test only)', usageHint: '' },
    { command: '/gallery-chart', description: 'A chart in a busy channel (test only)', usageHint: '' },
  ]);
}

describe.skipIf(skip)('Block Kit and modals in the browser', { timeout: 120_000 }, () => {
  let gr: LocalPageRun;
  let g: LocalMode;
  let p: Page;
  const replyWith = (text: string | RegExp) => p.locator('#messages article.msg').filter({ hasText: text });

  beforeAll(async () => {
    gr = await startLocalPage();
    ({ local: g, page: p } = gr);
    addGalleryListeners(g);
    // The page read the command list on load; reload it to complete the test-only commands too.
    await p.reload();
    await p.locator('#conn.live').waitFor(WAIT);
  }, 120_000);

  afterAll(async () => gr?.stop());

  it('renders sections, fields, context, dividers, headers and mrkdwn, and every element acts', async () => {
    await p.locator('#composer').fill('/gallery');
    await p.locator('#composer').press('Enter');
    const gallery = replyWith('Block Kit gallery');
    await gallery.waitFor(WAIT);
    await expect(gallery.locator('strong').first().textContent()).resolves.toBe('Bold');
    await expect(gallery.locator('a[href="https://example.com"]').textContent()).resolves.toBe('a link');
    await expect(gallery.locator('.mention').first().textContent()).resolves.toBe('@Alex Admin');
    await expect(gallery.textContent()).resolves.toContain('✅');
    await expect(gallery.locator('.bk-fields > div').count()).resolves.toBe(2);
    await expect(gallery.locator('blockquote').allTextContents()).resolves.toEqual(['A quote']);
    await expect(gallery.textContent()).resolves.toContain('> not a quote: escaped, as user text is <script>x</script>');
    await expect(gallery.locator('script').count()).resolves.toBe(0);
    await expect(gallery.locator('hr.bk-divider').count()).resolves.toBe(1);
    await expect(gallery.locator('.bk-context').textContent()).resolves.toContain('2023-11-14');
    await expect(gallery.locator('.bk-image-title').textContent()).resolves.toBe('An image block');
    await p.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await gallery.locator('.bk-image img').elementHandle(), WAIT);
    await screenshot(p, '10-blockkit-gallery');

    await gallery.locator('button[data-action-id="g_primary"]').click();
    await replyWith('Approved by @Riley Regular').waitFor(WAIT);

    // A confirm dialog: "Stop" sends nothing, "Force it" sends the click.
    await gallery.locator('button[data-action-id="g_danger"]').click();
    await p.locator('#confirm').getByText('Stop').click();
    await gallery.locator('button[data-action-id="g_danger"]').click();
    await p.locator('#confirm [data-confirm="1"]').click();
    await replyWith('Forced a rerun').waitFor(WAIT);
    await expect(replyWith('Forced a rerun').count()).resolves.toBe(1);

    await gallery.locator('select[data-action-id="g_select"]').selectOption('bar');
    await replyWith('Chart: bar').waitFor(WAIT);
    await gallery.locator('button[data-action-id="g_overflow"]').click();
    await p.locator('#popover').getByText('Snooze 4 h').click();
    await replyWith('Overflow: 4h').waitFor(WAIT);
    await gallery.locator('input[data-action-id="g_date"]').fill('2024-05-01');
    await replyWith('Since 2024-05-01').waitFor(WAIT);
    await gallery.locator('select[data-action-id="g_user"]').selectOption(bizops);
    await replyWith('Picked @Blake Bizops').waitFor(WAIT);
  });

  it('opens a modal, validates it inline, updates it keeping what was typed, pushes, submits and closes', async () => {
    await p.locator('#composer').fill('/gallery-modal');
    await p.locator('#composer').press('Enter');
    const modal = p.locator('#modal');
    await modal.locator('.modal-title').filter({ hasText: 'Request access' }).waitFor(WAIT);

    // Required fields are checked in the page first, as Slack does, without a round trip.
    const submissions = g.standin.calls.length;
    await modal.locator('[data-modal-submit="1"]').click();
    await modal.locator('[data-block-id="team"] .bk-input-error').waitFor(WAIT);
    expect(g.standin.calls.length).toBe(submissions);

    // The bot's own validation: response_action errors, shown under the input.
    await modal.locator('input[data-action-id="email_value"]').fill('not-an-email');
    await modal.locator('select[data-action-id="team_value"]').selectOption('sales');
    await modal.locator('[data-modal-submit="1"]').click();
    const emailError = modal.locator('[data-block-id="email"] .bk-input-error');
    await emailError.filter({ hasText: 'Enter an email address like name@example.com.' }).waitFor(WAIT);
    await expect(modal.locator('select[data-action-id="team_value"]').inputValue()).resolves.toBe('sales');
    await screenshot(p, '11-modal-inline-errors');

    // A button in the modal: the bot reads the typed state and updates the view; the input survives.
    await modal.locator('input[data-action-id="email_value"]').fill('riley@example.com');
    await modal.locator('button[data-action-id="g_update"]').click();
    await modal.getByText('Updated by the bot').waitFor(WAIT);
    expect(g.standin.modals(regular).at(-1)?.private_metadata).toBe('updated:riley@example.com');
    await expect(modal.locator('input[data-action-id="email_value"]').inputValue()).resolves.toBe('riley@example.com');

    // Push a second view, go back to the first, then submit it for real.
    await modal.locator('[data-block-id="flags"] input[type="checkbox"]').check();
    await modal.locator('[data-modal-submit="1"]').click();
    await modal.locator('.modal-title').filter({ hasText: 'Pushed view' }).waitFor(WAIT);
    expect(g.standin.modals(regular)).toHaveLength(2);
    await modal.locator('[data-modal-back="1"]').click();
    await modal.locator('.modal-title').filter({ hasText: 'Request access' }).waitFor(WAIT);

    await modal.locator('[data-block-id="flags"] input[type="checkbox"]').uncheck();
    await modal.locator('input[data-action-id="until_value"]').fill('2025-01-31');
    await modal.locator('select[data-action-id="who_value"]').selectOption(lookerAdmin);
    await modal.locator('[data-modal-submit="1"]').click();
    await p.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
    expect(g.standin.modals(regular)).toHaveLength(0);
    // The submission's result is a DM from the bot.
    await p.locator('[data-nav="dm"] .badge').waitFor(WAIT);
    await p.locator('[data-nav="dm"]').click();
    await replyWith('Request from @Riley Regular: riley@example.com, team sales, until 2025-01-31, for @Alex Admin').waitFor(WAIT);

    // Cancel closes without a submission.
    await p.locator('[data-nav="channel:C0ANALYTIC"]').click();
    await p.locator('#composer').fill('/gallery-modal');
    await p.locator('#composer').press('Enter');
    await modal.locator('.modal-title').waitFor(WAIT);
    await modal.locator('[data-modal-cancel="1"]').click();
    await p.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
    expect(g.standin.modals(regular)).toHaveLength(0);
  });

  it("shows the bot's validation errors as fast as Slack does: as soon as the ack says errors (under 300 ms)", async () => {
    await p.locator('#composer').fill('/gallery-modal');
    await p.locator('#composer').press('Enter');
    const modal = p.locator('#modal');
    await modal.locator('.modal-title').filter({ hasText: 'Request access' }).waitFor(WAIT);
    await modal.locator('input[data-action-id="email_value"]').fill('still-not-an-email');
    await modal.locator('select[data-action-id="team_value"]').selectOption('engineering');
    // Measured in the page: from the click on Submit to the error under the input.
    const ms = await p.evaluate(() => new Promise<number>((resolve) => {
      const root = document.getElementById('modal')!;
      const started = performance.now();
      const observer = new MutationObserver(() => {
        if (!root.querySelector('[data-block-id="email"] .bk-input-error')) return;
        observer.disconnect();
        resolve(performance.now() - started);
      });
      observer.observe(root, { childList: true, subtree: true });
      root.querySelector<HTMLButtonElement>('[data-modal-submit="1"]')!.click();
    }));
    expect(ms).toBeLessThan(300);
    await expect(modal.locator('[data-block-id="email"] .bk-input-error').textContent()).resolves.toContain('Enter an email address');
    expect(g.standin.modals(regular)).toHaveLength(1);
    await modal.locator('[data-modal-cancel="1"]').click();
    await p.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
  });

  it('closes a modal once when it is closed twice (Esc, then Cancel before the page caught up), logging no error', async () => {
    await p.locator('#composer').fill('/gallery-modal');
    await p.locator('#composer').press('Enter');
    await p.locator('#modal .modal-title').filter({ hasText: 'Request access' }).waitFor(WAIT);
    const closes: string[] = [];
    const problems: string[] = [];
    const onRequest = (r: { url(): string; method(): string }) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/local/close') closes.push(r.url());
    };
    const onConsole = (m: { type(): string; text(): string }) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    };
    const onResponse = (r: { status(): number; url(): string }) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    };
    p.on('request', onRequest);
    p.on('console', onConsole);
    p.on('response', onResponse);
    try {
      const closed = p.waitForResponse((r) => new URL(r.url()).pathname === '/local/close');
      // Both in the same moment: the second close is what a quick user does before the page has heard back.
      await p.evaluate(() => {
        window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
        document.querySelector<HTMLButtonElement>('#modal [data-modal-cancel="1"]')!.click();
      });
      await p.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
      expect((await closed).status()).toBe(200);
      await g.standin.waitFor(() => g.standin.modals(regular).length === 0);
      await p.waitForTimeout(300);
      expect(closes).toHaveLength(1);
      expect(problems).toEqual([]);
    } finally {
      p.off('request', onRequest);
      p.off('console', onConsole);
      p.off('response', onResponse);
    }
  });

  it('submits a modal once when Submit is clicked twice before the bot has answered, as Slack does', async () => {
    await p.locator('#composer').fill('/gallery-modal');
    await p.locator('#composer').press('Enter');
    const modal = p.locator('#modal');
    await modal.locator('.modal-title').filter({ hasText: 'Request access' }).waitFor(WAIT);
    await modal.locator('input[data-action-id="email_value"]').fill('twice@example.com');
    await modal.locator('select[data-action-id="team_value"]').selectOption('engineering');
    const submits: string[] = [];
    const onRequest = (r: { url(): string; method(): string }) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/local/submit') submits.push(r.url());
    };
    p.on('request', onRequest);
    try {
      // Both in the same moment: a double click, or Enter and then a click, before the ack is back.
      await p.evaluate(() => {
        const submit = document.querySelector<HTMLButtonElement>('#modal [data-modal-submit="1"]')!;
        submit.click();
        submit.click();
      });
      await p.locator('#modal-overlay').waitFor({ state: 'hidden', ...WAIT });
      const sent = () => g.standin.callsTo('chat.postMessage').filter((c) => String(c.args['text']).includes('twice@example.com'));
      await g.standin.waitFor(() => sent().length > 0);
      await p.waitForTimeout(300);
      expect(submits).toHaveLength(1);
      expect(sent()).toHaveLength(1);
    } finally {
      p.off('request', onRequest);
    }
  });

  it('scrolls a new chart into view once its image has loaded', async () => {
    await p.locator('#composer').fill('/gallery-chart');
    await p.locator('#composer').press('Enter');
    const chart = replyWith('Weekly chart').filter({ has: p.locator('.file-image img') });
    const img = chart.locator('.file-image img');
    await img.waitFor(WAIT);
    await p.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await img.elementHandle(), WAIT);
    // The list stays at its end after the image grew it: the whole chart is on screen, below nothing unseen.
    await p.waitForFunction(() => {
      const list = document.getElementById('messages')!;
      const image = Array.from(list.querySelectorAll<HTMLImageElement>('.file-image img')).at(-1)!;
      const l = list.getBoundingClientRect();
      const r = image.getBoundingClientRect();
      return r.height > 100 && r.top >= l.top && r.bottom <= l.bottom && list.scrollHeight - list.scrollTop - list.clientHeight < 2;
    }, undefined, { ...WAIT, polling: 100 });
  });

  it('links bare URLs in messages, as Slack does (not in code, nor in verbatim text)', async () => {
    await g.bot.app.client.chat.postMessage({
      channel: StandinDefaults.channel,
      text: 'Links',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'Docs: https://example.com/docs?a=1&amp;b=2. Mirror (www.example.org), labelled <https://x.example/y|here>; not `https://code.example`' } },
        { type: 'section', text: { type: 'mrkdwn', text: 'Verbatim https://verbatim.example', verbatim: true } },
      ],
    });
    const msg = replyWith('Docs:');
    await msg.waitFor(WAIT);
    await expect(msg.locator('a[href="https://example.com/docs?a=1&b=2"]').textContent()).resolves.toBe('https://example.com/docs?a=1&b=2');
    await expect(msg.locator('a[href="http://www.example.org"]').textContent()).resolves.toBe('www.example.org');
    await expect(msg.locator('a[href="https://x.example/y"]').textContent()).resolves.toBe('here');
    await expect(msg.locator('a').count()).resolves.toBe(3);
    await expect(msg.textContent()).resolves.toContain('https://example.com/docs?a=1&b=2. Mirror (www.example.org), labelled here; not https://code.example');
    await expect(msg.locator('a[target="_blank"][rel="noopener"]').count()).resolves.toBe(3);
  });
});
