import { describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { blocksToText } from '../src/slack-standin/render-text.js';
import { telemetryCardMessage, telemetryNoMatchMessage, telemetryPickerMessage, telemetryUsageMessage, telemetryTooLongMessage } from '../views/telemetry.js';
import { escapeMrkdwn, failureMessage } from '../views/common.js';
import { ActionIds } from '../src/ids.js';
import type { CustomerTelemetry, InstanceTelemetry } from '../src/services/telemetry.js';
import { blockKitViolations } from './support/block-limits.js';
import * as errors from '../src/errors.js';

const now = new Date('2026-11-28T12:00:00Z');
const acme = { customerId: 'acme', name: 'Acme Corp', aliases: ['Acme'], domain: 'acme.com' };

function instance(n: number, level: InstanceTelemetry['level']): InstanceTelemetry {
  return {
    siteId: `site-${n}`,
    hosting: level === 'full_user_level' ? 'managed' : 'self-hosted',
    version: '5.3.2',
    lastPingAt: level === 'none' ? null : new Date(now.getTime() - 3_600_000),
    level,
    activity: { criticalPings: 10, fullPings: level.startsWith('full') ? 40 : 0, userLevelEvents: level === 'full_user_level' ? 900 : 0 },
  };
}

function telemetry(instances: InstanceTelemetry[]): CustomerTelemetry {
  return { customer: acme, instances, windowDays: 30, dataUpdatedAt: now, generatedAt: now };
}

const textOf = (blocks: KnownBlock[]) => JSON.stringify(blocks);

describe('telemetry views', () => {
  it('shows each instance with its level, meaning, where to look and last ping', () => {
    const card = telemetryCardMessage(telemetry([instance(1, 'full_user_level'), instance(2, 'full'), instance(3, 'critical'), instance(4, 'none')]), { shareable: true });
    const text = textOf(card.blocks);
    for (const label of ['Full pings + user-level data', 'Full pings', 'Critical pings', 'No telemetry']) expect(text).toContain(label);
    expect(text).toContain('site-1');
    expect(text).toContain('Managed');
    expect(text).toContain('none in the last 90 days');
    expect(text).toContain('Nothing to look at');
    expect(text).toContain('last 30 days');
    expect(text).toContain('data updated <!date^');
    expect(card.text).toContain('Acme Corp');
    expect(text).toContain(ActionIds.telemetryShare);
    expect(blockKitViolations(card.blocks)).toEqual([]);
  });

  it('marks a shared copy and drops the share button', () => {
    const card = telemetryCardMessage(telemetry([instance(1, 'full')]), { shareable: false, sharedBy: 'U123' });
    expect(textOf(card.blocks)).toContain('shared by <@U123>');
    expect(textOf(card.blocks)).not.toContain(ActionIds.telemetryShare);
  });

  it('stays inside Slack limits with hundreds of instances and a customer with none', () => {
    const many = telemetryCardMessage(telemetry(Array.from({ length: 300 }, (_, i) => instance(i, 'full'))), { shareable: true });
    expect(blockKitViolations(many.blocks)).toEqual([]);
    expect(textOf(many.blocks)).toContain('288 more instances');
    expect(textOf(telemetryCardMessage(telemetry(Array.from({ length: 13 }, (_, i) => instance(i, 'full'))), { shareable: true }).blocks)).toContain('…and 1 more instance, not shown.');
    const none = telemetryCardMessage(telemetry([]), { shareable: true });
    expect(textOf(none.blocks)).toContain('No instances on record');
    // A customer with hundreds of aliases, some of them long (and full of what escaping grows).
    const aliases = Array.from({ length: 300 }, (_, i) => `Acme & <Subsidiary> ${i} ${'x'.repeat(i % 7 === 0 ? 400 : 10)}`);
    const named = telemetryCardMessage({ ...telemetry([instance(1, 'full')]), customer: { ...acme, aliases } }, { shareable: true });
    expect(blockKitViolations(named.blocks)).toEqual([]);
    expect(blocksToText({ blocks: named.blocks })).toMatch(/Also known as .*Acme & <Subsidiary> 0 .*291 more/s);
  });

  it('names the other customers an exact match also matched, at most three, then how many more', () => {
    const named = (names: string[], more?: number) =>
      blocksToText({
        blocks: telemetryCardMessage(telemetry([instance(1, 'full')]), {
          shareable: true,
          alsoMatching: { query: 'acme', customers: names.map((name, i) => ({ customerId: `c${i}`, name, aliases: [], domain: null })), ...(more !== undefined ? { more } : {}) },
        }).blocks,
      }).replaceAll('*', '');
    expect(named(['Acme Labs'])).toContain('Also matching “acme”: Acme Labs. Type more of the name to see it.');
    expect(named(['Acme Labs', 'Acme Rockets'])).toContain('Also matching “acme”: Acme Labs, Acme Rockets. Type more of the name to see them.');
    expect(named(['A1', 'A2', 'A3'])).toContain('Also matching “acme”: A1, A2, A3. Type');
    expect(named(['A1', 'A2', 'A3', 'A4', 'A5'])).toContain('Also matching “acme”: A1, A2, A3 and 2 more. Type');
    expect(named(['A1', 'A2', 'A3', 'A4'], 7)).toContain('Also matching “acme”: A1, A2, A3 and 8 more. Type');
    expect(named(['A1'], 1)).toContain('Also matching “acme”: A1 and 1 more. Type more of the name to see them.');
    // Said once, as a context line under the summary; none without others, nor on the shared copy.
    const card = telemetryCardMessage(telemetry([instance(1, 'full')]), { shareable: true, alsoMatching: { query: '<!here> & co', customers: [{ ...acme, name: 'Acme <@U1> & Labs' }] } });
    expect(card.blocks[2]).toMatchObject({ type: 'context' });
    expect(textOf(card.blocks)).toContain('Also matching “&lt;!here&gt; &amp; co”: *Acme &lt;@U1&gt; &amp; Labs*');
    expect(blockKitViolations(card.blocks)).toEqual([]);
    expect(textOf(telemetryCardMessage(telemetry([instance(1, 'full')]), { shareable: true }).blocks)).not.toContain('Also matching');
    expect(textOf(telemetryCardMessage(telemetry([instance(1, 'full')]), { shareable: true, alsoMatching: { query: 'acme', customers: [] } }).blocks)).not.toContain('Also matching');
  });

  it('shows a hosting it does not know as such, escaped and cut, and says when there is none', () => {
    const hosted = (hosting: InstanceTelemetry['hosting']) => {
      const card = telemetryCardMessage(telemetry([{ ...instance(1, 'full'), hosting }]), { shareable: true });
      expect(blockKitViolations(card.blocks)).toEqual([]);
      return (card.blocks[3] as { text: { text: string } }).text.text.split('\n')[0];
    };
    expect(hosted('managed')).toBe(':large_green_circle: *Full pings* · Managed');
    expect(hosted({ other: 'on-prem' })).toBe(':large_green_circle: *Full pings* · other hosting: on-prem');
    expect(hosted({ other: 'toString' })).toBe(':large_green_circle: *Full pings* · other hosting: toString');
    expect(hosted({ other: '<!channel> & co' })).toBe(':large_green_circle: *Full pings* · other hosting: &lt;!channel&gt; &amp; co');
    expect(hosted({ other: 'x'.repeat(5000) })).toBe(`:large_green_circle: *Full pings* · other hosting: ${'x'.repeat(39)}…`);
    expect(hosted({ other: '' })).toBe(':large_green_circle: *Full pings* · hosting unknown');
  });

  it('says how far back a last ping was looked for: the lookback, at least the window', () => {
    expect(textOf(telemetryCardMessage({ ...telemetry([instance(1, 'none')]), windowDays: 180, lookbackDays: 180 }, { shareable: true }).blocks)).toContain('none in the last 180 days');
    expect(textOf(telemetryCardMessage({ ...telemetry([instance(1, 'none')]), windowDays: 30, lookbackDays: 90 }, { shareable: true }).blocks)).toContain('none in the last 90 days');
  });

  it('picks with buttons for a few and a select for many, within limits', () => {
    const few = telemetryPickerMessage('stark', [acme, { ...acme, customerId: 'b', name: 'B' }]);
    expect(textOf(few.blocks)).toContain('"type":"button"');
    expect(blockKitViolations(few.blocks)).toEqual([]);
    const lots = Array.from({ length: 150 }, (_, i) => ({ ...acme, customerId: `c${i}`, name: `Customer ${'x'.repeat(100)} ${i}` }));
    const many = telemetryPickerMessage('customer', lots);
    expect(textOf(many.blocks)).toContain('static_select');
    expect(blockKitViolations(many.blocks)).toEqual([]);
  });

  it('tells apart customers whose picker labels would read the same, and only those', () => {
    const labels = (m: { blocks: KnownBlock[] }) => {
      const el = (m.blocks[1] as { elements: Array<{ text?: { text: string }; options?: Array<{ text: { text: string } }> }> }).elements;
      return el[0]!.options ? el[0]!.options.map((o) => o.text.text) : el.map((b) => b.text!.text);
    };
    const wayne = (customerId: string, domain: string | null = null) => ({ customerId, name: 'Wayne Enterprises', aliases: [], domain });
    // Buttons: two without a domain read the same; the one with a domain does not.
    expect(labels(telemetryPickerMessage('wayne', [wayne('wayne-1'), wayne('wayne-2'), wayne('wayne-3', 'wayne.com'), { ...acme, name: 'Wayne Labs' }]))).toEqual([
      'Wayne Enterprises · wayne-1', 'Wayne Enterprises · wayne-2', 'Wayne Enterprises (wayne.com)', 'Wayne Labs (acme.com)',
    ]);
    // The same domain too.
    expect(labels(telemetryPickerMessage('wayne', [wayne('w1', 'wayne.com'), wayne('w2', 'wayne.com')]))).toEqual(['Wayne Enterprises (wayne.com) · w1', 'Wayne Enterprises (wayne.com) · w2']);
    // A select: names alike in the 75 characters shown keep their ID in view.
    const long = Array.from({ length: 8 }, (_, i) => ({ ...acme, customerId: `c${i}`, name: `Customer ${'x'.repeat(100)} ${i}` }));
    const shown = labels(telemetryPickerMessage('customer', long));
    expect(new Set(shown).size).toBe(8);
    for (const [i, l] of shown.entries()) {
      expect(l.length).toBeLessThanOrEqual(75);
      expect(l.endsWith(` · c${i}`)).toBe(true);
    }
    // No collision: no IDs.
    expect(labels(telemetryPickerMessage('stark', [{ ...acme, name: 'Stark A' }, { ...acme, name: 'Stark B', domain: null }]))).toEqual(['Stark A (acme.com)', 'Stark B']);
  });

  it('says how many more matched than the picker lists, and how to reach them', () => {
    const ten = Array.from({ length: 10 }, (_, i) => ({ ...acme, customerId: `s${i}`, name: `Stark ${i}` }));
    const cut = telemetryPickerMessage('stark', ten, 1234);
    expect(blocksToText({ blocks: cut.blocks })).toContain('…and 1,234 more: type more of the name.');
    expect(blockKitViolations(cut.blocks)).toEqual([]);
    expect(blocksToText({ blocks: telemetryPickerMessage('stark', ten).blocks })).not.toContain('more:');
  });

  it('escapes user text so it cannot mention or link', () => {
    const msg = telemetryNoMatchMessage('<!channel> <@U1> & co', []);
    expect(textOf(msg.blocks)).not.toContain('<!channel>');
    expect(escapeMrkdwn('<@U1>')).toBe('&lt;@U1&gt;');
    expect(blockKitViolations(telemetryNoMatchMessage('x'.repeat(5000), []).blocks)).toEqual([]);
  });

  it('has usage, too-long and failure messages without traces', () => {
    expect(textOf(telemetryUsageMessage().blocks)).toContain('/telemetry acme');
    expect(textOf(telemetryTooLongMessage(200).blocks)).toContain('200');
    expect(failureMessage('The warehouse failed.').text).not.toMatch(/at .*\.js/);
  });
});

describe('coded errors', () => {
  it('have unique codes', () => {
    const codes = [
      new errors.ConfigError('X', 'y'),
      new errors.WarehouseError('x'),
      new errors.WarehouseTimeoutError('x'),
      new errors.WarehouseAccessError('t'),
      new errors.CustomerCheckError('warehouse_timeout'),
      new errors.CostCapError(2, 1),
      new errors.StoreError('x'),
      new errors.SlackApiError('x'),
      new errors.ChartRenderError('x'),
      new errors.UnexpectedError('x'),
    ].map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(errors.toCodedError('boom').code).toBe('unexpected');
  });

  it('say what reading the customer list came to, naming a refused table (a missing grant waiting will not fix)', () => {
    expect(new errors.CustomerCheckError('warehouse_timeout').message).toBe('the warehouse did not answer in time with the customer list');
    const denied = new errors.CustomerCheckError('warehouse_denied', { cause: new errors.WarehouseAccessError('analytics.customers') });
    expect(denied.message).toBe('the customer list could not be read from the warehouse: the warehouse refused access to analytics.customers');
    expect(new errors.CustomerCheckError('warehouse_failed', { cause: new errors.WarehouseError('secret detail') }).message).not.toContain('secret detail');
  });
});
