/**
 * The catalogue as the app shows it, built from the records the sync client
 * hands over (`Replica.subscribe`): products in the list's order with their
 * search text, the category tree and favourites.
 *
 * The list's order is the server's to say: `order` in the products' entry of
 * the configuration names the fields (compared lower-cased, then by id; by
 * id alone if none). Snapshot parts come in that order, so a first download
 * merges without sorting; anything else is sorted a chunk per task and
 * merged, never re-sorting the whole list.
 * @module catalogue
 */

import { yieldToPage } from './sync/index.js';

const PRODUCTS = 'products';

/** Records merged into the sorted list per task: a fraction of a page, so that no task nears 50 ms. */
const CHUNK = 1250;

/** @returns {(record: object) => string} the sort key of a record in `order` (fields lower-cased, NUL between) */
export function sortKey(order = []) {
  if (!order.length) return () => '';
  return (record) => order.map((field) => String(record[field] ?? '').toLowerCase()).join('\u0000');
}

/** @returns {string} what a search matches: name and SKU, lower-cased */
const searchText = (product) => `${product.name.toLowerCase()}\u0000${product.sku.toLowerCase()}`;

/**
 * A sorted list as parallel arrays: `keys[i]` the sort key of `items[i]`,
 * `texts[i]` its search text (flat arrays: with 100,000 records spread over
 * the heap, reaching each record is most of a scan's cost). Where the sort
 * keys are the search texts (an order by name and SKU), `texts` is `keys`.
 * @typedef {{keys: string[], items: object[], texts: string[]}} SortedList
 */
function emptyList(shared) {
  const keys = [];
  return { keys, items: [], texts: shared ? keys : [] };
}

/** Append a record to `list`. */
function append(list, key, item, text) {
  list.keys.push(key);
  list.items.push(item);
  if (list.texts !== list.keys) list.texts.push(text);
}

/** @returns {boolean} whether the search texts of `order` are its sort keys */
const keysAreTexts = (order = []) => order.length === 2 && order[0] === 'name' && order[1] === 'sku';

const before = (keyA, a, keyB, b) => keyA < keyB || (keyA === keyB && a.id < b.id);

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
  const shared = added.texts === added.keys;
  let run = emptyList(shared);
  for (let start = 0; start < added.items.length; start += CHUNK) {
    await yieldToPage();
    const order = Array.from({ length: Math.min(CHUNK, added.items.length - start) }, (_, i) => start + i);
    order.sort((x, y) => (before(added.keys[x], added.items[x], added.keys[y], added.items[y]) ? -1 : 1));
    const chunk = emptyList(shared);
    for (const i of order) append(chunk, added.keys[i], added.items[i], added.texts[i]);
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
  const shared = list.texts === list.keys;
  const outKeys = new Array(total);
  const out = { keys: outKeys, items: new Array(total), texts: shared ? outKeys : new Array(total) };
  const { keys, items } = list;
  const copy = shared
    ? (from, at, to) => {
      outKeys[to] = from.keys[at];
      out.items[to] = from.items[at];
    }
    : (from, at, to) => {
      outKeys[to] = from.keys[at];
      out.items[to] = from.items[at];
      out.texts[to] = from.texts[at];
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
  #list = emptyList(false);
  /** @type {(record: object) => string} */
  #keyOf = sortKey();
  /** Whether the sort keys are the search texts. */
  #shared = false;

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
   * Apply one change of the products to the sorted list, in tasks of a few
   * ms; the list switches to the new one at the end, so a search in between
   * sees the list as it was, whole.
   * @param {import('./sync/replica.js').ReplicaChange} change
   */
  async #merge({ reset, upserts, deletes, gone }) {
    if (reset) {
      const order = this.#replica.describe(PRODUCTS)?.order;
      this.#shared = keysAreTexts(order);
      this.#keyOf = this.#shared ? searchText : sortKey(order);
      this.#list = emptyList(this.#shared);
    }
    let list = this.#list;
    if (gone) {
      const kept = emptyList(this.#shared);
      list.items.forEach((item, at) => {
        if (!gone.has(item.id)) append(kept, list.keys[at], item, list.texts[at]);
      });
      list = kept;
    }
    // Left out: a record upserted and deleted in one change (the delete wins), and all but the last
    // of one upserted twice (a push's answer to two edits); either leaves an id in `gone`.
    const skipped = new Set(deletes);
    const last = new Map();
    if (gone) upserts.forEach((product, at) => last.set(product.id, at));
    const added = emptyList(this.#shared);
    for (let start = 0; start < upserts.length; start += CHUNK) {
      if (start) await yieldToPage();
      for (let at = start; at < Math.min(start + CHUNK, upserts.length); at += 1) {
        const product = upserts[at];
        if (skipped.has(product.id) || (gone && last.get(product.id) !== at)) continue;
        const key = this.#keyOf(product);
        append(added, key, product, this.#shared ? key : searchText(product));
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
   * Products matching `query` (name or SKU, case-insensitive) in `categoryId` (and below), in the list's order.
   * @param {{query?: string, categoryId?: string|null, favouritesOnly?: boolean}} filter
   * @returns {object[]}
   */
  search({ query = '', categoryId = null, favouritesOnly = false } = {}) {
    const needle = query.trim().toLowerCase();
    const categories = categoryId ? this.categoryWithDescendants(categoryId) : null;
    const favourites = favouritesOnly ? this.favouriteProductIds() : null;
    const changed = this.#replica.changed(PRODUCTS);
    const { items, texts } = this.#list;
    const out = [];
    for (let i = 0; i < items.length; i += 1) {
      let product = items[i];
      if (changed.size && changed.has(product.id)) {
        product = changed.get(product.id);
        if (!product || (needle && !searchText(product).includes(needle))) continue;
      } else if (needle && !texts[i].includes(needle)) {
        continue;
      }
      if (categories && !categories.has(product.category_id)) continue;
      if (favourites && !favourites.has(product.id)) continue;
      out.push(product);
    }
    return out;
  }

  /** @returns {Map<string, object>} product id -> favourite record */
  favouritesByProduct() {
    return new Map(this.#replica.all('favourites').map((f) => [f.product_id, f]));
  }

  /** @returns {Set<string>} ids of the favourite products */
  favouriteProductIds() {
    return new Set(this.favouritesByProduct().keys());
  }
}
