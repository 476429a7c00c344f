/**
 * What already syncs into the warehouse, as `/pipeline request` needs it: to
 * tell a requester "HubSpot already syncs daily into `hubspot`" before they
 * ask BizOps for a pipeline that exists.
 *
 * The freshness checks own the source list (`sources.yml`);
 * `src/sources/synced.ts` reads it into these types and `createServices`
 * passes it in. The handbook's list below is the fallback for tests and tools
 * that run without a sources file.
 */

/** The systems a pipeline can be requested from, in the order the modal shows them. */
export const SOURCE_SYSTEMS = ['salesforce', 'hubspot', 'github', 'postgres', 'google_sheets', 'other'] as const;
export type SourceSystem = (typeof SOURCE_SYSTEMS)[number];

export const SOURCE_SYSTEM_LABEL: Record<SourceSystem, string> = {
  salesforce: 'Salesforce',
  hubspot: 'HubSpot',
  github: 'GitHub',
  postgres: 'Postgres',
  google_sheets: 'Google Sheets',
  other: 'Other',
};

/** A source that already lands in the warehouse. */
export interface SyncedSource {
  id: string;
  name: string;
  /** The system it reads from; null when it is none of the requestable ones. */
  system: SourceSystem | null;
  /** The BigQuery dataset it writes to. */
  dataset: string;
  tables: string[];
  /** How often it runs, in words: "daily", "daily, in the afternoon PST", "every 6 hours". */
  schedule: string;
}

/**
 * Maps a source name or connector kind to a requestable system, e.g.
 * "hubspot", "HubSpot (Fivetran)" → hubspot. Lets a richer source list
 * be read without sharing its types.
 */
export function systemOf(text: string): SourceSystem | null {
  const t = text.toLowerCase().replace(/[^a-z]/g, '');
  if (t.includes('salesforce')) return 'salesforce';
  if (t.includes('hubspot')) return 'hubspot';
  if (t.includes('github')) return 'github';
  if (t.includes('postgres') || t.includes('cloudsql')) return 'postgres';
  if (t.includes('googlesheet') || t.includes('gsheet') || t === 'sheets') return 'google_sheets';
  return null;
}

/** The configured sources that already sync from `system` (none for "Other"). */
export function existingSyncs(system: SourceSystem, sources: readonly SyncedSource[]): SyncedSource[] {
  if (system === 'other') return [];
  return sources.filter((s) => s.system === system);
}

