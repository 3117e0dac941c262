/**
 * Orders (`#orders`, in the dialog), opened from the order chip: the draft
 * being built (customer, note, lines with quantities, total, Submit and
 * Discard), orders the server refused as a whole (Back to draft), and the
 * history with status badges, decisions and repriced lines. Everything
 * works offline: changes are queued (orders.js) and sent by themselves.
 * @module views/orders
 */

import * as orders from '../orders.js';
import { formatPrice, formatWhen, h, plural } from './dom.js';
import { openDialog } from './dialog.js';

const BADGES = {
  draft: 'badge-pending', waiting: 'badge-pending', submitted: 'badge-info', confirmed: 'badge-ok',
  rejected: 'badge-rejected', cancelled: 'badge-muted',
};

/**
 * @param {{catalogue: import('../catalogue.js').Catalogue,
 *          changeStatus: import('../changeStatus.js').ChangeStatus,
 *          onError: (error: Error) => void, returnFocus?: () => void}} options
 * @returns {Promise<void>} once closed
 */
export function openOrders({ catalogue, changeStatus, onError, returnFocus }) {
  let stop = () => {};
  return openDialog({
    kind: 'orders',
    size: 'sheet',
    labelledBy: 'orders-title',
    returnFocus,
    onClose: () => stop(),
    build: (close) => {
      const view = buildOrders({ catalogue, changeStatus, onError, close });
      const render = () => view.render();
      catalogue.addEventListener('change', render);
      changeStatus.addEventListener('change', render);
      stop = () => {
        catalogue.removeEventListener('change', render);
        changeStatus.removeEventListener('change', render);
      };
      render();
      return view.root;
    },
  });
}

function buildOrders({ catalogue, changeStatus, onError, close }) {
  const act = (fn) => async (event) => {
    const button = event?.currentTarget;
    if (button) button.disabled = true;
    try {
      await fn();
    } catch (error) {
      onError(error);
    } finally {
      if (button?.isConnected) button.disabled = false;
    }
  };

  // The draft's fields stay in place across renders, so typing is never interrupted.
  const customer = h('input', { id: 'order-customer', type: 'text', maxlength: '200', autocomplete: 'off' });
  const note = h('textarea', { id: 'order-note', rows: '2' });
  const saveDetails = () => {
    const draft = orders.currentDraft(catalogue);
    if (!draft || (draft.customer === customer.value.trim() && draft.note === note.value)) return Promise.resolve();
    return orders.setDetails(catalogue, draft, { customer: customer.value.trim(), note: note.value });
  };
  customer.addEventListener('change', act(saveDetails));
  note.addEventListener('change', act(saveDetails));
  const lines = h('ul', { id: 'order-lines', class: 'order-lines', 'aria-label': 'Lines' });
  const total = h('p', { id: 'order-total', class: 'order-total', 'aria-live': 'polite' });
  const warning = h('p', { class: 'notice notice-warning', dataset: { orderWarning: '' }, hidden: true });
  const submit = h('button', { type: 'button', id: 'order-submit', class: 'btn btn-primary' }, 'Submit order');
  const discard = h('button', { type: 'button', id: 'order-discard', class: 'btn btn-ghost' }, 'Discard');
  submit.addEventListener('click', act(async () => {
    await saveDetails();
    await orders.submitOrder(catalogue, orders.currentDraft(catalogue));
  }));
  discard.addEventListener('click', act(() => orders.discardOrder(catalogue, orders.currentDraft(catalogue))));
  const draftForm = h('div', { class: 'order-draft-form' },
    h('label', { for: 'order-customer', text: 'Customer' }), customer,
    h('label', { for: 'order-note', text: 'Note' }), note,
    lines, total, warning,
    h('div', { class: 'form-actions' }, submit, discard));
  const empty = h('p', { class: 'order-empty', text: 'No order being built. Use “Add to order” on a product to start one.' });
  const refused = h('ul', { id: 'orders-refused', class: 'order-history', 'aria-label': 'Refused orders' });
  const history = h('ul', { id: 'order-history', class: 'order-history', 'aria-label': 'Order history' });

  const root = h('section', { id: 'orders', class: 'orders' },
    h('header', { class: 'dialog-header' },
      h('h2', { id: 'orders-title', text: 'Orders' }),
      h('button', { type: 'button', class: 'btn-close', 'aria-label': 'Close', on: { click: () => close() } }, '×')),
    h('div', { class: 'dialog-body' },
      h('section', { id: 'order-draft', 'aria-labelledby': 'order-draft-title' },
        h('h3', { id: 'order-draft-title', text: 'Current order' }), empty, draftForm),
      refused,
      h('h3', { text: 'History' }),
      history));

  const money = (value, currency) => formatPrice(String(value), currency);

  function lineRow(line) {
    const product = line.product_id ? catalogue.product(line.product_id) : undefined;
    const quantity = h('input', {
      type: 'number', class: 'order-qty', min: '1', step: '1', inputmode: 'numeric', value: String(line.quantity),
      'aria-label': `Quantity of ${product?.name ?? 'a product no longer sold'}`,
    });
    quantity.addEventListener('change', act(async () => {
      const value = Number(quantity.value);
      if (!Number.isInteger(value) || value < 0) {
        quantity.value = String(line.quantity);
        return;
      }
      await orders.setQuantity(catalogue, line, value);
    }));
    const remove = h('button', {
      type: 'button', class: 'btn btn-small order-remove', 'aria-label': `Remove ${product?.name ?? 'this line'}`,
    }, 'Remove');
    remove.addEventListener('click', act(() => orders.removeLine(catalogue, line)));
    const notes = [];
    if (!product) notes.push(h('span', { class: 'badge badge-rejected', text: 'No longer sold: remove it' }));
    else if (Number(product.stock) < line.quantity) notes.push(h('span', { class: 'order-stock', text: `Only ${product.stock} in stock` }));
    return h('li', { class: 'order-line', dataset: { lineId: line.id, productId: line.product_id ?? '' } },
      h('span', { class: 'order-line-name', text: product?.name ?? 'A product no longer sold' }),
      h('span', { class: 'order-line-price', text: product ? money(product.price, product.currency) : '' }),
      quantity, remove, ...notes);
  }

  function drawDraft() {
    const draft = orders.currentDraft(catalogue);
    empty.hidden = Boolean(draft);
    draftForm.hidden = !draft;
    if (!draft) return;
    if (document.activeElement !== customer) customer.value = draft.customer ?? '';
    if (document.activeElement !== note) note.value = draft.note ?? '';
    const draftLines = orders.linesOf(catalogue, draft.id);
    const focused = document.activeElement?.closest?.('.order-line')?.dataset.lineId;
    lines.replaceChildren(...draftLines.map(lineRow));
    if (focused) lines.querySelector(`[data-line-id="${focused}"] .order-qty`)?.focus();
    const { total: sum, currency, unsold } = orders.orderTotal(catalogue, draft, draftLines);
    total.textContent = `${plural(draftLines.length, 'line', 'lines')} · ${money(sum.toFixed(2), currency)} at today’s prices`;
    warning.hidden = !unsold.length;
    warning.textContent = unsold.length ? 'Remove the products no longer sold before you submit.' : '';
    submit.disabled = !draftLines.length || unsold.length > 0;
  }

  function drawRefused() {
    const entries = orders.refusedOrders(catalogue, changeStatus.rejections).map((order) => h('li', {
      class: 'order-entry', dataset: { orderId: order.orderId, state: 'refused' },
    },
    h('div', { class: 'order-entry-head' },
      h('span', { class: 'order-customer', text: order.customer || 'Order' }),
      h('span', { class: 'badge badge-rejected', text: 'Not accepted' })),
    h('ul', { class: 'order-reasons' }, order.reasons.map((reason) => h('li', { text: reason }))),
    h('div', { class: 'outbox-actions' },
      h('button', {
        type: 'button', class: 'btn btn-small order-restore',
        on: { click: act(() => orders.restoreAsDraft(catalogue, order)) },
      }, 'Back to draft'))));
    refused.replaceChildren(...entries);
    refused.hidden = !entries.length;
  }

  function historyEntry(order) {
    const state = orders.orderState(order);
    const orderLines = orders.linesOf(catalogue, order.id);
    const { total: sum, currency } = orders.orderTotal(catalogue, order, orderLines);
    const repricedLines = orderLines.filter(orders.repriced);
    const details = h('details', { class: 'order-details' },
      h('summary', { text: plural(orderLines.length, 'line', 'lines') }),
      h('ul', { class: 'order-lines' }, orderLines.map((line) => {
        const name = catalogue.product(line.product_id)?.name ?? 'A product no longer sold';
        const price = line.unit_price ?? line.quoted_price;
        return h('li', { class: 'order-line', dataset: { lineId: line.id } },
          h('span', { class: 'order-line-name', text: `${line.quantity} × ${name}` }),
          h('span', { class: 'order-line-price', text: price != null ? money(price, order.currency) : '' }),
          orders.repriced(line)
            ? h('span', { class: 'order-repriced', text: `repriced from ${money(line.quoted_price, order.currency)}` })
            : null);
      })));
    return h('li', { class: 'order-entry', dataset: { orderId: order.id, state } },
      h('div', { class: 'order-entry-head' },
        h('span', { class: 'order-customer', text: order.customer || 'Order' }),
        h('span', { class: `badge ${BADGES[state] ?? 'badge-muted'}`, dataset: { orderStatus: state }, text: orders.STATUS_LABELS[state] ?? state })),
      h('div', { class: 'order-meta' },
        h('span', { class: 'order-sum', text: money(sum.toFixed(2), currency ?? order.currency) }),
        order.submitted_at ? h('time', { dateTime: order.submitted_at, text: formatWhen(order.submitted_at) }) : null,
        repricedLines.length ? h('span', { class: 'order-repriced', text: `${plural(repricedLines.length, 'line', 'lines')} repriced` }) : null),
      order.status === 'rejected' && order.decision_reason
        ? h('p', { class: 'order-reason', text: `Reason: ${order.decision_reason}` }) : null,
      details);
  }

  function drawHistory() {
    const past = orders.orders(catalogue).filter((order) => order.status !== 'draft');
    history.replaceChildren(...(past.length ? past.map(historyEntry) : [h('li', { class: 'order-empty', text: 'No orders sent yet.' })]));
  }

  return {
    root,
    render() {
      try {
        drawDraft();
        drawRefused();
        drawHistory();
      } catch (error) {
        onError(error);
      }
    },
  };
}
