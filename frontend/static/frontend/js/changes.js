/**
 * Changes people make in the catalogue on this device: favourites and staff
 * edits of price and stock. Each is queued by the sync client (shown at
 * once) and a background sync of its unit is triggered to send it.
 * @module changes
 */

import { enqueue, triggerOfflineDataSync } from './sync/index.js';

/**
 * Mark or unmark a product as a favourite.
 * @param {import('./catalogue.js').Catalogue} catalogue
 * @param {string} productId
 * @returns {Promise<boolean>} whether it is a favourite now
 */
export async function toggleFavourite(catalogue, productId) {
  const existing = catalogue.favouritesByProduct().get(productId);
  if (existing) {
    await enqueue({ collection: 'favourites', op: 'delete', recordId: existing.id, baseVersion: existing.version ?? null });
  } else {
    await enqueue({ collection: 'favourites', op: 'upsert', recordId: crypto.randomUUID(), data: { product_id: productId } });
  }
  await catalogue.refresh();
  await triggerOfflineDataSync('favourites');
  return !existing;
}

/**
 * Change fields of a product (staff). `base` records the values seen before
 * the edit, so the server can merge field by field.
 * @param {import('./catalogue.js').Catalogue} catalogue
 * @param {object} product the product as shown
 * @param {object} data changed fields, e.g. {price: "11.00", stock: 4}
 */
export async function editProduct(catalogue, product, data) {
  const base = Object.fromEntries(Object.keys(data).map((field) => [field, product[field]]));
  await enqueue({ collection: 'products', op: 'upsert', recordId: product.id, baseVersion: product.version, data, base });
  await catalogue.refresh();
  await triggerOfflineDataSync('catalogue');
}
