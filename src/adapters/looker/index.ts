/**
 * Picks the LookerAdmin adapter: the Looker API when LOOKER_BASE_URL and an API
 * key are configured, record-only otherwise.
 */
import type { LookerConfig } from '../../config.js';
import type { LookerAdmin } from '../../ports/looker-admin.js';
import { LookerApiAdmin } from './api.js';
import { RecordOnlyLookerAdmin } from './record-only.js';

export { LookerApiAdmin } from './api.js';
export { RecordOnlyLookerAdmin } from './record-only.js';

/** The Looker adapter for this configuration. */
export function openLookerAdmin(config: LookerConfig | undefined): LookerAdmin {
  return config ? new LookerApiAdmin({ baseUrl: config.baseUrl, clientId: config.clientId, clientSecret: config.clientSecret }) : new RecordOnlyLookerAdmin();
}
