/**
 * Modals: the user's stack drawn as Slack draws it, required inputs checked in
 * the page before anything is sent, the bot's `errors` shown under the inputs
 * as soon as its ack arrives, and closes sent once.
 */
import type { PageView } from '../protocol.js';
import { blocksEl, formValues, isEmpty, restoreInputs, snapshotInputs } from './blocks.js';
import { $, focusables, h, keepTabIn } from './dom.js';
import { plain } from './mrkdwn-dom.js';
import { botIcon } from './messages.js';
import { post, reportReplyErrors, scheduleRefresh, ui } from './store.js';

/** The stack as the user sees it: views whose close was sent are gone already. */
function openStack(): PageView[] {
  return (ui.state?.modals ?? []).filter((v) => !ui.closing.has(v.id));
}

/**
 * Views whose submission is on its way: Slack's client sends a view once until the bot has answered, so a double
 * click on Submit (or Enter, then a click) is one submission, not two for the bot to tell apart.
 */
const submitting = new Set<string>();

/** What had the focus when the modals opened: it gets it back when they close. */
let focusBefore: HTMLElement | null = null;

export function renderModal(): void {
  const stack = openStack();
  const view = stack.at(-1);
  const overlay = $('modal-overlay');
  const modal = $('modal');
  if (!view) {
    const wasOpen = !overlay.hidden;
    overlay.hidden = true;
    ui.modalKey = null;
    ui.typed = {};
    if (wasOpen) giveFocusBack();
    return;
  }
  const key = `${view.id}:${view.hash}`;
  if (ui.modalKey === key && !overlay.hidden) return;
  const active = document.activeElement;
  if (overlay.hidden) focusBefore = active instanceof HTMLElement && active !== document.body ? active : null;
  // An update of the view on screen keeps the focus on the same element; another view takes it afresh.
  const sameView = ui.modalKey?.split(':')[0] === view.id;
  const mark = sameView ? focusMark(modal, active) : null;
  // Slack keeps what was typed in a view across updates, and when a pushed view goes back to it.
  if (ui.modalKey) ui.typed[ui.modalKey.split(':')[0] ?? ''] = snapshotInputs(modal);
  ui.modalKey = key;
  renderModalContent(view, stack.length > 1);
  restoreInputs(modal, ui.typed[view.id] ?? {});
  overlay.hidden = false;
  // A dialog takes the focus: what is typed next goes into it, not into the page behind it.
  if (!(mark && refocus(modal, mark))) focusFirst(modal);
}

/**
 * What has the focus in a modal, by what a redraw keeps: a Block Kit element's block_id and
 * action_id (and, in a group of radio buttons or checkboxes, the option's value), or the modal's own button.
 */
interface FocusMark {
  blockId: string;
  actionId: string;
  /** The focused option's value, inside a group of choices. */
  value: string | undefined;
  /** The modal's own button (data-modal-submit, -close, -cancel, -back). */
  own: string | undefined;
}

const OWN_BUTTONS = ['modalSubmit', 'modalClose', 'modalCancel', 'modalBack'] as const;

function focusMark(modal: HTMLElement, active: Element | null): FocusMark | null {
  if (!(active instanceof HTMLElement) || !modal.contains(active)) return null;
  const own = OWN_BUTTONS.find((k) => active.dataset[k]);
  if (own) return { blockId: '', actionId: '', value: undefined, own };
  const el = active.closest<HTMLElement>('[data-action-id]');
  if (!el || !modal.contains(el)) return null;
  const value = el !== active && active instanceof HTMLInputElement ? active.value : undefined;
  return { blockId: el.dataset['blockId'] ?? '', actionId: el.dataset['actionId'] ?? '', value, own: undefined };
}

/** Gives the focus back to the element `mark` names, if the redrawn modal still has it; says whether it did. */
function refocus(modal: HTMLElement, mark: FocusMark): boolean {
  let target: HTMLElement | null | undefined;
  if (mark.own) {
    const key = mark.own;
    target = [...modal.querySelectorAll<HTMLElement>('button')].find((b) => b.dataset[key]);
  } else {
    const el = [...modal.querySelectorAll<HTMLElement>('[data-action-id]')].find((e) => (e.dataset['blockId'] ?? '') === mark.blockId && (e.dataset['actionId'] ?? '') === mark.actionId);
    const inputs = el ? [...el.querySelectorAll<HTMLInputElement>('input')] : [];
    target = mark.value !== undefined ? (inputs.find((i) => i.value === mark.value) ?? inputs[0]) : el;
  }
  if (!target) return false;
  target.focus();
  return document.activeElement === target;
}

/** The modal's first input (or, with none, its first button) gets the focus, unless an input asked for it (focus_on_load). */
function focusFirst(modal: HTMLElement): void {
  const target = modal.querySelector<HTMLElement>('.modal-body [data-input="1"]') ?? focusables(modal.querySelector('.modal-body') ?? modal)[0] ?? focusables(modal)[0];
  target?.focus();
}

/** Back to what had the focus before the modals opened, or the composer. */
function giveFocusBack(): void {
  const back = focusBefore;
  focusBefore = null;
  if (back && back.isConnected && back.getClientRects().length > 0) back.focus();
  else if (!$('composer-form').hidden) $('composer').focus();
}

function renderModalContent(view: PageView, canGoBack: boolean, banner?: string): void {
  const modal = $('modal');
  const body = h('form', { class: 'modal-body', novalidate: true });
  if (banner) body.append(h('div', { class: 'modal-error', role: 'alert' }, banner));
  body.append(blocksEl(view.blocks, { kind: 'view', viewId: view.id, form: () => body }));
  const submitBtn = view.submit ? h('button', { type: 'submit', class: 'bk-btn primary', dataset: { modalSubmit: '1' } }, plain(view.submit)) : null;
  const submit = (ev: Event) => {
    ev.preventDefault();
    void submitModal(view, body, submitBtn);
  };
  body.addEventListener('submit', submit);
  submitBtn?.addEventListener('click', submit);
  modal.replaceChildren(
    h('div', { class: 'modal-header' },
      canGoBack ? h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Back', dataset: { modalBack: '1' }, onclick: () => closeModal(false) }, '‹') : null,
      h('div', { class: 'modal-app' }, botIcon()),
      h('div', { class: 'modal-title', id: 'modal-title' }, plain(view.title)),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close', dataset: { modalClose: '1' }, onclick: () => closeModal(true) }, '✕')),
    body,
    h('div', { class: 'modal-footer' },
      h('button', { type: 'button', class: 'bk-btn', dataset: { modalCancel: '1' }, onclick: () => closeModal(false) }, plain(view.close) || 'Cancel'),
      submitBtn));
}

/** Slack checks required inputs in the client before sending anything. */
function missingRequired(form: HTMLElement): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const block of form.querySelectorAll<HTMLElement>('[data-block-type="input"]')) {
    if (block.dataset['optional']) continue;
    const control = block.querySelector<HTMLElement>('[data-input="1"]');
    const blockId = block.dataset['blockId'] ?? '';
    if (!control) continue;
    const minLength = control instanceof HTMLInputElement || control instanceof HTMLTextAreaElement ? control.minLength : 0;
    const length = control instanceof HTMLInputElement || control instanceof HTMLTextAreaElement ? control.value.length : 0;
    if (isEmpty(control)) errors[blockId] = 'Please complete this required field.';
    else if (minLength > 0 && length < minLength) errors[blockId] = `Please enter at least ${minLength} characters.`;
  }
  return errors;
}

/** Redraws the modal with what was typed kept, and an optional banner. */
function redraw(view: PageView, banner?: string): void {
  const modal = $('modal');
  const saved = snapshotInputs(modal);
  renderModalContent(view, openStack().length > 1, banner);
  restoreInputs(modal, saved);
}

async function submitModal(view: PageView, form: HTMLElement, btn: HTMLElement | null): Promise<void> {
  if (submitting.has(view.id)) return;
  const local = missingRequired(form);
  if (Object.keys(local).length) return showViewErrors(view, local);
  const values = formValues(form);
  submitting.add(view.id);
  btn?.classList.add('busy');
  const { status, data } = await post('/local/submit', { viewId: view.id, values, timeoutMs: 4000, settleMs: 200 }).finally(() => {
    submitting.delete(view.id);
    btn?.classList.remove('busy');
  });
  if (status !== 200 || data.ack?.status !== 200) return redraw(view, 'We had some trouble connecting. Try again?');
  reportReplyErrors(data.replies);
  if (data.responseAction === 'errors') return showViewErrors(view, data.errors ?? {});
  delete ui.viewErrors[view.id];
  scheduleRefresh();
}

function showViewErrors(view: PageView, errors: Record<string, string>): void {
  ui.viewErrors[view.id] = errors;
  redraw(view);
  $('modal').querySelector<HTMLElement>('.has-error [data-input="1"], .has-error input')?.focus();
}

/**
 * Closes the top modal (`all`: the whole stack) at once, as Slack does, and
 * tells the stand-in once: a second close of the same view (Esc, then Cancel
 * before the page caught up) sends nothing.
 */
export function closeModal(all: boolean): void {
  const stack = openStack();
  const view = stack.at(-1);
  if (!view) return;
  for (const v of all ? stack : [view]) {
    ui.closing.add(v.id);
    delete ui.viewErrors[v.id];
  }
  renderModal();
  void post('/local/close', { clearAll: all, viewId: view.id }).finally(scheduleRefresh);
}

/** Esc closes the modals, unless a confirm dialog is open over them; Tab stays in the modal. */
export function installModalKeys(): void {
  window.addEventListener('keydown', (ev) => {
    if ($('modal-overlay').hidden || !$('confirm-overlay').hidden) return;
    if (ev.key === 'Escape') closeModal(true);
    else keepTabIn($('modal'), ev);
  });
}
