/**
 * `/query` views: within Slack's limits for any result (long, wide, hostile
 * text), the modal has the right input for each parameter type, and the result
 * buttons carry the query and its canonical values (not state in action IDs).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { loadCatalog, type SavedQuery } from '../src/catalog/catalog.js';
import type { QueryOutput } from '../src/services/query.js';
import type { Row } from '../src/ports/warehouse.js';
import { ActionIds, BlockIds, CallbackIds } from '../src/ids.js';
import { blockKitViolations } from './support/block-limits.js';
import { blocksToText } from '../src/slack-standin/render-text.js';
import {
  MAX_TABLE_COLUMNS, formatBytes, queryChartMessage, queryCsvComment, queryOverCapMessage, queryListMessage, queryParamsModal, queryTableMessage, type QueryRef,
} from '../views/query.js';

const catalog = loadCatalog(path.resolve('queries'));
const now = new Date('2025-06-15T12:00:00Z');

function output(query: SavedQuery, columns: string[], rows: Row[], totalRows = rows.length): QueryOutput {
  return {
    query, columns, rows, totalRows, computedAt: now, bytesProcessed: 61_234_567, cacheHit: false,
    params: { canonical: { weeks: '8', hosting: 'all' }, given: { weeks: '8' }, shown: [{ label: 'Weeks', value: '8' }], bound: {} },
    freshness: [{ table: 'pings', lastModified: new Date(now.getTime() - 3 * 3_600_000), rowCount: 1 }],
  };
}

describe('table view', () => {
  it('stays within Slack limits for 5,000 wide rows of hostile text, saying what was left out', () => {
    const columns = Array.from({ length: 20 }, (_, i) => `column_${i}`);
    const rows = Array.from({ length: 5000 }, (_, r) => Object.fromEntries(columns.map((c, i) => [c, i % 2 ? r * 1000 : `<!channel> ${'x'.repeat(100)}\n\`\`\``])));
    const message = queryTableMessage(output(catalog.get('instances-on-version')!, columns, rows, 12_345), now, { buttons: true, requestedBy: 'U1' });
    expect(blockKitViolations(message.blocks)).toEqual([]);
    const text = blocksToText({ blocks: message.blocks });
    expect(text).toMatch(/[\d,]+ more rows and 8 more columns not shown: use Download CSV/);
    expect(JSON.stringify(message.blocks)).not.toContain('<!channel>');
    expect(text).toContain('column_11');
    expect(text).not.toContain(`column_${MAX_TABLE_COLUMNS}`);
  });

  it('right-aligns numbers and shows every row of a short result', () => {
    const rows = [{ hosting: 'cloud', instances: 12 }, { hosting: 'self-hosted', instances: 12_345 }];
    const message = queryTableMessage(output(catalog.get('instances-by-hosting')!, ['hosting', 'instances'], rows), now, { buttons: false });
    const text = blocksToText({ blocks: message.blocks });
    expect(text).toContain('cloud               12');
    expect(text).toContain('self-hosted     12,345');
    expect(text).not.toContain('more row');
    expect(JSON.stringify(message.blocks)).not.toContain(ActionIds.queryRefresh);
  });

  it('shows warehouse text without direction overrides or control characters, -0 as 0, and 1e308 whole', () => {
    // U+202E turns the rest of a line around: "rtl‮ 12345" would read with its number backwards.
    const rows = [{ hosting: 'rtl\u202e evil\u0007', instances: -0 }, { hosting: 'big', instances: 1e308 }];
    const message = queryTableMessage(output(catalog.get('instances-by-hosting')!, ['hosting', 'instances'], rows), now, { buttons: false });
    const text = blocksToText({ blocks: message.blocks });
    expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u0000-\u0008]/);
    expect(text).toMatch(/rtl evil +0\n/);
    expect(text).toMatch(/big +1e\+308\n/);
    expect(blockKitViolations(message.blocks)).toEqual([]);
  });
});

describe('result message', () => {
  it('carries the query and the values as typed in the button values (a default left out stays a default, a relative date relative), with IDs from ids.ts', () => {
    const message = queryChartMessage(output(catalog.get('weekly-active-instances')!, ['week', 'hosting', 'instances'], [{ week: '2025-06-09', hosting: 'cloud', instances: 3 }]), now, 'U1');
    expect(blockKitViolations(message.blocks)).toEqual([]);
    const actions = message.blocks.find((b) => b.type === 'actions') as Extract<KnownBlock, { type: 'actions' }>;
    expect(actions.block_id).toBe(BlockIds.queryResultActions);
    const ids = actions.elements.map((e) => (e as { action_id: string }).action_id);
    expect(ids).toEqual([ActionIds.queryRefresh, ActionIds.queryShowTable, ActionIds.queryDownloadCsv, ActionIds.querySubscribe, ActionIds.queryAlert]);
    // The values as typed (`given`), not the canonical ones with defaults filled in: a relative date stays relative.
    for (const e of actions.elements) {
      expect(JSON.parse((e as { value: string }).value) as QueryRef).toEqual({ q: 'weekly-active-instances', p: { weeks: '8' } });
    }
    const text = blocksToText({ blocks: message.blocks });
    expect(text).toContain('61.2 MB processed · fresh run · pings updated 3 hours ago');
  });

  it('says a cached result is from when it was computed, and processes nothing now (not the first run\'s bytes)', () => {
    const cached = { ...output(catalog.get('weekly-active-instances')!, ['week', 'instances'], [{ week: '2025-06-09', instances: 3 }]), cacheHit: true };
    const text = blocksToText({ blocks: queryChartMessage(cached, now).blocks });
    expect(text).toMatch(/Cached result from \d{4}-\d\d-\d\d \d\d:\d\d UTC · nothing processed now · pings updated 3 hours ago/);
    expect(text).not.toMatch(/MB processed|Computed|cache hit/);
    expect(blocksToText({ blocks: queryTableMessage(cached, now, { buttons: false }).blocks })).toContain('nothing processed now');
  });

  it('counts rows in words, with thousands separators: in the notification text and the CSV comment', () => {
    const q = catalog.get('instances-on-version')!;
    const one = output(q, ['customer'], [{ customer: 'Acme' }]);
    expect(queryChartMessage(one, now).text).toBe('Instances on a version: 1 row');
    expect(queryTableMessage(one, now, { buttons: false }).text).toBe('Instances on a version: 1 row');
    expect(queryCsvComment(one, 'U1')).toBe('CSV of Instances on a version (1 row), for <@U1>');
    const many = output(q, ['customer'], [{ customer: 'Acme' }], 12_345);
    expect(queryChartMessage(many, now).text).toBe('Instances on a version: 12,345 rows');
    expect(queryTableMessage(many, now, { buttons: false }).text).toBe('Instances on a version: 12,345 rows');
    expect(queryCsvComment(many, 'U1')).toBe('CSV of Instances on a version (12,345 rows, first 1 included), for <@U1>');
  });

  it('refuses a query over the cost cap in plain words: whom to ask, not a setting\'s name', () => {
    const text = blocksToText({ blocks: queryOverCapMessage(catalog.get('weekly-active-instances')!, 5e9, 1e9).blocks });
    expect(text).toContain('ask the data team in #analytics: they can raise the limit.');
    expect(text).not.toMatch(/QUERY_MAX_BYTES|[A-Z]+_[A-Z_]+/);
    expect(text).toContain('Narrow its parameters (fewer weeks), or ask');
    // Only the ways this query has: none for a query without parameters, no "fewer weeks" for one without weeks.
    const none = blocksToText({ blocks: queryOverCapMessage(catalog.get('instances-by-hosting')!, 5e9, 1e9).blocks });
    expect(none).toContain('It has no parameters to narrow, so ask the data team in #analytics');
    expect(none).not.toContain('Narrow its parameters');
    expect(blocksToText({ blocks: queryOverCapMessage(catalog.get('customer-pings-per-day')!, 5e9, 1e9).blocks })).toContain('Narrow its parameters (a later date), or ask');
  });

  it('formats bytes as BigQuery does', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(61_234_567)).toBe('61.2 MB');
    expect(formatBytes(10 * 1024 ** 3)).toBe('10.7 GB');
  });
});

describe('catalog list and parameter modal', () => {
  it('tells how to subscribe, set an alert and see them, in the help (the list with no search)', () => {
    const text = blocksToText({ blocks: queryListMessage(catalog.queries, '', catalog.queries.length).blocks });
    expect(text).toContain('/query subscribe <name>');
    expect(text).toContain('/query alert <name>');
    expect(text).toContain('/query subscriptions');
  });

  it('lists the whole catalog within limits', () => {
    const message = queryListMessage(catalog.queries, '', catalog.queries.length);
    expect(blockKitViolations(message.blocks)).toEqual([]);
    expect(blocksToText({ blocks: message.blocks })).toContain('/query customer-pings-per-day');
  });

  it.each(catalog.queries.filter((q) => q.params.length).map((q) => [q.name]))('%s: a modal with one input per parameter, of the right kind', (name) => {
    const query = catalog.get(name)!;
    const modal = queryParamsModal(query, { values: {}, problems: { weeks: 'must be from 1 to 13, got 500' }, metadata: { q: name, c: 'C0ANALYTIC' }, today: '2025-06-15' });
    expect(modal.callback_id).toBe(CallbackIds.queryParams);
    expect(JSON.parse(modal.private_metadata!)).toEqual({ q: name, c: 'C0ANALYTIC' });
    expect(blockKitViolations(modal.blocks as KnownBlock[], 'modal')).toEqual([]);
    const inputs = modal.blocks.filter((b) => b.type === 'input') as Array<Extract<KnownBlock, { type: 'input' }>>;
    expect(inputs.map((b) => b.block_id)).toEqual(query.params.map((p) => `${BlockIds.queryParamPrefix}${p.name}`));
    const kind = { int: 'number_input', date: 'datepicker', enum: 'static_select', string: 'plain_text_input', customer: 'plain_text_input' } as const;
    query.params.forEach((p, i) => {
      const element = inputs[i]!.element as { type: string; action_id: string; initial_date?: string; min_value?: string };
      expect(element.type).toBe(kind[p.kind]);
      expect(element.action_id).toBe(`${ActionIds.queryParamInputPrefix}${p.name}`);
      if (p.kind === 'date' && p.default === '-30d') expect(element.initial_date).toBe('2025-05-16');
      if (p.kind === 'int') expect(element.min_value).toBe(String(p.min));
    });
  });
});

describe('Show as table clicked again', () => {
  it('says when a click shows the table again: after the 20 s since the first, not "in 20 seconds" (which reads as within them)', async () => {
    const { queryTableAlreadyMessage } = await import('../views/query.js');
    const said = queryTableAlreadyMessage().text ?? '';
    expect(said).not.toMatch(/click in 20 seconds/);
    expect(said).toContain('Clicks within 20 seconds of that one show nothing more: click Show as table again after that');
  });
});
