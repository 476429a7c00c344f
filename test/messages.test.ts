/**
 * What people read, across every view: no raw `<`, `>` or `&` that Slack
 * would parse (a help text's `/telemetry <customer>` shows as a link to
 * "customer"), no "on Today at …" (Slack's date tokens say "Today at"
 * themselves), one short request ID everywhere, and Slack's limits.
 * The samples (test/support/view-samples.ts) call every exported view with
 * every state and hostile text.
 */
import { describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { allViewOutputs, NOT_TEXT, PLAIN_TEXT, VIEW_MODULES } from './support/view-samples.js';
import { blockKitViolations } from './support/block-limits.js';

const { outputs, covered } = allViewOutputs();

/** Every piece of text Slack parses as mrkdwn in a view output: mrkdwn objects, a message's fallback `text`, bare strings. */
function mrkdwnTexts(value: unknown, top = true): string[] {
  if (typeof value === 'string') return top ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((v) => mrkdwnTexts(v, false));
  if (typeof value !== 'object' || value === null) return [];
  const o = value as Record<string, unknown>;
  const out: string[] = [];
  if (o['type'] === 'mrkdwn' && typeof o['text'] === 'string') out.push(o['text']);
  // A message's fallback text (notifications, the channel list) is parsed as mrkdwn too.
  if (top && typeof o['text'] === 'string' && Array.isArray(o['blocks'])) out.push(o['text']);
  for (const [k, v] of Object.entries(o)) if (k !== 'text' || typeof v !== 'string') out.push(...mrkdwnTexts(v, false));
  return out;
}

/** Slack's own `<…>` forms the bot writes on purpose: mentions, channels, user groups, dates, links. */
const SLACK_TOKEN = /<(?:@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+(?:\|[^<>]*)?|!subteam\^S[A-Z0-9]+(?:\|[^<>]*)?|!date\^\d+\^[^|<>]+(?:\^[^|<>]+)?\|[^<>]+|(?:https?:\/\/|mailto:)[^|<>\s]+(?:\|[^<>]+)?)>/g;

/** What is left after the tokens: a raw `<`, a `>` that does not start a quote, an `&` that is not an escape. */
function rawMarkup(text: string): string[] {
  const rest = text.replace(SLACK_TOKEN, '');
  const problems: string[] = [];
  for (const line of rest.split('\n')) {
    const body = line.replace(/^>/, '');
    if (body.includes('<')) problems.push(`raw "<" in: ${line}`);
    if (body.includes('>')) problems.push(`raw ">" in: ${line}`);
    if (/&(?!amp;|lt;|gt;)/.test(body)) problems.push(`raw "&" in: ${line}`);
  }
  return problems;
}

describe('every text the views produce', () => {
  it('covers every exported view (add a new one to test/support/view-samples.ts)', () => {
    const exported = Object.values(VIEW_MODULES).flatMap((m) => Object.entries(m).filter(([, v]) => typeof v === 'function' || typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string'))).map(([k]) => k));
    const missing = exported.filter((name) => !covered.has(name) && !NOT_TEXT.has(name));
    expect(missing).toEqual([]);
    expect(outputs.length).toBeGreaterThan(300);
  });

  it('has no raw <, > or & that Slack would parse: user text is escaped, help texts write &lt;customer&gt;', () => {
    const problems = outputs.filter(({ name }) => !PLAIN_TEXT.has(name)).flatMap(({ name, value }) => mrkdwnTexts(value).flatMap((t) => rawMarkup(t).map((p) => `${name}: ${p.slice(0, 200)}`)));
    expect(problems).toEqual([]);
  });

  it('the scan catches what it should', () => {
    expect(rawMarkup('*/telemetry <customer>* shows')).toHaveLength(2);
    expect(rawMarkup('Tom & Jerry')).toHaveLength(1);
    expect(rawMarkup('<@U0ADMIN> approved <!date^1^{date_short_pretty} at {time}|x> <https://a.example/x?y=1|link> &lt;x&gt; &amp;')).toEqual([]);
    expect(rawMarkup('> a quote\n>also')).toEqual([]);
    expect(rawMarkup('<!channel>')).toHaveLength(2);
  });

  it('never puts "on" or "at" before a date Slack writes as "Today at …"', () => {
    const pretty = /\b(?:on|at)\s+<!date\^\d+\^\{date_(?:short_|long_)?pretty\}/i;
    const found = outputs.flatMap(({ name, value }) => mrkdwnTexts(value).filter((t) => pretty.test(t)).map((t) => `${name}: ${t.slice(0, 200)}`));
    expect(found).toEqual([]);
  });

  it('shows one short ID per request (LA-…, PR-…, SUB-…), never the stored one', () => {
    const found = outputs.flatMap(({ name, value }) => mrkdwnTexts(value).filter((t) => /\b(?:la|pr|sub)_[A-Za-z0-9]{4,}/.test(t)).map((t) => `${name}: ${t.slice(0, 200)}`));
    expect(found).toEqual([]);
  });

  it('marks a refusal for want of a role (only its owner, BizOps, a Looker admin can…) with one sign, :lock:', () => {
    const refusal = /^(?:\S+ )?(?:Only\b.*\bcan\b|Sorry, the audit log is only for\b)/;
    const texts = outputs.flatMap(({ name, value }) => mrkdwnTexts(value).filter((t) => refusal.test(t)).map((t) => `${name}: ${t.slice(0, 120)}`));
    // The scan finds them: Looker's, pipeline requests', subscriptions', the audit log's and reruns'.
    expect(new Set(texts.map((t) => t.slice(0, t.indexOf(':'))))).toEqual(new Set([
      'auditNotAllowedMessage', 'lookerRefusalMessage', 'pipelineRequestNotAllowedMessage', 'rerunAnswerMessage', 'rerunNotAllowedMessage', 'subscriptionEditRefusedModal', 'subscriptionRefusedMessage',
    ]));
    expect(texts.filter((t) => !t.includes(': :lock: '))).toEqual([]);
  });

  it('stays inside Slack limits: 50 blocks a message, 100 a modal or Home tab, 3,000 characters a section', () => {
    const problems = outputs.flatMap(({ name, value }) => {
      if (typeof value !== 'object' || value === null || !Array.isArray((value as { blocks?: unknown }).blocks)) return [];
      const v = value as { type?: string; blocks: KnownBlock[] };
      const surface = v.type === 'modal' || v.type === 'home' ? 'modal' : 'message';
      return blockKitViolations(v.blocks, surface).map((p) => `${name}: ${JSON.stringify(p)}`);
    });
    expect(problems).toEqual([]);
  });
});
