/**
 * The public sync API of the page, mirroring a classic offline-sync framework:
 * `triggerOfflineDataSync` (background), `offlineDataSync` (foreground),
 * automatic starts driven by the server's configuration, and `syncEvents`,
 * where every page hears what any tab or the worker does.
 * @module trigger
 */

import { CHANNEL_NAME, PERIODIC_TAG, SYNC_TAG, SyncEngine } from './engine.js';
import * as meta from './meta.js';
import { enqueueUnit } from './queue.js';
import { ForegroundRefresh, worthSyncing } from './refresh.js';

const MAX_RETRY_DELAY_MS = 15 * 60 * 1000;

/**
 * Every sync event of every context, re-dispatched here as CustomEvents:
 * syncstart, syncprogress, synccomplete, syncerror, conflict, rejected,
 * networkstatuschange, signedin, signedout.
 */
export const syncEvents = new EventTarget();

/** What a sync this page runs awaits before it completes (`startAutomaticSync`'s `beforeComplete`). */
let beforeComplete = null;

/**
 * The engine of this page: used for foreground syncs, on a first visit, and
 * where Background Sync is missing.
 */
export const engine = new SyncEngine({ context: 'page', beforeComplete: () => beforeComplete?.() });

for (const type of ['syncstart', 'syncprogress', 'synccomplete', 'syncerror', 'conflict', 'rejected', 'signedin',
  'signedout']) {
  engine.addEventListener(type, (event) => syncEvents.dispatchEvent(new CustomEvent(type, { detail: event.detail })));
}
new BroadcastChannel(CHANNEL_NAME).addEventListener('message', ({ data }) => {
  if (data.origin === engine.id) return; // already dispatched above
  syncEvents.dispatchEvent(new CustomEvent(data.type, { detail: data.detail }));
});

/**
 * @returns {Promise<ServiceWorkerRegistration|null>} the registration if its
 *   worker is active, else null: on a first visit the page syncs itself
 *   rather than wait for the worker being installed, which took 0.7-0.8 s
 *   over a phone's link (docs/decisions/0001-snapshots.md)
 */
async function registration() {
  if (!('serviceWorker' in navigator)) return null;
  const reg = await navigator.serviceWorker.getRegistration();
  return reg?.active ? reg : null;
}

/** @returns {boolean} whether Background Sync can run the queue in the worker */
function hasBackgroundSync(reg) {
  return Boolean(reg) && 'SyncManager' in self && 'sync' in reg;
}

let pageDrain = null;

/** How long a failed first-visit sync waits for its worker to hand the retry over. */
const HANDOVER_WAIT_MS = 10_000;

/**
 * After a sync this page ran failed in a way a retry may cure (its units stay
 * queued), let the browser retry it in the worker through Background Sync,
 * as it does for the worker's own syncs: on a first visit the worker becomes
 * active meanwhile.
 */
async function handOverRetry() {
  if (!('serviceWorker' in navigator)) return;
  const timeout = new Promise((resolve) => { setTimeout(() => resolve(null), HANDOVER_WAIT_MS); });
  const reg = await Promise.race([navigator.serviceWorker.ready, timeout]);
  if (hasBackgroundSync(reg)) await reg.sync.register(SYNC_TAG).catch(() => {});
}

/**
 * Hand what is still queued to the worker through Background Sync, once it is
 * active (a first visit's page stops syncing then).
 * @returns {Promise<boolean>} whether the worker took the queue over
 */
async function workerTakesOver() {
  const reg = await registration();
  if (!hasBackgroundSync(reg)) return false;
  return reg.sync.register(SYNC_TAG).then(() => true, () => false);
}

/** Drain the queue from this page (first visits, and where Background Sync is missing), once at a time per page. */
function drainInPage() {
  if (!pageDrain) {
    pageDrain = engine.drainQueue({ handOver: workerTakesOver })
      .catch((error) => (error.willRetry ? handOverRetry() : null)) // the failure itself is a syncerror event
      .finally(() => { pageDrain = null; });
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
/**
 * While the page is visible and online: a sync whenever the server has changes or changes wait to be
 * sent (`foreground_refresh_seconds`).
 */
const foreground = new ForegroundRefresh({
  probe: () => worthSyncing('all'),
  sync: () => triggerOfflineDataSync('all'),
  isVisible: () => document.visibilityState === 'visible',
  isOnline: () => navigator.onLine,
});

function onOnline() {
  syncEvents.dispatchEvent(new CustomEvent('networkstatuschange', { detail: { online: true } }));
  foreground.reschedule();
  if (config?.sync_on_online) triggerOfflineDataSync('all');
}

function onOffline() {
  syncEvents.dispatchEvent(new CustomEvent('networkstatuschange', { detail: { online: false } }));
  foreground.reschedule();
}

function onVisible() {
  foreground.reschedule();
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
  foreground.reschedule(); // the delay counts from the last sync
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
  foreground.configure(config.foreground_refresh_seconds ?? null);
  if (!config.retry_on_error) {
    for (const entry of retries.values()) clearTimeout(entry.timer);
    retries.clear();
  }
  if (periodicChanged) schedulePeriodic();
}

/**
 * Switch on the automatic starts the server's configuration asks for: on
 * coming online, on resume (and now, at start), retry on error, periodic,
 * and while the page is open and visible, whenever the server has changes.
 * Call once when the app starts. `sync_on_login` is applied by `signedIn()`.
 * @param {{beforeComplete?: () => Promise<void>}} [options] `beforeComplete`: awaited
 *   before a sync this page runs reports `synccomplete` (the app: its release
 *   cached by the worker, so that the app the sync filled also starts offline)
 */
export async function startAutomaticSync(options = {}) {
  beforeComplete = options.beforeComplete ?? null;
  applyConfig(await meta.config());
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
