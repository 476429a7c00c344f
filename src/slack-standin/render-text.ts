/**
 * Plain-text rendering of Block Kit, for the CLI and for test failure
 * messages. It aims at "readable", not at pixel fidelity.
 */

import { parseMrkdwn, type MrkdwnNode } from '../blockkit/mrkdwn.js';
import { USERGROUP_HANDLES } from './types.js';

type Loose = Record<string, unknown>;

/** A message-like thing: a stored message, chat.postMessage args, a response_url body. */
export interface MessageLike {
  text?: unknown;
  blocks?: unknown;
  files?: unknown;
}

const isObj = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** A user group as Slack shows it: by its handle (the fixture's), else by its ID. */
const usergroup = (id: string): string => `@${USERGROUP_HANDLES[id] ?? id}`;

/**
 * Renders mrkdwn as readable text (parsed by the shared parser): Slack's
 * escapes and `<…>` links, mentions and subteams become readable; emphasis
 * markers are kept.
 */
export function mrkdwnToText(text: string): string {
  return nodesToText(parseMrkdwn(text, { verbatim: true }));
}

function nodesToText(nodes: readonly MrkdwnNode[]): string {
  return nodes.map(nodeToText).join('');
}

function nodeToText(n: MrkdwnNode): string {
  switch (n.type) {
    case 'text': return n.text;
    case 'bold': return `*${nodesToText(n.children)}*`;
    case 'italic': return `_${nodesToText(n.children)}_`;
    case 'strike': return `~${nodesToText(n.children)}~`;
    case 'code': return `\`${n.text}\``;
    case 'preformatted': return `\`\`\`${n.text}\`\`\``;
    case 'quote': return `> ${nodesToText(n.children).replace(/\n/g, '\n> ')}`;
    case 'link':
      if (n.label === undefined || n.bare) return n.label ?? n.url;
      return /^(https?:|mailto:)/i.test(n.url) ? `${n.label} (${n.url})` : n.label;
    case 'user': return `@${n.label ?? n.id}`;
    case 'channel': return `#${n.label ?? n.id}`;
    case 'usergroup': return n.label ?? usergroup(n.id);
    case 'broadcast': return `@${n.range}`;
    case 'date': return n.fallback ?? n.raw;
    case 'emoji': return `:${n.name}:`;
    case 'linebreak': return '\n';
  }
}

function textObj(t: unknown): string {
  return isObj(t) ? mrkdwnToText(str(t['text'])) : '';
}

function option(o: unknown): string {
  return isObj(o) ? textObj(o['text']) : '';
}

function element(el: unknown): string {
  if (!isObj(el)) return '';
  const type = str(el['type']);
  const placeholder = textObj(el['placeholder']);
  switch (type) {
    case 'button':
      return `[${textObj(el['text'])}]`;
    case 'image':
      return `[image: ${str(el['alt_text'])}]`;
    case 'plain_text':
    case 'mrkdwn':
      return mrkdwnToText(str(el['text']));
    case 'overflow':
      return `[⋯ ${arr(el['options']).map(option).join(' | ')}]`;
    case 'datepicker':
      return `[Date: ${str(el['initial_date']) || placeholder || 'pick a date'} ▾]`;
    case 'timepicker':
      return `[Time: ${str(el['initial_time']) || placeholder || 'pick a time'} ▾]`;
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input':
      return `[${str(el['initial_value']) || placeholder || '…'}]`;
    case 'checkboxes':
    case 'radio_buttons': {
      // What the form starts with is marked, as Slack's client shows it chosen.
      const chosen = new Set([el['initial_option'], ...arr(el['initial_options'])].filter(isObj).map((o) => str(o['value'])));
      const [on, off] = type === 'checkboxes' ? ['[x]', '[ ]'] : ['(•)', '( )'];
      return arr(el['options']).map((o) => `${isObj(o) && chosen.has(str(o['value'])) ? on : off} ${option(o)}`).join('  ');
    }
    default: {
      if (type.endsWith('_select') || type.endsWith('_multi_select')) {
        const groups = arr(el['option_groups']).flatMap((g) => (isObj(g) ? arr(g['options']) : []));
        const options = [...arr(el['options']), ...groups].map(option);
        // Chosen at the start: an option, or a person, channel or conversation (as the mentions print them).
        const initial = [el['initial_option'], ...arr(el['initial_options'])].map(option).filter(Boolean).join(', ')
          || [el['initial_user'], ...arr(el['initial_users'])].map(str).filter(Boolean).map((u) => `@${u}`).join(', ')
          || [el['initial_channel'], el['initial_conversation'], ...arr(el['initial_channels']), ...arr(el['initial_conversations'])].map(str).filter(Boolean).map((c) => `#${c}`).join(', ');
        const label = initial || placeholder || 'Select';
        return `[Select: ${label} ▾${options.length ? ` ${options.join(' | ')}` : ''}]`;
      }
      return `[${type || 'element'}]`;
    }
  }
}

function richText(el: unknown): string {
  if (!isObj(el)) return '';
  const inner = () => arr(el['elements']).map(richText).join('');
  switch (str(el['type'])) {
    case 'text':
      return str(el['text']);
    case 'link':
      return el['text'] ? `${str(el['text'])} (${str(el['url'])})` : str(el['url']);
    case 'user':
      return `@${str(el['user_id'])}`;
    case 'usergroup':
      return usergroup(str(el['usergroup_id']));
    case 'channel':
      return `#${str(el['channel_id'])}`;
    case 'emoji':
      return `:${str(el['name'])}:`;
    case 'broadcast':
      return `@${str(el['range'])}`;
    case 'rich_text_list': {
      const ordered = el['style'] === 'ordered';
      return arr(el['elements']).map((item, i) => `${'  '.repeat(Number(el['indent'] ?? 0))}${ordered ? `${i + 1}.` : '•'} ${richText(item)}`).join('\n');
    }
    case 'rich_text_preformatted':
      return '```\n' + inner() + '\n```';
    case 'rich_text_quote':
      return inner().split('\n').map((l) => `> ${l}`).join('\n');
    default:
      return inner();
  }
}

function block(b: unknown): string {
  if (!isObj(b)) return '';
  switch (str(b['type'])) {
    case 'header':
      return `# ${textObj(b['text'])}`;
    case 'section': {
      const lines = [textObj(b['text']), ...arr(b['fields']).map((f) => `  ${textObj(f).replace(/\n/g, ' ')}`)];
      if (b['accessory']) lines.push(`  ${element(b['accessory'])}`);
      return lines.filter((l) => l.trim()).join('\n');
    }
    case 'context':
      return arr(b['elements']).map(element).join(' · ');
    case 'divider':
      return '────────';
    case 'actions':
      return arr(b['elements']).map(element).join(' ');
    case 'image':
      return `[image: ${textObj(b['title']) || str(b['alt_text'])}]`;
    case 'rich_text':
      return arr(b['elements']).map(richText).join('\n');
    case 'input': {
      const hint = textObj(b['hint']);
      const optional = b['optional'] ? ' (optional)' : '';
      return `${textObj(b['label'])}${optional}: ${element(b['element'])}${hint ? `\n  ${hint}` : ''}`;
    }
    case 'file':
      return `[file: ${str(b['external_id'])}]`;
    case 'markdown':
      return str(b['text']);
    default:
      return `[${str(b['type']) || 'block'}]`;
  }
}

/**
 * Renders Block Kit as readable plain text: one block per line or paragraph,
 * buttons as `[Label]`, selects as `[Select: placeholder ▾ a | b]`, images and
 * files as `[image: …]` / `[file: …]`. Accepts a blocks array, a text, or a
 * message-like object (blocks win over the `text` fallback, as in Slack).
 */
export function blocksToText(input: string | readonly unknown[] | MessageLike | undefined | null): string {
  if (input === undefined || input === null) return '';
  if (typeof input === 'string') return mrkdwnToText(input);
  if (Array.isArray(input)) return input.map(block).filter((s) => s !== '').join('\n');
  const msg = input as MessageLike;
  const blocks = arr(msg.blocks);
  const parts = [blocks.length ? blocksToText(blocks) : mrkdwnToText(str(msg.text))];
  for (const f of arr(msg.files)) if (isObj(f)) parts.push(`[file: ${str(f['title']) || str(f['name'])}]`);
  return parts.filter((p) => p !== '').join('\n');
}

/**
 * How the terminal client tags a reply, by what it is and where it went: a
 * modal, a DM (to the user of the stand-in's DM conversation `D0<user>`), a
 * message only the user sees, or one in the channel.
 */
export function replyTag(r: { kind?: string; ephemeral?: boolean; channel?: string; text?: string }): string {
  if (r.kind === 'modal') {
    const title = (r.text ?? '').replace(/^Modal: /, '').trim();
    return title ? `[modal: ${title}]` : '[modal]';
  }
  if (r.kind === 'error') return '[error]';
  if (r.ephemeral) return '[only visible to you]';
  if (r.channel?.startsWith('D')) {
    const user = /^D0([UW][A-Z0-9]+)$/.exec(r.channel)?.[1];
    return user ? `[DM to ${user}]` : '[DM]';
  }
  return r.channel ? `[in channel ${r.channel}]` : '[in channel]';
}
