/**
 * Which pictures a page keeps ahead of use, as the server's configuration
 * says (docs/protocol-notes.md, "Pictures kept offline"); the collections'
 * `image_fields` and `keeps_images_of` say where the URLs are, so this
 * module knows no product. It also forgets a picture once no record shows
 * it any more (replaced in the admin, or its record deleted).
 * @module offlinePictures
 */

import * as meta from './meta.js';
import { clearPictures, forget, keepAhead } from './pictures.js';
import { yieldToPage } from './replica.js';

const MB = 1024 * 1024;

/** @returns {string[]} the picture URLs of `record` in `fields` */
function urlsOf(record, fields) {
  return fields.map((field) => record?.[field]).filter((url) => typeof url === 'string' && url);
}

export class OfflinePictures {
  /** @type {import('./replica.js').Replica} */
  #replica;
  /** @type {AbortController|null} the run in progress, stopped by `stop()` */
  #running = null;
  /** @type {Promise<unknown>} the last run asked for; runs go one after another */
  #last = Promise.resolve();
  /** @type {Promise<object|null>|null} a run asked for and not started yet: later calls share it */
  #next = null;
  /** @type {Set<string>} URLs whose records changed or left, checked at the next `keep()` */
  #maybeUnused = new Set();

  /** @param {import('./replica.js').Replica} replica */
  constructor(replica) {
    this.#replica = replica;
    replica.subscribe((change) => this.#noteChange(change));
    globalThis.addEventListener?.('online', () => { this.keep().catch(() => {}); });
  }

  /** Remember the pictures of records that were replaced or deleted (the first download has none). */
  #noteChange({ collection, gone }) {
    const fields = this.#replica.describe(collection)?.image_fields;
    if (!fields?.length || !gone) return;
    for (const earlier of gone.values()) for (const url of urlsOf(earlier, fields)) this.#maybeUnused.add(url);
  }

  /**
   * Forget pictures no record shows any more, then fetch ahead what the configuration keeps
   * (`favourites`, `all`), within the budget, unless the connection asks to save data. Call after
   * a sync and when the app starts. Runs go one after another: a call while one runs is served
   * by the next (which reads the configuration and the records as they are then).
   * @returns {Promise<{fetched: number, bytes: number, full: boolean}|null>} null: nothing fetched ahead
   */
  keep() {
    this.#next ??= this.#last.catch(() => {}).then(() => {
      this.#next = null;
      return this.#run();
    });
    this.#last = this.#next;
    return this.#next;
  }

  async #run() {
    const running = new AbortController();
    this.#running = running;
    const config = await meta.config();
    if (!config) return null;
    const policy = config.offline_images ?? 'viewed';
    if (policy === 'none') {
      await clearPictures();
      return null;
    }
    await this.#forgetUnused(config);
    if (running.signal.aborted || !['favourites', 'all'].includes(policy)) return null;
    if (globalThis.navigator?.connection?.saveData) return null;
    const urls = await this.#wanted(config, policy);
    if (running.signal.aborted) return null;
    const outcome = await keepAhead(urls, { budgetBytes: (config.offline_images_mb ?? 50) * MB, signal: running.signal });
    if (this.#running === running) this.#running = null;
    return outcome;
  }

  /** Stop fetching ahead (signing out). */
  stop() {
    this.#running?.abort();
    this.#running = null;
  }

  /** @returns {Promise<string[]>} the URLs to fetch ahead, the favourites' first */
  async #wanted(config, policy) {
    const urls = [];
    for (const [name, info] of Object.entries(config.collections)) {
      const keeps = info.keeps_images_of;
      const fields = keeps && config.collections[keeps.collection]?.image_fields;
      if (!fields?.length) continue;
      for (const record of this.#replica.all(name)) {
        urls.push(...urlsOf(this.#replica.get(keeps.collection, record[keeps.field]), fields));
      }
    }
    if (policy === 'all') {
      for (const [name, info] of Object.entries(config.collections)) {
        const [first] = info.image_fields ?? [];
        if (!first) continue;
        await yieldToPage();
        for (const record of this.#replica.all(name)) if (record[first]) urls.push(record[first]);
      }
    }
    return urls;
  }

  /** Forget the noted pictures that no record of any collection shows now. */
  async #forgetUnused(config) {
    if (!this.#maybeUnused.size) return;
    const candidates = this.#maybeUnused;
    this.#maybeUnused = new Set();
    for (const [name, info] of Object.entries(config.collections)) {
      if (!info.image_fields?.length) continue;
      await yieldToPage();
      for (const record of this.#replica.all(name)) {
        for (const url of urlsOf(record, info.image_fields)) candidates.delete(url);
      }
    }
    await forget([...candidates]);
  }
}
