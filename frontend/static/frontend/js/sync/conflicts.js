/**
 * What pushes left for the user to see: merge conflicts waiting for a
 * decision, and changes the server refused (rolled back here).
 * @module conflicts
 */

import * as meta from './meta.js';
import { enqueue } from './outbox.js';
import { triggerOfflineDataSync } from './trigger.js';

/** @returns {Promise<object[]>} conflicts waiting for a decision (the `conflict` event's details) */
export function pendingConflicts() {
  return meta.conflicts();
}

/**
 * Settle a merge conflict: keep the server's values, or send mine again on
 * top of them (queued, and a background sync triggered to send it).
 * @param {object} conflict an entry of `pendingConflicts()`
 * @param {'mine'|'server'} choice
 */
export async function resolveConflict(conflict, choice) {
  await meta.dropConflict(conflict.id);
  if (choice === 'mine' && conflict.server) {
    const data = Object.fromEntries(conflict.fields.map((field) => [field, conflict.mine[field]]));
    const base = Object.fromEntries(conflict.fields.map((field) => [field, conflict.server[field]]));
    await enqueue({
      collection: conflict.collection, op: 'upsert', recordId: conflict.recordId,
      baseVersion: conflict.server.version, data, base,
    });
    await triggerOfflineDataSync('all');
  }
}

/** @returns {Promise<object[]>} changes the server refused (the `rejected` event's details) */
export function rejectedChanges() {
  return meta.rejections();
}

/**
 * Forget the refused changes once the user saw them: all, or those of one `group`.
 * @param {string} [group]
 */
export function dismissRejections(group) {
  return group ? meta.dropRejections(group) : meta.clearRejections();
}
