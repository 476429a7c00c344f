/**
 * The audit log: every request, decision, grant, revoke and expiry, with who,
 * what, when, and the record before and after. Written through the store
 * (`Store.audit`), read back by `/analytics audit [n]`.
 */
import type { Logger } from '../logger.js';
import type { AuditEntry, Store, StoreDoc } from '../ports/store.js';
import { toCodedError } from '../errors.js';
import { quoteTyped } from '../format.js';

/** `/analytics audit` shows this many entries unless told otherwise. */
export const AUDIT_DEFAULT_COUNT = 20;
/** …and never more than this many. */
export const AUDIT_MAX_COUNT = 100;
/** `/analytics audit export` sends this many entries as CSV unless told otherwise… */
export const AUDIT_EXPORT_DEFAULT_COUNT = 100;
/** …and never more than this many. */
export const AUDIT_EXPORT_MAX_COUNT = 1000;

/** What `/analytics audit <text>` asked for. */
/** `requested` is the number asked for when it was over the max (and `count` is the max). */
export type AuditCountRequest = { ok: true; count: number; requested?: number } | { ok: false; reason: string };

/** Parses the optional count: empty → the default (20); a whole number from 1, at most the max (100); anything else is explained. */
export function parseAuditCount(text: string, limits: { default: number; max: number } = { default: AUDIT_DEFAULT_COUNT, max: AUDIT_MAX_COUNT }): AuditCountRequest {
  const t = text.trim();
  if (t === '') return { ok: true, count: limits.default };
  // Any whole number is one, however long (9,999,999 asks for the most there is, as 101 does).
  if (!/^\d+$/.test(t)) return { ok: false, reason: `${quoteTyped(t, 40)} is not a number of entries: give a whole number from 1 to ${limits.max}.` };
  const n = Number(t);
  if (n < 1) return { ok: false, reason: `Ask for at least 1 entry (up to ${limits.max}).` };
  return n > limits.max ? { ok: true, count: limits.max, requested: n } : { ok: true, count: n };
}

/** What `/analytics audit export <text>` asked for (default 100, at most 1,000). */
export function parseAuditExportCount(text: string): AuditCountRequest {
  return parseAuditCount(text, { default: AUDIT_EXPORT_DEFAULT_COUNT, max: AUDIT_EXPORT_MAX_COUNT });
}

/** One field that changed between `before` and `after`. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/**
 * The top-level fields that differ between two records (a created record has
 * every field changed from nothing). Keys are sorted so the output is stable.
 */
export function changedFields(before: StoreDoc | null | undefined, after: StoreDoc | null | undefined): FieldChange[] {
  const b = before ?? {};
  const a = after ?? {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  return keys
    .filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
    .map((k) => ({ field: k, before: b[k], after: a[k] }));
}

export class AuditService {
  constructor(private readonly deps: { store: Store; logger: Logger }) {}

  /**
   * Appends an entry. The action it records has already happened, so a failed
   * write is logged loudly rather than undoing it or failing the user.
   */
  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.deps.store.audit({ ...entry, at: entry.at ?? new Date().toISOString() });
    } catch (err) {
      const coded = toCodedError(err);
      this.deps.logger.error('audit write failed', { code: coded.code, action: entry.action, subject: entry.subject, actor: entry.actor, err: coded });
    }
  }

  /** The last `count` entries, newest first (count clamped to 1–100; to 1–1,000 for an export). */
  async recent(count: number, options: { forExport?: boolean } = {}): Promise<Required<AuditEntry>[]> {
    const max = options.forExport ? AUDIT_EXPORT_MAX_COUNT : AUDIT_MAX_COUNT;
    const n = Math.max(1, Math.min(max, Math.floor(count)));
    return this.deps.store.recentAudit(n);
  }

  /**
   * The entries a list showed (see {@link auditListMark}), newest first, whatever was written since: those
   * up to its newest entry's time, less the newer ones of that same millisecond than it showed.
   */
  async shown(mark: AuditListMark): Promise<Required<AuditEntry>[]> {
    if (mark.newestAt === undefined) return this.recent(mark.count);
    const rows = await this.deps.store.recentAudit(mark.count + SAME_MS_SLACK, { atOrBefore: mark.newestAt });
    const sameMs = rows.findIndex((e) => e.at !== mark.newestAt);
    // Entries of one millisecond come newest first (the store's order), so the ones written after the list lead.
    const newer = Math.max(0, (sameMs < 0 ? rows.length : sameMs) - mark.atNewest);
    return rows.slice(newer, newer + mark.count);
  }
}

/** How many entries written in the same millisecond as a list's newest one, after it, {@link AuditService.shown} can pass over. */
const SAME_MS_SLACK = 50;

/**
 * Which entries a shown list held, for its Download as CSV: how many, the newest one's `at`, and how many of
 * them had that `at`. A list from before the mark carries the count alone (then the export is the newest
 * entries at the click).
 */
export interface AuditListMark {
  count: number;
  newestAt?: string;
  atNewest: number;
}

/** The mark of a shown list, newest first, as a button value: `count|newestAt|atNewest` (an empty list: "0"). */
export function auditListMark(entries: readonly Pick<AuditEntry, 'at'>[]): string {
  const newestAt = entries[0]?.at;
  if (newestAt === undefined) return '0';
  // An `at` the store did not write (none is) cannot mark a place: the count alone, as older buttons carry.
  if (!ISO_TIME.test(newestAt)) return String(entries.length);
  return `${entries.length}|${newestAt}|${entries.filter((e) => e.at === newestAt).length}`;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** A button value {@link auditListMark} could have made (or an older button's bare count), or null. */
export function parseAuditListMark(value: unknown): AuditListMark | null {
  const m = typeof value === 'string' ? /^(\d{1,3})(?:\|([^|]{1,40})\|(\d{1,3}))?$/.exec(value) : null;
  if (!m) return null;
  const count = Number(m[1]);
  if (count < 1 || count > AUDIT_MAX_COUNT) return null;
  if (m[2] === undefined) return { count, atNewest: 0 };
  const atNewest = Number(m[3]);
  if (!ISO_TIME.test(m[2]) || Number.isNaN(Date.parse(m[2])) || atNewest < 1 || atNewest > count) return null;
  return { count, newestAt: m[2], atNewest };
}
