/**
 * The sync engine: runs a sync unit's stages (config, push, pull per
 * collection) in whichever context calls it — a page or the service worker —
 * one sync at a time across all of them (Web Locks), and reports what happens
 * to every open page (events + BroadcastChannel).
 * @module engine
 */

import * as api from './api.js';
import * as db from './db.js';
import { SyncError, toSyncError } from './errors.js';
import { pushOutbox } from './outbox.js';
import { LOCK_NAME, abandonUnit, completeUnit, nextUnit, startUnit } from './queue.js';
import { revokePending } from './revocations.js';
import { SEGMENT_CHANNEL_NAME, replaySegments, withTexts } from './segments.js';

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
 * Pages of a planned first download fetched at the same time. Three rather
 * than two since the server answers a repeat first download from memory:
 * side by side, 100,000 products 1,164 -> 1,020 ms (medians of six rounds).
 */
const PARALLEL_PAGES = 3;
/** A collection with more stored segments than this is compacted after a sync. */
const COMPACT_AFTER = 64;

/**
 * Events, dispatched on the engine as CustomEvents and posted on the channel.
 * @typedef {{unit: string, context: 'page'|'worker'}} SyncStartDetail
 * @typedef {{unit: string, collection: string, pages: number, upserts: number, deletes: number,
 *            hasMore: boolean}} SyncProgressDetail
 * @typedef {{unit: string, stats: SyncStats, config: object}} SyncCompleteDetail
 * @typedef {{unit: string, code: string, message: string, willRetry: boolean, details: object}} SyncErrorDetail
 * @typedef {{collection: string, recordId: string, fields: string[], mine: object, server: object}} ConflictDetail
 * @typedef {{unit: string, pushed: number, applied: number, conflicts: number, rejected: number,
 *            duplicates: number, pages: number, upserts: number, deletes: number, bytes: number,
 *            durationMs: number}} SyncStats
 */

/** @returns {Promise<string>} this installation's client id (created once) */
export function clientIdGet() {
  return db.updateMeta('clientId', (id) => id ?? crypto.randomUUID());
}

/**
 * What the engine needs from a pulled page — cursor, flags, deletes and a
 * count of records — without decoding its records: the page is stored as the
 * text it came as, and decoding 5,000 records only to count them would be
 * most of the client's work. Falls back to a full decode if the page is not
 * laid out as this server sends it.
 * @param {string} text
 * @returns {{cursor: string, has_more: boolean, reset: boolean, deletes: string[], upserts: number,
 *            parallel_cursors?: string[]}}
 */
export function summarize(text) {
  const KEY = '"version":';
  const tail = pageTail(text);
  if (!tail) {
    const body = JSON.parse(text);
    return { ...body, upserts: body.upserts.length };
  }
  let upserts = 0;
  for (let i = text.indexOf(KEY); i !== -1 && i < tail.at; i = text.indexOf(KEY, i + KEY.length)) upserts += 1;
  return { ...tail.members, upserts };
}

/**
 * The members after `upserts` (`deletes`, `cursor`, ...) of a page's JSON
 * text, or of its end; null if not laid out as this server sends them.
 * @returns {{members: object, at: number}|null} `at`: where they start in `text`
 */
function pageTail(text) {
  const at = text.lastIndexOf('"deletes":');
  if (at < 0) return null;
  try {
    const members = JSON.parse(`{${text.slice(at)}`);
    return typeof members.cursor === 'string' ? { members, at } : null;
  } catch {
    return null;
  }
}

/** A page's end is read on its own when it holds this much: its deletes, cursors and flags. */
const TAIL_BYTES = 64 * 1024;

/**
 * `summarize` for a pulled page as `api.pull` answers it. Of a page kept as a
 * Blob, with the server's count of upserts, only the end is read (its records
 * stay undecoded, in the browser's blob storage); otherwise, or if the end
 * does not hold the members after `upserts` (a page of many deletes), the
 * whole text.
 * @param {{body: Blob|string, upserts: number|null}} page
 */
export async function summarizePage({ body, upserts }) {
  if (typeof body === 'string') return summarize(body);
  if (upserts !== null) {
    const tail = pageTail(await body.slice(Math.max(0, body.size - TAIL_BYTES)).text());
    if (tail) return { ...tail.members, upserts };
  }
  return summarize(await body.text());
}

export class SyncEngine extends EventTarget {
  /**
   * @param {{context?: 'page'|'worker', beforeComplete?: () => Promise<void>}} [options]
   *   `beforeComplete`: awaited before a sync reports `synccomplete` (the worker:
   *   the release cached); a failure there does not fail the sync
   */
  constructor({ context = 'page', beforeComplete = null } = {}) {
    super();
    this.context = context;
    this.beforeComplete = beforeComplete;
    this.channel = new BroadcastChannel(CHANNEL_NAME);
    this.segmentChannel = new BroadcastChannel(SEGMENT_CHANNEL_NAME);
    /** Tags this engine's messages, so its own page does not hear them twice. */
    this.id = crypto.randomUUID();
    /** @type {Map<string, number>} last segment number per collection, during a run */
    this.seqs = new Map();
  }

  /** @fires SyncEngine#syncstart etc. */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
    this.channel.postMessage({ type, detail, origin: this.id });
  }

  /**
   * Run one unit now, in this context, after any sync already running.
   * @param {string} [unit]
   * @returns {Promise<SyncStats>}
   */
  offlineDataSync(unit = 'all') {
    return navigator.locks.request(LOCK_NAME, () => this.runUnit(unit));
  }

  /**
   * Run the queued units one after another. A unit leaves the queue only when
   * it succeeded; a failure rethrows with the unit still queued.
   * @returns {Promise<SyncStats[]>}
   */
  drainQueue() {
    return navigator.locks.request(LOCK_NAME, async () => {
      const done = [];
      for (let unit = await nextUnit(); unit; unit = await nextUnit()) {
        await startUnit(unit);
        try {
          done.push(await this.runUnit(unit));
        } catch (error) {
          await abandonUnit();
          throw error;
        }
        await completeUnit(unit);
      }
      return done;
    });
  }

  /** Time one stage as a User Timing measure `offline-sync:<unit>:<stage>`. */
  async stage(unit, stage, work) {
    const name = `offline-sync:${unit}:${stage}`;
    performance.mark(`${name}:start`);
    try {
      return await work();
    } finally {
      performance.mark(`${name}:end`);
      performance.measure(name, `${name}:start`, `${name}:end`);
    }
  }

  /** The stages of one unit; call under the lock. */
  async runUnit(unit) {
    const name = `offline-sync:${unit}`;
    const started = performance.now();
    performance.mark(`${name}:start`);
    this.emit('syncstart', { unit, context: this.context });
    /** @type {SyncStats} */
    const stats = { unit, pushed: 0, applied: 0, conflicts: 0, rejected: 0, duplicates: 0, pages: 0, upserts: 0, deletes: 0, bytes: 0, durationMs: 0 };
    try {
      const token = (await db.getMeta('auth'))?.token ?? null;
      const config = await this.stage(unit, 'config', () => this.loadConfig(token));
      await this.stage(unit, 'revoke', revokePending); // tokens of sign-outs made offline
      const collections = config.units[unit];
      if (!collections) throw new SyncError('unknown_unit', { unit });
      this.seqs.clear();
      for (const collection of Object.keys(config.collections)) {
        this.seqs.set(collection, await db.lastSegmentSeq(collection));
      }
      if (token) await this.stage(unit, 'push', () => this.push(token, stats));
      // Collections are independent (each stores its own pages and cursor): pulled at once, so that
      // a small one does not hold up a large one's first page. All must end before the unit does.
      const pulls = collections
        .filter((collection) => config.collections[collection]?.scope !== 'user' || token)
        .map((collection) => this.stage(unit, `pull:${collection}`, () => this.pull(unit, collection, config, token, stats)));
      const failed = (await Promise.allSettled(pulls)).find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      await db.setMeta('lastSync', { at: Date.now(), unit });
      await this.beforeComplete?.().catch(() => {}); // retried by the next sync
      stats.durationMs = performance.now() - started;
      this.emit('synccomplete', { unit, stats, config });
      return stats;
    } catch (error) {
      const failure = toSyncError(error);
      const config = await db.getMeta('config').catch(() => null);
      const willRetry = failure.retryable && (config?.retry_on_error ?? true);
      failure.willRetry = willRetry; // the worker hands the sync back to the browser only then
      this.emit('syncerror', { unit, code: failure.code, message: failure.message, willRetry, details: failure.details });
      throw failure;
    } finally {
      performance.mark(`${name}:end`);
      performance.measure(name, `${name}:start`, `${name}:end`);
    }
  }

  /** Fetch the configuration, cache it, and start over if the schema changed. */
  async loadConfig(token) {
    const config = await api.getConfig(token);
    const known = await db.getMeta('schemaVersion');
    if (known !== undefined && known !== config.schema_version) {
      // Discard the replica, keep unsent changes: they are re-applied on top.
      await db.clearReplica(Object.keys(config.collections));
    }
    await db.setMeta('schemaVersion', config.schema_version);
    await db.setMeta('config', config);
    return config;
  }

  nextSeq(collection) {
    const seq = (this.seqs.get(collection) ?? 0) + 1;
    this.seqs.set(collection, seq);
    return seq;
  }

  async push(token, stats) {
    const result = await pushOutbox({ clientId: await clientIdGet(), token, nextSeq: (c) => this.nextSeq(c) });
    stats.pushed += result.sent;
    stats.applied += result.applied;
    stats.duplicates += result.duplicates;
    stats.conflicts += result.conflicts.length;
    stats.rejected += result.rejections.length;
    for (const conflict of result.conflicts) this.emit('conflict', conflict);
    for (const rejection of result.rejections) this.emit('rejected', rejection);
  }

  /**
   * Pull one collection until `has_more` is false; each page and its cursor in one transaction.
   *
   * A first download asks the server to plan it (`parallel_cursors`): those
   * pages are fetched PARALLEL_PAGES at a time but stored strictly in order,
   * so the stored cursor only ever covers pages that are stored. Otherwise the
   * next page downloads while one is stored.
   */
  async pull(unit, collection, config, token, stats) {
    const cursor = (await db.getMeta(`cursor:${collection}`)) ?? null;
    let fresh = cursor === null;
    const limit = fresh ? Math.max(FRESH_PAGE_SIZE, config.page_size) : config.page_size;
    const fetchPage = (from, options) => {
      const page = api.pull(collection, from, limit, token, options);
      page.catch(() => {}); // awaited in turn; avoids an unhandled rejection if an earlier step fails first
      return page;
    };
    /** Pages requested, in the order they are stored. */
    const inFlight = [fetchPage(cursor, { parallel: fresh })];
    /** Planned pages not yet requested. */
    let planned = [];
    let pages = 0;
    while (inFlight.length) {
      const page = await inFlight.shift();
      const body = await summarizePage(page);
      if (body.reset) {
        planned = []; // the server started over: the rest of a plan no longer holds
        inFlight.length = 0;
      } else if (body.parallel_cursors) {
        planned = [...body.parallel_cursors];
      }
      while (planned.length && inFlight.length < PARALLEL_PAGES) inFlight.push(fetchPage(planned.shift()));
      if (body.has_more && !planned.length && !inFlight.length) inFlight.push(fetchPage(body.cursor));
      const segment = {
        collection, seq: this.nextSeq(collection), reset: fresh || body.reset,
        ...(typeof page.body === 'string' ? { text: page.body } : { blob: page.body }),
      };
      await db.writePage(collection, { ...segment, cursor: body.cursor });
      this.segmentChannel.postMessage(segment);
      fresh = false;
      pages += 1;
      stats.pages += 1;
      stats.upserts += body.upserts;
      stats.deletes += body.deletes.length;
      stats.bytes += page.body.size ?? page.body.length;
      this.emit('syncprogress', {
        unit, collection, pages, upserts: stats.upserts, deletes: stats.deletes,
        hasMore: inFlight.length > 0,
      });
    }
    if ((await db.countSegments(collection)) > COMPACT_AFTER) await this.compact(collection);
  }

  /** Rewrite a collection's many small segments as a few large ones. */
  async compact(collection) {
    const records = [...replaySegments(await withTexts(await db.readSegments(collection))).values()];
    const texts = [];
    for (let start = 0; start < records.length || start === 0; start += FRESH_PAGE_SIZE) {
      texts.push(JSON.stringify({ upserts: records.slice(start, start + FRESH_PAGE_SIZE), deletes: [] }));
    }
    const first = this.seqs.get(collection) + 1;
    await db.replaceSegments(collection, texts, first);
    this.seqs.set(collection, first + texts.length - 1);
  }
}
