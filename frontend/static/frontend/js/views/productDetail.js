/**
 * A product's detail (`#product-detail`, in the dialog): every field, the
 * favourite toggle, a "not yet sent" badge for unsent changes, and for staff
 * a form to change price and stock.
 * @module views/productDetail
 */

import * as changes from '../changes.js';
import { currentAuth } from '../sync/index.js';
import { formatPrice, formatStock, formatWhen, h, icon, setVar } from './dom.js';
import { openDialog } from './dialog.js';

const PRICE_PATTERN = /^\d{1,10}(?:[.,]\d{1,2})?$/;
const STOCK_PATTERN = /^\d{1,9}$/;

/**
 * Open the detail of product `id`; it follows changes of the catalogue while open.
 * @param {{catalogue: import('../catalogue.js').Catalogue, id: string,
 *          changeStatus: import('../changeStatus.js').ChangeStatus,
 *          onToggleFavourite: (id: string, button: HTMLButtonElement) => Promise<void>,
 *          returnFocus?: () => void}} options
 * @returns {Promise<void>} once closed
 */
export function openProductDetail({ catalogue, changeStatus, id, onToggleFavourite, onAddToOrder, returnFocus }) {
  let onChange = null;
  return openDialog({
    kind: 'product',
    size: 'sheet',
    labelledBy: 'detail-title',
    returnFocus,
    onClose: () => {
      catalogue.removeEventListener('change', onChange);
      changeStatus.removeEventListener('change', onChange);
    },
    build: (close) => {
      const view = buildDetail({ catalogue, changeStatus, id, close, onToggleFavourite, onAddToOrder });
      onChange = () => view.update();
      catalogue.addEventListener('change', onChange);
      changeStatus.addEventListener('change', onChange);
      // The staff form joins as soon as the stored session says who is signed in.
      currentAuth().catch(() => undefined).then((auth) => {
        if (auth?.user?.is_staff && view.root.isConnected) view.addEditor();
      });
      return view.root;
    },
  });
}

function buildDetail({ catalogue, changeStatus, id, close, onToggleFavourite, onAddToOrder }) {
  const title = h('h2', { id: 'detail-title', class: 'detail-title' });
  const badge = h('span', { class: 'badge badge-pending', dataset: { pendingBadge: '' }, text: 'Not yet sent', hidden: true });
  const gone = h('p', { class: 'notice notice-warning', hidden: true, text: 'This product is no longer in the catalogue.' });
  // The picture's box is reserved from its size on the wire, so nothing moves when it loads; offline
  // and not kept, the worker answers with a placeholder (or the tile shows if that fails too).
  const image = h('img', { class: 'detail-image', alt: '', width: '640', height: '480', decoding: 'async' });
  const picture = h('div', { class: 'detail-picture picture-tile', hidden: true }, image);
  image.addEventListener('error', () => image.classList.add('is-missing'));
  image.addEventListener('load', () => image.classList.remove('is-missing'));

  const values = {};
  const field = (key, label) => {
    values[key] = h('dd', { dataset: { field: key } });
    return [h('dt', { text: label }), values[key]];
  };
  const fields = h('dl', { class: 'detail-fields' },
    field('price', 'Price'), field('stock', 'Stock'), field('sku', 'SKU'), field('category', 'Category'),
    field('description', 'Description'), field('updated_at', 'Last changed'));

  const favourite = h('button', {
    type: 'button', id: 'detail-favourite', class: 'favourite favourite-labelled btn', 'aria-pressed': 'false',
  }, icon('star'), 'Favourite');
  favourite.addEventListener('click', () => onToggleFavourite(id, favourite));

  const quantity = h('input', {
    type: 'number', id: 'detail-quantity', class: 'order-qty', min: '1', step: '1', value: '1', inputmode: 'numeric',
    'aria-label': 'Quantity',
  });
  const addToOrder = h('button', { type: 'button', id: 'detail-add-to-order', class: 'btn btn-primary' },
    icon('add'), 'Add to order');
  const added = h('span', { class: 'form-status', role: 'status', dataset: { orderAdded: '' } });
  addToOrder.addEventListener('click', async () => {
    const count = Number(quantity.value);
    if (!Number.isInteger(count) || count < 1) {
      added.textContent = 'Enter a whole number from 1.';
      return;
    }
    addToOrder.disabled = true;
    try {
      if (await onAddToOrder(id, count)) added.textContent = `Added ${count} to the order.`;
    } finally {
      addToOrder.disabled = false;
    }
  });
  const ordering = h('div', { class: 'detail-order' }, quantity, addToOrder, added);

  let editor = null;
  const body = h('div', { class: 'dialog-body' },
    h('div', { class: 'detail-badges' }, badge),
    gone,
    picture,
    fields,
    h('div', { class: 'detail-actions' }, favourite),
    ordering);

  const root = h('article', { id: 'product-detail', class: 'detail', 'aria-labelledby': 'detail-title' },
    h('header', { class: 'dialog-header' },
      title,
      h('button', { type: 'button', class: 'btn-close', 'aria-label': 'Close', on: { click: () => close() } }, '×')),
    body);

  function update() {
    const product = catalogue.product(id);
    gone.hidden = Boolean(product);
    fields.hidden = !product;
    favourite.hidden = !product;
    ordering.hidden = !product;
    if (editor) editor.root.hidden = !product;
    if (!product) return;
    title.textContent = product.name ?? 'Product';
    badge.hidden = !product.pending;
    values.price.textContent = formatPrice(product.price, product.currency);
    values.stock.textContent = formatStock(product.stock);
    values.sku.textContent = product.sku ?? '';
    values.category.textContent = categoryPath(catalogue, product.category_id);
    values.description.textContent = product.description || '—';
    values.updated_at.textContent = product.updated_at ? formatWhen(product.updated_at) : '—';
    picture.hidden = !product.image_url;
    if (product.image_url && image.getAttribute('src') !== product.image_url) {
      const [width, height] = [product.image_width ?? 640, product.image_height ?? 480];
      setVar(picture, '--picture-width', `${width}px`);
      setVar(picture, '--picture-ratio', `${width} / ${height}`);
      image.width = width;
      image.height = height;
      image.alt = product.name ?? '';
      image.src = product.image_url;
    } else if (!product.image_url) {
      image.removeAttribute('src');
    }
    favourite.setAttribute('aria-pressed', String(catalogue.favouritesByProduct().has(id)));
    editor?.update(product);
  }

  function addEditor() {
    if (editor) return;
    editor = buildEditor(catalogue, changeStatus, id);
    body.append(editor.root);
    update();
  }

  update();
  return { root, update, addEditor };
}

function categoryPath(catalogue, categoryId) {
  if (!categoryId) return '—';
  const byId = new Map(catalogue.categories().map((c) => [c.id, c]));
  const names = [];
  for (let c = byId.get(categoryId); c && names.length < 20; c = byId.get(c.parent_id)) names.unshift(c.name);
  return names.length ? names.join(' › ') : '—';
}

/** What the staff form says of its last save, as the change goes on (see `saved` below). */
const SAVE_STATES = {
  pending: 'Saved on this device. It will be sent with the next sync.',
  conflict: 'Someone changed this product on the server meanwhile: choose which values to keep.',
  rejected: 'The server refused this change, and it was undone here.',
  sent: 'Saved and sent to the server.',
  settled: 'The conflict was settled.',
};

/** The staff form: price and stock, sending only what changed. */
function buildEditor(catalogue, changeStatus, id) {
  const price = h('input', {
    id: 'edit-price', name: 'price', inputmode: 'decimal', autocomplete: 'off', required: true,
    'aria-describedby': 'edit-price-hint',
  });
  const stock = h('input', {
    id: 'edit-stock', name: 'stock', type: 'number', inputmode: 'numeric', min: '0', step: '1', required: true,
  });
  const currency = h('span');
  const error = h('p', { class: 'form-error', role: 'alert', dataset: { editError: '' } });
  const status = h('p', { class: 'form-status', role: 'status', dataset: { editStatus: '' } });
  const save = h('button', { type: 'submit', id: 'save-product', class: 'btn btn-primary' }, 'Save');
  const form = h('form', { class: 'edit-form', novalidate: true },
    h('fieldset', {},
      h('legend', { text: 'Change price and stock' }),
      h('div', { class: 'form-row' },
        h('label', { for: 'edit-price' }, 'Price (', currency, ')'),
        price,
        h('span', { id: 'edit-price-hint', class: 'hint', text: 'For example 12.50' })),
      h('div', { class: 'form-row' },
        h('label', { for: 'edit-stock', text: 'Stock' }),
        stock),
      error,
      h('div', { class: 'form-actions' }, save, status)));

  // What the inputs were last filled with: an input the user changed is left alone by updates.
  let shown = { price: null, stock: null };
  /** The state of the form's last saved change (SAVE_STATES), followed while the form is open; null before. */
  let saved = null;

  function update(product) {
    if (saved) {
      const now = product.pending ? 'pending' : changeStatus.of(id);
      saved = now ?? (saved === 'conflict' || saved === 'settled' ? 'settled' : 'sent');
      status.textContent = SAVE_STATES[saved];
      if (saved === 'rejected') status.textContent += ` ${changeStatus.rejection(id)?.detail ?? ''}`.trimEnd();
    }
    currency.textContent = product.currency ?? '';
    const next = { price: String(product.price ?? ''), stock: String(product.stock ?? '') };
    if (price.value === (shown.price ?? '')) price.value = next.price;
    if (stock.value === (shown.stock ?? '')) stock.value = next.stock;
    shown = next;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    status.textContent = '';
    saved = null;
    const product = catalogue.product(id);
    if (!product) return;
    const priceText = price.value.trim();
    const stockText = stock.value.trim();
    const problems = [];
    if (!PRICE_PATTERN.test(priceText)) problems.push('Enter the price as a number with at most 2 decimals, e.g. 12.50.');
    if (!STOCK_PATTERN.test(stockText)) problems.push('Enter the stock as a whole number, 0 or more.');
    price.setAttribute('aria-invalid', String(!PRICE_PATTERN.test(priceText)));
    stock.setAttribute('aria-invalid', String(!STOCK_PATTERN.test(stockText)));
    if (problems.length) {
      error.textContent = problems.join(' ');
      (PRICE_PATTERN.test(priceText) ? stock : price).focus();
      return;
    }
    const data = {};
    const newPrice = normalisePrice(priceText);
    const newStock = Number.parseInt(stockText, 10);
    if (newPrice !== normalisePrice(String(product.price))) data.price = newPrice;
    if (newStock !== Number(product.stock)) data.stock = newStock;
    if (!Object.keys(data).length) {
      status.textContent = 'Nothing changed.';
      return;
    }
    save.disabled = true;
    try {
      await changes.editProduct(catalogue, product, data);
      // Show the saved values (normalised) as the new baseline.
      price.value = newPrice;
      stock.value = String(newStock);
      shown = { price: price.value, stock: stock.value };
      saved = 'pending';
      update(catalogue.product(id) ?? product);
    } catch (failure) {
      error.textContent = failure?.message || 'The change could not be saved.';
    } finally {
      save.disabled = false;
    }
  });

  return { root: form, update };
}

/** "12" → "12.00", "12,5" → "12.50" (decimal text, never through a float). */
function normalisePrice(text) {
  const [whole, fraction = ''] = text.trim().replace(',', '.').split('.');
  return `${String(Number.parseInt(whole || '0', 10))}.${fraction.padEnd(2, '0').slice(0, 2)}`;
}
