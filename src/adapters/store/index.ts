/**
 * Picks the Store adapter named by the configuration (`STORE`).
 */
import type { Config } from '../../config.js';
import type { Store } from '../../ports/store.js';
import { openEmbeddedStore } from './embedded.js';
import { openFirestoreStore } from './firestore.js';

export { openEmbeddedStore } from './embedded.js';
export { openFirestoreStore } from './firestore.js';

/**
 * Opens the configured store: Firestore (production, shared by replicas) or
 * the embedded file-backed store under `dataDir` (local, single process).
 */
export async function openStore(config: Config['store'], dataDir: string): Promise<Store> {
  switch (config.kind) {
    case 'firestore':
      return openFirestoreStore({ projectId: config.projectId, collectionPrefix: config.collectionPrefix });
    case 'embedded':
      return openEmbeddedStore(dataDir);
  }
}
