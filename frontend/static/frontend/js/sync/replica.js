/**
 * The local replica as a page reads it: every collection the server's
 * configuration names, its records in memory, with the changes queued here
 * on top.
 *
 * Records reach a page by one route: the engine (in this page, another tab
 * or the worker) stores each pulled page or snapshot part as a segment and
 * says so on a channel; the replica reads the segments it has not applied
 * from IndexedDB, in order, parses each once, a part per task, and hands the
 * changes to its subscribers (the app's indexes) before applying the next.
 * @module replica
 */

import * as db from './db.js';
import * as meta from './meta.js';
import { pendingOverlay } from './outbox.js';
import { SEGMENT_CHANNEL_NAME, applyChanges, readChanges } from './segments.js';

/** Let the page handle input and paint, then go on (ahead of other queued tasks where supported). */
export const yieldToPage = () => (globalThis.scheduler?.yield
  ? globalThis.scheduler.yield()
  : new Promise((resolve) => { setTimeout(resolve, 0); }));

/**
 * Segments read per IndexedDB transaction. A read waits for the engine's write before it and
 * holds up the next one, so a replica that lags behind a download reads what has piled up at
 * once; a segment is a Blob handle or, after compaction, a text of up to 5,000 records.
 */
const READ_BATCH = 8;

/**
 * What one stored segment changed in a collection, as subscribers get it.
 * @typedef {{collection: string, reset: boolean, upserts: object[], deletes: string[],
 *            gone: Map<string, object>|null}} ReplicaChange `reset`: the collection was cleared first;
 *            `gone`: each id whose earlier record left (replaced or deleted), with it; null if none
 */

export class Replica extends EventTarget {
  /** @type {Map<string, Map<string, object>>} the server's records per collection, as stored here */
  #records = new Map();
  /** @type {Map<string, number>} last segment applied per collection */
  #seen = new Map();
  /** @type {Map<string, Map<string, object|null>>} changes queued here, per collection (null: deleted) */
  #overlays = new Map();
  /** @type {object[]} queued mutations, oldest first */
  #pending = [];
  /** @type {Record<string, object>} each collection's entry of the configuration */
  #collections = {};
  /** @type {Array<(change: ReplicaChange) => (void|Promise<void>)>} */
  #subscribers = [];
  /** @type {Promise<void>} the work running, refreshes and resets one after another */
  #running = Promise.resolve();
  /** @type {Promise<void>|null} a refresh queued and not started yet: later calls share it */
  #waiting = null;
  /** Whether the next refresh reads every collection and the configuration (else `#stored` only). */
  #readAll = true;
  /** @type {Set<string>} collections the engine said it stored a segment of, not read since */
  #stored = new Set();

  constructor() {
    super();
    new BroadcastChannel(SEGMENT_CHANNEL_NAME).addEventListener('message', ({ data }) => {
      if (data.seq <= (this.#seen.get(data.collection) ?? 0)) return;
      this.#stored.add(data.collection);
      this.#refreshSoon().catch(() => {}); // what fails here is read again by the next refresh
    });
  }

  /**
   * Call `consumer` with every change the replica applies from now on, in
   * order; the next waits until a promise it returns settles. A subscriber
   * added after records were applied gets them as one change per collection.
   * @param {(change: ReplicaChange) => (void|Promise<void>)} consumer
   * @returns {Promise<void>} once it got what was applied before
   */
  subscribe(consumer) {
    return this.#enqueue(async () => {
      this.#subscribers.push(consumer);
      for (const [collection, records] of this.#records) {
        if (records.size) await consumer({ collection, reset: true, upserts: [...records.values()], deletes: [], gone: null });
      }
    });
  }

  /**
   * Apply what was stored since the last call and the outbox as it is now;
   * `change` fires once done. Calls made while one runs share the next one.
   * @returns {Promise<void>}
   */
  refresh() {
    this.#readAll = true;
    return this.#refreshSoon();
  }

  /** @returns {Promise<void>} the refresh queued (one waits at most, taking what was asked until it starts) */
  #refreshSoon() {
    this.#waiting ??= this.#enqueue(() => {
      this.#waiting = null; // from here on, what is stored needs another refresh
      return this.#load();
    });
    return this.#waiting;
  }

  /**
   * Forget everything in memory and read it again (after a sign-out wiped
   * the user's data), once a refresh in progress has finished.
   * @returns {Promise<void>}
   */
  reload() {
    return this.#enqueue(async () => {
      for (const collection of this.#records.keys()) await this.#apply(collection, { upserts: [], deletes: [] }, true);
      this.#seen.clear();
      this.#readAll = true;
      return this.#load();
    });
  }

  /** @returns {Promise<void>} `work`, after whatever runs (a failed one does not stop the next) */
  #enqueue(work) {
    this.#running = this.#running.then(work, work);
    return this.#running;
  }

  /**
   * Read and apply the segments stored since: of every collection after `refresh()`, else of
   * those the engine said it stored (a sync in progress: the others have nothing new).
   */
  async #load() {
    const readAll = this.#readAll;
    const stored = new Set(this.#stored);
    this.#readAll = false;
    this.#stored.clear();
    if (readAll || [...stored].some((collection) => !(collection in this.#collections))) {
      this.#collections = (await meta.config())?.collections ?? {};
    }
    for (const collection of Object.keys(this.#collections)) {
      if (!readAll && !stored.has(collection)) continue;
      let first = true;
      for (let more = true; more;) {
        const segments = await db.readSegments(collection, this.#seen.get(collection) ?? 0, READ_BATCH);
        more = segments.length === READ_BATCH;
        for (const segment of segments) {
          if (!first) await yieldToPage();
          first = false;
          await this.#apply(collection, await readChanges(segment, yieldToPage), segment.reset);
          this.#seen.set(collection, segment.seq);
        }
      }
    }
    this.#pending = await db.outboxAll();
    this.#overlays = new Map([...this.#records].map(([collection, records]) => [
      collection, pendingOverlay(records, this.#pending, collection)]));
    await yieldToPage(); // the listeners may re-run a search over 100,000 records: a task of its own
    this.dispatchEvent(new CustomEvent('change'));
  }

  /** Apply one segment's changes and hand them to every subscriber. */
  async #apply(collection, changes, reset) {
    if (!this.#records.has(collection)) this.#records.set(collection, new Map());
    const records = this.#records.get(collection);
    if (reset) records.clear();
    const gone = applyChanges(records, changes);
    for (const consumer of this.#subscribers) await consumer({ collection, reset, ...changes, gone });
  }

  /** @returns {object|undefined} the configuration's entry of `collection` (scope, snapshot, order...) */
  describe(collection) {
    return this.#collections[collection];
  }

  /** @returns {object|undefined} the record as shown here: the local change if any, else the server's */
  get(collection, id) {
    const overlay = this.#overlays.get(collection);
    return overlay?.has(id) ? overlay.get(id) ?? undefined : this.#records.get(collection)?.get(id);
  }

  /** @returns {object|undefined} the record as the server last sent it, local changes left out */
  serverRecord(collection, id) {
    return this.#records.get(collection)?.get(id);
  }

  /** @returns {object[]} every record of `collection` as shown here */
  all(collection) {
    const records = this.#records.get(collection) ?? new Map();
    const overlay = this.#overlays.get(collection) ?? new Map();
    const out = [];
    for (const record of records.values()) {
      const shown = overlay.has(record.id) ? overlay.get(record.id) : record;
      if (shown) out.push(shown);
    }
    for (const [id, record] of overlay) if (record && !records.has(id)) out.push(record);
    return out;
  }

  /** @returns {number} records of `collection` the server sent (local changes not counted) */
  size(collection) {
    return this.#records.get(collection)?.size ?? 0;
  }

  /**
   * @returns {Map<string, object|null>} `collection`'s records changed here and not sent yet
   *   (`pending: true`), null for a record deleted here
   */
  changed(collection) {
    return this.#overlays.get(collection) ?? new Map();
  }

  /** @returns {number} local changes not yet sent */
  pendingCount() {
    return this.#pending.length;
  }
}
