/**
 * What the bot sent that Slack's documentation refuses or ignores, as the
 * stand-in saw it (facts/check.ts decides). The stand-in still answers as
 * Slack would; these are kept for whoever watches:
 *
 * - tests: every stand-in's violations are failed on after each test
 *   (test/support/vendor-facts/slack.ts, run by the vitest setup file);
 * - local mode: the `onViolation` listener logs each one (src/local.ts).
 */
import type { SpecProblem } from './facts/form.js';

/** One request (or part of one) that Slack would refuse or silently drop. */
export interface Violation {
  /** Which way it was sent: `Web API`, `response_url`, `command ack`, `view_submission ack`, `upload`. */
  where: string;
  message: string;
  /** Slack's answer to it, or undefined when Slack accepts the call and drops what was wrong. */
  answer?: string;
  at: number;
}

export type ViolationListener = (violation: Violation) => void;

/** A long-running local stand-in keeps only the latest ones (the listener saw them all). */
const MAX_KEPT = 200;

/** Every live stand-in's violations; test/support/vendor-facts/slack.ts fails a test on any. */
export const standinViolations = new Set<Violations>();

export class Violations {
  private list: Violation[] = [];
  private dropped = 0;
  private stopped = false;

  constructor(private readonly listener?: ViolationListener) {
    standinViolations.add(this);
  }

  add(where: string, problems: readonly SpecProblem[]): void {
    for (const p of problems) {
      const v: Violation = { where, message: p.message, ...(p.answer ? { answer: p.answer } : {}), at: Date.now() };
      this.list.push(v);
      if (this.list.length > MAX_KEPT) {
        this.list.shift();
        this.dropped += 1;
      }
      try {
        this.listener?.(v);
      } catch {
        // A listener that fails must not change how the stand-in answers.
      }
    }
  }

  /** The violations so far, cleared: for a test that sends a refused request on purpose. */
  take(): Violation[] {
    const out = this.list;
    this.list = [];
    this.dropped = 0;
    if (this.stopped) standinViolations.delete(this);
    return out;
  }

  get count(): number {
    return this.list.length + this.dropped;
  }

  /** The stand-in stopped: it leaves the registry once nothing is left to report. */
  stop(): void {
    this.stopped = true;
    if (this.count === 0) standinViolations.delete(this);
  }
}

/** Throws, listing them, when any live stand-in saw a violation (and clears them). */
export function assertNoStandinViolations(): void {
  const lines: string[] = [];
  for (const store of [...standinViolations]) {
    for (const v of store.take()) lines.push(`[${v.where}] ${v.message}${v.answer ? ` → Slack answers ${v.answer}` : ' → Slack ignores it'}`);
  }
  if (lines.length) throw new Error(`The bot sent ${lines.length} thing(s) to the Slack stand-in that Slack's documentation refuses or ignores:\n- ${lines.join('\n- ')}`);
}
