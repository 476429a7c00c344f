/**
 * The rules of `sources.yml` (src/sources/catalog.ts), as tables: what a source
 * may say, what each field defaults to, and the message a mistake stops start-up
 * with. Also how the list reads for `/pipeline request` (src/sources/synced.ts,
 * src/services/pipeline-request-sources.ts). Parsing only: no warehouse, no store.
 */
import { describe, expect, it } from 'vitest';
import { catalogOf, loadSources, parseSources, SOURCE_KINDS, SourcesError, type Source } from '../../src/sources/catalog.js';
import { toSyncedSources } from '../../src/sources/synced.js';
import { existingSyncs, SOURCE_SYSTEM_LABEL, SOURCE_SYSTEMS, systemOf, type SyncedSource } from '../../src/services/pipeline-request-sources.js';

/** One source as YAML lines (two-space indented under `- `), with fields replaced or removed (null). */
function sourceYaml(fields: Record<string, string | null> = {}): string {
  const all: Record<string, string | null> = {
    id: 'hubspot',
    name: 'HubSpot',
    kind: 'fivetran',
    tables: '[hubspot_contacts]',
    sla_hours: '26',
    owner: 'S0BIZOPS',
    ...fields,
  };
  const lines = Object.entries(all).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`);
  return `  - ${lines.join('\n    ')}\n`;
}

const file = (...sources: string[]) => `sources:\n${sources.join('')}`;
const one = (fields: Record<string, string | null> = {}): Source => parseSources(file(sourceYaml(fields))).sources[0]!;

function refusal(text: string): string {
  try {
    parseSources(text, 'test.yml');
  } catch (err) {
    expect(err).toBeInstanceOf(SourcesError);
    return (err as Error).message;
  }
  throw new Error('expected the file to be refused');
}
const refused = (fields: Record<string, string | null>) => refusal(file(sourceYaml(fields)));

describe('a source with only the required fields', () => {
  it('gets the defaults', () => {
    expect(one()).toEqual({
      id: 'hubspot',
      name: 'HubSpot',
      kind: 'fivetran',
      system: null,
      dataset: 'hubspot',
      schedule: 'at least every 26 hours',
      tables: [{ name: 'hubspot_contacts', bigquery: undefined }],
      freshness: { measure: 'table_modified' },
      slaHours: 26,
      owner: 'S0BIZOPS',
      rerun: null,
    });
  });

  it('takes its dataset from the first table’s BigQuery name, else its id', () => {
    expect(one({ tables: '[{ name: t1, bigquery: hub.contact }, { name: t2, bigquery: other.company }]' }).dataset).toBe('hub');
    expect(one({ tables: '[{ name: t1, bigquery: proj.hub.contact }]' }).dataset).toBe('hub');
    expect(one({ tables: '[t1, { name: t2, bigquery: hub.company }]' }).dataset).toBe('hubspot');
    expect(one({ tables: '[t1]', dataset: 'crm' }).dataset).toBe('crm');
  });

  it('keeps what is given, trimmed, with the system in lower case', () => {
    expect(one({ system: 'HubSpot', schedule: '" daily "', name: '" Hub Spot "' })).toMatchObject({ system: 'hubspot', schedule: 'daily', name: 'Hub Spot' });
  });

  it('takes text of up to 200 characters, after trimming', () => {
    expect(one({ name: `"  ${'x'.repeat(200)}  "` }).name).toBe('x'.repeat(200));
  });

  it('reads numbers where it expects text', () => {
    expect(one({ owner: '12345' }).owner).toBe('12345');
  });
});

describe('what a source may say', () => {
  it.each([
    ['a', true],
    ['hub_spot-2', true],
    [`h${'x'.repeat(39)}`, true],
    [`h${'x'.repeat(40)}`, false],
    ['2hubspot', false],
    ['HubSpot', false],
    ['_hubspot', false],
    ['hub spot', false],
    ['hub.spot', false],
  ])('id %j: accepted is %s', (id, ok) => {
    if (ok) expect(one({ id }).id).toBe(id);
    else expect(refused({ id: `"${id}"` })).toMatch(/"id" expects lower-case letters, digits, _ or - \(starting with a letter\)/);
  });

  it.each(SOURCE_KINDS.filter((k) => k !== 'fivetran'))('kind %s is accepted', (kind) => {
    expect(one({ kind }).kind).toBe(kind);
  });

  it.each([
    ['[t]', true],
    ['[_t9]', true],
    [`[${'t'.repeat(128)}]`, true],
    [`[${'t'.repeat(129)}]`, false],
    ['[9t]', false],
    ['[t-1]', false],
    ['["t x"]', false],
  ])('tables %s: accepted is %s', (tables, ok) => {
    if (ok) expect(one({ tables }).tables).toHaveLength(1);
    else expect(refused({ tables })).toMatch(/is not a valid table name/);
  });

  it.each([
    ['d.t', true],
    ['p-1.d_2.t_3', true],
    ['t', false],
    ['p.d.t.x', false],
    ['d.t-x', false],
    ['d..t', false],
    ['d.t x', false],
    ['.d.t', false],
  ])('BigQuery table %j: accepted is %s', (bigquery, ok) => {
    const tables = `[{ name: t, bigquery: "${bigquery}" }]`;
    if (ok) expect(one({ tables }).tables).toEqual([{ name: 't', bigquery }]);
    else expect(refused({ tables })).toMatch(/table "t": "bigquery" expects dataset\.table or project\.dataset\.table/);
  });

  it.each([
    ['0.5', true],
    ['2160', true],
    ['0', false],
    ['-1', false],
    ['2161', false],
    ['.inf', false],
    ['.nan', false],
    ['"26"', false],
  ])('sla_hours %s: accepted is %s', (sla, ok) => {
    if (ok) expect(one({ sla_hours: sla }).slaHours).toBe(Number(sla));
    else expect(refused({ sla_hours: sla })).toBe('test.yml: source "hubspot": "sla_hours" expects a number of hours above 0 and at most 2160');
  });

  it('measures freshness by table metadata or by a column', () => {
    expect(one({ freshness: '{ measure: table_modified }' }).freshness).toEqual({ measure: 'table_modified' });
    expect(one({ freshness: '{ measure: column, column: _fivetran_synced }' }).freshness).toEqual({ measure: 'column', column: '_fivetran_synced' });
  });

  it.each([
    ['{ fivetran_connection: hubspot_daily }', 'fivetran', { kind: 'fivetran', connectionId: 'hubspot_daily' }],
    [`{ fivetran_connection: ${'a'.repeat(100)} }`, 'fivetran', { kind: 'fivetran', connectionId: 'a'.repeat(100) }],
    ['{ transfer_config: projects/p/locations/us/transferConfigs/abc }', 'scheduled_query', { kind: 'data_transfer', transferConfig: 'projects/p/locations/us/transferConfigs/abc' }],
    ['{ transfer_config: projects/p/transferConfigs/abc }', 'scheduled_query', { kind: 'data_transfer', transferConfig: 'projects/p/transferConfigs/abc' }],
    ['none', 'fivetran', null],
    ['null', 'other', null],
  ])('rerun %s (kind %s) → %j', (rerun, kind, target) => {
    expect(one({ rerun, kind }).rerun).toEqual(target);
  });
});

describe('a source by id or name', () => {
  const catalog = () => parseSources(file(sourceYaml(), sourceYaml({ id: 'sfdc', name: 'Salesforce' })));

  it.each([
    ['hubspot', 'hubspot'],
    ['HUBSPOT', 'hubspot'],
    ['  sfdc ', 'sfdc'],
    ['Salesforce', 'sfdc'],
    ['salesforce', 'sfdc'],
    ['sales', undefined],
    ['', undefined],
  ])('%j → %s', (key, id) => {
    expect(catalog().get(key)?.id).toBe(id);
  });

  it('keeps the file’s order and cannot be changed', () => {
    expect(catalog().sources.map((s) => s.id)).toEqual(['hubspot', 'sfdc']);
    expect(Object.isFrozen(catalog().sources)).toBe(true);
  });

  it('prefers an id over another source’s name', () => {
    const c = catalogOf([{ ...one(), id: 'crm', name: 'Other' }, { ...one(), id: 'other', name: 'CRM' }]);
    expect(c.get('crm')?.id).toBe('crm');
    expect(c.get('other')?.id).toBe('other');
  });
});

describe('mistakes stop start-up, naming the file, the source and the field', () => {
  it.each([
    ['sources: {}', 'test.yml: expects a top-level "sources:" list'],
    ['- a\n- b', 'test.yml: expects a top-level "sources:" list'],
    ['', 'test.yml: expects a top-level "sources:" list'],
    ['sources:\n  - just a string\n', 'test.yml: source #1: expects a mapping of fields'],
    ['sources:\n  - [a, b]\n', 'test.yml: source #1: expects a mapping of fields'],
    [file(sourceYaml(), '  - null\n'), 'test.yml: source #2: expects a mapping of fields'],
    [file(sourceYaml({ id: '[x]' })), 'test.yml: source #1: "id" expects text'],
  ])('%#: %s', (text, message) => {
    expect(refusal(text)).toBe(message);
  });

  it('names a YAML error by its first line, with where it is', () => {
    const message = refusal('sources: [a\n b: c');
    expect(message).toMatch(/^test\.yml: not valid YAML: .+ at line 1, column 11:$/);
    expect(message).not.toContain('\n');
  });

  it('names sources.yml when no file name is given', () => {
    expect(() => parseSources('sources: []')).toThrow('sources.yml: "sources" is empty');
  });

  it.each([
    [{ id: null }, 'source #1: "id" is required'],
    [{ id: '""' }, 'source "": "id" is required'],
    [{ name: null }, 'source "hubspot": "name" is required'],
    [{ name: '' }, 'source "hubspot": "name" is required'],
    [{ owner: '{ a: 1 }' }, 'source "hubspot": "owner" expects text'],
    [{ owner: 'true' }, 'source "hubspot": "owner" expects text'],
    [{ kind: null }, 'source "hubspot": "kind" is required'],
    [{ kind: 'airbyte' }, 'source "hubspot": "kind" expects one of fivetran, scheduled_query, other, got "airbyte"'],
    [{ name: `"${'x'.repeat(201)}"` }, 'source "hubspot": "name" is longer than 200 characters'],
    [{ owner: `"  ${'x'.repeat(201)}  "` }, 'source "hubspot": "owner" is longer than 200 characters'],
    [{ tables: null }, 'source "hubspot": "tables" expects a non-empty list'],
    [{ tables: 'contacts' }, 'source "hubspot": "tables" expects a non-empty list'],
    [{ tables: '[]' }, 'source "hubspot": "tables" expects a non-empty list'],
    [{ tables: '[1]' }, 'source "hubspot": each table is a name or { name, bigquery }'],
    [{ tables: '[{ bigquery: d.t }]' }, 'source "hubspot": each table is a name or { name, bigquery }'],
    [{ tables: '[{ name: t, dataset: d }]' }, 'source "hubspot": table "t": unknown field "dataset"'],
    [{ tables: '[{ name: t, bigquery: 5 }]' }, 'source "hubspot": table "t": "bigquery" expects dataset.table or project.dataset.table'],
    // a number that reads like dataset.table is still not a name
    [{ tables: '[{ name: t, bigquery: 1.5 }]' }, 'source "hubspot": table "t": "bigquery" expects dataset.table or project.dataset.table'],
    [{ freshness: 'column' }, 'source "hubspot": "freshness" expects { measure: table_modified } or { measure: column, column: <name> }'],
    [{ freshness: '{ measure: column }' }, 'source "hubspot": "freshness.column" expects a column name, e.g. _fivetran_synced'],
    [{ freshness: '{ measure: column, column: 1 }' }, 'source "hubspot": "freshness.column" expects a column name, e.g. _fivetran_synced'],
    [{ freshness: '{ measure: vibes }' }, 'source "hubspot": "freshness.measure" expects table_modified or column, got "vibes"'],
    [{ sla_hours: null }, 'source "hubspot": "sla_hours" expects a number of hours above 0 and at most 2160'],
    [{ rerun: 'hubspot_daily' }, 'source "hubspot": "rerun" expects { fivetran_connection: <id> }, { transfer_config: projects/… } or none'],
    [{ rerun: '{}' }, 'source "hubspot": "rerun" expects exactly one of fivetran_connection, transfer_config'],
    [{ rerun: '{ fivetran_connection: a, transfer_config: b }' }, 'source "hubspot": "rerun" expects exactly one of fivetran_connection, transfer_config'],
    [{ rerun: '{ airbyte: a }' }, 'source "hubspot": "rerun" expects fivetran_connection or transfer_config'],
    [{ rerun: '{ fivetran_connection: 12 }' }, 'source "hubspot": "rerun" expects fivetran_connection or transfer_config'],
    [{ rerun: '{ fivetran_connection: "a b" }' }, 'source "hubspot": "rerun.fivetran_connection" is not a Fivetran connection ID'],
    [{ rerun: `{ fivetran_connection: ${'a'.repeat(101)} }` }, 'source "hubspot": "rerun.fivetran_connection" is not a Fivetran connection ID'],
    [{ rerun: '{ fivetran_connection: x }', kind: 'other' }, 'source "hubspot": "rerun.fivetran_connection" needs kind fivetran, not other'],
    [{ rerun: '{ transfer_config: projects/p/transferConfigs/x }' }, 'source "hubspot": "rerun.transfer_config" needs kind scheduled_query, not fivetran'],
    [{ rerun: '{ transfer_config: "projects/p q/transferConfigs/x" }', kind: 'scheduled_query' }, 'source "hubspot": "rerun.transfer_config" expects projects/<project>/locations/<location>/transferConfigs/<id>'],
    [{ rerun: '{ transfer_config: x/projects/p/transferConfigs/x }', kind: 'scheduled_query' }, 'source "hubspot": "rerun.transfer_config" expects projects/<project>/locations/<location>/transferConfigs/<id>'],
    [{ rerun: '{ transfer_config: projects/p/transferConfigs/x/runs }', kind: 'scheduled_query' }, 'source "hubspot": "rerun.transfer_config" expects projects/<project>/locations/<location>/transferConfigs/<id>'],
    [{ rerun: '{ transfer_config: projects//transferConfigs/x }', kind: 'scheduled_query' }, 'source "hubspot": "rerun.transfer_config" expects projects/<project>/locations/<location>/transferConfigs/<id>'],
  ])('%j: %s', (fields, message) => {
    expect(refused(fields)).toBe(`test.yml: ${message}`);
  });

  it('names an unknown field and lists the known ones', () => {
    expect(refused({ sla: '3' })).toBe('test.yml: source "hubspot": unknown field "sla" (known: id, name, kind, system, dataset, schedule, tables, freshness, sla_hours, owner, rerun)');
  });

  it('names a repeated id', () => {
    expect(refusal(file(sourceYaml(), sourceYaml({ name: 'Again' })))).toBe('test.yml: source "hubspot": duplicate id "hubspot"');
  });

  it('names the file it could not read and the variable to set', () => {
    expect(() => loadSources('/nonexistent/dir/sources.yml')).toThrow(new SourcesError('/nonexistent/dir/sources.yml: cannot read the sources file (ENOENT); set SOURCES_FILE to its path'));
  });

  it('names a file it read by its base name', () => {
    expect(loadSources('sources.yml').get('hubspot')?.name).toBe('HubSpot');
  });

  it('is a coded error', () => {
    expect(new SourcesError('x').code).toBe('sources_invalid');
  });
});

describe('which requestable system a source reads from', () => {
  it.each([
    ['hubspot', 'hubspot'],
    ['HubSpot (Fivetran)', 'hubspot'],
    ['Salesforce', 'salesforce'],
    ['sales-force', 'salesforce'],
    ['GitHub', 'github'],
    ['Postgres', 'postgres'],
    ['prod_postgres', 'postgres'],
    ['Cloud SQL', 'postgres'],
    ['Google Sheets', 'google_sheets'],
    ['gsheets', 'google_sheets'],
    ['Sheets', 'google_sheets'],
    ['spreadsheets', null],
    ['Zendesk', null],
    ['', null],
  ])('%j → %s', (text, system) => {
    expect(systemOf(text)).toBe(system);
  });

  it('offers the systems in the modal’s order, each labelled', () => {
    expect(SOURCE_SYSTEMS.map((s) => SOURCE_SYSTEM_LABEL[s])).toEqual(['Salesforce', 'HubSpot', 'GitHub', 'Postgres', 'Google Sheets', 'Other']);
  });

  it('finds what already syncs from a system; nothing for Other', () => {
    const synced = (id: string, system: SyncedSource['system']): SyncedSource => ({ id, name: id, system, dataset: id, tables: [], schedule: 'daily' });
    const list = [synced('hs', 'hubspot'), synced('sf', 'salesforce'), synced('hs2', 'hubspot'), synced('misc', null)];
    expect(existingSyncs('hubspot', list).map((s) => s.id)).toEqual(['hs', 'hs2']);
    expect(existingSyncs('github', list)).toEqual([]);
    expect(existingSyncs('other', [...list, synced('o', 'other' as never)])).toEqual([]);
  });
});

describe('the sources as /pipeline request reads them', () => {
  it('names tables by their BigQuery table where given, and the system from the system or the name', () => {
    const catalog = parseSources(
      file(
        sourceYaml({ system: 'hubspot', tables: '[{ name: hubspot_contacts, bigquery: hubspot.contact }, { name: hubspot_deals, bigquery: proj.hubspot.deal }, raw_notes]', schedule: 'daily' }),
        sourceYaml({ id: 'sfdc', name: 'Salesforce (Fivetran)', tables: '[sfdc_accounts]' }),
      ),
    );
    expect(toSyncedSources(catalog)).toEqual([
      { id: 'hubspot', name: 'HubSpot', system: 'hubspot', dataset: 'hubspot', tables: ['contact', 'deal', 'raw_notes'], schedule: 'daily' },
      { id: 'sfdc', name: 'Salesforce (Fivetran)', system: 'salesforce', dataset: 'sfdc', tables: ['sfdc_accounts'], schedule: 'at least every 26 hours' },
    ]);
  });
});
