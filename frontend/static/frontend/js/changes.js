/**
 * Changes people make on this device: favourites, staff edits of price and
 * stock, and the answer to a merge conflict. Each is queued in the outbox
 * (shown at once) and a background sync is triggered to send it.
 * @module changes
 */

import * as db from './db.js';
import { enqueue } from './outbox.js';
import { triggerOfflineDataSync } from './trigger.js';

/**
 * Mark or unmark a product as a favourite.
 * @param {import('./replica.js').Replica} replica
 * @param {string} productId
 * @returns {Promise<boolean>} whether it is a favourite now
 */
export async function toggleFavourite(replica, productId) {
  const existing = replica.favouritesByProduct().get(productId);
  if (existing) {
    await enqueue({ collection: 'favourites', op: 'delete', recordId: existing.id, baseVersion: existing.version ?? null });
  } else {
    await enqueue({ collection: 'favourites', op: 'upsert', recordId: crypto.randomUUID(), data: { product_id: productId } });
  }
  await replica.refresh();
  await triggerOfflineDataSync('favourites');
  return !existing;
}

/**
 * Change fields of a product (staff). `base` records the values seen before
 * the edit, so the server can merge field by field.
 * @param {import('./replica.js').Replica} replica
 * @param {object} product the product as shown
 * @param {object} data changed fields, e.g. {price: "11.00", stock: 4}
 */
export async function editProduct(replica, product, data) {
  const base = Object.fromEntries(Object.keys(data).map((field) => [field, product[field]]));
  await enqueue({ collection: 'products', op: 'upsert', recordId: product.id, baseVersion: product.version, data, base });
  await replica.refresh();
  await triggerOfflineDataSync('catalogue');
}

/** @returns {Promise<object[]>} conflicts waiting for a decision */
export async function pendingConflicts() {
  return (await db.getMeta('conflicts')) ?? [];
}

/** @returns {Promise<object[]>} changes the server refused (rolled back here) */
export async function rejectedChanges() {
  return (await db.getMeta('rejections')) ?? [];
}

/** Forget the list of refused changes once the user saw it. */
export function dismissRejections() {
  return db.setMeta('rejections', []);
}

/**
 * Settle a merge conflict: keep the server's values, or send mine again on top of them.
 * @param {import('./replica.js').Replica} replica
 * @param {object} conflict an entry of `pendingConflicts()`
 * @param {'mine'|'server'} choice
 */
export async function resolveConflict(replica, conflict, choice) {
  await db.updateMeta('conflicts', (list) => (list ?? []).filter((c) => c.id !== conflict.id));
  if (choice === 'mine' && conflict.server) {
    const data = Object.fromEntries(conflict.fields.map((field) => [field, conflict.mine[field]]));
    const base = Object.fromEntries(conflict.fields.map((field) => [field, conflict.server[field]]));
    await enqueue({
      collection: conflict.collection, op: 'upsert', recordId: conflict.recordId,
      baseVersion: conflict.server.version, data, base,
    });
    await triggerOfflineDataSync('all');
  }
  await replica.refresh();
}
