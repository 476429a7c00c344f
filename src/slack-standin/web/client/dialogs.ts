/** Confirm dialogs (an element's `confirm`) and the overflow menu's popover. */
import type { ConfirmationDialog } from '@slack/types';
import { $, focusables, h, keepTabIn } from './dom.js';
import { plain, textEl } from './mrkdwn-dom.js';

/** Shows a menu of `items` under `anchor`; choosing one closes it and runs it. */
export function showPopover(anchor: HTMLElement, items: ReadonlyArray<[label: string, run: () => unknown]>): void {
  const pop = $('popover');
  pop.replaceChildren(...items.map(([label, run]) => h('button', { type: 'button', onclick: () => { pop.hidden = true; void run(); } }, label)));
  const r = anchor.getBoundingClientRect();
  pop.hidden = false;
  pop.style.top = `${Math.min(r.bottom + 4, innerHeight - pop.offsetHeight - 8)}px`;
  pop.style.left = `${Math.min(r.left, innerWidth - pop.offsetWidth - 8)}px`;
}

/** Closes the popover on a click elsewhere. */
export function installPopoverDismiss(): void {
  document.addEventListener('click', (ev) => {
    const pop = $('popover');
    if (!(ev.target instanceof Node) || !pop.contains(ev.target)) pop.hidden = true;
  });
}

/**
 * Asks as Slack does before an element with `confirm` acts; resolves whether the user confirmed.
 * The dialog takes the focus (on Cancel when the action is dangerous), keeps Tab inside, answers
 * Cancel to Esc (leaving a modal under it open), and gives the focus back when it closes.
 */
export function confirmDialog(c: ConfirmationDialog): Promise<boolean> {
  return new Promise((resolve) => {
    const overlay = $('confirm-overlay');
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const keys = (ev: KeyboardEvent) => {
      if (ev.key === 'Escape') {
        // Answered here: the modal under the dialog must not hear this Esc.
        ev.preventDefault();
        ev.stopImmediatePropagation();
        done(false);
      } else keepTabIn($('confirm'), ev);
    };
    const done = (ok: boolean) => {
      window.removeEventListener('keydown', keys, true);
      overlay.hidden = true;
      if (before?.isConnected) before.focus();
      resolve(ok);
    };
    const deny = h('button', { type: 'button', class: 'bk-btn', onclick: () => done(false) }, plain(c.deny) || 'Cancel');
    const confirm = h('button', { type: 'button', class: `bk-btn ${c.style === 'danger' ? 'danger' : 'primary'}`, dataset: { confirm: '1' }, onclick: () => done(true) }, plain(c.confirm) || 'Yes');
    $('confirm').replaceChildren(
      h('div', { class: 'modal-header' }, h('div', { class: 'modal-title', id: 'confirm-title' }, plain(c.title) || 'Are you sure?')),
      h('div', { class: 'modal-body', id: 'confirm-text' }, textEl(c.text, 'div')),
      h('div', { class: 'modal-footer' }, deny, confirm));
    overlay.hidden = false;
    window.addEventListener('keydown', keys, true);
    (c.style === 'danger' ? deny : confirm).focus();
    if (!focusables($('confirm')).includes(document.activeElement as HTMLElement)) confirm.focus();
  });
}
