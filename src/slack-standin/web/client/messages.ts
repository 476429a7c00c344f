/**
 * The message list and the thread panel: messages drawn from their Block Kit,
 * attachments and files, the page's own notes, unread counts, and keeping the
 * list at its end while new messages (and their late images) arrive.
 */
import type { PageMessage } from '../protocol.js';
import { blocksEl, type Where } from './blocks.js';
import { tsTime } from './dates.js';
import { $, h, syncChildren } from './dom.js';
import { mrkdwnNodes } from './mrkdwn-dom.js';
import { channelName, convId, myTimeZone, ui, userName, type Note } from './store.js';

/** The app's icon (no emoji font needed). */
export const botIcon = (): HTMLElement => h('img', { src: '/static/favicon.svg', alt: '', class: 'bot-icon' });

/** Distance (px) from the end within which the list counts as "at the end", as Slack's does. */
const AT_END_PX = 80;

function mrkdwnDiv(text: string): HTMLElement {
  return h('div', { class: 'mrkdwn' }, mrkdwnNodes(text));
}

function attachmentColor(color: string | undefined): string {
  if (!color) return '';
  return `border-left-color:${/^#?[0-9a-f]{3,8}$/i.test(color) ? (color.startsWith('#') ? color : `#${color}`) : '#ddd'}`;
}

function messageEl(m: PageMessage, channelId: string, inThread: boolean): HTMLElement {
  const where: Where = { kind: 'message', channelId, ts: m.ts };
  const body = h('div', { class: 'msg-body' });
  if (m.blocks.length) body.append(blocksEl(m.blocks, where));
  else if (m.text) body.append(mrkdwnDiv(m.text));
  for (const a of m.attachments) {
    body.append(h('div', { class: 'attachment', style: attachmentColor(a.color) },
      a.title ? h('strong', {}, a.title) : null,
      a.blocks?.length ? blocksEl(a.blocks, where) : a.text ? mrkdwnDiv(a.text) : null,
      (a.fields ?? []).map((f) => h('div', {}, h('strong', {}, f.title ?? ''), mrkdwnDiv(f.value ?? '')))));
  }
  for (const f of m.files) {
    body.append(/^image\//.test(f.mimetype)
      ? h('div', { class: 'file file-image', dataset: { fileId: f.id } }, h('div', { class: 'file-title' }, f.title || f.name), h('a', { href: f.url, target: '_blank' }, h('img', { src: f.url, alt: f.title || f.name })))
      : h('div', { class: 'file', dataset: { fileId: f.id } }, h('a', { class: 'file-card', href: f.url, download: f.name }, '📄 ', f.title || f.name, h('span', { class: 'msg-time' }, ` ${Math.ceil(f.size / 1024)} KB`))));
  }
  if (!inThread && m.reply_count > 0) {
    body.append(h('button', { type: 'button', class: 'replies', onclick: () => openThread(m.ts) }, `${m.reply_count} ${m.reply_count === 1 ? 'reply' : 'replies'}`));
  }
  if (m.ephemeral) body.append(h('div', { class: 'ephemeral-label' }, '👁 Only visible to you'));
  const isBot = m.user === ui.state?.bot.userId || Boolean(m.bot_id);
  return h('article', { class: `msg${m.ephemeral ? ' ephemeral' : ''}`, dataset: { ts: m.ts, ephemeral: m.ephemeral ? '1' : '0' } },
    h('div', { class: `avatar ${isBot ? 'bot' : ''}` }, isBot ? botIcon() : userName(m.user).slice(0, 1)),
    h('div', {},
      h('div', { class: 'msg-head' },
        h('span', { class: 'msg-name' }, userName(m.user)),
        isBot ? h('span', { class: 'app-tag' }, 'APP') : null,
        h('span', { class: 'msg-time', title: m.ts }, tsTime(m.ts, myTimeZone())),
        m.edited ? h('span', { class: 'edited' }, '(edited)') : null),
      body));
}

function noteEl(n: Note): HTMLElement {
  return h('article', { class: 'msg ephemeral local-note', dataset: { note: '1' } },
    h('div', { class: 'avatar slackbot' }, '✱'),
    h('div', {},
      h('div', { class: 'msg-head' }, h('span', { class: 'msg-name' }, 'Slackbot'), h('span', { class: 'msg-time' }, tsTime(n.ts, myTimeZone()))),
      h('div', { class: 'msg-body' }, mrkdwnDiv(n.text), h('div', { class: 'ephemeral-label' }, '👁 Only visible to you'))));
}

/** Reuses a message's element while its content is unchanged, so selects and focus survive updates. */
function cachedMessageEl(m: PageMessage, channelId: string, inThread = false): HTMLElement {
  const key = `${inThread ? 't' : 'm'}:${ui.me}:${channelId}:${m.ts}`;
  if (ui.rendered.size > 5000) ui.rendered.clear();
  const sig = JSON.stringify(m);
  const hit = ui.rendered.get(key);
  if (hit && hit.sig === sig) return hit.el;
  const el = messageEl(m, channelId, inThread);
  if (hit) el.classList.add('flash');
  ui.rendered.set(key, { sig, el });
  return el;
}

function emptyEl(): HTMLElement {
  const what = ui.view === 'dm'
    ? ['This is the very beginning of your messages with ', h('strong', {}, 'analytics-bot'), '.']
    : ['This is the very beginning of ', h('strong', {}, '#analytics'), '.'];
  return h('div', { class: 'empty' }, what, ' Type ', h('code', {}, '/'), " below to see the bot's commands; try ", h('code', {}, '/telemetry acme'), '.');
}

/**
 * Where scrollToEnd left the list. Its scroll event comes later, at the next frame: an image that loaded meanwhile
 * has grown the list by then, so the reader would look no longer at the end, and the image's load would not take
 * them there. A scroll event that finds the list where scrollToEnd left it is that one, not the reader's.
 */
let endTop = -1;

/** Scrolls the list to its newest message. */
export function scrollToEnd(): void {
  const list = $('messages');
  list.scrollTop = list.scrollHeight;
  endTop = list.scrollTop;
  ui.atEnd = true;
}

/** Draws the conversation on screen; stays at the end if the reader was there (or `toEnd`). */
export function renderMessages(toEnd = false): void {
  const list = $('messages');
  const id = convId();
  const all = ui.state?.conversations[id] ?? [];
  const top = all.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  const notes = (ui.notes[id] ?? []).filter((n) => n.me === ui.me);
  const items = [
    ...top.map((m) => ({ ts: m.ts, el: () => cachedMessageEl(m, id) })),
    ...notes.map((n) => ({ ts: n.ts, el: () => noteEl(n) })),
  ].sort((a, b) => Number(a.ts) - Number(b.ts));
  const nodes = items.map((i) => i.el());
  if (nodes.length === 0) nodes.push(emptyEl());
  syncChildren(list, nodes);
  if (ui.atEnd || toEnd) scrollToEnd();
  ui.seen[`${ui.me}:${id}`] = all.length;
}

/**
 * Keeps track of whether the reader is at the end of the list, and keeps them
 * there when an image above the end finishes loading and grows the list (a
 * chart arrives after its message is drawn).
 */
export function installScrolling(): void {
  const list = $('messages');
  list.addEventListener('scroll', () => {
    if (list.scrollTop === endTop) return;
    endTop = -1;
    ui.atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < AT_END_PX;
  });
  // load does not bubble: listen in the capture phase for every image in the list.
  list.addEventListener('load', (ev) => {
    if (ev.target instanceof HTMLImageElement && ui.atEnd) scrollToEnd();
  }, true);
}

export function openThread(ts: string): void {
  ui.threadTs = ts;
  renderThread();
}

export function renderThread(): void {
  const panel = $('thread');
  const id = convId();
  const all = ui.state?.conversations[id] ?? [];
  const parent = all.find((m) => m.ts === ui.threadTs);
  if (!ui.threadTs || !parent || ui.view === 'home') {
    panel.hidden = true;
    return;
  }
  const replies = all.filter((m) => m.thread_ts === ui.threadTs && m.ts !== ui.threadTs);
  $('thread-where').textContent = ui.view === 'dm' ? 'analytics-bot' : `#${channelName(id)}`;
  syncChildren($('thread-body'), [
    cachedMessageEl(parent, id, true),
    h('div', { class: 'thread-sep' }, `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`),
    ...replies.map((m) => cachedMessageEl(m, id, true)),
  ]);
  panel.hidden = false;
}

/** Unread messages in a conversation for the current user. */
export function unread(id: string): number {
  return Math.max(0, (ui.state?.conversations[id]?.length ?? 0) - (ui.seen[`${ui.me}:${id}`] ?? 0));
}
