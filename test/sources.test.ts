/**
 * sources.yml: the shipped file loads, and every kind of mistake stops
 * start-up with the file, the source and the field named.
 */
import { describe, expect, it } from 'vitest';
import { loadSources, parseSources, SourcesError } from '../src/sources/catalog.js';
import { toSyncedSources } from '../src/sources/synced.js';
import { createServices } from '../src/services/index.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';

const good = `
sources:
  - id: hubspot
    name: HubSpot
    kind: fivetran
    tables: [hubspot_contacts]
    freshness: { measure: column, column: _fivetran_synced }
    sla_hours: 26
    owner: S0BIZOPS
    rerun: { fivetran_connection: hubspot_daily }
`;

function problem(yaml: string): string {
  try {
    parseSources(yaml, 'test.yml');
  } catch (err) {
    expect(err).toBeInstanceOf(SourcesError);
    expect((err as SourcesError).code).toBe('sources_invalid');
    return (err as Error).message;
  }
  throw new Error('expected a SourcesError');
}

describe('the sources file', () => {
  it('ships with HubSpot on a 26 h SLA, in every kind', () => {
    const catalog = loadSources('sources.yml');
    const hubspot = catalog.get('hubspot')!;
    expect(hubspot.slaHours).toBe(26);
    expect(hubspot.schedule).toMatch(/afternoon PST/);
    expect(hubspot.rerun).toEqual({ kind: 'fivetran', connectionId: 'hubspot_daily' });
    expect(hubspot.freshness).toEqual({ measure: 'column', column: '_fivetran_synced' });
    expect(new Set(catalog.sources.map((s) => s.kind))).toEqual(new Set(['fivetran', 'scheduled_query', 'other']));
    expect(catalog.get('prod_postgres')!.rerun).toMatchObject({ kind: 'data_transfer' });
    expect(catalog.get('HubSpot')?.id).toBe('hubspot');
    expect(catalog.get('nope')).toBeUndefined();
  });

  it('reads as the synced sources /pipeline request checks against', () => {
    const synced = toSyncedSources(loadSources('sources.yml'));
    expect(synced.find((s) => s.id === 'hubspot')).toMatchObject({ system: 'hubspot', dataset: 'hubspot', tables: ['contact', 'company'] });
    expect(synced.find((s) => s.id === 'prod_postgres')?.system).toBe('postgres');
  });

  it('parses a minimal source with defaults', () => {
    const [s] = parseSources(good).sources;
    expect(s).toMatchObject({ id: 'hubspot', dataset: 'hubspot', system: null, tables: [{ name: 'hubspot_contacts', bigquery: undefined }] });
    expect(parseSources(good.replace(/    freshness.*\n/, '')).sources[0]!.freshness).toEqual({ measure: 'table_modified' });
  });

  it.each([
    ['not: [valid', /not valid YAML/],
    ['other: 1', /top-level "sources:" list/],
    ['sources: []', /"sources" is empty/],
    [good.replace('id: hubspot', 'id: Hub Spot'), /"id" expects lower-case/],
    [good + good.replace('sources:\n', ''), /duplicate id "hubspot"/],
    [good.replace('kind: fivetran', 'kind: airbyte'), /source "hubspot": "kind" expects one of fivetran, scheduled_query, other/],
    [good.replace('tables: [hubspot_contacts]', 'tables: []'), /"tables" expects a non-empty list/],
    [good.replace('tables: [hubspot_contacts]', 'tables: ["drop table x"]'), /table "drop table x" is not a valid table name/],
    [good.replace('tables: [hubspot_contacts]', 'tables: [{ name: t, bigquery: "a b" }]'), /"bigquery" expects dataset.table/],
    [good.replace('column: _fivetran_synced', 'column: "x; drop"'), /"freshness.column" expects a column name/],
    [good.replace('measure: column', 'measure: vibes'), /"freshness.measure" expects table_modified or column/],
    [good.replace('sla_hours: 26', 'sla_hours: -1'), /"sla_hours" expects a number of hours/],
    [good.replace('sla_hours: 26', 'sla_hours: soon'), /"sla_hours"/],
    [good.replace('    owner: S0BIZOPS\n', ''), /"owner" is required/],
    [good.replace('rerun: { fivetran_connection: hubspot_daily }', 'rerun: { transfer_config: projects/p/locations/us/transferConfigs/x }'), /needs kind scheduled_query, not fivetran/],
    [good.replace('rerun: { fivetran_connection: hubspot_daily }', 'rerun: { transfer_config: nonsense }'), /transfer_config" expects projects/],
    [good.replace('rerun: { fivetran_connection: hubspot_daily }', 'rerun: yes'), /"rerun" expects/],
    [good.replace('owner: S0BIZOPS', 'owner: S0BIZOPS\n    sla: 3'), /unknown field "sla"/],
    [good.replace('name: HubSpot', `name: ${'x'.repeat(300)}`), /"name" is longer than 200/],
  ])('refuses %#, naming the problem', (yaml, message) => {
    const text = problem(yaml);
    expect(text).toMatch(/^test\.yml: /);
    expect(text).toMatch(message);
  });

  it('names a missing file and the variable to set', () => {
    expect(() => loadSources('/nonexistent/sources.yml')).toThrow(/cannot read the sources file \(ENOENT\); set SOURCES_FILE/);
  });

  it('stops start-up when the configured file is bad', async () => {
    const config = loadConfig({ SOURCES_FILE: '/nonexistent/sources.yml' });
    await expect(createServices(config, silentLogger, { warehouse: { kind: 'embedded' } as never, store: {} as never }, { directory: {} as never, kick: () => {} })).rejects.toThrow(SourcesError);
  });
});
