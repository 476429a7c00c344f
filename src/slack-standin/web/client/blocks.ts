/**
 * Block Kit drawn as the page's DOM, and what its interactive elements send:
 * in a message or an actions block an element acts at once (a block_actions
 * payload through `POST /local/action`); in an input block it only holds a
 * value until the modal is submitted.
 */
import type {
  ActionsBlockElement,
  Checkboxes,
  ContextBlockElement,
  InputBlock,
  InputBlockElement,
  KnownBlock,
  MultiSelect,
  Option,
  RadioButtons,
  RichTextBlockElement,
  RichTextElement,
  SectionBlockAccessory,
  Select,
} from '@slack/types';
import { SLACK_LIMITS } from '../../../blockkit/limits.js';
import { isSafeUrl } from '../../../blockkit/mrkdwn.js';
import { confirmDialog, showPopover } from './dialogs.js';
import { h, type Attrs } from './dom.js';
import { EMOJI, emojify } from './emoji.js';
import { mrkdwnNodes, plain, textEl } from './mrkdwn-dom.js';
import { channelName, note, post, reportReplyErrors, ui, userName, type LocalValues, type Typed } from './store.js';

/** Where an element lives decides what its interaction sends. */
export type Where = { kind: 'message'; channelId: string; ts: string } | { kind: 'view'; viewId: string; form: () => HTMLElement };

/** What an interaction adds to the block_actions payload: a chosen option's value, or extra action fields. */
interface ActFields {
  value?: string;
  extra?: Record<string, unknown>;
}
type Act = (fields: ActFields) => Promise<void>;

/** The data attributes that tests and the form code find elements by. */
type ElementData = Record<string, string>;

type AnySelect = Select | MultiSelect;
type AnyElement = ActionsBlockElement | SectionBlockAccessory | InputBlockElement | ContextBlockElement;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Blocks as a `.bk` element. */
export function blocksEl(blocks: readonly KnownBlock[], where: Where): HTMLElement {
  return h('div', { class: 'bk' }, blocks.map((b) => blockEl(b, where)));
}

/** A file or image the stand-in serves is asked of this page's origin, whatever host the bot used. */
export function imageUrl(url: string | undefined, slackFile?: { id?: string; url?: string }): string {
  const u = str(url) || str(slackFile?.url);
  if (!u && slackFile?.id) return `/files/${encodeURIComponent(slackFile.id)}`;
  const m = /^https?:\/\/[^/]+(\/files\/[A-Z0-9]+)$/.exec(u);
  return m?.[1] ?? u;
}

function imageSrc(img: { image_url?: string; slack_file?: { id?: string; url?: string } }): string {
  return imageUrl(img.image_url, img.slack_file);
}

function blockEl(b: KnownBlock, where: Where): HTMLElement {
  const attrs: Attrs = { class: `bk-${b.type}`, dataset: { blockId: str(b.block_id), blockType: b.type } };
  switch (b.type) {
    case 'header':
      return h('div', attrs, textEl(b.text));
    case 'section': {
      const fields = b.fields ?? [];
      const main = h('div', { class: 'bk-section-main' },
        b.text ? textEl(b.text, 'div') : null,
        fields.length ? h('div', { class: 'bk-fields' }, fields.map((f) => textEl(f, 'div'))) : null);
      return h('div', attrs, main, b.accessory ? h('div', { class: 'bk-section-accessory' }, elementEl(b.accessory, str(b.block_id), where, true)) : null);
    }
    case 'context':
      return h('div', attrs, b.elements.map((e) => (e.type === 'image' ? h('img', { src: imageSrc(e), alt: e.alt_text, title: e.alt_text }) : textEl(e))));
    case 'divider':
      return h('hr', { ...attrs, class: 'bk-divider' });
    case 'image':
      return h('figure', { ...attrs, class: 'bk-image', style: 'margin:6px 0' },
        b.title ? h('div', { class: 'bk-image-title' }, plain(b.title)) : null,
        h('img', { src: imageSrc(b), alt: b.alt_text, title: b.alt_text }));
    case 'actions':
      return h('div', attrs, b.elements.map((e) => elementEl(e, str(b.block_id), where)));
    case 'input':
      return inputBlockEl(b, where);
    case 'rich_text':
      return h('div', { ...attrs, class: 'bk-rich' }, b.elements.map(richEl));
    case 'markdown':
      // Standard Markdown: the page reads its **bold** as mrkdwn's *bold*; the rest is close enough.
      return h('div', { ...attrs, class: 'bk-markdown mrkdwn' }, mrkdwnNodes(b.text.replace(/\*\*([^*]+)\*\*/g, '*$1*')));
    case 'file':
      return h('div', { ...attrs, class: 'bk-unknown' }, `[remote file ${b.external_id}]`);
    default:
      return h('div', { ...attrs, class: 'bk-unknown' }, `[${str((b as { type?: unknown }).type) || 'block'} block]`);
  }
}

function richInline(els: readonly RichTextElement[]): Node[] {
  return els.map((e): Node => {
    switch (e.type) {
      case 'text': {
        let node: HTMLElement = h('span', {}, e.text);
        const st = e.style ?? {};
        if (st.code) node = h('code', {}, node);
        if (st.bold) node = h('strong', {}, node);
        if (st.italic) node = h('em', {}, node);
        if (st.strike) node = h('del', {}, node);
        return node;
      }
      case 'link':
        return isSafeUrl(e.url) ? h('a', { href: e.url, target: '_blank', rel: 'noopener' }, e.text ?? e.url) : h('span', {}, e.text ?? '');
      case 'user':
        return h('span', { class: `mention${e.user_id === ui.me ? ' me' : ''}` }, `@${userName(e.user_id)}`);
      case 'usergroup':
        return h('span', { class: 'mention' }, `@${ui.state?.usergroups[e.usergroup_id]?.handle ?? e.usergroup_id}`);
      case 'channel':
        return h('span', { class: 'mention' }, `#${channelName(e.channel_id)}`);
      case 'emoji':
        return h('span', {}, EMOJI[e.name] ?? `:${e.name}:`);
      case 'broadcast':
        return h('span', { class: 'mention' }, `@${e.range}`);
      default:
        return h('span', {}, '');
    }
  });
}

function richEl(el: RichTextBlockElement): HTMLElement {
  switch (el.type) {
    case 'rich_text_section': return h('div', {}, richInline(el.elements));
    case 'rich_text_preformatted': return h('pre', {}, richInline(el.elements));
    case 'rich_text_quote': return h('blockquote', {}, richInline(el.elements));
    case 'rich_text_list': return h(el.style === 'ordered' ? 'ol' : 'ul', {}, el.elements.map((i) => h('li', {}, richInline(i.elements))));
    default: return h('span', {}, '');
  }
}

const optionText = (o: Option | undefined): string => plain(o?.text);

/** A select's options and what is initially chosen, whatever kind of select it is. */
function selectSource(el: AnySelect): { options: Option[]; groups: Array<{ label: string; options: Option[] }>; initial: string[]; field?: string } {
  const none = { options: [], groups: [] };
  switch (el.type) {
    case 'static_select':
      return { options: el.options ?? [], groups: (el.option_groups ?? []).map((g) => ({ label: plain(g.label), options: g.options })), initial: el.initial_option?.value ? [el.initial_option.value] : [] };
    case 'multi_static_select':
      return { options: el.options ?? [], groups: (el.option_groups ?? []).map((g) => ({ label: plain(g.label), options: g.options })), initial: (el.initial_options ?? []).flatMap((o) => (o.value ? [o.value] : [])) };
    case 'external_select':
      return { ...none, options: el.initial_option ? [el.initial_option] : [], initial: el.initial_option?.value ? [el.initial_option.value] : [] };
    case 'multi_external_select':
      return { ...none, options: el.initial_options ?? [], initial: (el.initial_options ?? []).flatMap((o) => (o.value ? [o.value] : [])) };
    case 'users_select':
      return { ...none, initial: el.initial_user ? [el.initial_user] : [], field: 'user' };
    case 'multi_users_select':
      return { ...none, initial: el.initial_users ?? [], field: 'user' };
    case 'conversations_select':
      return { ...none, initial: el.initial_conversation ? [el.initial_conversation] : [], field: 'conversation' };
    case 'multi_conversations_select':
      return { ...none, initial: el.initial_conversations ?? [], field: 'conversation' };
    case 'channels_select':
      return { ...none, initial: el.initial_channel ? [el.initial_channel] : [], field: 'channel' };
    case 'multi_channels_select':
      return { ...none, initial: el.initial_channels ?? [], field: 'channel' };
  }
}

/** Native selects: testable, accessible, and good enough for a stand-in. */
function selectEl(el: AnySelect, data: ElementData, act: Act | null): HTMLSelectElement {
  const multi = el.type.startsWith('multi_');
  const source = selectSource(el);
  const sel = h('select', { class: 'bk-select', dataset: data, ...(multi ? { multiple: true, size: 4 } : {}) });
  if (!multi) sel.append(h('option', { value: '', disabled: true, selected: true }, plain(el.placeholder) || 'Select an option'));
  const optionEl = (o: Option) => h('option', { value: str(o.value) }, optionText(o));
  if (source.field === 'user') sel.append(...(ui.state?.users ?? []).map((u) => h('option', { value: u.id }, u.realName)));
  else if (source.field) sel.append(...(ui.state?.channels ?? []).map((c) => h('option', { value: c.id }, `#${c.name}`)));
  else if (source.groups.length) sel.append(...source.groups.map((g) => h('optgroup', { label: g.label }, g.options.map(optionEl))));
  else sel.append(...source.options.map(optionEl));
  for (const o of sel.options) if (source.initial.includes(o.value)) o.selected = true;
  sel.addEventListener('change', () => {
    const values = [...sel.selectedOptions].map((o) => o.value).filter(Boolean);
    if (!act || values.length === 0) return;
    void (async () => {
      if (el.confirm && !(await confirmDialog(el.confirm))) return;
      if (!source.field) {
        const chosen = [...source.options, ...source.groups.flatMap((g) => g.options)].filter((o) => o.value !== undefined && values.includes(o.value));
        await act(multi ? { extra: { selected_options: chosen } } : { value: values[0] ?? '' });
      } else {
        await act({ extra: multi ? { [`selected_${source.field}s`]: values } : { [`selected_${source.field}`]: values[0] } });
      }
    })();
  });
  return sel;
}

function choicesEl(el: Checkboxes | RadioButtons, data: ElementData, onChange: ((options: Option[]) => void) | null): HTMLElement {
  const radio = el.type === 'radio_buttons';
  const name = `${data['blockId'] ?? ''}/${data['actionId'] ?? ''}/${Math.random().toString(36).slice(2)}`;
  const initial = el.type === 'radio_buttons' ? (el.initial_option?.value ? [el.initial_option.value] : []) : (el.initial_options ?? []).map((o) => str(o.value));
  const options: Option[] = el.options;
  const box = h('div', { class: 'bk-choices', dataset: data });
  for (const o of options) {
    const input = h('input', { type: radio ? 'radio' : 'checkbox', name, value: str(o.value), ...(initial.includes(str(o.value)) ? { checked: true } : {}) });
    box.append(h('label', {}, input, h('span', {}, textEl(o.text), o.description ? textEl(o.description, 'span', 'bk-choice-desc') : null)));
  }
  if (onChange) {
    box.addEventListener('change', () => {
      const values = [...box.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
      onChange(options.filter((o) => values.includes(str(o.value))));
    });
  }
  return box;
}

/** An interactive element in a message, an actions block or a section accessory: it acts at once. */
function elementEl(el: AnyElement, blockId: string, where: Where, accessory = false): HTMLElement {
  const data: ElementData = { actionId: 'action_id' in el ? str(el.action_id) : '', blockId, type: el.type };
  const act: Act = (fields) => sendAction(data['actionId'] ?? '', blockId, where, fields);
  switch (el.type) {
    case 'button': {
      const btn = h('button', { type: 'button', class: `bk-btn ${str(el.style)}`, dataset: data, 'aria-label': el.accessibility_label }, h('span', {}, emojify(plain(el.text))));
      btn.addEventListener('click', () => void (async () => {
        if (el.confirm && !(await confirmDialog(el.confirm))) return;
        if (el.url && isSafeUrl(el.url)) window.open(el.url, '_blank', 'noopener');
        btn.classList.add('busy');
        try {
          await act({});
        } finally {
          btn.classList.remove('busy');
        }
      })());
      return btn;
    }
    case 'image':
      return h('img', { class: accessory ? 'bk-accessory-image' : '', src: imageSrc(el), alt: el.alt_text, title: el.alt_text });
    case 'overflow': {
      const btn = h('button', { type: 'button', class: 'bk-overflow', 'aria-label': 'More actions', dataset: data }, '⋯');
      btn.addEventListener('click', (ev) => {
        ev.stopPropagation();
        showPopover(btn, el.options.map((o): [string, () => Promise<void>] => [optionText(o), async () => {
          if (el.confirm && !(await confirmDialog(el.confirm))) return;
          if (o.url && isSafeUrl(o.url)) window.open(o.url, '_blank', 'noopener');
          await act({ value: str(o.value) });
        }]));
      });
      return btn;
    }
    case 'datepicker':
    case 'timepicker': {
      const date = el.type === 'datepicker';
      const input = h('input', { type: date ? 'date' : 'time', class: date ? 'bk-date' : 'bk-time', dataset: data, value: el.type === 'datepicker' ? str(el.initial_date) : str(el.initial_time) });
      input.addEventListener('change', () => void (async () => {
        if (!input.value) return;
        if (el.confirm && !(await confirmDialog(el.confirm))) return;
        await act({ extra: date ? { selected_date: input.value } : { selected_time: input.value } });
      })());
      return input;
    }
    case 'checkboxes':
    case 'radio_buttons':
      return choicesEl(el, data, (options) => void act({ extra: el.type === 'checkboxes' ? { selected_options: options } : { selected_option: options[0] ?? null } }));
    case 'plain_text':
    case 'mrkdwn':
      return textEl(el);
    default:
      if (el.type.endsWith('select')) return selectEl(el as AnySelect, data, act);
      return h('span', { class: 'bk-unknown', dataset: data }, `[${el.type}]`);
  }
}

/** The control of an input block: holds a value; acts at once only with `dispatch_action`. */
function inputElementEl(el: InputBlockElement, block: InputBlock, where: Where): HTMLElement {
  const data: ElementData = { actionId: str(el.action_id), blockId: str(block.block_id), type: el.type, input: '1' };
  const act: Act | null = block.dispatch_action ? (fields) => sendAction(str(el.action_id), str(block.block_id), where, fields) : null;
  switch (el.type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const type = el.type === 'email_text_input' ? 'email' : el.type === 'url_text_input' ? 'url' : el.type === 'number_input' ? 'number' : 'text';
      const attrs: Attrs = { class: 'bk-text', dataset: data, placeholder: plain(el.placeholder) };
      if (el.type === 'plain_text_input') {
        // Slack's client stops typing at max_length, and never takes more than its own limit.
        attrs['maxlength'] = Math.min(el.max_length ?? SLACK_LIMITS.plainTextInput, SLACK_LIMITS.plainTextInput);
        if (el.min_length) attrs['minlength'] = el.min_length;
      }
      if (el.type === 'number_input') {
        if (el.min_value !== undefined) attrs['min'] = el.min_value;
        if (el.max_value !== undefined) attrs['max'] = el.max_value;
        if (!el.is_decimal_allowed) attrs['step'] = 1;
      }
      const multiline = el.type === 'plain_text_input' && el.multiline === true;
      const input = multiline ? h('textarea', attrs) : h('input', { ...attrs, type });
      input.value = str(el.initial_value);
      if (el.focus_on_load) setTimeout(() => input.focus(), 0);
      if (act) {
        input.addEventListener(multiline ? 'change' : 'keydown', (ev) => {
          if (ev instanceof KeyboardEvent && ev.key !== 'Enter') return;
          ev.preventDefault();
          void act({ extra: { value: input.value } });
        });
      }
      return input;
    }
    case 'datepicker':
    case 'timepicker': {
      const date = el.type === 'datepicker';
      const input = h('input', { type: date ? 'date' : 'time', class: 'bk-text', dataset: data, value: el.type === 'datepicker' ? str(el.initial_date) : str(el.initial_time) });
      if (act) input.addEventListener('change', () => void act({ extra: date ? { selected_date: input.value } : { selected_time: input.value } }));
      return input;
    }
    case 'checkboxes':
    case 'radio_buttons':
      return choicesEl(el, data, act ? (options) => void act({ extra: el.type === 'checkboxes' ? { selected_options: options } : { selected_option: options[0] ?? null } }) : null);
    default:
      if (el.type.endsWith('select')) return selectEl(el as AnySelect, data, act);
      return h('span', { class: 'bk-unknown', dataset: data }, `[${el.type}]`);
  }
}

function inputBlockEl(b: InputBlock, where: Where): HTMLElement {
  const blockId = str(b.block_id);
  const error = where.kind === 'view' ? ui.viewErrors[where.viewId]?.[blockId] : undefined;
  const control = inputElementEl(b.element, b, where);
  const id = `in-${blockId}-${str(b.element.action_id)}`.replace(/[^\w-]/g, '_');
  control.id = id;
  return h('div', { class: `bk-input${error ? ' has-error' : ''}`, dataset: { blockId, blockType: 'input', optional: b.optional ? '1' : '' } },
    h('label', { for: id }, plain(b.label), b.optional ? h('span', { class: 'optional' }, ' (optional)') : null),
    control,
    b.hint ? h('div', { class: 'bk-input-hint' }, plain(b.hint)) : null,
    error ? h('div', { class: 'bk-input-error', role: 'alert' }, '⚠ ', error) : null);
}

// ---------------------------------------------------------------- the values of a form

/** The input controls of a rendered view. */
function controls(root: ParentNode): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>('[data-input="1"]')];
}

function checked(c: HTMLElement): string[] {
  return [...c.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
}

/** A text control's value, a select's chosen values. */
function controlValue(c: HTMLElement): string | string[] {
  if (c.dataset['type'] === 'checkboxes' || c.dataset['type'] === 'radio_buttons') return checked(c);
  if (c instanceof HTMLSelectElement) return [...c.selectedOptions].map((o) => o.value);
  return c instanceof HTMLInputElement || c instanceof HTMLTextAreaElement ? c.value : '';
}

/** action_id → value(s) of every input in a rendered view, as the stand-in's submit expects. */
export function formValues(root: ParentNode): LocalValues {
  const values: LocalValues = {};
  for (const c of controls(root)) {
    const actionId = c.dataset['actionId'] ?? '';
    const v = controlValue(c);
    if (c.dataset['type'] === 'radio_buttons' || (c instanceof HTMLSelectElement && !c.multiple)) {
      const one = Array.isArray(v) ? v.find(Boolean) : v;
      if (one) values[actionId] = one;
    } else if (Array.isArray(v)) {
      values[actionId] = v;
    } else if (v !== '') {
      values[actionId] = v;
    }
  }
  return values;
}

/** What the user typed, keyed by block and action, to survive a re-render. */
export function snapshotInputs(root: ParentNode): Typed {
  const saved: Typed = {};
  for (const c of controls(root)) saved[`${c.dataset['blockId'] ?? ''}/${c.dataset['actionId'] ?? ''}`] = controlValue(c);
  return saved;
}

export function restoreInputs(root: ParentNode, saved: Typed): void {
  for (const c of controls(root)) {
    const v = saved[`${c.dataset['blockId'] ?? ''}/${c.dataset['actionId'] ?? ''}`];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? v : [v];
    if (c.dataset['type'] === 'checkboxes' || c.dataset['type'] === 'radio_buttons') c.querySelectorAll<HTMLInputElement>('input').forEach((i) => (i.checked = list.includes(i.value)));
    else if (c instanceof HTMLSelectElement) for (const o of c.options) o.selected = list.includes(o.value);
    else if (c instanceof HTMLInputElement || c instanceof HTMLTextAreaElement) c.value = typeof v === 'string' ? v : '';
  }
}

/** Whether a control holds nothing (what Slack's client checks of a required input). */
export function isEmpty(c: HTMLElement): boolean {
  const v = controlValue(c);
  return Array.isArray(v) ? v.every((x) => !x) : v.trim() === '';
}

/** Sends a click: its element is named by action and block, as two items of a list may share an action_id. */
async function sendAction(actionId: string, blockId: string, where: Where, fields: ActFields): Promise<void> {
  const body = where.kind === 'message'
    ? { actionId, blockId, ...fields, channelId: where.channelId, ts: where.ts, timeoutMs: 4000, settleMs: 200 }
    : { actionId, blockId, ...fields, viewId: where.viewId, values: formValues(where.form()), timeoutMs: 4000, settleMs: 200 };
  const { status, data } = await post('/local/action', body);
  if (status !== 200) return note(`The stand-in could not send that: ${data.error ?? `HTTP ${status}`}`);
  if (data.ack && data.ack.status !== 200) note(`analytics-bot did not answer that click (HTTP ${data.ack.status}).`);
  reportReplyErrors(data.replies);
}
