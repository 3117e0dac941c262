/**
 * The service worker's event handlers: precache the release, serve the shell
 * offline, and run queued syncs when Background Sync fires. `/sw.js` defines
 * `self.RELEASE` and `self.PRECACHE` and imports this module; they are read
 * inside the handlers, never at import time.
 * @module sw-main
 */

import { PERIODIC_TAG, SYNC_TAG, SyncEngine } from './engine.js';
import { enqueueUnit } from './queue.js';

const CACHE_PREFIX = 'catalogue-release-';

const engine = new SyncEngine({ context: 'worker' });

function cacheName() {
  return `${CACHE_PREFIX}${self.RELEASE}`;
}

self.addEventListener('install', (event) => {
  // A new release waits until the page agrees to reload (no mixed versions).
  event.waitUntil(caches.open(cacheName()).then((cache) => cache.addAll(self.PRECACHE)));
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
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  // The API (authenticated or not) and the admin are never cached.
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/admin/')) return;
  if (request.mode === 'navigate') {
    if (url.pathname !== '/') return;
    event.respondWith(caches.open(cacheName()).then(async (cache) => (await cache.match('/')) ?? fetch(request)));
    return;
  }
  event.respondWith(caches.open(cacheName()).then(async (cache) => (await cache.match(request)) ?? fetch(request)));
});

/**
 * Run the queued units. A failure that a retry may cure is rethrown, so the
 * browser retries the sync later (unless the configuration says not to).
 */
async function drain(lastChance) {
  try {
    await engine.drainQueue();
  } catch (error) {
    if (error.willRetry && !lastChance) throw error;
  }
}

self.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(drain(event.lastChance));
});

self.addEventListener('periodicsync', (event) => {
  if (event.tag === PERIODIC_TAG) event.waitUntil(enqueueUnit('all').then(() => drain(true)));
});
