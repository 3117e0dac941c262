/**
 * The app's entry point (the shell's one module script): registers the
 * service worker, loads the local replica, renders the views into the
 * shell's landmarks and wires them to the sync events, then starts the
 * automatic syncs. `html[data-ready=true]` marks the first render.
 * @module app
 */

import * as changes from './changes.js';
import * as db from './db.js';
import { toSyncError } from './errors.js';
import { applyUpdate, promptInstall, pwaEvents, registerServiceWorker } from './pwa.js';
import { Replica } from './replica.js';
import { currentAuth, login, logout } from './session.js';
import { offlineDataSync, startAutomaticSync, syncEvents, triggerOfflineDataSync } from './trigger.js';
import { createCategoriesView } from './views/categories.js';
import { createConflicts } from './views/conflicts.js';
import { closeDialog, currentKind, hasDialog } from './views/dialog.js';
import { h, throttle } from './views/dom.js';
import { openLogin, signOut } from './views/login.js';
import { createNotices } from './views/notices.js';
import { openProductDetail } from './views/productDetail.js';
import { createProductList } from './views/productList.js';
import { createStatusView } from './views/status.js';

/** Refreshes of the replica while a sync streams pages: at most one per this many ms. */
const REFRESH_INTERVAL_MS = 250;

const replica = new Replica();

window.offlineSync = {
  triggerOfflineDataSync,
  offlineDataSync,
  syncEvents,
  replica,
  session: { login, logout },
  changes,
};

// --- views that exist from the start (they must hear events fired while loading) ----------

let updateRegistration = null;

const status = createStatusView(document.getElementById('status'), {
  onSyncNow: () => {
    if (!navigator.onLine) {
      notices.showError({ code: 'network', message: 'You are offline. The sync will run when the connection is back.' });
    }
    triggerOfflineDataSync('all').catch(reportError);
  },
  onInstall: async () => {
    if (await promptInstall()) status.showInstall(false);
  },
  onUpdate: () => {
    if (updateRegistration) applyUpdate(updateRegistration);
  },
  onSignIn: () => openLogin({ returnFocus: () => status.focusAccount() }).catch(reportError),
  onSignOut: () => signOut({ returnFocus: () => status.focusAccount() })
    .then((signedOut) => { if (signedOut) status.focusAccount(); })
    .catch(reportError),
});
status.setOnline(navigator.onLine);

pwaEvents.addEventListener('installable', () => status.showInstall(true));
pwaEvents.addEventListener('installed', () => status.showInstall(false));
pwaEvents.addEventListener('updateavailable', ({ detail }) => {
  updateRegistration = detail.registration;
  status.showUpdate(true);
});

const main = document.getElementById('main');
const noticesRoot = h('div', { id: 'notices', class: 'notices' });
const catalogueRoot = h('section', { id: 'catalogue', class: 'catalogue', 'aria-label': 'Products' });
main.replaceChildren(noticesRoot, catalogueRoot);

const notices = createNotices(noticesRoot, {
  onDismissRejections: async () => {
    try {
      await changes.dismissRejections();
      notices.setRejections([]);
      document.getElementById('search')?.focus();
    } catch (error) {
      reportError(error);
    }
  },
  onShowConflicts: () => conflicts.showAll().catch(reportError),
  productName: (id) => replica.product(id)?.name,
});

const conflicts = createConflicts({
  replica,
  onSettled: () => updateConflictNotice(),
  onError: (error) => reportError(error),
});

/** Show a failure of an action (or of loading) in the error area. */
function reportError(error) {
  const failure = toSyncError(error);
  notices.showError({ code: failure.code, message: failure.message, willRetry: false });
}

async function updateConflictNotice() {
  try {
    notices.setConflicts(await conflicts.waiting());
  } catch (error) {
    reportError(error);
  }
}

async function updateRejections() {
  try {
    notices.setRejections(await changes.rejectedChanges());
  } catch (error) {
    reportError(error);
  }
}

// --- the replica follows the syncs ----------------------------------------------------------

const refreshSoon = throttle(() => replica.refresh().catch(reportError), REFRESH_INTERVAL_MS);
/**
 * While a sync streams pages, each page handed over on the channel is applied
 * as it comes (the list is re-rendered at most once per interval, see start()),
 * so that little is left to apply when the sync ends.
 */
replica.addEventListener('offered', () => replica.applyOffered().catch(reportError));

/** Forget the replica in memory and load it again (after a sign-out wiped user data). */
async function reloadReplica() {
  await replica.reset(); // waits for a refresh in progress
  await replica.refresh();
}

let productList = null;

syncEvents.addEventListener('syncstart', () => {
  status.syncStarted();
  productList?.setDownloading(true);
});
syncEvents.addEventListener('syncprogress', ({ detail }) => status.syncProgress(detail)); // its page arrives as 'offered'
syncEvents.addEventListener('synccomplete', async () => {
  status.syncEnded();
  notices.clearError();
  refreshSoon();
  productList?.setDownloading(false);
  status.setLastSync(await db.getMeta('lastSync').catch(() => undefined));
});
syncEvents.addEventListener('syncerror', ({ detail }) => {
  status.syncEnded();
  notices.showError(detail);
  refreshSoon(); // a push may have gone through before the failure
  productList?.setDownloading(false);
});
syncEvents.addEventListener('networkstatuschange', ({ detail }) => status.setOnline(Boolean(detail?.online)));
window.addEventListener('online', () => status.setOnline(true));
window.addEventListener('offline', () => status.setOnline(false));
syncEvents.addEventListener('conflict', ({ detail }) => {
  conflicts.show(detail);
  updateConflictNotice();
});
syncEvents.addEventListener('rejected', () => updateRejections());
syncEvents.addEventListener('signedin', ({ detail }) => status.setUser(detail?.user ?? null));
// session.js announces on the channel too, so this page hears each sign-out twice: one reload serves both.
let signOutReload = null;
syncEvents.addEventListener('signedout', () => {
  status.setUser(null);
  // A product open with the staff form belongs to the session that ended (e.g. in another tab).
  if (currentKind() === 'product') closeDialog();
  signOutReload ??= (async () => {
    try {
      await reloadReplica();
    } catch (error) {
      reportError(error);
    }
    await Promise.all([updateRejections(), updateConflictNotice()]);
  })().finally(() => { signOutReload = null; });
});

// --- actions --------------------------------------------------------------------------------

const togglesInFlight = new Set();

/** Mark or unmark a favourite; a second click while the first is being stored is ignored. */
async function toggleFavourite(productId) {
  if (togglesInFlight.has(productId)) return;
  togglesInFlight.add(productId);
  try {
    await changes.toggleFavourite(replica, productId);
  } catch (error) {
    reportError(error);
  } finally {
    togglesInFlight.delete(productId);
  }
}

function openProduct(id) {
  if (hasDialog('product')) return; // a double click while the first one opens
  openProductDetail({
    replica,
    id,
    onToggleFavourite: toggleFavourite,
    returnFocus: () => productList.focusProduct(id),
  }).catch(reportError);
}

// --- start ----------------------------------------------------------------------------------

async function start() {
  registerServiceWorker().catch((error) => {
    // The app works without it (no offline start, syncs run from the page).
    console.warn('Service worker not registered:', error);
  });
  navigator.storage?.persist?.().catch(() => {});
  // The first sync starts now, before the views are built: on a first visit over a phone's link its
  // download is most of the wait.
  const automaticSync = startAutomaticSync().catch(reportError);

  try {
    await replica.refresh();
  } catch (error) {
    reportError(error);
  }

  const categories = createCategoriesView(document.getElementById('categories'), {
    onSelect: (filter) => productList.setFilter(filter),
  });
  productList = createProductList(catalogueRoot, {
    replica,
    onOpen: openProduct,
    onToggleFavourite: toggleFavourite,
  });
  const render = () => {
    categories.update(replica.categories());
    productList.update();
    status.setPending(replica.pendingCount());
  };
  replica.addEventListener('change', throttle(render, REFRESH_INTERVAL_MS)); // a sync changes it page by page
  if (replica.view.size) render();

  const [auth, lastSync] = await Promise.all([
    currentAuth().catch(() => undefined),
    db.getMeta('lastSync').catch(() => undefined),
  ]);
  status.setUser(auth?.user ?? null);
  status.setLastSync(lastSync);
  productList.setDownloading(!lastSync?.at); // never synced: the first sync is about to download
  await Promise.all([updateRejections(), updateConflictNotice()]);

  document.documentElement.dataset.ready = 'true';

  conflicts.showAll().catch(reportError);
  await automaticSync;
}

start();
