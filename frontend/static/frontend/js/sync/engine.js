/**
 * The sync engine: runs a sync unit's stages (config, push, pull per
 * collection) in whichever context calls it — a page or the service worker —
 * one sync at a time across all of them (Web Locks), and reports what happens
 * to every open page (events + BroadcastChannel). A sign-out stops the sync
 * running in any context (`endSession`) before it wipes the user's data.
 * @module engine
 */

import * as api from './api.js';
import * as db from './db.js';
import { SyncError, toSyncError } from './errors.js';
import * as meta from './meta.js';
import { pushOutbox } from './outbox.js';
import { summarizePage } from './page-format.js';
import { syncRunning } from './lock.js';
import { withRoomForData } from './pictures.js';
import { LOCK_NAME, abandonUnit, completeUnit, nextUnit, startUnit } from './queue.js';
import { revokePending } from './revocations.js';
import { SEGMENT_CHANNEL_NAME, replaySegments } from './segments.js';
import { FORMAT as SNAPSHOT_FORMAT } from './snapshot-format.js';

export { LOCK_NAME };
/** BroadcastChannel carrying engine events to every page. */
export const CHANNEL_NAME = 'offline-sync';
/** Background Sync tag of queued units; the worker drains the queue when it fires. */
export const SYNC_TAG = 'offline-sync';
/** Periodic Background Sync tag. */
export const PERIODIC_TAG = 'offline-sync-periodic';
/** A fresh download asks for pages this big (the protocol's guaranteed minimum cap). */
const FRESH_PAGE_SIZE = 5000;
/**
 * Snapshot parts requested at once: enough to keep a phone's link busy
 * while one part's request waits a round trip (parts are ~170 KB each).
 */
const PARTS_IN_FLIGHT = 4;
/** A collection with more stored segments than this is compacted after a sync. */
const COMPACT_AFTER = 64;
/** BroadcastChannel on which a sign-out asks the engines of the other contexts to stop their syncs. */
const STOP_CHANNEL_NAME = 'offline-sync-stop';

/**
 * Events, dispatched on the engine as CustomEvents and posted on the channel.
 * @typedef {{unit: string, context: 'page'|'worker'}} SyncStartDetail
 * @typedef {{unit: string, collection: string, pages: number, upserts: number, deletes: number,
 *            hasMore: boolean, expected: number|null}} SyncProgressDetail `expected`: records the
 *            sync is known to bring in all (a snapshot's), else null
 * @typedef {{unit: string, stats: SyncStats, config: object}} SyncCompleteDetail
 * @typedef {{unit: string, code: string, message: string, willRetry: boolean, details: object}} SyncErrorDetail
 * @typedef {{collection: string, recordId: string, fields: string[], mine: object, server: object}} ConflictDetail
 * @typedef {{unit: string, pushed: number, applied: number, conflicts: number, rejected: number,
 *            duplicates: number, pages: number, upserts: number, deletes: number, bytes: number,
 *            durationMs: number}} SyncStats
 */

/**
 * `blob` if it is the part the manifest lists (its SHA-256), else a SyncError:
 * a part cut short or altered on the way, or in a cache, is never stored.
 * @param {Blob} blob
 * @param {{sha256: string, url: string}} part
 * @returns {Promise<Blob>}
 */
async function checked(blob, part) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
  if (hex !== part.sha256) throw new SyncError('invalid_response', { detail: `Snapshot part ${part.url} is damaged.` });
  return blob;
}

/** @returns {Promise<never>} rejected with the reason once `signal` aborts; never settles otherwise */
function whenAborted(signal) {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * The `owner` of what a sync stores for `collection` (see db.js): the token of the session it
 * runs for if the collection is the user's own (user-scoped), else undefined (no one's data).
 */
function ownerOf(config, collection, token) {
  return config.collections[collection]?.scope === 'user' ? token : undefined;
}

/**
 * One run of a unit: what its stages share. Each run has its own, so that a run stopped by a
 * sign-out, whose abandoned work winds down after the lock is released, shares nothing with
 * the next one.
 * @typedef {{unit: string, token: string|null, signal: AbortSignal, stats: SyncStats,
 *            seqs: Map<string, number>, offers: Promise<Record<string, object>|null>}} Run
 *   `signal`: aborted when a sign-out stops the run; `seqs`: last segment number per collection;
 *   `offers`: the snapshots offered, asked at the start of the run
 */

export class SyncEngine extends EventTarget {
  #context;
  #beforeComplete;
  #channel = new BroadcastChannel(CHANNEL_NAME);
  #segmentChannel = new BroadcastChannel(SEGMENT_CHANNEL_NAME);
  /** Tags this engine's messages, so its own page does not hear them twice. */
  #id = crypto.randomUUID();
  /** @type {Set<AbortController>} one per hold of the sync lock by this engine (`locked`) */
  #holds = new Set();
  /** @type {Set<string>} sessions signed out while this engine lived: no sync runs for them any more */
  #ended = new Set();
  #stopChannel = new BroadcastChannel(STOP_CHANNEL_NAME);

  /**
   * @param {{context?: 'page'|'worker', beforeComplete?: () => Promise<void>}} [options]
   *   `beforeComplete`: awaited before a sync reports `synccomplete` (the worker:
   *   the release cached); a failure there does not fail the sync
   */
  constructor({ context = 'page', beforeComplete = null } = {}) {
    super();
    this.#context = context;
    this.#beforeComplete = beforeComplete;
    this.#stopChannel.addEventListener('message', ({ data }) => this.#stop(data.token));
  }

  /** The id this engine tags its channel messages with: a listener skips those it heard as events. */
  get id() {
    return this.#id;
  }

  /**
   * Dispatch an event here and post it to every other context (the sync
   * client's own events, such as `signedin`, travel with the engine's).
   */
  announce(type, detail) {
    this.#emit(type, detail);
  }

  /** @fires SyncEngine#syncstart etc. */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
    this.#channel.postMessage({ type, detail, origin: this.#id });
  }

  /**
   * Run one unit now, in this context, after any sync already running.
   * @param {string} [unit]
   * @returns {Promise<SyncStats>}
   */
  offlineDataSync(unit = 'all') {
    return this.#locked((signal) => this.#runUnit(unit, signal));
  }

  /**
   * Run the queued units one after another. A unit leaves the queue only when
   * it succeeded; a failure rethrows with the unit still queued.
   * @param {{handOver?: () => Promise<boolean>}} [options] `handOver`: asked
   *   before each unit after the first; true stops here, the rest left queued
   *   for another context that has taken them over
   * @returns {Promise<SyncStats[]>}
   */
  drainQueue({ handOver = null } = {}) {
    return this.#locked(async (signal) => {
      const done = [];
      for (let unit = await nextUnit(); unit;) {
        signal.throwIfAborted();
        await startUnit(unit);
        try {
          done.push(await this.#runUnit(unit, signal));
        } catch (error) {
          await abandonUnit();
          throw error;
        }
        await completeUnit(unit);
        unit = await nextUnit();
        if (unit && await handOver?.()) break;
      }
      return done;
    });
  }

  /**
   * Run `work` under the sync lock, with a signal that `stop` aborts.
   * @template T
   * @param {(signal: AbortSignal) => Promise<T>} work
   * @returns {Promise<T>}
   */
  #locked(work) {
    return navigator.locks.request(LOCK_NAME, async () => {
      const hold = new AbortController();
      this.#holds.add(hold);
      try {
        return await work(hold.signal);
      } finally {
        this.#holds.delete(hold);
      }
    });
  }

  /**
   * Stop the syncs this engine runs, because session `token` ends (a sign-out
   * waits for the lock): their requests are aborted and their stages
   * abandoned, so the lock is released at once; they fail with
   * `session_ended`. What an abandoned stage still does stores nothing: the
   * engine checks the run's signal before each write, and db.js refuses
   * writes of the user's data once the session has ended. No sync runs here
   * for that session again.
   * @param {string|null} token
   */
  #stop(token) {
    if (token) {
      this.#ended.add(token);
      api.abortSession(token, new SyncError('session_ended')); // also a push in flight (outbox.js)
    }
    for (const hold of this.#holds) hold.abort(new SyncError('session_ended'));
  }

  /**
   * End session `token` on this device (a sign-out): stop the sync running
   * in any context — this engine's at once, the worker's and other pages'
   * through the stop channel — then run `wipe` under the sync lock, once the
   * stopped sync has let it go. Stopping rather than waiting: a sync on a
   * slow network could hold the lock for minutes, and what it would store
   * belongs to the session that ends.
   * @param {string|null} token
   * @param {() => Promise<void>} wipe
   * @returns {Promise<boolean>} whether a sync was running (it was stopped; its unit is dropped
   *   if `wipe` empties the queue)
   */
  async endSession(token, wipe) {
    const running = await syncRunning();
    this.#stop(token);
    this.#stopChannel.postMessage({ token }); // every other context (the sender does not hear it)
    await navigator.locks.request(LOCK_NAME, wipe);
    return running;
  }

  /**
   * Time one stage as a User Timing measure `offline-sync:<unit>:<stage>`; none starts once the run is stopped.
   * @param {Run} run
   */
  async #stage(run, stage, work) {
    run.signal.throwIfAborted();
    const name = `offline-sync:${run.unit}:${stage}`;
    performance.mark(`${name}:start`);
    try {
      return await work();
    } finally {
      performance.mark(`${name}:end`);
      performance.measure(name, `${name}:start`, `${name}:end`);
    }
  }

  /**
   * One unit, with its events; call under the lock (`locked`).
   * @param {string} unit
   * @param {AbortSignal} signal the lock hold's: once aborted, the unit fails at once with its reason
   * @returns {Promise<SyncStats>}
   */
  async #runUnit(unit, signal) {
    const name = `offline-sync:${unit}`;
    const started = performance.now();
    performance.mark(`${name}:start`);
    this.#emit('syncstart', { unit, context: this.#context });
    /** @type {SyncStats} */
    const stats = { unit, pushed: 0, applied: 0, conflicts: 0, rejected: 0, duplicates: 0, pages: 0, upserts: 0, deletes: 0, bytes: 0, durationMs: 0 };
    try {
      const token = (await meta.auth())?.token ?? null;
      if (this.#ended.has(token)) throw new SyncError('session_ended');
      /** @type {Run} */
      const run = { unit, token, signal, stats, seqs: new Map(), offers: Promise.resolve(null) };
      const work = this.#stages(run);
      work.catch(() => {}); // if stopped, abandoned: it fails at its next request or write
      const config = await Promise.race([work, whenAborted(signal)]);
      stats.durationMs = performance.now() - started;
      this.#emit('synccomplete', { unit, stats, config });
      return stats;
    } catch (error) {
      const failure = toSyncError(error);
      const config = await meta.config().catch(() => null);
      const willRetry = failure.retryable && (config?.retry_on_error ?? true);
      failure.willRetry = willRetry; // the worker hands the sync back to the browser only then
      this.#emit('syncerror', { unit, code: failure.code, message: failure.message, willRetry, details: failure.details });
      throw failure;
    } finally {
      performance.mark(`${name}:end`);
      performance.measure(name, `${name}:start`, `${name}:end`);
    }
  }

  /**
   * The stages of one unit: config, revoke, push, pulls.
   * @param {Run} run
   * @returns {Promise<object>} the configuration
   */
  async #stages(run) {
    const { unit, token, signal } = run;
    // A replica that lacks a collection asks for the snapshots beside the configuration: a round trip less.
    if (await this.#lacksACollection()) run.offers = api.getSnapshots(token, { signal });
    const config = await this.#stage(run, 'config', () => this.#loadConfig(token, signal));
    await this.#stage(run, 'revoke', revokePending); // tokens of sign-outs not revoked yet (made offline)
    const collections = config.units[unit];
    if (!collections) throw new SyncError('unknown_unit', { unit });
    for (const collection of Object.keys(config.collections)) {
      run.seqs.set(collection, await db.lastSegmentSeq(collection));
    }
    if (token) await this.#stage(run, 'push', () => this.#push(run));
    // Collections are independent (each stores its own pages and cursor): pulled at once, so that
    // a small one does not hold up a large one's first page. All must end before the unit does.
    const pulls = collections
      .filter((collection) => config.collections[collection]?.scope !== 'user' || token)
      .map((collection) => this.#stage(run, `pull:${collection}`, () => this.#pull(run, collection, config)));
    const failed = (await Promise.allSettled(pulls)).find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    signal.throwIfAborted();
    await meta.setLastSync({ at: Date.now(), unit });
    await this.#beforeComplete?.().catch(() => {}); // retried by the next sync
    return config;
  }

  /**
   * @returns {Promise<boolean>} whether some collection that may start from a snapshot has
   *   neither a cursor nor a snapshot download to resume
   */
  async #lacksACollection() {
    const known = await meta.config();
    if (!known) return true; // the first sync
    const names = Object.keys(known.collections).filter((name) => known.collections[name].snapshot);
    const held = await Promise.all(names.map(async (name) => (await meta.cursor(name))
      ?? (await meta.snapshotDownload(name))));
    return held.some((value) => value === undefined || value === null);
  }

  /** Fetch the configuration, cache it, and start over if the schema changed. */
  async #loadConfig(token, signal) {
    const config = await api.getConfig(token, { signal });
    signal.throwIfAborted();
    const known = await meta.schemaVersion();
    if (known !== undefined && known !== config.schema_version) {
      // Discard the replica, keep unsent changes: they are re-applied on top.
      await db.clearReplica(Object.keys(config.collections));
    }
    await meta.setSchemaVersion(config.schema_version);
    await meta.setConfig(config);
    return config;
  }

  /**
   * The next segment number of `collection` in `run`. Every write of a segment takes one
   * first, so a stopped run fails here rather than store anything.
   * @param {Run} run
   */
  #nextSeq(run, collection) {
    run.signal.throwIfAborted();
    const seq = (run.seqs.get(collection) ?? 0) + 1;
    run.seqs.set(collection, seq);
    return seq;
  }

  /**
   * Send the outbox. Its answer is recorded only while the mutations it
   * answers are still queued (db.js `recordPushOutcome`): a sign-out empties the outbox.
   * @param {Run} run
   */
  async #push(run) {
    const { token, stats } = run;
    const stored = [];
    const nextSeq = (collection) => {
      const seq = this.#nextSeq(run, collection);
      stored.push({ collection, seq });
      return seq;
    };
    const result = await pushOutbox({ clientId: await meta.clientId(), token, nextSeq });
    run.signal.throwIfAborted();
    for (const segment of stored) this.#segmentChannel.postMessage(segment); // the records the server answered
    stats.pushed += result.sent;
    stats.applied += result.applied;
    stats.duplicates += result.duplicates;
    stats.conflicts += result.conflicts.length;
    stats.rejected += result.rejections.length;
    for (const conflict of result.conflicts) this.#emit('conflict', conflict);
    for (const rejection of result.rejections) this.#emit('rejected', rejection);
  }

  /**
   * Pull one collection until `has_more` is false; each page and its cursor in one transaction.
   *
   * A collection with no cursor starts from the server's snapshot if it
   * offers one (`downloadSnapshot`), then pulls ordinary pages from the
   * snapshot's cursor. The next page downloads while one is stored.
   * @param {Run} run
   */
  async #pull(run, collection, config) {
    const { unit, token, signal } = run;
    const owner = ownerOf(config, collection, token);
    let cursor = (await meta.cursor(collection)) ?? null;
    const progress = { unit, collection, pages: 0, expected: null };
    let limit = config.page_size;
    const fetchPage = (from) => {
      const page = api.pull(collection, from, limit, token, { signal });
      page.catch(() => {}); // awaited in turn; avoids an unhandled rejection if an earlier step fails first
      return { from, page };
    };
    let next = null;
    if (cursor === null && config.collections[collection]?.snapshot) {
      // The first page after the snapshot is asked for while its parts download: a round trip less.
      const ahead = (from) => { next = fetchPage(from); };
      cursor = await this.#stage(run, `snapshot:${collection}`, () => this.#downloadSnapshot(run, progress, owner, ahead));
    }
    let fresh = cursor === null;
    if (fresh) limit = Math.max(FRESH_PAGE_SIZE, config.page_size); // a download from scratch: large pages
    if (next?.from !== cursor) next = fetchPage(cursor);
    while (next) {
      const page = await next.page;
      const body = await summarizePage(page);
      const segment = {
        collection, seq: this.#nextSeq(run, collection), reset: fresh || body.reset,
        ...(typeof page.body === 'string' ? { text: page.body } : { blob: page.body }),
      };
      next = body.has_more ? fetchPage(body.cursor) : null;
      await withRoomForData(() => db.writePage(collection, { ...segment, cursor: body.cursor }, { owner }));
      this.#segmentChannel.postMessage({ collection, seq: segment.seq });
      fresh = false;
      this.#progress(progress, run.stats, { upserts: body.upserts, deletes: body.deletes.length,
        bytes: page.body.size ?? page.body.length, hasMore: next !== null });
    }
    if ((await db.countSegments(collection)) > COMPACT_AFTER) await this.#compact(run, collection, owner);
  }

  /** Count a stored page or part and report the sync's progress. */
  #progress(progress, stats, { upserts, deletes, bytes, hasMore }) {
    progress.pages += 1;
    stats.pages += 1;
    stats.upserts += upserts;
    stats.deletes += deletes;
    stats.bytes += bytes;
    this.#emit('syncprogress', {
      unit: progress.unit, collection: progress.collection, pages: progress.pages, upserts: stats.upserts,
      deletes: stats.deletes, hasMore, expected: progress.expected,
    });
  }

  /**
   * Download the server's snapshot of a collection (docs/protocol-notes.md):
   * its parts, PARTS_IN_FLIGHT at a time, each stored as a segment as it
   * arrives. The download is remembered
   * (its manifest and the parts stored so far, in meta), so one
   * interrupted by a lost connection or a closed app resumes with the parts
   * still missing, from the same snapshot. If the server no longer keeps
   * its parts, it starts over from the current one.
   * @param {Run} run
   * @param {string|undefined} owner see `ownerOf`
   * @param {(cursor: string) => void} ahead called with the snapshot's cursor
   *   as soon as it is known, to start pulling what changed after it
   * @returns {Promise<string|null>} the cursor to pull from once every part
   *   is stored; null if the server offers no snapshot (pull from scratch)
   */
  async #downloadSnapshot(run, progress, owner, ahead) {
    const { collection } = progress;
    const { token, signal } = run;
    let download = await meta.snapshotDownload(collection);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (!download) {
        const offered = attempt === 0 ? await run.offers : null; // asked beside the configuration
        const manifest = offered ? offered[collection] ?? null : await api.getSnapshot(collection, token, { signal });
        if (!manifest || manifest.format !== SNAPSHOT_FORMAT) return null;
        download = { manifest, done: [] };
        signal.throwIfAborted();
        await meta.setSnapshotDownload(collection, download, { owner });
      }
      ahead(download.manifest.cursor);
      try {
        return await this.#snapshotParts(run, progress, owner, download);
      } catch (error) {
        if (error.code !== 'snapshot_part_not_found') throw error;
        download = null; // replaced since: the first part of the current one drops what was stored
        signal.throwIfAborted();
        await meta.setSnapshotDownload(collection, undefined, { owner });
      }
    }
    return null;
  }

  /**
   * Fetch, check and store the parts of `download` not stored yet, each as
   * soon as it arrives; the snapshot's cursor. When one fails, the parts
   * already on their way are still stored before the failure is thrown, so
   * that a resumed download fetches no part twice (unless a sign-out stopped
   * the run: then nothing more is stored).
   * @param {Run} run
   */
  async #snapshotParts(run, progress, owner, { manifest, done }) {
    const { collection } = progress;
    const { signal } = run;
    const stored = new Set(done);
    const waiting = manifest.parts.filter((part) => !stored.has(part.sha256));
    progress.expected = manifest.records;
    if (!waiting.length) { // a snapshot of no records
      signal.throwIfAborted();
      await withRoomForData(() => db.writeSnapshotPart(collection, null,
        { cursor: manifest.cursor, reset: !manifest.parts.length, owner }));
      return manifest.cursor;
    }
    let writing = Promise.resolve();
    const store = (part, blob) => {
      writing = writing.then(async () => {
        const segment = { collection, seq: this.#nextSeq(run, collection), reset: stored.size === 0,
          format: SNAPSHOT_FORMAT, blob };
        stored.add(part.sha256);
        const last = stored.size === manifest.parts.length;
        await withRoomForData(() => db.writeSnapshotPart(collection, segment,
          { sha256: part.sha256, cursor: last ? manifest.cursor : null, owner }));
        this.#segmentChannel.postMessage({ collection, seq: segment.seq });
        this.#progress(progress, run.stats, { upserts: part.records, deletes: 0, bytes: blob.size, hasMore: !last });
      });
      return writing;
    };
    let failure = null;
    const download = async () => {
      for (let part = waiting.shift(); part && !failure; part = waiting.shift()) {
        try {
          await store(part, await checked(await api.getSnapshotPart(part.url, { signal }), part));
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: PARTS_IN_FLIGHT }, download));
    if (failure) throw failure;
    return manifest.cursor;
  }

  /**
   * Rewrite a collection's many small segments as a few large ones.
   * @param {Run} run
   * @param {string|undefined} owner see `ownerOf`
   */
  async #compact(run, collection, owner) {
    const records = [...(await replaySegments(await db.readSegments(collection))).values()];
    const texts = [];
    for (let start = 0; start < records.length || start === 0; start += FRESH_PAGE_SIZE) {
      texts.push(JSON.stringify({ upserts: records.slice(start, start + FRESH_PAGE_SIZE), deletes: [] }));
    }
    const first = this.#nextSeq(run, collection);
    await withRoomForData(() => db.replaceSegments(collection, texts, first, { owner }));
    run.seqs.set(collection, first + texts.length - 1);
    this.#segmentChannel.postMessage({ collection, seq: first });
  }
}
