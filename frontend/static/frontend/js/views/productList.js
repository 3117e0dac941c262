/**
 * The product list in `#main`: search by name or SKU (matches marked), a
 * sort and an in-stock filter, the result count, and a virtualised list of
 * rows (name, SKU, price, stock, favourite toggle).
 * @module views/productList
 */

import { highlights } from '../search.js';
import { debounce, formatPrice, formatStock, h, icon } from './dom.js';
import { VirtualList } from './virtualList.js';

/** Fill `element` with `text`, the parts matching `query` in `<mark>`s. */
function markMatches(element, text, query) {
  const ranges = query ? highlights(text, query) : [];
  if (!ranges.length) {
    element.textContent = text;
    return;
  }
  const parts = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) parts.push(text.slice(at, start));
    parts.push(h('mark', { text: text.slice(start, end) }));
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  element.replaceChildren(...parts);
}

/** Show `url` in `img` (recycled rows change product); none: the tile's placeholder. */
function showPicture(img, url) {
  if (!url) {
    img.hidden = true;
    img.removeAttribute('src');
  } else if (img.getAttribute('src') !== url) {
    img.hidden = true; // until it loads: a recycled row never shows the previous product's picture
    img.src = url;
  }
}

/**
 * Row heights (px, set as `--row-height` for app.css): a phone's row has the
 * thumbnail beside the name on up to three lines over SKU, stock and badges;
 * a wide row is one line.
 */
const ROW_HEIGHT = { narrow: 88, wide: 60 };
/** Must match the wide layout's media query in app.css. */
const WIDE = '(min-width: 768px)';
const SEARCH_DELAY_MS = 100;
/** [value, label]: the values are routes.js SORTS, '' the best match. */
const SORT_OPTIONS = [
  ['', 'Best match'], ['name', 'Name A–Z'], ['price', 'Price: low to high'], ['-price', 'Price: high to low'],
  ['-stock', 'Most in stock'],
];

/**
 * @param {HTMLElement} root where the search and list go
 * @param {{catalogue: import('../catalogue.js').Catalogue,
 *          onOpen: (id: string) => void,
 *          onToggleFavourite: (id: string, button: HTMLButtonElement) => void,
 *          onAddToOrder?: (id: string, quantity: number) => void,
 *          onView?: (view: {query: string, sort: string, inStock: boolean}) => void,
 *          changeStatus?: import('../changeStatus.js').ChangeStatus}} options
 *   `onView` hears the search, sort and filter the user chose; `changeStatus` marks rows with a conflict
 *   or a refused change
 */
export function createProductList(root, {
  catalogue, onOpen, onToggleFavourite, onAddToOrder = () => {}, onView = () => {}, changeStatus = null,
}) {
  const search = h('input', {
    type: 'search', id: 'search', 'aria-label': 'Search products', placeholder: 'Search by name or SKU',
    autocomplete: 'off', spellcheck: 'false', enterkeyhint: 'search', 'aria-controls': 'product-viewport',
  });
  const sort = h('select', { id: 'sort', 'aria-label': 'Sort products' },
    ...SORT_OPTIONS.map(([value, label]) => h('option', { value, text: label })));
  const inStock = h('input', { type: 'checkbox', id: 'in-stock' });
  const count = h('span', { dataset: { resultCount: '' }, text: '0' });
  const scope = h('span', { class: 'result-scope' });
  const summary = h('p', { class: 'result-summary', 'aria-live': 'polite' }, count, scope);
  const empty = h('p', { class: 'empty', dataset: { emptyList: '' }, hidden: true });
  const viewport = h('div', { id: 'product-viewport', class: 'list-viewport' });

  root.replaceChildren(
    h('div', { class: 'list-toolbar' },
      h('div', { class: 'search-box' }, search),
      h('div', { class: 'list-controls' },
        summary,
        sort,
        h('label', { class: 'check', for: 'in-stock' }, inStock, 'In stock'))),
    empty,
    viewport,
  );

  let favourites = new Set();
  let filter = { categoryId: null, favouritesOnly: false, label: 'All products' };
  let downloading = true;
  /** The query the rows show marked. */
  let marked = '';
  /** The `changeStatus` revision the rows were marked for. */
  let shownStatus = changeStatus?.revision;

  const wide = window.matchMedia(WIDE);
  const rowHeight = () => (wide.matches ? ROW_HEIGHT.wide : ROW_HEIGHT.narrow);
  const list = new VirtualList({
    viewport,
    rowHeight: rowHeight(),
    label: 'Products',
    createRow: (product) => createRow(product),
    updateRow: (li, product) => fillRow(li, product),
  });

  wide.addEventListener('change', () => list.setRowHeight(rowHeight()));

  /** A row's elements are made once and updated in place, so focus inside survives updates. */
  function createRow(product) {
    const li = h('li', { class: 'product-row', dataset: { id: product.id } });
    const refs = {
      name: h('span', { class: 'row-name' }),
      price: h('span', { class: 'row-price' }),
      sku: h('span', { class: 'row-sku' }),
      stock: h('span', { class: 'row-stock' }),
      badge: h('span', { class: 'badge badge-pending', text: 'Not yet sent' }),
      conflict: h('span', { class: 'badge badge-conflict' }),
      favourite: h('button', { type: 'button', class: 'favourite' }, icon('star')),
      add: h('button', { type: 'button', class: 'add-to-order' }, icon('add')),
      thumb: h('img', { class: 'row-thumb-image', alt: '', width: '160', height: '160', decoding: 'async', hidden: true }),
    };
    // A picture that fails to load (offline and not kept) leaves the tile's placeholder showing.
    refs.thumb.addEventListener('error', () => { refs.thumb.hidden = true; });
    refs.thumb.addEventListener('load', () => { refs.thumb.hidden = false; });
    const open = h('button', { type: 'button', class: 'row-open' },
      h('span', { class: 'row-thumb picture-tile' }, refs.thumb),
      refs.name, refs.price, h('span', { class: 'row-meta' }, refs.sku, refs.stock, refs.badge, refs.conflict));
    // The row's product can change (an update of the same id), so handlers read it from the row.
    open.addEventListener('click', () => onOpen(li.dataset.id));
    refs.favourite.addEventListener('click', () => onToggleFavourite(li.dataset.id, refs.favourite));
    refs.add.addEventListener('click', () => onAddToOrder(li.dataset.id, 1));
    refs.open = open;
    li.refs = refs;
    li.append(open, h('span', { class: 'row-actions' }, refs.add, refs.favourite));
    fillRow(li, product);
    return li;
  }

  function fillRow(li, product) {
    const { refs } = li;
    const isFavourite = favourites.has(product.id);
    li.classList.toggle('is-pending', Boolean(product.pending));
    markMatches(refs.name, product.name, marked);
    refs.price.textContent = formatPrice(product.price, product.currency);
    showPicture(refs.thumb, product.thumbnail_url);
    markMatches(refs.sku, product.sku, marked);
    refs.stock.textContent = formatStock(product.stock);
    refs.stock.classList.toggle('is-out', !(Number(product.stock) > 0));
    refs.badge.hidden = !product.pending;
    const waiting = changeStatus?.of(product.id);
    refs.conflict.hidden = !waiting;
    refs.conflict.textContent = waiting === 'conflict' ? 'Conflict' : 'Refused';
    refs.conflict.className = `badge ${waiting === 'rejected' ? 'badge-rejected' : 'badge-conflict'}`;
    li.dataset.waiting = waiting ?? '';
    refs.open.setAttribute('aria-label', [
      product.name, formatPrice(product.price, product.currency), `SKU ${product.sku}`, formatStock(product.stock),
      product.pending ? 'not yet sent' : null,
      waiting === 'conflict' ? 'conflict: choose which values to keep' : waiting === 'rejected' ? 'change refused' : null,
    ].filter(Boolean).join(', '));
    refs.favourite.setAttribute('aria-pressed', String(isFavourite));
    refs.favourite.setAttribute('aria-label', `Favourite: ${product.name}`);
    refs.add.setAttribute('aria-label', `Add one to the order: ${product.name}`);
    li.favourite = isFavourite;
  }

  function refreshFavouriteMarks() {
    // Rows whose product object did not change but whose favourite state did.
    for (const li of list.rows.values()) {
      const isFavourite = favourites.has(li.dataset.id);
      if (li.favourite !== isFavourite) {
        li.favourite = isFavourite;
        li.querySelector('button.favourite')?.setAttribute('aria-pressed', String(isFavourite));
      }
    }
  }

  function run({ resetScroll = false } = {}) {
    favourites = catalogue.favouriteProductIds();
    const query = search.value;
    const results = catalogue.search({
      query, categoryId: filter.categoryId, favouritesOnly: filter.favouritesOnly, sort: sort.value, inStock: inStock.checked,
    });
    const remark = marked !== query.trim() || changeStatus?.revision !== shownStatus;
    shownStatus = changeStatus?.revision;
    marked = query.trim();
    list.setItems(results, { resetScroll });
    if (remark) for (const li of list.rows.values()) fillRow(li, li.item);
    refreshFavouriteMarks();
    count.textContent = String(results.length);
    const noun = results.length === 1 ? ' product' : ' products';
    const where = filter.favouritesOnly ? ' in Favourites' : filter.categoryId ? ` in ${filter.label}` : '';
    const stocked = inStock.checked ? ' in stock' : '';
    scope.textContent = `${noun}${stocked}${where}${query.trim() ? ` matching “${query.trim()}”` : ''}`;
    empty.textContent = emptyText(query.trim(), results.length);
    empty.hidden = results.length > 0;
    viewport.hidden = results.length === 0;
  }

  function emptyText(query, found) {
    if (found) return '';
    if (!catalogue.productCount) {
      return downloading ? 'Downloading the catalogue…' : 'The catalogue is empty. Sync when you are online.';
    }
    if (query) return `No products ${inStock.checked ? 'in stock ' : ''}match “${query}”.`;
    if (inStock.checked) return 'Nothing here is in stock.';
    if (filter.favouritesOnly) return 'No favourites yet. Use the star on a product to add it here.';
    return 'No products in this category.';
  }

  const typed = () => {
    run({ resetScroll: true });
    onView({ query: search.value.trim(), sort: sort.value, inStock: inStock.checked });
  };
  search.addEventListener('input', debounce(typed, SEARCH_DELAY_MS));
  sort.addEventListener('change', typed);
  inStock.addEventListener('change', typed);
  // Enter runs the search at once (no need to wait for the debounce).
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') typed();
  });

  return {
    /** Re-run the search after the catalogue changed; the scroll position stays. */
    update() {
      run();
    },
    /** @param {import('./categories.js').CategoryFilter} next */
    setFilter(next) {
      filter = next;
      run({ resetScroll: true });
    },
    /**
     * Show `view` (a route's search, sort and filter) in `next` (Back, Forward, a link), without `onView`.
     * @param {{query: string, sort: string, inStock: boolean}} view
     * @param {import('./categories.js').CategoryFilter} next
     */
    show(view, next) {
      const same = search.value.trim() === view.query && sort.value === view.sort
        && inStock.checked === view.inStock && filter.key === next.key;
      search.value = view.query;
      sort.value = view.sort;
      inStock.checked = view.inStock;
      filter = next;
      if (!same) run({ resetScroll: true }); // Back from a product: the list stays where it was
    },
    /** @param {boolean} active whether a sync is running (for the empty message) */
    setDownloading(active) {
      downloading = active;
      if (!catalogue.productCount) run();
    },
    /** Focus a product's row (after its detail closes); the search box if it is not listed. */
    focusProduct(id) {
      if (!list.focusItem(id, 'button.row-open')) search.focus();
    },
    search,
  };
}
