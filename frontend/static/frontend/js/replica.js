/**
 * The catalogue as the UI sees it: the local replica (stored segments) with
 * queued local changes on top, kept in memory, with search and browsing.
 * Loading is incremental — only segments stored since the last load are read —
 * and yields between segments so the page stays responsive.
 * @module replica
 */

import * as db from './db.js';
import { applyPending } from './outbox.js';
import { replaySegments } from './segments.js';

const COLLECTIONS = ['categories', 'products', 'favourites'];

const yieldToPage = () => new Promise((resolve) => setTimeout(resolve, 0));

export class Replica extends EventTarget {
  constructor() {
    super();
    /** @type {Map<string, Map<string, object>>} server state per collection */
    this.server = new Map(COLLECTIONS.map((c) => [c, new Map()]));
    /** @type {Map<string, number>} last segment applied per collection */
    this.seen = new Map(COLLECTIONS.map((c) => [c, 0]));
    /** @type {object[]} queued local mutations */
    this.pending = [];
    this.loading = null;
    this.view = new Map();
    this.products = [];
    this.searchKeys = [];
  }

  /**
   * Read what was stored since the last call and rebuild the view.
   * Calls made while one runs share its result plus one more pass.
   * @fires Replica#change
   */
  refresh() {
    const run = async () => {
      for (const collection of COLLECTIONS) {
        const segments = await db.readSegments(collection, this.seen.get(collection));
        for (const segment of segments) {
          // A segment numbered below what we saw means the store was rewritten.
          replaySegments([segment], this.server.get(collection));
          this.seen.set(collection, segment.seq);
          if (segments.length > 1) await yieldToPage();
        }
      }
      this.pending = await db.outboxAll();
      this.rebuild();
    };
    this.loading = (this.loading ?? Promise.resolve()).then(run, run);
    return this.loading;
  }

  /** Forget everything in memory (after a wipe or a replica reset by another context). */
  reset() {
    for (const collection of COLLECTIONS) {
      this.server.get(collection).clear();
      this.seen.set(collection, 0);
    }
  }

  rebuild() {
    for (const collection of COLLECTIONS) {
      this.view.set(collection, applyPending(this.server.get(collection), this.pending, collection));
    }
    this.products = [...this.view.get('products').values()].sort((a, b) => a.name.localeCompare(b.name));
    this.searchKeys = this.products.map((p) => `${p.name}\u0000${p.sku}`.toLowerCase());
    this.dispatchEvent(new CustomEvent('change'));
  }

  /** @returns {object[]} categories in tree order (parents before children, by position) */
  categories() {
    const all = [...this.view.get('categories').values()];
    const byParent = new Map();
    for (const c of all) {
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
    let grew = true;
    const all = [...this.view.get('categories').values()];
    while (grew) {
      grew = false;
      for (const c of all) {
        if (c.parent_id && ids.has(c.parent_id) && !ids.has(c.id)) { ids.add(c.id); grew = true; }
      }
    }
    return ids;
  }

  /**
   * Products matching `query` (name or SKU, case-insensitive) in `categoryId` (and below).
   * @param {{query?: string, categoryId?: string|null, favouritesOnly?: boolean}} filter
   * @returns {object[]}
   */
  search({ query = '', categoryId = null, favouritesOnly = false } = {}) {
    const needle = query.trim().toLowerCase();
    const categories = categoryId ? this.categoryWithDescendants(categoryId) : null;
    const favourites = favouritesOnly ? this.favouriteProductIds() : null;
    const out = [];
    const { products, searchKeys } = this;
    for (let i = 0; i < products.length; i += 1) {
      if (needle && !searchKeys[i].includes(needle)) continue;
      const product = products[i];
      if (categories && !categories.has(product.category_id)) continue;
      if (favourites && !favourites.has(product.id)) continue;
      out.push(product);
    }
    return out;
  }

  /** @returns {object|undefined} */
  product(id) {
    return this.view.get('products').get(id);
  }

  /** @returns {Map<string, object>} product id -> favourite record */
  favouritesByProduct() {
    return new Map([...this.view.get('favourites').values()].map((f) => [f.product_id, f]));
  }

  favouriteProductIds() {
    return new Set(this.favouritesByProduct().keys());
  }

  /** @returns {number} local changes not yet sent */
  pendingCount() {
    return this.pending.length;
  }
}
