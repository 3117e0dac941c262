/**
 * The only module that touches IndexedDB: names, versions, upgrades, and
 * every read and write of the replica, the outbox and small settings.
 *
 * Layout (see docs/client-architecture.md): pulled pages are stored whole as
 * "segments" (the page's JSON text), one `put` per page, because one record
 * per product costs ~65 µs each and would dominate an initial sync.
 * @module db
 */

import { SyncError, toSyncError } from './errors.js';
import {
  AUTH, CONFLICTS, NEXT_MUTATION_ID, REBASES, REJECTIONS, USER_KEYS, cursorKey, replicaKeys, seqKey, snapshotKey,
} from './keys.js';

const DB_NAME = 'offline-sync';
const DB_VERSION = 1;
const META = 'meta';
const SEGMENTS = 'segments';
const OUTBOX = 'outbox';

/** @type {Promise<IDBDatabase> | null} */
let opening = null;

/**
 * Open (and create or upgrade) the database. Shared by every caller in this context.
 * @returns {Promise<IDBDatabase>}
 */
export function openDB() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        // Version 1. Later versions add steps here; they never drop the outbox.
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
        if (!db.objectStoreNames.contains(SEGMENTS)) db.createObjectStore(SEGMENTS, { keyPath: ['collection', 'seq'] });
        if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: 'id' });
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => { db.close(); opening = null; };
        // Closed by the browser (the site's data deleted, or evicted): the next call opens it anew, empty.
        db.onclose = () => { opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(toSyncError(request.error)); };
      request.onblocked = () => { /* another context holds an old version open; it closes on versionchange */ };
    });
  }
  return opening;
}

function requestValue(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Run `work(stores)` in one transaction; resolves with its result once the
 * transaction commits. Never await anything but IndexedDB requests inside.
 */
async function inTransaction(storeNames, mode, work) {
  const db = await openDB();
  return new Promise((resolve, reject) => {
    let result;
    let tx;
    try {
      tx = db.transaction(storeNames, mode);
    } catch (error) {
      reject(toSyncError(error));
      return;
    }
    tx.oncomplete = () => resolve(result);
    tx.onabort = () => reject(toSyncError(tx.error ?? new DOMException('Transaction aborted', 'AbortError')));
    const stores = Object.fromEntries(storeNames.map((name) => [name, tx.objectStore(name)]));
    Promise.resolve(work(stores, tx)).then((value) => { result = value; }, (error) => {
      try { tx.abort(); } catch { /* already finished */ }
      reject(toSyncError(error));
    });
  });
}

function collectionRange(collection) {
  return IDBKeyRange.bound([collection, -Infinity], [collection, Infinity]);
}

/**
 * Writes of a user's own data (pages, cursors and snapshot downloads of
 * user-scoped collections) take an `owner`: the token of the session the
 * sync fetched them under. Such a write is refused, with a SyncError
 * `session_ended`, unless that session is still the signed-in one (`auth`),
 * read in the write's own transaction: a sign-out removes `auth` in the
 * transaction that wipes the user's data, so it comes wholly before the
 * write (refused) or wholly after it (wiped). Any context's sync is held
 * to it, the worker's too. `owner` undefined: data of no user, written as is.
 * @typedef {{owner?: string|null}} WriteFor
 */
async function checkOwner(meta, owner) {
  if (owner === undefined) return;
  const auth = await requestValue(meta.get(AUTH));
  if ((auth?.token ?? null) !== owner) throw new SyncError('session_ended');
}

// --- meta --------------------------------------------------------------------------------

/** @returns {Promise<any>} the value stored under `key`, or undefined */
export function getMeta(key) {
  return inTransaction([META], 'readonly', ({ meta }) => requestValue(meta.get(key)));
}

/**
 * Store a small value under `key`.
 * @param {WriteFor} [options]
 */
export function setMeta(key, value, { owner } = {}) {
  return inTransaction([META], 'readwrite', async ({ meta }) => {
    await checkOwner(meta, owner);
    meta.put(value, key);
  });
}

/**
 * Read-modify-write of one meta value in one transaction (safe across tabs and the worker).
 * @param {string} key
 * @param {(value: any) => any} update returns the new value
 * @returns {Promise<any>} the new value
 */
export function updateMeta(key, update) {
  return inTransaction([META], 'readwrite', async ({ meta }) => {
    const next = update(await requestValue(meta.get(key)));
    meta.put(next, key);
    return next;
  });
}

// --- segments (the replica) -----------------------------------------------------------

/** @type {Promise<boolean>|null} whether IndexedDB here keeps Blobs (see `keepsBlobs`) */
let blobsKept = null;

/**
 * Whether IndexedDB here keeps Blobs. WebKit refuses them where a session's
 * data is not kept on disk (Safari's private browsing, WebKitGTK's
 * automation), and two such refusals at once leave both transactions hanging
 * there; so one Blob is put once per context, before any segment's, in a
 * transaction that is then aborted: nothing is stored.
 * @returns {Promise<boolean>}
 */
function keepsBlobs() {
  blobsKept ??= openDB().then((db) => new Promise((resolve) => {
    const tx = db.transaction(META, 'readwrite');
    const request = tx.objectStore(META).put(new Blob(['{}']), 'blobProbe');
    request.onsuccess = () => { resolve(true); tx.abort(); };
    request.onerror = () => resolve(false);
  })).catch((error) => {
    blobsKept = null; // asked again by the next write
    throw toSyncError(error);
  });
  return blobsKept;
}

/**
 * `write(segment)`, the segment's `blob` stored as is where IndexedDB keeps
 * Blobs, else as its `text`.
 * @template T
 * @param {{blob?: Blob}|null} segment
 * @param {(segment: any) => Promise<T>} write
 * @returns {Promise<T>}
 */
async function withBlobOrText(segment, write) {
  if (segment?.blob && !(await keepsBlobs())) return write(await asText(segment));
  return write(segment);
}

async function asText({ blob, ...segment }) {
  return { ...segment, text: await blob.text() };
}

/**
 * Store one pulled page and its cursor in one transaction.
 * @param {string} collection
 * @param {{blob?: Blob, text?: string, reset: boolean, cursor: string, seq: number}} page
 *   the page's JSON as the server sent it, `blob` (stored by reference, not
 *   copied into a serialized value; as text where Blobs are refused) or
 *   `text`; `reset` drops the collection's earlier segments first.
 * @param {WriteFor} [options]
 */
export function writePage(collection, { cursor, ...segment }, { owner } = {}) {
  return withBlobOrText(segment, (stored) => inTransaction([META, SEGMENTS], 'readwrite', async ({ meta, segments }) => {
    await checkOwner(meta, owner);
    const { seq, reset } = stored;
    if (reset) segments.delete(collectionRange(collection));
    segments.put({ ...stored, collection });
    meta.put(seq, seqKey(collection));
    meta.put(cursor, cursorKey(collection));
  }));
}

/**
 * Store one part of a snapshot being downloaded (see engine.js), and what it
 * leaves to download, in one transaction. The first part of a download
 * drops the collection's earlier segments (`reset`). The last one also
 * stores the snapshot's cursor, from which ordinary pulls continue, and
 * forgets the download; until then the collection has no cursor, so an
 * interrupted download resumes with the parts still missing.
 * @param {string} collection
 * @param {{seq: number, reset: boolean, format: string, blob: Blob}|null} segment null: only the
 *   cursor of a snapshot without parts (`reset`: the collection is empty); its
 *   `blob` is stored as text where Blobs are refused
 * @param {{sha256?: string, cursor: string|null, reset?: boolean} & WriteFor} part `cursor`: only with the last part
 */
export function writeSnapshotPart(collection, segment, { sha256, cursor, reset = false, owner }) {
  return withBlobOrText(segment, (stored) => inTransaction([META, SEGMENTS], 'readwrite', async ({ meta, segments }) => {
    await checkOwner(meta, owner);
    if (stored?.reset || reset) segments.delete(collectionRange(collection));
    if (stored) {
      segments.put({ ...stored, collection });
      meta.put(stored.seq, seqKey(collection));
    }
    if (cursor !== null) {
      meta.put(cursor, cursorKey(collection));
      meta.delete(snapshotKey(collection));
      return;
    }
    const download = await requestValue(meta.get(snapshotKey(collection)));
    meta.put({ ...download, done: [...download.done, sha256] }, snapshotKey(collection));
  }));
}

/**
 * The highest segment number `collection` ever had (0 if none). Numbers never
 * go down, even when segments are dropped, so a reader that remembers the last
 * number it applied never misses a newer segment.
 * @returns {Promise<number>}
 */
export async function lastSegmentSeq(collection) {
  return (await getMeta(seqKey(collection))) ?? 0;
}

/**
 * Segments of `collection` with a number above `afterSeq`, in order (at most `count`).
 * @returns {Promise<Array<{collection: string, seq: number, text: string, reset: boolean}>>}
 */
export function readSegments(collection, afterSeq = 0, count = undefined) {
  return inTransaction([SEGMENTS], 'readonly', ({ segments }) =>
    requestValue(segments.getAll(IDBKeyRange.bound([collection, afterSeq], [collection, Infinity], true, false), count)));
}

/** @returns {Promise<number>} how many segments `collection` has */
export function countSegments(collection) {
  return inTransaction([SEGMENTS], 'readonly', ({ segments }) => requestValue(segments.count(collectionRange(collection))));
}

/**
 * Replace a collection's segments by `texts` (compaction), numbered from `firstSeq`;
 * the first one resets, so readers following segments start over.
 * @param {WriteFor} [options]
 */
export function replaceSegments(collection, texts, firstSeq, { owner } = {}) {
  return inTransaction([META, SEGMENTS], 'readwrite', async ({ meta, segments }) => {
    await checkOwner(meta, owner);
    segments.delete(collectionRange(collection));
    texts.forEach((text, index) => segments.put({ collection, seq: firstSeq + index, text, reset: index === 0 }));
    meta.put(firstSeq + texts.length - 1, seqKey(collection));
  });
}

/** Drop the replica (segments, cursors, snapshot downloads) of `collections`; the outbox stays. */
export function clearReplica(collections) {
  return inTransaction([META, SEGMENTS], 'readwrite', ({ meta, segments }) => {
    for (const collection of collections) {
      segments.delete(collectionRange(collection));
      for (const key of replicaKeys(collection)) meta.delete(key);
    }
  });
}

// --- outbox ------------------------------------------------------------------------------

/**
 * Queue a local mutation with the next mutation id (ids only ever increase).
 * @param {{collection: string, op: 'upsert'|'delete', record_id: string, base_version: number|null,
 *          data?: object, base?: object}} mutation
 * @returns {Promise<object>} the stored mutation, with its `id`
 */
export function outboxAdd(mutation) {
  return inTransaction([META, OUTBOX], 'readwrite', async ({ meta, outbox }) => {
    // The outbox is the signed-in user's (wiped at sign-out), and only a signed-in device can push.
    if (!(await requestValue(meta.get(AUTH)))) throw new SyncError('not_authenticated');
    const id = (await requestValue(meta.get(NEXT_MUTATION_ID))) ?? 1;
    const rebases = (await requestValue(meta.get(REBASES))) ?? {};
    const stored = rebase({ ...mutation, id, queuedAt: Date.now() }, rebases);
    outbox.put(stored);
    meta.put(id + 1, NEXT_MUTATION_ID);
    return stored;
  });
}

/** @returns {Promise<object[]>} every queued mutation, oldest first */
export function outboxAll() {
  return inTransaction([OUTBOX], 'readonly', ({ outbox }) => requestValue(outbox.getAll()));
}

/**
 * Drop queued mutation `id` (a change the user discards before it is sent).
 * Only under the sync lock: a push in flight may be sending it.
 * @returns {Promise<boolean>} whether it was still queued
 */
export function outboxDelete(id) {
  return inTransaction([OUTBOX], 'readwrite', async ({ outbox }) => {
    const queued = (await requestValue(outbox.count(id))) > 0;
    outbox.delete(id);
    return queued;
  });
}

/** @returns {Promise<number>} how many mutations wait to be sent */
export function outboxCount() {
  return inTransaction([OUTBOX], 'readonly', ({ outbox }) => requestValue(outbox.count()));
}

/**
 * Record the server's answer to a push in one transaction: drop the answered
 * mutations, store the returned server records as a segment per collection,
 * and append conflicts and rejections for the UI.
 *
 * Only while the answered mutations are all still queued, else nothing is
 * written (SyncError `session_ended`): the outbox loses mutations only to
 * a push's answer (one push at a time, under the sync lock) and to a
 * sign-out, in the transaction that removes `auth`, and mutation ids are
 * never reused; so an answer that finds them gone was fetched for a session
 * that has ended, and its records and conflicts are that user's.
 * @param {{done: number[], records: Map<string, {upserts: object[], deletes: string[]}>,
 *          conflicts: object[], rejections: object[]}} outcome
 * @param {Map<string, number>} seqs next segment number per collection
 */
export function recordPushOutcome({ done, records, conflicts, rejections, applied = [] }, seqs) {
  return inTransaction([META, SEGMENTS, OUTBOX], 'readwrite', async ({ meta, segments, outbox }) => {
    const queued = await Promise.all(done.map((id) => requestValue(outbox.count(id))));
    if (queued.some((count) => count === 0)) throw new SyncError('session_ended');
    for (const id of done) outbox.delete(id);
    if (applied.length) {
      const rebases = remember((await requestValue(meta.get(REBASES))) ?? {}, applied);
      meta.put(rebases, REBASES);
      for (const m of await requestValue(outbox.getAll())) {
        const moved = rebase(m, rebases);
        if (moved !== m) outbox.put(moved);
      }
    }
    for (const [collection, change] of records) {
      segments.put({ collection, seq: seqs.get(collection), text: JSON.stringify(change), reset: false });
      meta.put(seqs.get(collection), seqKey(collection));
    }
    if (conflicts.length) meta.put([...((await requestValue(meta.get(CONFLICTS))) ?? []), ...conflicts], CONFLICTS);
    if (rejections.length) {
      meta.put([...((await requestValue(meta.get(REJECTIONS))) ?? []), ...rejections], REJECTIONS);
    }
  });
}

/** Rebases remembered at most: the records a device changed lately. */
const REBASES_KEPT = 500;

/**
 * `rebases` with the versions the server gave `applied` changes ({collection, recordId, from, to}).
 * @returns {Record<string, {froms: Array<number|null>, to: number}>}
 */
function remember(rebases, applied) {
  const next = { ...rebases };
  for (const { collection, recordId, from, to } of applied) {
    const key = `${collection}/${recordId}`;
    const known = next[key];
    delete next[key]; // re-inserted last: the oldest keys go first
    next[key] = { froms: known && known.to === from ? [...known.froms, from] : [from], to };
  }
  const keys = Object.keys(next);
  for (const key of keys.slice(0, Math.max(0, keys.length - REBASES_KEPT))) delete next[key];
  return next;
}

/**
 * A queued change as based on the version the server gave this device's own earlier change of the
 * record: it was made on top of that change here, so the server must not take it for a stale one
 * (under `server_wins` it would be a conflict with itself). `m` itself when nothing moves.
 */
function rebase(m, rebases) {
  const known = rebases[`${m.collection}/${m.record_id}`];
  if (!known || !known.froms.includes(m.base_version ?? null) || m.base_version === known.to) return m;
  return { ...m, base_version: known.to };
}

/**
 * Remove everything that belongs to the signed-in user: credentials, the
 * outbox, conflicts, and the replica of user-scoped collections.
 * @param {string[]} userCollections
 */
export function wipeUserData(userCollections) {
  return inTransaction([META, SEGMENTS, OUTBOX], 'readwrite', ({ meta, segments, outbox }) => {
    outbox.clear();
    for (const key of USER_KEYS) meta.delete(key);
    for (const collection of userCollections) {
      segments.delete(collectionRange(collection));
      for (const key of replicaKeys(collection)) meta.delete(key);
    }
  });
}
