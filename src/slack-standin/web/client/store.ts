/**
 * The page's state: the stand-in's snapshot for the current user, what the
 * page itself keeps (notes, typed values, errors), and the traffic with the
 * stand-in (state, change events, local routes).
 */
import type { LocalAnswer, LocalReply, LocalValues, PageState } from '../protocol.js';

/** A note Slack itself shows (unknown command, a failed call), only in this page, per conversation. */
export interface Note {
  ts: string;
  text: string;
  /** The user it was shown to. */
  me: string;
}

/** What was typed in a rendered view, by `blockId/actionId`, to survive a re-render. */
export type Typed = Record<string, string | string[]>;

const params = new URLSearchParams(location.search);

/** Whom the page acts as when it is not told, or is told a user the workspace does not have. */
const DEFAULT_USER = 'U0REGULAR';

export const ui = {
  me: params.get('as') || localStorage.getItem('standin.as') || DEFAULT_USER,
  /** `channel:<id>`, `dm` or `home`. */
  view: 'channel:C0ANALYTIC',
  state: null as PageState | null,
  threadTs: null as string | null,
  notes: {} as Record<string, Note[]>,
  /** Messages seen per user and conversation, for the unread badges. */
  seen: {} as Record<string, number>,
  /** Errors returned by the last submission, per view ID: block_id → text. */
  viewErrors: {} as Record<string, Record<string, string>>,
  /** Rendered message elements, reused while a message is unchanged. */
  rendered: new Map<string, { sig: string; el: HTMLElement }>(),
  /** `viewId:hash` of the modal on screen. */
  modalKey: null as string | null,
  /** Inputs typed in each open view, by view ID. */
  typed: {} as Record<string, Typed>,
  /** Views whose close the page has sent: a second close (Esc, then Cancel) sends nothing. */
  closing: new Set<string>(),
  completionIndex: 0,
  homeAsked: false,
  homeProblem: null as string | null,
  /** Whether the message list is scrolled to its end: new messages and late images keep it there. */
  atEnd: true,
};

/** What the page draws; set by the shell at start-up, so that no module imports the shell. */
export const hooks = {
  render: (): void => {},
  renderMessages: (_scrollToEnd: boolean): void => {},
};

/** POSTs to a local route as the current user. */
export async function post(path: string, body: object): Promise<{ status: number; data: LocalAnswer }> {
  try {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: ui.me, ...body }) });
    const data = (await res.json().catch(() => ({}))) as LocalAnswer;
    return { status: res.status, data };
  } catch {
    return { status: 0, data: { error: 'the stand-in is not answering' } };
  }
}

let refreshSeq = 0;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;

/** Re-reads the state soon (changes come in bursts). */
export function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), 25);
}

/** Reads the state for the current user and draws it; an older answer never overwrites a newer one. */
export async function refresh(): Promise<void> {
  const seq = ++refreshSeq;
  const res = await fetch(`/local/state?user=${encodeURIComponent(ui.me)}`).catch(() => null);
  if (seq !== refreshSeq) return;
  // A user the workspace does not have (a mistyped ?as=, or one kept from another run): the page opens as the
  // default user, which the switch shows, instead of an empty page that says nothing.
  if (res?.status === 400 && ui.me !== DEFAULT_USER) {
    ui.me = DEFAULT_USER;
    localStorage.removeItem('standin.as');
    const url = new URL(location.href);
    url.searchParams.set('as', DEFAULT_USER);
    history.replaceState(null, '', url);
    return refresh();
  }
  if (!res?.ok) return;
  const state = (await res.json()) as PageState;
  if (seq !== refreshSeq) return;
  ui.state = state;
  hooks.render();
}

/** Listens to the stand-in's change events. */
export function connect(onLive: (live: boolean) => void): void {
  const source = new EventSource('/local/events');
  source.addEventListener('ready', () => {
    onLive(true);
    scheduleRefresh();
  });
  source.addEventListener('change', scheduleRefresh);
  source.onerror = () => onLive(false);
}

/** The conversation on screen. */
export function convId(): string {
  if (ui.view === 'dm' || ui.view === 'home') return ui.state?.dm ?? '';
  return ui.view.slice('channel:'.length);
}

export function userName(id: string): string {
  if (id === ui.state?.bot.userId) return ui.state.bot.name;
  return ui.state?.users.find((u) => u.id === id)?.realName ?? id;
}

/** The reader's Slack time zone, in which the page shows times (undefined before the state arrives: the browser's). */
export function myTimeZone(): string | undefined {
  return ui.state?.users.find((u) => u.id === ui.me)?.tz;
}

export function channelName(id: string): string {
  return ui.state?.channels.find((c) => c.id === id)?.name ?? id;
}

/** Shows a note from Slack (only to this user, in this conversation). */
export function note(text: string): void {
  (ui.notes[convId()] ??= []).push({ ts: String(Date.now() / 1000), text, me: ui.me });
  hooks.renderMessages(true);
}

/** Web API calls of the bot that failed while answering the user: Slack would not show them, the page tells the developer. */
export function reportReplyErrors(replies: readonly LocalReply[] | undefined): void {
  for (const r of replies ?? []) if (r.kind === 'error') note(`The bot's ${r.text ?? 'call'}`);
}

export type { LocalValues };
