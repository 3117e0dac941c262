/**
 * The public sync API of the page, mirroring a classic offline-sync framework:
 * `triggerOfflineDataSync` (background), `offlineDataSync` (foreground),
 * automatic starts driven by the server's configuration, and `syncEvents`,
 * where every page hears what any tab or the worker does.
 * @module trigger
 */

import * as db from './db.js';
import { CHANNEL_NAME, PERIODIC_TAG, SYNC_TAG, SyncEngine } from './engine.js';
import { enqueueUnit } from './queue.js';

const MAX_RETRY_DELAY_MS = 15 * 60 * 1000;

/**
 * Every sync event of every context, re-dispatched here as CustomEvents:
 * syncstart, syncprogress, synccomplete, syncerror, conflict, rejected, networkstatuschange.
 */
export const syncEvents = new EventTarget();

/** The engine of this page: used for foreground syncs and where Background Sync is missing. */
export const engine = new SyncEngine({ context: 'page' });

for (const type of ['syncstart', 'syncprogress', 'synccomplete', 'syncerror', 'conflict', 'rejected']) {
  engine.addEventListener(type, (event) => syncEvents.dispatchEvent(new CustomEvent(type, { detail: event.detail })));
}
new BroadcastChannel(CHANNEL_NAME).addEventListener('message', ({ data }) => {
  if (data.origin === engine.id) return; // already dispatched above
  syncEvents.dispatchEvent(new CustomEvent(data.type, { detail: data.detail }));
});

/** How long a trigger waits for a worker that is still installing (the first visit). */
const ACTIVATION_WAIT_MS = 3000;

/**
 * @returns {Promise<ServiceWorkerRegistration|null>} the registration once its
 *   worker is active; on a first visit, waits (briefly) for the worker being
 *   installed, so that even the first download runs off the main thread
 */
async function registration() {
  if (!('serviceWorker' in navigator)) return null;
  const reg = await navigator.serviceWorker.getRegistration();
  if (reg?.active) return reg;
  const timeout = new Promise((resolve) => { setTimeout(() => resolve(null), ACTIVATION_WAIT_MS); });
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

/** @returns {boolean} whether Background Sync can run the queue in the worker */
function hasBackgroundSync(reg) {
  return Boolean(reg) && 'SyncManager' in self && 'sync' in reg;
}

let pageDrain = null;

/** Drain the queue from this page (the fallback), once at a time per page. */
function drainInPage() {
  if (!pageDrain) {
    pageDrain = engine.drainQueue().catch(() => { /* reported as a syncerror event */ }).finally(() => { pageDrain = null; });
  }
  return pageDrain;
}

/**
 * Queue a sync of `unit` and return at once; it runs in the background — in
 * the service worker through Background Sync where available (it completes
 * even if the tab closes), otherwise from this page. Units run one after
 * another; a unit already waiting is not queued twice.
 * @param {string} [unit] a unit of the configuration (`all`, `catalogue`, ...)
 * @param {{discardPendingUnits?: boolean}} [options] empty the queue first
 * @returns {Promise<void>} resolves once the unit is queued
 */
export async function triggerOfflineDataSync(unit = 'all', { discardPendingUnits = false } = {}) {
  performance.mark(`offline-sync:${unit}:trigger`);
  await enqueueUnit(unit, { discardPendingUnits });
  const reg = await registration();
  if (hasBackgroundSync(reg)) {
    try {
      await reg.sync.register(SYNC_TAG);
      return;
    } catch {
      // Background Sync refused (permission, policy): run from the page.
    }
  }
  drainInPage();
}

/**
 * Run a sync of `unit` in the foreground, in this page, and resolve when it is done.
 * @param {string} [unit]
 * @returns {Promise<import('./engine.js').SyncStats>}
 * @throws {import('./errors.js').SyncError} when the sync fails
 */
export function offlineDataSync(unit = 'all') {
  return engine.offlineDataSync(unit);
}

// --- automatic starts -----------------------------------------------------------------

let config = null;
let periodicTimer = null;
const retries = new Map(); // unit -> {attempt, timer}

function onOnline() {
  syncEvents.dispatchEvent(new CustomEvent('networkstatuschange', { detail: { online: true } }));
  if (config?.sync_on_online) triggerOfflineDataSync('all');
}

function onOffline() {
  syncEvents.dispatchEvent(new CustomEvent('networkstatuschange', { detail: { online: false } }));
}

function onVisible() {
  if (document.visibilityState === 'visible' && config?.sync_on_resume) triggerOfflineDataSync('all');
}

function onError({ detail }) {
  if (!detail.willRetry || !config?.retry_on_error) return;
  const entry = retries.get(detail.unit) ?? { attempt: 0, timer: null };
  if (entry.timer) return; // one retry pending per unit
  entry.attempt += 1;
  const delay = Math.min(config.retry_interval_seconds * 1000 * 2 ** (entry.attempt - 1), MAX_RETRY_DELAY_MS);
  entry.timer = setTimeout(() => { entry.timer = null; triggerOfflineDataSync(detail.unit); }, delay);
  retries.set(detail.unit, entry);
}

function onComplete({ detail }) {
  const entry = retries.get(detail.unit);
  if (entry) { clearTimeout(entry.timer); retries.delete(detail.unit); }
  applyConfig(detail.config);
}

async function schedulePeriodic() {
  clearInterval(periodicTimer);
  periodicTimer = null;
  const minutes = config?.periodic_sync_minutes ?? null;
  const reg = await registration();
  if (reg && 'periodicSync' in reg) {
    try {
      if (minutes === null) {
        await reg.periodicSync.unregister(PERIODIC_TAG);
        return;
      }
      const state = await navigator.permissions.query({ name: 'periodic-background-sync' });
      if (state.state === 'granted') {
        await reg.periodicSync.register(PERIODIC_TAG, { minInterval: minutes * 60 * 1000 });
        return;
      }
    } catch {
      // Not allowed here: fall back to a timer while the app is open.
    }
  }
  if (minutes !== null) periodicTimer = setInterval(() => triggerOfflineDataSync('all'), minutes * 60 * 1000);
}

/** Adopt a (new) configuration for the automatic starts. */
function applyConfig(next) {
  if (!next) return;
  const periodicChanged = next.periodic_sync_minutes !== config?.periodic_sync_minutes;
  config = next;
  if (!config.retry_on_error) {
    for (const entry of retries.values()) clearTimeout(entry.timer);
    retries.clear();
  }
  if (periodicChanged) schedulePeriodic();
}

/**
 * Switch on the automatic starts the server's configuration asks for: on
 * coming online, on resume (and now, at start), retry on error, periodic.
 * Call once when the app starts. `sync_on_login` is applied by `signedIn()`.
 */
export async function startAutomaticSync() {
  applyConfig(await db.getMeta('config'));
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);
  document.addEventListener('visibilitychange', onVisible);
  syncEvents.addEventListener('syncerror', onError);
  syncEvents.addEventListener('synccomplete', onComplete);
  // The first visit's worker activates after the page started: schedule again then.
  navigator.serviceWorker?.addEventListener('controllerchange', () => schedulePeriodic());
  // Starting the app is a resume; with no configuration yet, fetch one.
  if (!config || config.sync_on_resume) await triggerOfflineDataSync('all');
}

/** Call after a successful login: starts a sync if `sync_on_login` is on. */
export async function signedIn() {
  if (config?.sync_on_login ?? true) await triggerOfflineDataSync('all');
}
