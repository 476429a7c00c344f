/**
 * The source catalog as `/pipeline request` reads it ("HubSpot already syncs
 * daily into `hubspot`"), in that feature's own types.
 */
import { systemOf, type SyncedSource } from '../services/pipeline-request-sources.js';
import type { SourceCatalog } from './catalog.js';

/** Every configured source as a SyncedSource (tables by their BigQuery names where given). */
export function toSyncedSources(catalog: SourceCatalog): SyncedSource[] {
  return catalog.sources.map((s) => ({
    id: s.id,
    name: s.name,
    system: systemOf(s.system ?? s.name),
    dataset: s.dataset,
    tables: s.tables.map((t) => t.bigquery?.split('.').at(-1) ?? t.name),
    schedule: s.schedule,
  }));
}
