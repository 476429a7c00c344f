/** A few DOM helpers: find an element by ID, build one with attributes and children. */

/** What {@link h} accepts as children: nodes, text, nothing, or lists of them. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attributes of {@link h}: `class`, `dataset`, `on<event>` listeners, and plain attributes (true means present). */
export interface Attrs {
  class?: string;
  dataset?: Record<string, string>;
  [name: string]: string | number | boolean | null | undefined | Record<string, string> | ((ev: Event) => unknown);
}

/** The element with this ID; the page's HTML has them all. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no #${id}`);
  return el as T;
}

/** Builds an element: `h('div', { class: 'x', onclick }, child, 'text', …)`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = String(v);
    else if (k === 'dataset' && typeof v === 'object') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: Element | DocumentFragment, children: readonly Child[]): void {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c as readonly Child[]);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces `parent`'s children with `nodes`, moving only what changed (open selects and focus survive). */
export function syncChildren(parent: Element, nodes: readonly Element[]): void {
  nodes.forEach((n, i) => {
    if (parent.children[i] !== n) parent.insertBefore(n, parent.children[i] ?? null);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild?.remove();
}

const FOCUSABLE = 'button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])';

/** The elements of `root` that Tab reaches, in order. */
export function focusables(root: Element): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute('disabled') && el.tabIndex >= 0 && el.getClientRects().length > 0);
}

/** Keeps Tab and Shift+Tab inside `root` (an open dialog): past its last element is its first, and back. */
export function keepTabIn(root: Element, ev: KeyboardEvent): void {
  if (ev.key !== 'Tab') return;
  const all = focusables(root);
  const first = all[0];
  const last = all.at(-1);
  const active = document.activeElement;
  if (!first || !last) {
    ev.preventDefault();
    return;
  }
  const inside = active instanceof Node && root.contains(active);
  if (ev.shiftKey && (!inside || active === first)) {
    ev.preventDefault();
    last.focus();
  } else if (!ev.shiftKey && (!inside || active === last)) {
    ev.preventDefault();
    first.focus();
  }
}
