/**
 * The sync client's public API (docs/sync-api.md): everything a page
 * imports from `sync/`. The client knows collections and units only from
 * the server's configuration; the app builds its own views on `Replica`.
 * A service worker imports `worker.js` instead.
 * @module sync
 */

export { SyncError, messages, toSyncError } from './errors.js';
export { dismissRejections, pendingConflicts, rejectedChanges, resolveConflict } from './conflicts.js';
export { lastSync } from './meta.js';
export { OfflinePictures } from './offlinePictures.js';
export { discardChange, enqueue, pendingChanges, sending } from './outbox.js';
export { usage as offlinePictureUsage } from './pictures.js';
export { Replica, yieldToPage } from './replica.js';
export { currentAuth, login, logout, unsentChanges } from './session.js';
export { offlineDataSync, startAutomaticSync, syncEvents, triggerOfflineDataSync } from './trigger.js';
