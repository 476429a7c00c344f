/**
 * Picks the LookerAdmin adapter: the Looker API when LOOKER_BASE_URL and an API
 * key are configured, record-only otherwise. Only the chosen module is loaded.
 */
import type { LookerConfig } from '../../config.js';
import type { LookerAdmin } from '../../ports/looker-admin.js';

/** The Looker adapter for this configuration. */
export async function openLookerAdmin(config: LookerConfig | undefined): Promise<LookerAdmin> {
  if (!config) {
    const { RecordOnlyLookerAdmin } = await import('./record-only.js');
    return new RecordOnlyLookerAdmin();
  }
  const { LookerApiAdmin } = await import('./api.js');
  return new LookerApiAdmin({ baseUrl: config.baseUrl, clientId: config.clientId, clientSecret: config.clientSecret });
}
