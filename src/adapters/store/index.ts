/**
 * Picks the Store adapter named by the configuration (`STORE`). Each adapter
 * module is imported only when chosen: the Firestore client (with gRPC and
 * protobuf under it) is never loaded by a process on the embedded store.
 */
import type { Config } from '../../config.js';
import type { Store } from '../../ports/store.js';

/**
 * Opens the configured store: Firestore (production, shared by replicas) or
 * the embedded file-backed store under `dataDir` (local, single process).
 */
export async function openStore(config: Config['store'], dataDir: string): Promise<Store> {
  switch (config.kind) {
    case 'firestore': {
      const { openFirestoreStore } = await import('./firestore.js');
      return openFirestoreStore({ projectId: config.projectId, collectionPrefix: config.collectionPrefix });
    }
    case 'embedded': {
      const { openEmbeddedStore } = await import('./embedded.js');
      return openEmbeddedStore(dataDir);
    }
  }
}
