/**
 * The catalogue as the UI sees it: the local replica (stored segments) with
 * queued local changes on top, in memory, with search and browsing.
 *
 * Built to stay responsive with 100,000 products while a sync streams pages
 * in: `refresh()` reads only segments stored since the last call, one at a
 * time, yielding to the page between them, and keeps the name-sorted product
 * list up to date by merging each segment's records in (linear; a segment not
 * already in the list's order is sorted first), never re-sorting everything.
 * @module replica
 */

import * as db from './db.js';
import { pendingOverlay } from './outbox.js';
import {
  SEGMENT_CHANNEL_NAME, isSnapshotPart, pageInParts, replaySegments, segmentText, withTexts,
} from './segments.js';
import { parsePart, partRecords } from './snapshot-format.js';

const COLLECTIONS = ['categories', 'products', 'favourites'];

/** Let the page handle input and paint, then go on (ahead of other queued tasks where supported). */
const yieldToPage = () => (globalThis.scheduler?.yield
  ? globalThis.scheduler.yield()
  : new Promise((resolve) => { setTimeout(resolve, 0); }));

/** Records merged into the sorted list per task: a fraction of a page, so that no task nears 50 ms. */
const CHUNK = 1250;

/**
 * Prepare a product for sorting and searching: its key, computed once, is the
 * lower-cased name, a NUL and the lower-cased SKU. The list is sorted by that
 * key (by name, then SKU), so one string serves both the order and the search.
 */
function indexed(product) {
  product._search = `${product.name.toLowerCase()}\u0000${product.sku.toLowerCase()}`;
  return product;
}

/** The list's order: by key (name, then SKU), then id. */
const byKey = (a, b) => (a._search < b._search ? -1 : a._search > b._search ? 1 : a.id < b.id ? -1 : 1);

/**
 * `records` (indexed) in the list's order: as they are if already so — this
 * server's snapshot parts hold products in that order (its `page_order`),
 * which saves sorting them — else sorted a chunk per task and the chunks merged.
 * @returns {Promise<object[]>}
 */
async function sortedRun(records) {
  let inOrder = true;
  for (let i = 1; i < records.length && inOrder; i += 1) inOrder = byKey(records[i - 1], records[i]) < 0;
  if (inOrder) return records;
  let run = [[], []];
  for (let start = 0; start < records.length; start += CHUNK) {
    await yieldToPage();
    run = await mergeSorted(run[0], run[1], records.slice(start, start + CHUNK).sort(byKey));
  }
  return run[1];
}

/**
 * Merge `added` (sorted by `byKey`, a page's worth) into the sorted `keys`
 * and `items` (the whole list, as two parallel arrays): new arrays, built
 * CHUNK records per task.
 *
 * Each insertion point is found by galloping from the previous one, so a
 * merge costs a few comparisons per added record and a plain copy of the
 * rest. The comparisons read the flat array of keys, not the records: with
 * 100,000 records spread over the heap, reaching each one is most of the cost.
 */
async function mergeSorted(keys, items, added) {
  const n = keys.length;
  const outKeys = new Array(n + added.length);
  const outItems = new Array(n + added.length);
  /** Whether `keys[at]` (the record `items[at]`) sorts before `item`. */
  const before = (at, key, item) => keys[at] < key || (keys[at] === key && items[at].id < item.id);
  let i = 0;
  let k = 0;
  for (let a = 0; a < added.length; a += 1) {
    if (a && a % CHUNK === 0) await yieldToPage();
    const item = added[a];
    const key = item._search;
    let low = i;
    let high = i;
    for (let step = 1; high < n && before(high, key, item); step *= 2) {
      low = high + 1;
      high += step;
    }
    high = Math.min(high, n);
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (before(middle, key, item)) low = middle + 1;
      else high = middle;
    }
    while (i < low) {
      outKeys[k] = keys[i];
      outItems[k++] = items[i++];
    }
    outKeys[k] = key;
    outItems[k++] = item;
  }
  while (i < n) {
    outKeys[k] = keys[i];
    outItems[k++] = items[i++];
  }
  return [outKeys, outItems];
}

/**
 * A products page's records, parsed a part per task (see `pageInParts`); the
 * whole text at once if it does not cut.
 * @returns {Promise<{upserts: object[], deletes: string[]}>}
 */
async function parseInParts(text) {
  const cut = pageInParts(text);
  if (cut) {
    try {
      const upserts = [];
      for (const part of cut.parts) {
        for (const record of JSON.parse(`[${part}]`)) upserts.push(record);
        await yieldToPage();
      }
      return { upserts, deletes: JSON.parse(cut.rest).deletes };
    } catch {
      // Not cut between records: parse it whole below.
    }
  }
  const page = JSON.parse(text);
  await yieldToPage();
  return page;
}

/**
 * A snapshot part's records: parsed in one task (a part of 5,000 products is
 * about 10 ms), then made into objects a chunk per task.
 * @returns {Promise<{upserts: object[], deletes: string[]}>}
 */
async function parseSnapshotPart(text) {
  const part = parsePart(text);
  const upserts = [];
  for (let start = 0; start < part.count; start += CHUNK) {
    await yieldToPage();
    for (const record of partRecords(part, start, Math.min(start + CHUNK, part.count))) upserts.push(record);
  }
  return { upserts, deletes: [] };
}

export class Replica extends EventTarget {
  constructor() {
    super();
    /** @type {Map<string, Map<string, object>>} the server's records per collection, as stored here */
    this.view = new Map(COLLECTIONS.map((c) => [c, new Map()]));
    /** @type {Map<string, number>} last segment applied per collection */
    this.seen = new Map(COLLECTIONS.map((c) => [c, 0]));
    /** @type {Map<string, Map<string, object|null>>} local changes not yet sent, per collection */
    this.overlays = new Map(COLLECTIONS.map((c) => [c, new Map()]));
    /** @type {object[]} the server's products, sorted by name (then SKU, then id) */
    this.products = [];
    /** @type {string[]} the key (search text) of `products[i]`, a flat array: the hot path of search and merge */
    this.searchKeys = [];
    this.pending = [];
    this.loading = null;
    /** @type {Promise<void>|null} a refresh of offered segments, queued and not started yet */
    this.offeredWaiting = null;
    /** @type {Map<string, Map<number, object>>} segments handed over by the engine, not yet applied */
    this.offered = new Map(COLLECTIONS.map((c) => [c, new Map()]));
    new BroadcastChannel(SEGMENT_CHANNEL_NAME).addEventListener('message', ({ data }) => {
      if (data.seq > (this.seen.get(data.collection) ?? Infinity)) {
        this.offered.get(data.collection).set(data.seq, data);
        this.dispatchEvent(new CustomEvent('offered', { detail: { collection: data.collection, seq: data.seq } }));
      }
    });
  }

  /**
   * The stored segment after `seq`: the one the engine handed over if it is
   * that one, else (unless `offeredOnly`) read from IndexedDB.
   */
  async nextSegment(collection, seq, offeredOnly) {
    const offered = this.offered.get(collection);
    const segment = offered.get(seq + 1);
    if (segment || !offeredOnly) for (const key of offered.keys()) if (key <= seq + 1) offered.delete(key);
    return segment ?? (offeredOnly ? undefined : (await db.readSegments(collection, seq, 1))[0]);
  }

  /**
   * Run `work` after whatever the replica is doing (refreshes and resets run
   * one after another, a failed one does not stop the next).
   * @returns {Promise<void>} when `work` is done
   */
  enqueue(work) {
    this.loading = (this.loading ?? Promise.resolve()).then(work, work);
    return this.loading;
  }

  /**
   * Read what was stored since the last call (from IndexedDB, for whatever
   * was not handed over) and update the view. Concurrent calls queue behind
   * each other.
   * @fires Replica#change
   */
  refresh() {
    return this.enqueue(() => this.load());
  }

  /**
   * Apply the segments the engine hands over, as they come, up to the first
   * one missing: a sync's pages arrive on the channel after its progress
   * events, and reading them from IndexedDB instead would read each twice.
   * One such refresh waits behind the one running at most, and takes every
   * segment that has arrived by the time it starts.
   * @returns {Promise<void>}
   */
  applyOffered() {
    this.offeredWaiting ??= this.enqueue(() => {
      this.offeredWaiting = null; // from here on, a segment that arrives needs another refresh
      return this.load(true);
    });
    return this.offeredWaiting;
  }

  /** @param {boolean} [offeredOnly] apply only segments handed over on the channel (`applyOffered`) */
  async load(offeredOnly = false) {
    for (const collection of COLLECTIONS) {
      const records = this.view.get(collection);
      // One segment per read: each is a page of up to 5,000 records, a few ms of work.
      for (let first = true; ; first = false) {
        const segment = await this.nextSegment(collection, this.seen.get(collection), offeredOnly);
        if (!segment) break;
        if (!first) await yieldToPage();
        if (collection === 'products') await this.applyProducts(segment);
        else replaySegments(await withTexts([segment]), records);
        this.seen.set(collection, segment.seq);
      }
    }
    this.pending = await db.outboxAll();
    for (const collection of COLLECTIONS) {
      this.overlays.set(collection, pendingOverlay(this.view.get(collection), this.pending, collection));
    }
    for (const product of this.overlays.get('products').values()) if (product) indexed(product);
    await yieldToPage(); // the listeners re-run their search over 100,000 products: a task of its own
    this.dispatchEvent(new CustomEvent('change'));
  }

  /** Apply one products segment: its records are merged into the sorted list a chunk per task. */
  async applyProducts(segment) {
    if (segment.reset) {
      this.view.get('products').clear();
      this.products = [];
      this.searchKeys = [];
    }
    const text = await segmentText(segment);
    const page = isSnapshotPart(segment) ? await parseSnapshotPart(text) : await parseInParts(text);
    await this.mergeProducts(page.upserts, page.deletes);
  }

  /**
   * Apply a page's upserts and deletes to the products and keep the sorted
   * list up to date. The work is split into tasks of a few ms; the list
   * (`products` with `searchKeys`) switches to the new one at the end, so a
   * search in between sees the list as it was, whole.
   */
  async mergeProducts(upserts, deletes) {
    const records = this.view.get('products');
    /** Ids whose earlier entry leaves the sorted list (null while none: a first download). */
    let gone = null;
    for (let start = 0; start < upserts.length; start += CHUNK) {
      if (start) await yieldToPage();
      for (let at = start; at < Math.min(start + CHUNK, upserts.length); at += 1) {
        const product = upserts[at];
        const size = records.size;
        records.set(product.id, indexed(product));
        if (records.size === size) (gone ??= new Set()).add(product.id);
      }
    }
    // After every upsert of the page: should a record be upserted and deleted, the delete wins.
    for (const id of deletes) if (records.delete(id)) (gone ??= new Set()).add(id);
    const added = gone ? upserts.filter((product) => records.get(product.id) === product) : upserts;
    let keys = this.searchKeys;
    let items = this.products;
    if (gone) {
      keys = [];
      items = [];
      this.products.forEach((product, at) => {
        if (!gone.has(product.id)) {
          keys.push(this.searchKeys[at]);
          items.push(product);
        }
      });
    }
    const run = await sortedRun(added);
    await yieldToPage();
    [this.searchKeys, this.products] = await mergeSorted(keys, items, run);
  }

  /**
   * Forget everything in memory (after signing out, or to re-read from scratch),
   * once a refresh in progress has finished.
   * @returns {Promise<void>}
   */
  reset() {
    const clear = () => {
      for (const collection of COLLECTIONS) {
        this.view.get(collection).clear();
        this.overlays.get(collection).clear();
        this.offered.get(collection).clear();
        this.seen.set(collection, 0);
      }
      this.products = [];
      this.searchKeys = [];
    };
    return this.enqueue(clear);
  }

  /** The record as shown here: the local change if any, else the server's. */
  get(collection, id) {
    const overlay = this.overlays.get(collection);
    return overlay.has(id) ? overlay.get(id) ?? undefined : this.view.get(collection).get(id);
  }

  /** All records of a collection as shown here. */
  all(collection) {
    const overlay = this.overlays.get(collection);
    const out = [];
    for (const record of this.view.get(collection).values()) {
      const shown = overlay.has(record.id) ? overlay.get(record.id) : record;
      if (shown) out.push(shown);
    }
    for (const [id, record] of overlay) if (record && !this.view.get(collection).has(id)) out.push(record);
    return out;
  }

  /** @returns {object[]} categories in tree order (parents before children, by position) */
  categories() {
    const byParent = new Map();
    for (const c of this.all('categories')) {
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
    const all = this.all('categories');
    for (let grew = true; grew;) {
      grew = false;
      for (const c of all) {
        if (c.parent_id && ids.has(c.parent_id) && !ids.has(c.id)) { ids.add(c.id); grew = true; }
      }
    }
    return ids;
  }

  /**
   * Products matching `query` (name or SKU, case-insensitive) in `categoryId` (and below), by name.
   * @param {{query?: string, categoryId?: string|null, favouritesOnly?: boolean}} filter
   * @returns {object[]}
   */
  search({ query = '', categoryId = null, favouritesOnly = false } = {}) {
    const needle = query.trim().toLowerCase();
    const categories = categoryId ? this.categoryWithDescendants(categoryId) : null;
    const favourites = favouritesOnly ? this.favouriteProductIds() : null;
    const overlay = this.overlays.get('products');
    const { products, searchKeys } = this;
    const out = [];
    for (let i = 0; i < products.length; i += 1) {
      let product = products[i];
      if (overlay.size && overlay.has(product.id)) {
        product = overlay.get(product.id);
        if (!product || (needle && !product._search.includes(needle))) continue;
      } else if (needle && !searchKeys[i].includes(needle)) {
        continue;
      }
      if (categories && !categories.has(product.category_id)) continue;
      if (favourites && !favourites.has(product.id)) continue;
      out.push(product);
    }
    return out;
  }

  /** @returns {object|undefined} */
  product(id) {
    return this.get('products', id);
  }

  /** @returns {Map<string, object>} product id -> favourite record */
  favouritesByProduct() {
    return new Map(this.all('favourites').map((f) => [f.product_id, f]));
  }

  favouriteProductIds() {
    return new Set(this.favouritesByProduct().keys());
  }

  /** @returns {number} local changes not yet sent */
  pendingCount() {
    return this.pending.length;
  }
}
