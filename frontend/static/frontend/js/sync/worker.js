/**
 * The sync client in a service worker: runs the queued sync units when
 * Background Sync or Periodic Background Sync fires, and answers the app's
 * picture requests from the pictures kept offline.
 * @module worker
 */

import { PERIODIC_TAG, SYNC_TAG, SyncEngine } from './engine.js';
import { respond as pictureResponse } from './pictures.js';
import { enqueueUnit } from './queue.js';

export { pictureResponse };

/**
 * Listen for `sync` and `periodicsync` in this worker. Call once, at the
 * worker's top level.
 * @param {{beforeComplete?: () => Promise<void>}} [options] `beforeComplete`: awaited before a
 *   sync reports `synccomplete` (the app: its release cached); a failure there does not fail the sync
 */
export function handleSyncEvents({ beforeComplete = null } = {}) {
  const engine = new SyncEngine({ context: 'worker', beforeComplete });

  /**
   * Run the queued units. A failure that a retry may cure is rethrown, so
   * the browser retries the sync later (unless the configuration says not to).
   */
  async function drain(lastChance) {
    try {
      await engine.drainQueue();
    } catch (error) {
      if (error.willRetry && !lastChance) throw error;
    }
  }

  self.addEventListener('sync', (event) => {
    if (event.tag === SYNC_TAG) event.waitUntil(drain(event.lastChance));
  });
  self.addEventListener('periodicsync', (event) => {
    if (event.tag === PERIODIC_TAG) event.waitUntil(enqueueUnit('all').then(() => drain(true)));
  });
}
