/**
 * Orders taken on this device (docs/orders.md): a draft built line by line,
 * submitted, and followed until staff decide it. Every change is queued in
 * the outbox with the order's id as its `group`, so the server applies an
 * order's queued changes all or none (a half order never lands), and a
 * background sync of the `orders` unit is triggered to send them.
 * @module orders
 */

import { dismissRejections, enqueue, triggerOfflineDataSync } from './sync/index.js';

const ORDERS = 'orders';
const LINES = 'order_lines';
const UNIT = 'orders';

/** What a user sees of an order's status (the `waiting` ones are changed here and not sent yet). */
export const STATUS_LABELS = {
  draft: 'Draft',
  waiting: 'Waiting to send',
  submitted: 'Submitted',
  confirmed: 'Confirmed',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
};

/** @returns {string} the badge of `order`: its status, or `waiting` when a submission is not sent yet */
export function orderState(order) {
  return order.pending && order.status === 'submitted' ? 'waiting' : order.status;
}

/** @returns {object[]} the user's orders, newest first (those made here and not sent yet first of all) */
export function orders(catalogue) {
  const when = (order) => order.created_at ?? '\uffff';
  return catalogue.records(ORDERS).sort((a, b) => (when(a) < when(b) ? 1 : when(a) > when(b) ? -1 : 0));
}

/** @returns {object|undefined} the draft being built: the newest one */
export function currentDraft(catalogue) {
  return orders(catalogue).find((order) => order.status === 'draft');
}

/** @returns {object[]} the lines of order `orderId`, in the order they were added (by id for the server's) */
export function linesOf(catalogue, orderId) {
  return catalogue.records(LINES).filter((line) => line.order_id === orderId);
}

/**
 * What an order costs as shown here: the server's total once submitted, else
 * the sum of today's prices (quoted when the product is gone from the catalogue).
 * @returns {{total: number, currency: string|undefined, unsold: object[]}} `unsold`: lines to remove before submitting
 */
export function orderTotal(catalogue, order, lines = linesOf(catalogue, order.id)) {
  if (order.total != null && order.status !== 'draft') return { total: Number(order.total), currency: order.currency, unsold: [] };
  let total = 0;
  let currency;
  const unsold = [];
  for (const line of lines) {
    const product = line.product_id ? catalogue.product(line.product_id) : undefined;
    if (!product) unsold.push(line);
    currency ??= product?.currency;
    total += Number(product?.price ?? line.quoted_price ?? 0) * line.quantity;
  }
  return { total, currency, unsold };
}

/** @returns {boolean} whether the server fixed a unit price other than the one the device showed */
export function repriced(line) {
  return line.unit_price != null && line.quoted_price != null && Number(line.unit_price) !== Number(line.quoted_price);
}

function queueOrder(catalogue, order, data) {
  return enqueue({
    collection: ORDERS, op: 'upsert', recordId: order.id, group: order.id,
    baseVersion: catalogue.serverRecord(ORDERS, order.id)?.version ?? null, data,
  });
}

function queueLine(catalogue, line, op, data) {
  return enqueue({
    collection: LINES, op, recordId: line.id, group: line.order_id,
    baseVersion: catalogue.serverRecord(LINES, line.id)?.version ?? null, data,
  });
}

async function settle(catalogue) {
  await catalogue.refresh();
  await triggerOfflineDataSync(UNIT);
}

/**
 * Add `quantity` of `product` to the draft (a new draft if there is none); a product already on it
 * gets the quantity added to its line.
 * @returns {Promise<object>} the draft
 */
export async function addToOrder(catalogue, product, quantity = 1) {
  let order = currentDraft(catalogue);
  if (!order) {
    order = { id: crypto.randomUUID(), status: 'draft', customer: '', note: '' };
    await queueOrder(catalogue, order, { status: 'draft', customer: '', note: '' });
  }
  const line = linesOf(catalogue, order.id).find((l) => l.product_id === product.id);
  if (line) {
    await queueLine(catalogue, line, 'upsert', { quantity: line.quantity + quantity });
  } else {
    const data = { order_id: order.id, product_id: product.id, quantity, quoted_price: product.price };
    await queueLine(catalogue, { id: crypto.randomUUID(), order_id: order.id }, 'upsert', data);
  }
  await settle(catalogue);
  return order;
}

/** Set a draft line's quantity (a whole number from 1); 0 removes the line. */
export async function setQuantity(catalogue, line, quantity) {
  if (quantity < 1) {
    await queueLine(catalogue, line, 'delete');
  } else {
    await queueLine(catalogue, line, 'upsert', { quantity });
  }
  await settle(catalogue);
}

/** Remove a line from its draft. */
export async function removeLine(catalogue, line) {
  await queueLine(catalogue, line, 'delete');
  await settle(catalogue);
}

/** Change who the draft is for and its note. */
export async function setDetails(catalogue, order, { customer, note }) {
  await queueOrder(catalogue, order, { customer, note });
  await settle(catalogue);
}

/** Submit a draft: the server fixes its prices (repriced lines show both) and staff decide it. */
export async function submitOrder(catalogue, order) {
  await queueOrder(catalogue, order, { status: 'submitted' });
  await settle(catalogue);
}

/** Discard a draft: it is deleted with its lines, here and on the server. */
export async function discardOrder(catalogue, order) {
  await enqueue({
    collection: ORDERS, op: 'delete', recordId: order.id, group: order.id,
    baseVersion: catalogue.serverRecord(ORDERS, order.id)?.version ?? null,
  });
  await settle(catalogue);
}

/**
 * Orders the server refused as a whole (a group that failed), from the stored refusals: what the
 * device had built, why, and the lines to leave out when it is mended.
 * @param {object[]} rejections `ChangeStatus.rejections`
 * @returns {{orderId: string, customer: string, reasons: string[], lines: object[], unsold: Set<string>}[]}
 */
export function refusedOrders(catalogue, rejections) {
  const byOrder = new Map();
  for (const r of rejections) {
    if (!r.group || (r.collection !== ORDERS && r.collection !== LINES)) continue;
    if (!byOrder.has(r.group)) byOrder.set(r.group, { orderId: r.group, customer: '', reasons: [], lines: [], unsold: new Set() });
    const refused = byOrder.get(r.group);
    if (r.collection === ORDERS && r.data?.customer !== undefined) refused.customer = r.data.customer;
    if (r.collection === LINES && r.op === 'upsert') refused.lines.push({ id: r.recordId, ...r.data });
    if (r.code === 'group_failed') continue;
    refused.reasons.push(...reasonsOf(catalogue, r));
    if (r.collection === LINES && r.errors?.product_id) refused.unsold.add(r.recordId);
    for (const lineId of Object.keys(r.errors?.lines ?? {})) refused.unsold.add(lineId);
  }
  return [...byOrder.values()];
}

function reasonsOf(catalogue, r) {
  const { non_field_errors: general, lines, ...fields } = r.errors ?? {};
  const reasons = [...(general ?? [])];
  if (Array.isArray(lines)) reasons.push(...lines);
  else if (lines) {
    for (const [lineId, errors] of Object.entries(lines)) {
      const line = catalogue.record(LINES, lineId);
      const name = catalogue.product(line?.product_id)?.name ?? 'A product';
      reasons.push(`${name}: ${Object.values(errors).flat().join(' ')}`);
    }
  }
  for (const [field, messages] of Object.entries(fields)) {
    const name = field === 'product_id' ? (catalogue.product(r.data?.product_id)?.name ?? 'A product') : field;
    reasons.push(`${name}: ${[messages].flat().join(' ')}`);
  }
  return reasons.length ? reasons : [r.detail];
}

/**
 * Mend a refused order: queue it again as a draft, without the lines whose product is no longer
 * sold, and forget its refusal. Nothing the user built is lost to a refusal.
 * @param {ReturnType<typeof refusedOrders>[number]} refused
 */
export async function restoreAsDraft(catalogue, refused) {
  const order = { id: refused.orderId };
  const onServer = catalogue.serverRecord(ORDERS, order.id);
  if (!onServer || onServer.status === 'draft') {
    await queueOrder(catalogue, order, { status: 'draft', customer: refused.customer });
    for (const line of refused.lines) {
      if (refused.unsold.has(line.id) || !catalogue.product(line.product_id)) continue;
      const { id, ...data } = line;
      await queueLine(catalogue, { id, order_id: order.id }, 'upsert', { ...data, order_id: order.id });
    }
  }
  await dismissRejections(order.id);
  await settle(catalogue);
}
