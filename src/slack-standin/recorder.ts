/**
 * What tests hold on to: the record of every Web API call and response_url
 * post, what of it Slack's documentation refuses or ignores (violations), the
 * faults queued for the next calls, the hooks that run as a call arrives (and
 * may make it lost), and those that run after a call is applied and before the
 * bot hears the answer.
 */
import { blocksToText } from './render-text.js';
import type { AppliedCall, AppliedHook, ArrivalHook, CallRecord, ResponseRecord } from './types.js';
import { Violations, type ViolationListener } from './violations.js';

/** A queued fault: a Slack error, or an HTTP status (e.g. 429 with Retry-After). */
export type Fault = { error: string } | { status: number; headers: Record<string, string> };

export class Recorder {
  /** Every Web API call, in order. */
  readonly calls: CallRecord[] = [];
  /** Every response_url post, in order. */
  readonly responses: ResponseRecord[] = [];
  /** What the bot sent that Slack refuses or ignores; kept across {@link reset}, so none is lost. */
  readonly violations: Violations;
  private readonly faults = new Map<string, Fault[]>();
  private readonly hooks = new Set<AppliedHook>();
  private readonly arrivalHooks = new Set<ArrivalHook>();
  private readonly holds = new Map<string, Array<{ arrived: () => void; released: Promise<void> }>>();

  constructor(onViolation?: ViolationListener) {
    this.violations = new Violations(onViolation);
  }

  /** Forgets calls, responses and faults; hooks stay until their owner unsubscribes, holds until released. */
  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.faults.clear();
  }

  /** See `SlackStandin.holdNext`. */
  holdNext(method: string): { arrived: Promise<void>; release(): void } {
    let arrived!: () => void;
    let release!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const queue = this.holds.get(method) ?? [];
    queue.push({ arrived, released });
    this.holds.set(method, queue);
    return { arrived: arrival, release };
  }

  /** Waits while the call that just arrived is held (see {@link holdNext}); at once when none is. */
  async held(method: string): Promise<void> {
    const hold = this.holds.get(method)?.shift();
    if (!hold) return;
    hold.arrived();
    await hold.released;
  }

  /** Forgets the faults still queued for `method` (Slack back before they were all used). */
  clearFaults(method: string): void {
    this.faults.delete(method);
  }

  queueFault(method: string, fault: Fault, times: number): void {
    const queue = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.faults.set(method, queue);
  }

  /** The next fault queued for `method`, used up. */
  takeFault(method: string): Fault | undefined {
    return this.faults.get(method)?.shift();
  }

  onApplied(hook: AppliedHook): () => void {
    this.hooks.add(hook);
    return () => {
      this.hooks.delete(hook);
    };
  }

  onArrival(hook: ArrivalHook): () => void {
    this.arrivalHooks.add(hook);
    return () => {
      this.arrivalHooks.delete(hook);
    };
  }

  /** Runs the arrival hooks one after the other: true when one made the call lost (the rest do not run). */
  async lost(call: CallRecord): Promise<boolean> {
    for (const hook of [...this.arrivalHooks]) if ((await hook(call)) === 'lost') return true;
    return false;
  }

  /** Runs the hooks one after the other; a hook that throws stops the rest and rejects. */
  async applied(call: AppliedCall): Promise<void> {
    for (const hook of [...this.hooks]) await hook(call);
  }

  /** The last few calls and posts, for a timeout's message. */
  describeRecent(): string {
    const lines = [
      ...this.calls.slice(-5).map((c) => `  ${c.method}${c.error ? ` ✗ ${c.error}` : ''}: ${blocksToText(c.args).slice(0, 200)}`),
      ...this.responses.slice(-5).map((r) => `  response_url${r.error ? ` ✗ ${r.error}` : ''}: ${blocksToText(r.body).slice(0, 200)}`),
    ];
    return lines.length ? lines.join('\n') : '  (no calls, no response_url posts)';
  }
}
