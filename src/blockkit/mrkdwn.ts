/**
 * The one parser of Slack's mrkdwn in this repository: text → a small syntax
 * tree. The local page draws the tree as HTML, the stand-in's text renderer
 * (CLI, test failure messages) as readable text.
 *
 * What it knows, as Slack renders it:
 * - `&lt;`, `&gt;`, `&amp;` are the escaped `<`, `>`, `&`;
 * - `<…>` control sequences: links (`<url>`, `<url|label>`), `<@U…>`, `<#C…>`,
 *   `<!subteam^S…>`, `<!here>`, `<!channel>`, `<!everyone>`, `<!date^…>`;
 * - bare `http(s)://` and `www.` URLs become links (unless `verbatim`);
 * - ```` ``` ```` blocks, `` ` `` spans, `*bold*`, `_italic_`, `~strike~`
 *   (only where a word starts and ends), `:emoji:`;
 * - a line that starts with a raw `>` is a quote (an escaped `&gt;` is not).
 *
 * Pure and dependency-free: compiled for Node and for the browser alike.
 */

/** A node of parsed mrkdwn. Text is unescaped (`&lt;` is `<`). */
export type MrkdwnNode =
  | { type: 'text'; text: string }
  | { type: 'bold' | 'italic' | 'strike'; children: MrkdwnNode[] }
  | { type: 'code'; text: string }
  /** A ```` ``` ```` block; `text` is as written between the fences. */
  | { type: 'preformatted'; text: string }
  /** Consecutive quoted lines. */
  | { type: 'quote'; children: MrkdwnNode[] }
  /** `<url|label>`, `<url>`, or a bare URL (`bare: true`). Renderers decide which schemes are safe to link. */
  | { type: 'link'; url: string; label?: string; bare?: boolean }
  | { type: 'user'; id: string; label?: string }
  | { type: 'channel'; id: string; label?: string }
  | { type: 'usergroup'; id: string; label?: string }
  /** `<!here>`, `<!channel>`, `<!everyone>` (and any other `<!…>`). */
  | { type: 'broadcast'; range: string; label?: string }
  /** `<!date^seconds^format^link|fallback>`; `raw` is the whole control sequence's target. */
  | { type: 'date'; seconds: number; format: string; link?: string; fallback?: string; raw: string }
  | { type: 'emoji'; name: string }
  | { type: 'linebreak' };

/** Options of {@link parseMrkdwn}. */
export interface MrkdwnOptions {
  /** Slack's `verbatim: true` text objects: bare URLs stay text. Default false. */
  verbatim?: boolean;
}

/** Escapes text as Slack does and wants: `&`, `<` and `>` (and nothing else) as entities, so user text never turns into mentions or links. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack's formatting marks, each with a lookalike that formats nothing. */
const MARK_LOOKALIKES: Readonly<Record<string, string>> = { '*': '∗', _: 'ˍ', '~': '∼', '`': 'ˋ' };

/**
 * Text someone typed, to quote back as they typed it: Slack has no escape for
 * `*`, `_`, `~` and backticks, so each becomes a lookalike (∗ ˍ ∼ ˋ) that starts
 * no bold, italic, strike or code and closes none of the bot's own (an
 * underscore inside a word is kept). Still
 * plain text: escape it as any other.
 */
export function defuseMarks(text: string): string {
  text = withoutControls(text);
  // An underscore between two letters or digits (google_sheets, acme_corp) can neither open nor close
  // italics, and is kept as typed: names with one are common, and copied back they must still work.
  return text.replace(/[*_~`]/g, (c, at: number) =>
    c === '_' && /[\p{L}\p{N}]/u.test(text[at - 1] ?? '') && /[\p{L}\p{N}]/u.test(text[at + 1] ?? '') ? c : (MARK_LOOKALIKES[c] ?? c));
}

/**
 * The marks defuseMarks replaced, back as typed: for text shown as plain
 * text (a modal's field error or hint), where nothing formats and the
 * lookalikes would only look odd.
 */
export function restoreMarks(text: string): string {
  return text.replace(/[∗ˍ∼ˋ]/g, (c) => MARK_ORIGINALS[c] ?? c);
}
const MARK_ORIGINALS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(MARK_LOOKALIKES).map(([mark, like]) => [like, mark]));

/**
 * A message written as mrkdwn, for a place that shows plain text (a modal's
 * field error): the bot's own code spans (`0 9 * * 1`) become quotes, as
 * their backticks would show as typed, and what people typed is restored
 * (see restoreMarks). Typed backticks were lookalikes until then, so only
 * the bot's own spans are taken for code.
 */
export function mrkdwnAsPlainText(text: string): string {
  return restoreMarks(text.replace(/`([^`\n]+)`/g, '“$1”'));
}

/**
 * Typed text without the characters that only do harm when shown back:
 * - Unicode's explicit direction controls (embeddings, overrides and isolates,
 *   U+202A–U+202E and U+2066–U+2069): typed into a reason or a name, they turn
 *   the rest of a line around (`‮txt.exe` shows as `exe.txt`). Right-to-left
 *   scripts need none of them to show right to left;
 * - control characters (C0 but tab and line breaks, DEL, C1): a NUL, a BEL or
 *   the ESC of a terminal colour code, typed into a command or a form, came
 *   back as typed in the reply or in the channel card that quotes it.
 */
export function withoutControls(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g, '');
}

/** Slack's escapes back to the characters they stand for. */
export function unescapeMrkdwn(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Schemes a renderer may turn into a clickable link. */
export function isSafeUrl(url: string): boolean {
  return /^(https?:|mailto:)/i.test(url);
}

// Atoms (code, links, mentions…) are held out of the text as \u0000<n>\u0000 while the rest is parsed.
const ATOM = /\u0000(\d+)\u0000/g;
const OPEN_EDGE = /[\s([{"'\u0000*_~]/;
const CLOSE_EDGE = /[\s)\]}.,;:!?"'\u0000*_~-]/;
const MARKS: Record<string, 'bold' | 'italic' | 'strike'> = { '*': 'bold', _: 'italic', '~': 'strike' };
// A bare URL: up to whitespace, a control character or an escaped angle bracket.
const BARE_URL = /(^|[^\w/@.\-])((?:https?:\/\/|www\.)(?:(?!&lt;|&gt;)[^\s<>\u0000])+)/gi;

function controlNode(inner: string): MrkdwnNode {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : unescapeMrkdwn(inner.slice(bar + 1));
  const withLabel = label === undefined ? {} : { label };
  if (target.startsWith('@')) return { type: 'user', id: target.slice(1), ...withLabel };
  if (target.startsWith('#')) return { type: 'channel', id: target.slice(1), ...withLabel };
  if (target.startsWith('!subteam^')) return { type: 'usergroup', id: target.slice('!subteam^'.length), ...withLabel };
  if (target.startsWith('!date^')) {
    const [, seconds, format, link] = target.split('^');
    return {
      type: 'date', seconds: Number(seconds), format: format ?? '{date}', raw: target,
      ...(link ? { link: unescapeMrkdwn(link) } : {}), ...(label === undefined ? {} : { fallback: label }),
    };
  }
  if (target.startsWith('!')) return { type: 'broadcast', range: target.slice(1).split('^')[0] ?? '', ...withLabel };
  return { type: 'link', url: unescapeMrkdwn(target), ...withLabel };
}

/** Cuts trailing punctuation off a bare URL, keeping a `)` that closes a `(` inside it. */
function trimUrl(url: string): string {
  let end = url.length;
  for (;;) {
    const c = url[end - 1];
    if (c === undefined) break;
    if (c === ')') {
      const open = url.slice(0, end).split('(').length - 1;
      const close = url.slice(0, end).split(')').length - 1;
      if (close <= open) break;
    } else if (!/[.,;:!?'"*_~\]]/.test(c)) {
      break;
    }
    end -= 1;
  }
  return url.slice(0, end);
}

/** Inline text: emphasis, then emoji, with atoms put back. */
function inline(s: string, atoms: MrkdwnNode[]): MrkdwnNode[] {
  const out: MrkdwnNode[] = [];
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const type = MARKS[s[i] ?? ''];
    if (!type || (i > 0 && !OPEN_EDGE.test(s[i - 1] ?? ''))) continue;
    const j = s.indexOf(s[i] ?? '', i + 1);
    if (j <= i + 1) continue;
    const inner = s.slice(i + 1, j);
    if (inner.includes('\n') || /^\s|\s$/.test(inner)) continue;
    if (j + 1 < s.length && !CLOSE_EDGE.test(s[j + 1] ?? '')) continue;
    if (i > from) out.push(...plain(s.slice(from, i), atoms));
    out.push({ type, children: inline(inner, atoms) });
    from = j + 1;
    i = j;
  }
  if (from < s.length) out.push(...plain(s.slice(from), atoms));
  return out;
}

/** Text with atoms and :emoji: */
function plain(s: string, atoms: MrkdwnNode[]): MrkdwnNode[] {
  const out: MrkdwnNode[] = [];
  const text = (t: string) => {
    if (!t) return;
    const last = out.at(-1);
    if (last?.type === 'text') last.text += t;
    else out.push({ type: 'text', text: t });
  };
  let from = 0;
  for (const m of s.matchAll(ATOM)) {
    emoji(s.slice(from, m.index), text, out);
    const atom = atoms[Number(m[1])];
    if (atom) out.push(atom);
    from = m.index + m[0].length;
  }
  emoji(s.slice(from), text, out);
  return out;
}

function emoji(s: string, text: (t: string) => void, out: MrkdwnNode[]): void {
  let from = 0;
  for (const m of s.matchAll(/:([a-z0-9_+'-]+):/g)) {
    text(s.slice(from, m.index));
    out.push({ type: 'emoji', name: m[1] ?? '' });
    from = m.index + m[0].length;
  }
  text(s.slice(from));
}

/** Parses Slack mrkdwn into nodes; see the module comment for what is understood. */
export function parseMrkdwn(source: string, options: MrkdwnOptions = {}): MrkdwnNode[] {
  const atoms: MrkdwnNode[] = [];
  const hold = (node: MrkdwnNode) => `\u0000${atoms.push(node) - 1}\u0000`;
  let s = source.replace(/\u0000/g, '');
  s = s.replace(/```([\s\S]*?)```/g, (_m, code: string) => hold({ type: 'preformatted', text: unescapeMrkdwn(code) }));
  s = s.replace(/`([^`\n]+)`/g, (_m, code: string) => hold({ type: 'code', text: unescapeMrkdwn(code) }));
  s = s.replace(/<([^<>\n]+)>/g, (_m, inner: string) => hold(controlNode(inner)));
  if (!options.verbatim) {
    s = s.replace(BARE_URL, (_m, before: string, url: string) => {
      const trimmed = trimUrl(url);
      if (!/^(https?:\/\/\S|www\.[\w-]+\.\w)/i.test(trimmed)) return before + url;
      const target = unescapeMrkdwn(trimmed);
      return `${before}${hold({ type: 'link', url: /^www\./i.test(target) ? `http://${target}` : target, label: target, bare: true })}${url.slice(trimmed.length)}`;
    });
  }

  const nodes: MrkdwnNode[] = [];
  let quote: Extract<MrkdwnNode, { type: 'quote' }> | undefined;
  s.split('\n').forEach((line, i) => {
    // A raw ">" starts a quote; an escaped one ("&gt;", as bots escape user text) does not.
    const quoted = line.startsWith('>');
    const content = inline(unescapeMrkdwn(quoted ? line.replace(/^> ?/, '') : line), atoms);
    if (quoted && quote) {
      quote.children.push({ type: 'linebreak' }, ...content);
      return;
    }
    if (i > 0) nodes.push({ type: 'linebreak' });
    if (quoted) {
      nodes.push((quote = { type: 'quote', children: content }));
    } else {
      quote = undefined;
      nodes.push(...content);
    }
  });
  return nodes;
}

/** The text a reader sees, without formatting: for fallbacks, search and length checks. */
export function mrkdwnPlainText(nodes: readonly MrkdwnNode[]): string {
  return nodes
    .map((n): string => {
      switch (n.type) {
        case 'text': return n.text;
        case 'bold': case 'italic': case 'strike': case 'quote': return mrkdwnPlainText(n.children);
        case 'code': case 'preformatted': return n.text;
        case 'link': return n.label ?? n.url;
        case 'user': return `@${n.label ?? n.id}`;
        case 'channel': return `#${n.label ?? n.id}`;
        case 'usergroup': return n.label ?? `@${n.id}`;
        case 'broadcast': return `@${n.range}`;
        case 'date': return n.fallback ?? n.raw;
        case 'emoji': return `:${n.name}:`;
        case 'linebreak': return '\n';
      }
    })
    .join('');
}
