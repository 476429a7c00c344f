/** The bot's App Home tab: opening it sends app_home_opened; the page shows what the bot publishes. */
import { blocksEl } from './blocks.js';
import { $, h } from './dom.js';
import { post, ui } from './store.js';

/** Asks the bot for the Home tab, as Slack does when the tab is opened. */
export async function openHome(): Promise<void> {
  ui.homeAsked = false;
  const { status, data } = await post('/local/home', {});
  ui.homeProblem = status !== 200 || data.ack?.status !== 200 ? `The bot did not accept the app_home_opened event (HTTP ${data.ack?.status ?? status}).` : null;
  // Give the bot a moment to publish before saying it has not.
  setTimeout(() => {
    ui.homeAsked = true;
    renderHome();
  }, 1500);
}

export function renderHome(): void {
  const pane = $('home');
  const view = ui.state?.home;
  const key = view ? `${view.id}:${view.hash}` : `none:${ui.homeAsked ? 1 : 0}:${ui.homeProblem ?? ''}`;
  if (pane.dataset['key'] === key) return;
  pane.dataset['key'] = key;
  if (!view) {
    pane.replaceChildren(h('div', { class: 'home-empty' }, ui.homeProblem ?? (ui.homeAsked ? 'analytics-bot has not published a Home tab for you.' : 'Opening the Home tab…')));
    return;
  }
  pane.replaceChildren(blocksEl(view.blocks, { kind: 'view', viewId: view.id, form: () => pane }));
}
