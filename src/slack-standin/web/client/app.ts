/**
 * The local Slack page: renders the stand-in's state (messages, modals, App
 * Home) from Block Kit, and acts as the chosen user through the stand-in's
 * local routes, which send the bot the signed requests Slack would.
 *
 * This module is the shell: sidebar, tabs, the user switch, and start-up.
 */
import { focusComposer, installComposer, setComposerPlaceholder } from './composer.js';
import { installPopoverDismiss } from './dialogs.js';
import { $, h } from './dom.js';
import { openHome, renderHome } from './home.js';
import { botIcon, installScrolling, openThread, renderMessages, renderThread, scrollToEnd, unread } from './messages.js';
import { installModalKeys, renderModal } from './modals.js';
import { channelName, connect, convId, hooks, refresh, ui } from './store.js';

const ROLE_HINTS: Record<string, string> = {
  'regular user': 'may ask for anything',
  BizOps: 'may rerun pipelines and triage requests',
  'Looker admin': 'may approve Looker access',
};

function render(): void {
  const s = ui.state;
  if (!s) return;
  $('team-name').textContent = s.team.name;
  renderSidebar();
  const home = ui.view === 'home';
  $('messages').hidden = home;
  $('home').hidden = !home;
  $('composer-form').hidden = home;
  $('tabs').hidden = ui.view !== 'home' && ui.view !== 'dm';
  $('tab-home').classList.toggle('active', home);
  $('tab-messages').classList.toggle('active', ui.view === 'dm');
  $('conv-title').textContent = ui.view.startsWith('channel:') ? `# ${channelName(convId())}` : 'analytics-bot';
  setComposerPlaceholder(ui.view === 'dm' ? 'Message analytics-bot: type / for its commands' : `Message #${channelName(convId())}: type / for the bot's commands`);
  if (home) renderHome();
  else renderMessages();
  renderThread();
  renderModal();
}

function renderSidebar(): void {
  const s = ui.state;
  if (!s) return;
  const item = (label: string, view: string, id: string, icon: HTMLElement) => {
    const active = ui.view === view || (view === 'dm' && ui.view === 'home');
    const count = active ? 0 : unread(id);
    return h('li', {}, h('button', { type: 'button', class: `${active ? 'active' : ''} ${count ? 'unread' : ''}`, dataset: { nav: view }, onclick: () => go(view) },
      icon, label, count ? h('span', { class: 'badge' }, count) : null));
  };
  $('channel-list').replaceChildren(...s.channels.map((c) => item(c.name, `channel:${c.id}`, c.id, h('span', {}, '#'))));
  $('app-list').replaceChildren(item('analytics-bot', 'dm', s.dm, h('span', { class: 'app-dot' }, botIcon())));
  const sel = $<HTMLSelectElement>('whoami');
  if (sel.options.length !== s.users.length) sel.replaceChildren(...s.users.map((u) => h('option', { value: u.id }, `${u.realName} (${u.role})`)));
  sel.value = ui.me;
  const me = s.users.find((u) => u.id === ui.me);
  $('whoami-hint').textContent = me ? `${me.id}: ${ROLE_HINTS[me.role] ?? ''}` : '';
}

function go(view: string): void {
  if (ui.view !== view) ui.threadTs = null;
  const wasHome = ui.view === 'home';
  ui.view = view === 'dm' && ui.view === 'home' ? 'dm' : view;
  if (ui.view === 'home' && !wasHome) void openHome();
  render();
  if (ui.view !== 'home') {
    scrollToEnd();
    focusComposer();
  }
}

function switchUser(): void {
  ui.me = $<HTMLSelectElement>('whoami').value;
  localStorage.setItem('standin.as', ui.me);
  const url = new URL(location.href);
  url.searchParams.set('as', ui.me);
  history.replaceState(null, '', url);
  ui.modalKey = null;
  ui.threadTs = null;
  ui.atEnd = true;
  if (ui.view === 'home') void openHome();
  void refresh();
}

/**
 * A link to a message (Slack's permalink, https://<team>.slack.com/archives/<channel>/p<ts>, which the bot puts in
 * "see the card" and "follow it") opens here, as Slack's client opens its own: the conversation, with the message's
 * thread. Slack's address is not this page: followed, it would leave for a site that is not there.
 */
function openPermalink(ev: MouseEvent): void {
  const a = ev.target instanceof Element ? ev.target.closest('a[href]') : null;
  const s = ui.state;
  if (!(a instanceof HTMLAnchorElement) || !s || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const m = /^https:\/\/[a-z0-9-]+\.slack\.com\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})(?:\?(.*))?$/.exec(a.href);
  if (!m) return;
  const [, channel, seconds, micros, query] = m;
  const view = channel === s.dm ? 'dm' : s.channels.some((c) => c.id === channel) ? `channel:${channel}` : null;
  if (!view) return;
  ev.preventDefault();
  go(view);
  openThread(new URLSearchParams(query ?? '').get('thread_ts') ?? `${seconds}.${micros}`);
}

hooks.render = render;
document.addEventListener('click', openPermalink);
hooks.renderMessages = renderMessages;
$('tab-home').addEventListener('click', () => go('home'));
$('tab-messages').addEventListener('click', () => go('dm'));
$('thread-close').addEventListener('click', () => {
  ui.threadTs = null;
  renderThread();
});
$('whoami').addEventListener('change', switchUser);
installComposer();
installScrolling();
installModalKeys();
installPopoverDismiss();
connect((live) => $('conn').classList.toggle('live', live));
void refresh().then(focusComposer);
