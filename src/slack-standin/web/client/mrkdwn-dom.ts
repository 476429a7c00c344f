/**
 * Slack text drawn as the page's DOM: mrkdwn through the shared parser
 * (src/blockkit/mrkdwn.ts), plain_text with emoji. Text is only ever set as
 * text, never as HTML.
 */
import type { MrkdwnElement, PlainTextElement } from '@slack/types';
import { isSafeUrl, parseMrkdwn, type MrkdwnNode } from '../../../blockkit/mrkdwn.js';
import { formatSlackDate } from './dates.js';
import { h } from './dom.js';
import { EMOJI, emojify } from './emoji.js';
import { channelName, myTimeZone, ui, userName } from './store.js';

/** A text object as it may arrive: either kind, or missing. */
export type TextLike = PlainTextElement | MrkdwnElement | { type?: string; text?: string; emoji?: boolean; verbatim?: boolean } | null | undefined;

/** The text of a text object, as written. */
export const plain = (t: TextLike): string => (t && typeof t.text === 'string' ? t.text : '');

function link(url: string, label: string): Node {
  return isSafeUrl(url) ? h('a', { href: url, target: '_blank', rel: 'noopener' }, label) : document.createTextNode(label);
}

function nodeEl(n: MrkdwnNode): Node {
  switch (n.type) {
    case 'text': return document.createTextNode(n.text);
    case 'bold': return h('strong', {}, nodesEl(n.children));
    case 'italic': return h('em', {}, nodesEl(n.children));
    case 'strike': return h('del', {}, nodesEl(n.children));
    case 'code': return h('code', {}, n.text);
    case 'preformatted': return h('pre', {}, n.text.replace(/^\n/, ''));
    case 'quote': return h('blockquote', {}, nodesEl(n.children));
    case 'link': return link(n.url, n.label ?? n.url);
    case 'user': return h('span', { class: `mention${n.id === ui.me ? ' me' : ''}`, dataset: { user: n.id } }, `@${n.label ?? userName(n.id)}`);
    case 'channel': return h('span', { class: 'mention' }, `#${n.label ?? channelName(n.id)}`);
    case 'usergroup': return h('span', { class: 'mention' }, n.label ?? `@${ui.state?.usergroups[n.id]?.handle ?? n.id}`);
    case 'broadcast': return h('span', { class: 'mention' }, `@${n.range}`);
    case 'date': {
      const shown = formatSlackDate(n.seconds, n.format, myTimeZone()) ?? n.fallback ?? '';
      return n.link ? link(n.link, shown) : h('span', { title: n.fallback ?? '' }, shown);
    }
    case 'emoji': return document.createTextNode(EMOJI[n.name] ?? `:${n.name}:`);
    case 'linebreak': return h('br');
  }
}

function nodesEl(nodes: readonly MrkdwnNode[]): Node[] {
  // A quote is a block of its own: the line break that ends it is not drawn.
  return nodes.filter((n, i) => !(n.type === 'linebreak' && nodes[i - 1]?.type === 'quote')).map(nodeEl);
}

/** mrkdwn as DOM nodes. `verbatim` text objects leave bare URLs unlinked, as Slack does. */
export function mrkdwnNodes(text: string, options: { verbatim?: boolean } = {}): Node[] {
  return nodesEl(parseMrkdwn(text, options));
}

/** A text object (plain_text or mrkdwn) as an element. */
export function textEl(t: TextLike, tag: 'span' | 'div' = 'span', cls = ''): HTMLElement {
  const el = h(tag, { class: `mrkdwn ${cls}`.trim() });
  if (!t) return el;
  const text = plain(t);
  if (t.type === 'mrkdwn') el.append(...mrkdwnNodes(text, { verbatim: t.verbatim === true }));
  else el.append('emoji' in t && t.emoji === false ? text : emojify(text));
  return el;
}
