/**
 * The service worker's event handlers: precache the release, serve the shell
 * offline, and run queued syncs when Background Sync fires. `/sw.js` defines
 * `self.RELEASE` and `self.PRECACHE` and imports this module; they are read
 * inside the handlers, never at import time.
 * @module sw-main
 */

import { handleSyncEvents, pictureResponse } from './sync/worker.js';

const CACHE_PREFIX = 'catalogue-release-';

function cacheName() {
  return `${CACHE_PREFIX}${self.RELEASE}`;
}

/** Cache the files of the release that are not cached yet. */
async function precache() {
  const cache = await caches.open(cacheName());
  const cached = new Set((await cache.keys()).map((request) => new URL(request.url).pathname));
  const missing = self.PRECACHE.filter((url) => !cached.has(url));
  if (missing.length) await cache.addAll(missing);
}

let precaching = null;

/**
 * @returns {Promise<void>} once every file of the release is cached (checked
 *   once per worker start; a failure is retried at the next call)
 */
function precached() {
  precaching ??= precache().catch((error) => {
    precaching = null;
    throw error;
  });
  return precaching;
}

// A sync completes only once the release is cached, so that the app it filled also starts offline.
handleSyncEvents({ beforeComplete: precached });

self.addEventListener('install', (event) => {
  if (self.registration.active) {
    // A new release: it waits, its files cached, until the page agrees to reload (no mixed versions).
    event.waitUntil(precached());
    return;
  }
  // A device's first worker has nothing to wait for: it activates at once, so
  // that the first sync starts while it caches the release (which takes a few
  // hundred ms beside the page's own start). That sync completes only once the
  // release is cached; a worker stopped before then caches the rest at its next sync.
  precached().catch(() => {});
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== cacheName()) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
  // A page that ran a first sync itself completes it once the release is cached (pwa.js `releaseCached`).
  if (event.data?.type === 'CACHE_RELEASE') {
    event.waitUntil(precached().catch(() => {}).then(() => event.ports[0]?.postMessage('cached')));
  }
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET') return;
  // A product picture, here or on a CDN (the release's own icons are precached).
  if (request.destination === 'image' && !self.PRECACHE.includes(url.pathname)) {
    event.respondWith(pictureResponse(request));
    return;
  }
  if (url.origin !== self.location.origin) return;
  // The API (authenticated or not) and the admin are never cached.
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/admin/')) return;
  if (request.mode === 'navigate') {
    if (!self.APP_ROUTE.test(url.pathname)) return; // not the app's (a file, the API docs...)
    event.respondWith(caches.open(cacheName()).then(async (cache) => (await cache.match('/')) ?? fetch(request)));
    return;
  }
  event.respondWith(caches.open(cacheName()).then(async (cache) => (await cache.match(request)) ?? fetch(request)));
});
