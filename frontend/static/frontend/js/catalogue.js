/**
 * The catalogue as the app shows it, built from the records the sync client
 * hands over (`Replica.subscribe`): products in the list's order, their
 * search index (search.js), the category tree and favourites.
 *
 * The list's order is the server's to say: `order` in the products' entry of
 * the configuration names the fields (compared lower-cased, then by id; by
 * id alone if none). Snapshot parts come in that order, so a first download
 * merges without sorting; anything else is sorted a chunk per task and
 * merged, never re-sorting the whole list.
 * @module catalogue
 */

import { SearchIndex } from './search.js';
import { yieldToPage } from './sync/index.js';

const PRODUCTS = 'products';

/** Records merged into the sorted list per task: a fraction of a page, so that no task nears 50 ms. */
const CHUNK = 1250;

/** @returns {(record: object) => string} the sort key of a record in `order` (fields lower-cased, NUL between) */
export function sortKey(order = []) {
  if (!order.length) return () => '';
  return (record) => order.map((field) => String(record[field] ?? '').toLowerCase()).join('\u0000');
}

/**
 * A sorted list as parallel arrays: `keys[i]` the sort key of `items[i]`
 * (flat arrays: with 100,000 records spread over the heap, reaching each
 * record is most of a merge's cost).
 * @typedef {{keys: string[], items: object[]}} SortedList
 */
function emptyList() {
  return { keys: [], items: [] };
}

/** Append a record to `list`. */
function append(list, key, item) {
  list.keys.push(key);
  list.items.push(item);
}

const before = (keyA, a, keyB, b) => keyA < keyB || (keyA === keyB && a.id < b.id);

/** Sort values are whole numbers below this in size (prices in cents): see `#resortedItems`. */
const SORT_LIMIT = 2 ** 32;
const POSITIONS = 2 ** 20; // list positions told apart in a packed sort key: more than a list holds

/** A whole number for sorting: within ±SORT_LIMIT, an unknown value last. */
const sortable = (value) => (Number.isFinite(value) ? Math.max(-SORT_LIMIT, Math.min(SORT_LIMIT, value)) : SORT_LIMIT);

/**
 * The whole number a list is sorted by, for each sort of routes.js but the
 * list's own order: ascending, so the descending ones are negated.
 * @type {Record<string, (product: object) => number>}
 */
const SORT_VALUES = {
  price: (product) => sortable(Math.round(Number(product.price) * 100)),
  '-price': (product) => sortable(-Math.round(Number(product.price) * 100)),
  '-stock': (product) => sortable(-Number(product.stock)),
};

/** @returns {boolean} whether a product can be sold from stock */
const inStockNow = (product) => Number(product.stock) > 0;

/**
 * `added` (with their keys) in the list's order: as they are if already so,
 * else sorted a chunk per task and the chunks merged.
 * @returns {Promise<SortedList>}
 */
async function sortedRun(added) {
  let inOrder = true;
  for (let i = 1; i < added.items.length && inOrder; i += 1) {
    inOrder = before(added.keys[i - 1], added.items[i - 1], added.keys[i], added.items[i]);
  }
  if (inOrder) return added;
  let run = emptyList();
  for (let start = 0; start < added.items.length; start += CHUNK) {
    await yieldToPage();
    const order = Array.from({ length: Math.min(CHUNK, added.items.length - start) }, (_, i) => start + i);
    order.sort((x, y) => (before(added.keys[x], added.items[x], added.keys[y], added.items[y]) ? -1 : 1));
    const chunk = emptyList();
    for (const i of order) append(chunk, added.keys[i], added.items[i]);
    run = await mergeSorted(run, chunk);
  }
  return run;
}

/**
 * Merge `added` (sorted, a page's worth) into the sorted `list`: a new list,
 * built CHUNK records per task. Each insertion point is found by galloping
 * from the previous one, so a merge costs a few comparisons per added record
 * and a plain copy of the rest.
 * @param {SortedList} list
 * @param {SortedList} added
 * @returns {Promise<SortedList>}
 */
async function mergeSorted(list, added) {
  const n = list.items.length;
  const total = n + added.items.length;
  const out = { keys: new Array(total), items: new Array(total) };
  const { keys, items } = list;
  const copy = (from, at, to) => {
    out.keys[to] = from.keys[at];
    out.items[to] = from.items[at];
  };
  let i = 0;
  let k = 0;
  for (let a = 0; a < added.items.length; a += 1) {
    if (a && a % CHUNK === 0) await yieldToPage();
    const key = added.keys[a];
    const item = added.items[a];
    let low = i;
    let high = i;
    for (let step = 1; high < n && before(keys[high], items[high], key, item); step *= 2) {
      low = high + 1;
      high += step;
    }
    high = Math.min(high, n);
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (before(keys[middle], items[middle], key, item)) low = middle + 1;
      else high = middle;
    }
    while (i < low) copy(list, i++, k++);
    copy(added, a, k++);
  }
  while (i < n) copy(list, i++, k++);
  return out;
}

export class Catalogue extends EventTarget {
  /** @type {import('./sync/replica.js').Replica} */
  #replica;
  /** @type {SortedList} the server's products in the list's order */
  #list = emptyList();
  /** @type {(record: object) => string} */
  #keyOf = sortKey();
  /** The server's products by the words of their name and SKU. */
  #index = new SearchIndex();
  /** @type {{list: SortedList, sort: string, items: object[]}|null} the list in another order, kept until it changes */
  #resorted = null;

  /** @param {import('./sync/replica.js').Replica} replica */
  constructor(replica) {
    super();
    this.#replica = replica;
    replica.addEventListener('change', () => this.dispatchEvent(new CustomEvent('change')));
  }

  /**
   * Follow the replica: from now on its product changes are merged in as they come.
   * @returns {Promise<void>} once what the replica held is in
   */
  follow() {
    return this.#replica.subscribe((change) => (change.collection === PRODUCTS ? this.#merge(change) : undefined));
  }

  /**
   * Apply one change of the products to the sorted list and the search
   * index, in tasks of a few ms; the list switches to the new one at the
   * end, so a listing in between sees the list as it was, whole.
   * @param {import('./sync/replica.js').ReplicaChange} change
   */
  async #merge({ reset, upserts, deletes, gone }) {
    if (reset) {
      this.#keyOf = sortKey(this.#replica.describe(PRODUCTS)?.order);
      this.#list = emptyList();
      this.#index.clear();
    }
    let list = this.#list;
    if (gone) {
      const kept = emptyList();
      list.items.forEach((item, at) => {
        if (!gone.has(item.id)) append(kept, list.keys[at], item);
      });
      list = kept;
    }
    // Left out: a record upserted and deleted in one change (the delete wins), and all but the last
    // of one upserted twice (a push's answer to two edits); either leaves an id in `gone`.
    const skipped = new Set(deletes);
    const last = new Map();
    if (gone) upserts.forEach((product, at) => last.set(product.id, at));
    for (const id of skipped) this.#index.delete(id);
    for (const id of gone?.keys() ?? []) if (!last.has(id)) this.#index.delete(id);
    const added = emptyList();
    for (let start = 0; start < upserts.length; start += CHUNK) {
      if (start) await yieldToPage();
      for (let at = start; at < Math.min(start + CHUNK, upserts.length); at += 1) {
        const product = upserts[at];
        if (skipped.has(product.id) || (gone && last.get(product.id) !== at)) continue;
        append(added, this.#keyOf(product), product);
        this.#index.put(product);
      }
    }
    const run = await sortedRun(added);
    await yieldToPage();
    this.#list = await mergeSorted(list, run);
  }

  /**
   * Apply what the sync client stored since and the changes queued here.
   * @returns {Promise<void>}
   */
  refresh() {
    return this.#replica.refresh();
  }

  /** @returns {number} the server's products held here */
  get productCount() {
    return this.#list.items.length;
  }

  /** @returns {object|undefined} */
  product(id) {
    return this.#replica.get(PRODUCTS, id);
  }

  /** @returns {number} local changes not yet sent */
  pendingCount() {
    return this.#replica.pendingCount();
  }

  /** @returns {object[]} categories in tree order (parents before children, by position), with `depth` */
  categories() {
    const byParent = new Map();
    for (const c of this.#replica.all('categories')) {
      const key = c.parent_id ?? null;
      if (!byParent.has(key)) byParent.set(key, []);
      byParent.get(key).push(c);
    }
    for (const list of byParent.values()) list.sort((a, b) => a.position - b.position || a.name.localeCompare(b.name));
    const ordered = [];
    const walk = (parent, depth) => {
      for (const c of byParent.get(parent) ?? []) {
        ordered.push({ ...c, depth });
        walk(c.id, depth + 1);
      }
    };
    walk(null, 0);
    return ordered;
  }

  /** @returns {Set<string>} the category and all its descendants */
  categoryWithDescendants(categoryId) {
    const ids = new Set([categoryId]);
    const all = this.#replica.all('categories');
    for (let grew = true; grew;) {
      grew = false;
      for (const c of all) {
        if (c.parent_id && ids.has(c.parent_id) && !ids.has(c.id)) { ids.add(c.id); grew = true; }
      }
    }
    return ids;
  }

  /**
   * Products in `categoryId` (and below), or the favourites, in stock if
   * `inStock`, matching `query` (search.js: every word, in any order, by
   * the start of a word of the name or SKU, one typo forgiven in longer
   * words). In the order `sort` names (routes.js SORTS; equals in the
   * list's order), or by default the best matches first (equals in the
   * list's order), all in the list's order with no query.
   * @param {{query?: string, categoryId?: string|null, favouritesOnly?: boolean,
   *          inStock?: boolean, sort?: string}} filter
   * @returns {object[]}
   */
  search({ query = '', categoryId = null, favouritesOnly = false, inStock = false, sort = '' } = {}) {
    const categories = categoryId ? this.categoryWithDescendants(categoryId) : null;
    const favourites = favouritesOnly ? this.favouriteProductIds() : null;
    const wanted = (product) => (!categories || categories.has(product.category_id))
      && (!favourites || favourites.has(product.id))
      && (!inStock || inStockNow(product));
    const value = SORT_VALUES[sort];
    if (query.trim()) {
      const found = this.#ranked(query, wanted);
      return sort ? this.#sorted(found, value) : found;
    }
    const changed = this.#replica.changed(PRODUCTS);
    const out = [];
    let replaced = false;
    for (let product of value ? this.#resortedItems(sort, value) : this.#list.items) {
      if (changed.size && changed.has(product.id)) {
        product = changed.get(product.id);
        replaced = true;
      }
      if (product && wanted(product)) out.push(product);
    }
    return replaced && value ? this.#sorted(out, value) : out; // a local edit may have moved a product
  }

  /**
   * The list's products sorted by `value`, equals in the list's order; kept
   * until the list changes. Each product's value and position are packed
   * into one exact float (value × 2^20 + position, below 2^53), so the
   * engine sorts plain numbers without calling back into JavaScript.
   * @returns {object[]}
   */
  #resortedItems(sort, value) {
    if (this.#resorted?.list !== this.#list || this.#resorted.sort !== sort) {
      const { items } = this.#list;
      if (items.length > POSITIONS) return this.#sorted(items, value);
      const packed = new Float64Array(items.length); // plain loops: Array.from's callbacks cost twice as much
      for (let at = 0; at < items.length; at += 1) packed[at] = value(items[at]) * POSITIONS + at;
      packed.sort();
      const order = new Array(items.length);
      for (let k = 0; k < packed.length; k += 1) {
        const key = packed[k];
        order[k] = items[key - Math.floor(key / POSITIONS) * POSITIONS]; // the position (exact: powers of two)
      }
      this.#resorted = { list: this.#list, sort, items: order };
    }
    return this.#resorted.items;
  }

  /** @returns {object[]} `products` sorted by `value` (the list's order without one), equals in the list's order */
  #sorted(products, value) {
    const rows = products.map((product) => ({ product, key: this.#keyOf(product), value: value ? value(product) : 0 }));
    rows.sort((a, b) => a.value - b.value || (before(a.key, a.product, b.key, b.product) ? -1 : 1));
    return rows.map(({ product }) => product);
  }

  /** @returns {object[]} the products matching `query` that are `wanted`, best first, equals in list order */
  #ranked(query, wanted) {
    const changed = this.#replica.changed(PRODUCTS);
    let matches = this.#index.search(query);
    if (changed.size) { // changed here, not sent yet: found as they show here
      const local = new SearchIndex();
      for (const product of changed.values()) if (product) local.put(product);
      matches = matches.filter(({ id }) => !changed.has(id)).concat(local.search(query));
      matches.sort((a, b) => b.score - a.score);
    }
    const out = [];
    const scores = [];
    for (const { id, score } of matches) {
      const product = this.#replica.get(PRODUCTS, id);
      if (!product || !wanted(product)) continue;
      out.push(product);
      scores.push(score);
    }
    for (let start = 0; start < out.length;) { // each run of equal scores into the list's order
      let end = start + 1;
      while (end < out.length && scores[end] === scores[start]) end += 1;
      if (end - start > 1) {
        const run = out.slice(start, end).map((product) => ({ key: this.#keyOf(product), product }));
        run.sort((a, b) => (before(a.key, a.product, b.key, b.product) ? -1 : 1));
        run.forEach(({ product }, i) => { out[start + i] = product; });
      }
      start = end;
    }
    return out;
  }

  /** @returns {Map<string, object>} product id -> favourite record */
  favouritesByProduct() {
    return new Map(this.#replica.all('favourites').map((f) => [f.product_id, f]));
  }

  /** @returns {object|undefined} favourite `id` as the server has it (one deleted here included) */
  favouriteRecord(id) {
    return this.#replica.get('favourites', id) ?? this.#replica.serverRecord('favourites', id);
  }

  /** @returns {object[]} every record of a collection as shown here (the user's orders and lines, say) */
  records(collection) {
    return this.#replica.all(collection);
  }

  /** @returns {object|undefined} a record of a collection as shown here (local changes included) */
  record(collection, id) {
    return this.#replica.get(collection, id);
  }

  /** @returns {object|undefined} a record as the server last sent it, local changes left out */
  serverRecord(collection, id) {
    return this.#replica.serverRecord(collection, id);
  }

  /** @returns {Set<string>} ids of the favourite products */
  favouriteProductIds() {
    return new Set(this.favouritesByProduct().keys());
  }
}
