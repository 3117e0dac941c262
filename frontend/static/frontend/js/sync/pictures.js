/**
 * The pictures a device keeps for use offline: their responses in a Cache
 * Storage cache of their own, and in IndexedDB each one's size and last use,
 * so that beyond the budget, or when the disk is short, the least recently
 * used go first. Nothing else is ever evicted for pictures: the replica and
 * the outbox live in another database.
 *
 * A picture's URL names its bytes (docs/images.md), so a cached picture is
 * served without asking the network and never goes stale; a new picture is
 * another URL. The service worker answers the app's picture requests here
 * (`respond`); the page fetches pictures ahead of use and forgets replaced
 * ones (offlinePictures.js).
 * @module pictures
 */

import * as meta from './meta.js';

const CACHE = 'offline-pictures';
const DB_NAME = 'offline-sync-pictures';
const STORE = 'pictures';
/**
 * Small values: `clearedAt`, when every picture was last deleted (a sign-out); `bytes`, the
 * pictures' total size, changed in the same transaction as the entries it sums.
 */
const STATE = 'state';
const CLEARED_AT = 'clearedAt';
const BYTES = 'bytes';
const BY_USE = 'usedAt';
const MB = 1024 * 1024;
/** Pictures are not stored while the origin has less than this left (the data comes first). */
const MIN_FREE_BYTES = 64 * MB;
/** A cached picture's last use is written at most this often (a list scrolls through hundreds). */
const TOUCH_EVERY_MS = 60_000;
/**
 * Pictures fetched ahead of use at once. A thumbnail is about 1.5 KB, so on a phone link each is
 * mostly a round trip: 280 through Fast 4G over HTTP/2 took 13.4 s 4 at a time, 4.6 s 12 at a time.
 */
const AHEAD_AT_ONCE = 12;

/** What an uncached picture shows offline: a quiet tile with a picture outline, never a broken image. */
const PLACEHOLDER = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
  + '<rect width="64" height="64" fill="#eef1f4"/>'
  + '<g fill="none" stroke="#b4bcc6" stroke-width="2.5" stroke-linejoin="round">'
  + '<rect x="17" y="20" width="30" height="24" rx="3"/><path d="M19 41l9-9 6 6 4-4 7 7"/></g>'
  + '<circle cx="39" cy="27" r="2.5" fill="#b4bcc6"/></svg>';

/** @type {Promise<IDBDatabase>|null} */
let opening = null;

function openPictures() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 2);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'url' }).createIndex(BY_USE, BY_USE);
      if (!db.objectStoreNames.contains(STATE)) db.createObjectStore(STATE);
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => { db.close(); opening = null; };
      db.onclose = () => { opening = null; }; // closed by the browser: opened anew by the next call
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
  });
  return opening;
}

/** Run `work(pictures, state)` in one transaction; resolves with its result once committed. */
async function inStore(mode, work) {
  const db = await openPictures();
  return new Promise((resolve, reject) => {
    const tx = db.transaction([STORE, STATE], mode);
    let result;
    Promise.resolve(work(tx.objectStore(STORE), tx.objectStore(STATE))).then((value) => { result = value; }, reject);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

const requested = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

/** @returns {Promise<number>} the pictures' total size, as of this transaction */
async function totalBytes(state) {
  return (await requested(state.get(BYTES))) ?? 0;
}

/**
 * Delete entries, least recently used first, while `more(total)` says so; the new total is stored.
 * @returns {Promise<{urls: string[], total: number}>} the URLs deleted (their responses are the caller's)
 */
async function deleteLeastUsed(store, state, more) {
  let total = await totalBytes(state);
  const urls = [];
  await new Promise((resolve, reject) => {
    const request = store.index(BY_USE).openCursor();
    request.onsuccess = () => {
      const cursor = request.result;
      if (!cursor || !more(total)) {
        resolve();
        return;
      }
      urls.push(cursor.value.url);
      total -= cursor.value.bytes;
      cursor.delete();
      cursor.continue();
    };
    request.onerror = () => reject(request.error);
  });
  state.put(total, BYTES);
  return { urls, total };
}

/** @returns {Promise<{count: number, bytes: number}>} the pictures kept and their size */
export function usage() {
  return inStore('readonly', async (store, state) => ({
    count: await requested(store.count()), bytes: await totalBytes(state),
  }));
}

/** @returns {Response} the placeholder shown for a picture that is neither cached nor reachable */
function placeholder() {
  return new Response(PLACEHOLDER, {
    headers: { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'no-store', 'X-Picture-Placeholder': '1' },
  });
}

/** @returns {Promise<boolean>} whether the origin has room for pictures besides its data */
async function roomLeft(bytes) {
  const estimate = await navigator.storage?.estimate?.().catch(() => null);
  if (!estimate?.quota) return true;
  return estimate.quota - estimate.usage - bytes >= MIN_FREE_BYTES;
}

const lastTouched = new Map();

/**
 * A picture's entry is keyed by its full URL, as the worker sees the page's requests: a URL a
 * record holds (relative) names the same entry, so a picture is kept and counted once.
 */
function fullUrl(url) {
  return new URL(url, self.location.href).href;
}

/** Note that `url` was just used (at most once a minute per picture). */
function touch(url) {
  const now = Date.now();
  if (now - (lastTouched.get(url) ?? 0) < TOUCH_EVERY_MS) return;
  lastTouched.set(url, now);
  inStore('readwrite', async (store) => {
    const entry = await requested(store.get(url));
    if (entry) store.put({ ...entry, usedAt: now });
  }).catch(() => {});
}

/**
 * Keep `response` (a picture just fetched) if there is room: the disk first, then the budget,
 * within which the least recently used pictures make way if `evict`. The budget is checked and
 * the picture recorded in one IndexedDB transaction, so pictures kept at once by the page and the
 * worker never overrun it together. A picture asked for before every picture was deleted (a
 * sign-out meanwhile) is not kept.
 * @param {{evict: boolean, since: number}} options `since`: when the picture was asked for (ms)
 * @returns {Promise<number>} the bytes kept (0: not kept)
 */
async function keep(url, response, budgetBytes, { evict, since }) {
  const blob = await response.blob();
  if (blob.size > budgetBytes) return 0;
  if (!(await roomLeft(blob.size))) {
    await evictLeastUsed(Infinity); // the disk is short: pictures go first
    return 0;
  }
  const headers = new Headers(response.headers);
  headers.set('Content-Length', String(blob.size));
  const cache = await caches.open(CACHE);
  await cache.put(url, new Response(blob, { status: 200, headers }));
  const outcome = await inStore('readwrite', async (store, state) => {
    if (((await requested(state.get(CLEARED_AT))) ?? 0) >= since) return { kept: false, victims: [] };
    if (await requested(store.getKey(url))) return { kept: true, victims: [] }; // kept meanwhile elsewhere
    const fits = (total) => total + blob.size <= budgetBytes;
    const { urls: victims, total } = evict
      ? await deleteLeastUsed(store, state, (left) => !fits(left))
      : { urls: [], total: await totalBytes(state) };
    if (!fits(total)) return { kept: false, victims };
    store.put({ url, bytes: blob.size, usedAt: Date.now() });
    state.put(total + blob.size, BYTES);
    return { kept: true, victims };
  });
  if (!outcome.kept) await cache.delete(url);
  await Promise.all(outcome.victims.map((victim) => cache.delete(victim)));
  return outcome.kept ? blob.size : 0;
}

let policy = null;
let policyReadAt = 0;

/** @returns {Promise<object|null>} the configuration, read at most every few seconds (a list loads dozens) */
async function currentPolicy() {
  if (Date.now() - policyReadAt > 5000) {
    policy = await meta.config().catch(() => policy);
    policyReadAt = Date.now();
  }
  return policy;
}

/**
 * Answer a picture request of the app (the service worker's fetch handler): from the cache,
 * else from the network (kept unless the configuration's `offline_images` is `none`), else the
 * placeholder.
 * @param {Request} request
 * @returns {Promise<Response>}
 */
export async function respond(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request.url);
  if (cached) {
    touch(request.url);
    return cached;
  }
  const since = Date.now();
  let response;
  try {
    response = await fetch(request);
  } catch {
    return placeholder();
  }
  const config = await currentPolicy();
  const keeping = (config?.offline_images ?? 'viewed') !== 'none';
  if (keeping && response.ok && response.type !== 'opaque') {
    // Kept beside answering: the page gets its picture without waiting for the disk.
    const copy = response.clone();
    keep(request.url, copy, (config?.offline_images_mb ?? 50) * MB, { evict: true, since }).catch(() => {});
  }
  return response;
}

/**
 * Fetch the pictures of `urls` not kept yet, in order, while they fit in the budget: fetching stops
 * at the first that does not (pictures kept ahead never evict others), when the device goes
 * offline or `signal` aborts. Resumed by calling it again.
 * @param {string[]} urls
 * @param {{budgetBytes: number, signal?: AbortSignal}} options
 * @returns {Promise<{fetched: number, bytes: number, full: boolean}>}
 */
export async function keepAhead(urls, { budgetBytes, signal }) {
  const kept = new Set(await inStore('readonly', (store) => requested(store.getAllKeys())));
  const missing = [...new Set(urls.map(fullUrl))].filter((url) => !kept.has(url));
  const outcome = { fetched: 0, bytes: 0, full: false };
  let next = 0;
  async function worker() {
    while (next < missing.length && !outcome.full && !signal?.aborted && navigator.onLine !== false) {
      const url = missing[next++];
      const since = Date.now();
      let response;
      try {
        response = await fetch(url, { signal });
      } catch {
        return; // offline, or aborted: what is left is fetched at the next call
      }
      if (!response.ok) continue;
      const bytes = await keep(url, response, budgetBytes, { evict: false, since });
      if (!bytes) outcome.full = true;
      outcome.fetched += bytes ? 1 : 0;
      outcome.bytes += bytes;
    }
  }
  await Promise.all(Array.from({ length: AHEAD_AT_ONCE }, worker));
  return outcome;
}

/**
 * Remove the least recently used pictures until `bytes` are freed (Infinity: all of them).
 * @returns {Promise<number>} the bytes freed
 */
export async function evictLeastUsed(bytes) {
  const { urls, freed } = await inStore('readwrite', async (store, state) => {
    const before = await totalBytes(state);
    const { urls: gone, total } = await deleteLeastUsed(store, state, (left) => before - left < bytes);
    return { urls: gone, freed: before - total };
  });
  await dropResponses(urls);
  return freed;
}

/** Delete the cached responses of pictures whose entries are gone. */
async function dropResponses(urls) {
  if (!urls.length) return;
  const cache = await caches.open(CACHE);
  await Promise.all(urls.map((url) => cache.delete(url)));
  for (const url of urls) lastTouched.delete(url);
}

/** Forget the pictures of `urls` (replaced on the server). */
export async function forget(urls) {
  if (!urls.length) return;
  const keys = urls.map(fullUrl);
  await inStore('readwrite', async (store, state) => {
    let total = await totalBytes(state);
    for (const key of keys) {
      const entry = await requested(store.get(key));
      if (!entry) continue;
      total -= entry.bytes;
      store.delete(key);
    }
    state.put(total, BYTES);
  });
  await dropResponses(keys);
}

/**
 * Forget every picture (signing out, or when the configuration keeps none), also those being
 * kept at this moment in any context: their `keep` finds them asked for before `clearedAt`.
 */
export async function clearPictures() {
  await inStore('readwrite', (store, state) => {
    state.put(Date.now(), CLEARED_AT);
    state.put(0, BYTES);
    store.clear();
  });
  await caches.delete(CACHE);
  lastTouched.clear();
}

/**
 * Run `write`; if the disk is full, free the pictures' space and run it once more. The data and
 * the outbox never make way for pictures: pictures make way for them.
 * @template T
 * @param {() => Promise<T>} write
 * @returns {Promise<T>}
 */
export async function withRoomForData(write) {
  try {
    return await write();
  } catch (error) {
    const full = error?.name === 'QuotaExceededError' || error?.code === 'quota_exceeded';
    if (!full || !(await evictLeastUsed(Infinity).catch(() => 0))) throw error;
    return write();
  }
}
