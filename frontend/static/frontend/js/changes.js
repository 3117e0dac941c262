/**
 * Changes people make in the catalogue on this device: favourites and staff
 * edits of price and stock (orders are orders.js). Each is queued by the sync client (shown at
 * once) and a background sync of its unit is triggered to send it.
 * @module changes
 */

import { enqueue, triggerOfflineDataSync } from './sync/index.js';
import { formatPrice } from './views/dom.js';

const FIELD_LABELS = { price: 'price', stock: 'stock', name: 'name', description: 'description' };

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

/**
 * A change in words, for the outbox view: "Price of Bosch drill: €59.00 → €54.00".
 * @param {import('./catalogue.js').Catalogue} catalogue
 * @param {{collection: string, op: string, recordId: string, data?: object, base?: object}} change
 * @returns {string}
 */
export function describeChange(catalogue, { collection, op, recordId, data = {}, base = {} }) {
  if (collection === 'favourites') {
    const productId = data.product_id ?? catalogue.favouriteRecord(recordId)?.product_id;
    const name = catalogue.product(productId)?.name ?? 'a product';
    return op === 'delete' ? `Removed ${name} from favourites` : `Added ${name} to favourites`;
  }
  if (collection === 'products') {
    const product = catalogue.product(recordId);
    const name = product?.name ?? 'a product';
    if (op === 'delete') return `Deleted ${name}`;
    if (!Object.keys(data).length) return `Changed ${name}`;
    const value = (field, v) => (field === 'price' ? formatPrice(v, product?.currency) : String(v));
    const fields = Object.keys(data).map((field) => {
      const from = base[field] === undefined ? '' : `${value(field, base[field])} → `;
      return `${FIELD_LABELS[field] ?? field} ${from}${value(field, data[field])}`;
    });
    return `${name}: ${fields.join(', ')}`;
  }
  if (collection === 'orders') {
    const order = catalogue.record('orders', recordId) ?? catalogue.serverRecord('orders', recordId);
    const whose = order?.customer || data.customer ? ` for ${data.customer || order.customer}` : '';
    if (op === 'delete') return `Discarded the order${whose}`;
    if (data.status === 'submitted') return `Submitted the order${whose}`;
    if (data.status === 'cancelled') return `Cancelled the order${whose}`;
    return catalogue.serverRecord('orders', recordId) ? `Changed the order${whose}` : `Started an order${whose}`;
  }
  if (collection === 'order_lines') {
    const line = catalogue.record('order_lines', recordId) ?? catalogue.serverRecord('order_lines', recordId);
    const name = catalogue.product(data.product_id ?? line?.product_id)?.name ?? 'a product';
    if (op === 'delete') return `Removed ${name} from an order`;
    return data.product_id ? `Added ${data.quantity} × ${name} to an order` : `${name}: quantity ${data.quantity}`;
  }
  return `${op === 'delete' ? 'Deleted' : 'Changed'} a record of ${collection}`;
}
