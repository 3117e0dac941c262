/**
 * The app's entry point (the shell's one module script): registers the
 * service worker, loads the local replica, renders the views into the
 * shell's landmarks and wires them to the sync events, then starts the
 * automatic syncs. `html[data-ready=true]` marks the first render.
 * @module app
 */

import { Catalogue } from './catalogue.js';
import { ChangeStatus } from './changeStatus.js';
import { formatRoute, parseRoute } from './routes.js';
import * as changes from './changes.js';
import * as orders from './orders.js';
import {
  applyUpdate, installsByHand, keepStorage, promptInstall, pwaEvents, registerServiceWorker, releaseCached,
} from './pwa.js';
import * as sync from './sync/index.js';
import { createCategoriesView } from './views/categories.js';
import { createConflicts } from './views/conflicts.js';
import { closeDialog, currentKind, hasDialog } from './views/dialog.js';
import { h, throttle } from './views/dom.js';
import { openLogin, signOut } from './views/login.js';
import { createHomeScreenHint } from './views/homeScreenHint.js';
import { createNotices } from './views/notices.js';
import { openOrders } from './views/orders.js';
import { openOutbox } from './views/outbox.js';
import { openProductDetail } from './views/productDetail.js';
import { createProductList } from './views/productList.js';
import { createStatusView } from './views/status.js';

/** Refreshes of the replica while a sync streams pages: at most one per this many ms. */
const REFRESH_INTERVAL_MS = 250;

const { offlineDataSync, syncEvents, triggerOfflineDataSync } = sync;
const replica = new sync.Replica();
const catalogue = new Catalogue(replica);
const offlinePictures = new sync.OfflinePictures(replica);
const changeStatus = new ChangeStatus();
/** Whether someone is signed in (orders are theirs: the order chip shows then). */
let signedIn = false;

/** The sync API and the app's state, for the console and the browser tests. */
window.offlineSync = {
  triggerOfflineDataSync,
  offlineDataSync,
  syncEvents,
  replica,
  catalogue,
  session: { login: sync.login, logout: sync.logout },
  changes,
  orders,
  pictures: { keep: () => offlinePictures.keep(), usage: sync.offlinePictureUsage },
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
    if (updateRegistration) applyUpdate(updateRegistration).catch(reportError);
  },
  onSignIn: () => openLogin({ returnFocus: () => status.focusAccount() }).catch(reportError),
  onSignOut: () => signOut({ returnFocus: () => status.focusAccount() })
    .then((signedOut) => { if (signedOut) status.focusAccount(); })
    .catch(reportError),
  onShowOutbox: () => {
    if (hasDialog('outbox')) return;
    openOutbox({
      catalogue,
      changeStatus,
      onReview: (conflict) => conflicts.show(conflict),
      onSyncNow: () => triggerOfflineDataSync('all').catch(reportError),
      onError: reportError,
    }).catch(reportError);
  },
  onShowOrders: () => showOrders(),
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
const hintRoot = h('div', { class: 'notices' });
const catalogueRoot = h('section', { id: 'catalogue', class: 'catalogue', 'aria-label': 'Products' });
main.replaceChildren(hintRoot, noticesRoot, catalogueRoot);
if (installsByHand()) createHomeScreenHint(hintRoot);

const notices = createNotices(noticesRoot, {
  onDismissRejections: async () => {
    try {
      await sync.dismissRejections();
      await changeStatus.refresh();
      document.getElementById('search')?.focus();
    } catch (error) {
      reportError(error);
    }
  },
  onShowConflicts: () => conflicts.showAll().catch(reportError),
  productName: (id) => catalogue.product(id)?.name,
});

const conflicts = createConflicts({
  catalogue,
  onSettled: () => updateChangeStatus(),
  onError: (error) => reportError(error),
});

/** Show a failure of an action (or of loading) in the error area. */
function reportError(error) {
  const failure = sync.toSyncError(error);
  notices.showError({ code: failure.code, message: failure.message, willRetry: false });
}

/** Read again what waits for the user (conflicts, refused changes): notices, chip and rows follow. */
async function updateChangeStatus() {
  try {
    await changeStatus.refresh();
  } catch (error) {
    reportError(error);
  }
}

/** The unsent chip counts the changes waiting to be sent and the conflicts waiting for a decision;
 * the order chip, the draft order's lines (shown once signed in). */
function showPending() {
  status.setPending(catalogue.pendingCount(), changeStatus.conflicts.length);
  const draft = orders.currentDraft(catalogue);
  status.setOrder(signedIn ? (draft ? orders.linesOf(catalogue, draft.id).length : 0) : null);
}

function showOrders() {
  if (hasDialog('orders')) return;
  openOrders({ catalogue, changeStatus, onError: reportError }).catch(reportError);
}
changeStatus.addEventListener('change', () => {
  notices.setRejections(changeStatus.rejections);
  notices.setConflicts(conflicts.waitingAmong(changeStatus.conflicts));
  showPending();
  productList?.update();
});

// --- the replica follows the syncs ----------------------------------------------------------

// The replica reads each page a sync stores as it comes (the list is re-rendered at most once
// per interval, see start()); after a sync, it reads the outbox as the push left it.
const refreshSoon = throttle(() => replica.refresh().catch(reportError), REFRESH_INTERVAL_MS);
/** After a sync, once the replica holds what it brought: the pictures kept ahead, as configured. */
const keepPictures = () => replica.refresh().then(() => offlinePictures.keep()).catch(reportError);

let productList = null;
let categories = null;

syncEvents.addEventListener('syncstart', () => {
  status.syncStarted();
  productList?.setDownloading(true);
});
syncEvents.addEventListener('syncprogress', ({ detail }) => status.syncProgress(detail));
syncEvents.addEventListener('synccomplete', async () => {
  status.syncEnded();
  notices.clearError();
  refreshSoon();
  productList?.setDownloading(false);
  keepPictures();
  status.setLastSync(await sync.lastSync().catch(() => undefined));
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
  updateChangeStatus();
});
syncEvents.addEventListener('rejected', () => updateChangeStatus());
function setUser(user) {
  signedIn = Boolean(user);
  status.setUser(user);
  showPending();
}
syncEvents.addEventListener('signedin', ({ detail }) => setUser(detail?.user ?? null));
// A sign-out is announced to every page: one reload serves the ones heard while it runs.
let signOutReload = null;
syncEvents.addEventListener('signedout', () => {
  setUser(null);
  offlinePictures.stop();
  if (currentKind() === 'orders') closeDialog();
  // A product open with the staff form belongs to the session that ended (e.g. in another tab).
  if (currentKind() === 'product') closeDialog();
  signOutReload ??= (async () => {
    try {
      await replica.reload(); // after a refresh in progress
    } catch (error) {
      reportError(error);
    }
    await updateChangeStatus();
  })().finally(() => { signOutReload = null; });
});

// --- actions --------------------------------------------------------------------------------

const togglesInFlight = new Set();

/** Mark or unmark a favourite; a second click while the first is being stored is ignored. */
async function toggleFavourite(productId) {
  if (togglesInFlight.has(productId)) return;
  togglesInFlight.add(productId);
  try {
    await changes.toggleFavourite(catalogue, productId);
  } catch (error) {
    if (error?.code !== 'not_authenticated') {
      reportError(error);
      return;
    }
    if (currentKind() === 'product') closeDialog(); // dialogs show one at a time: the sign-in goes first
    if (await openLogin({ hint: 'Sign in to keep favourites: they are saved with your account.' })) {
      await changes.toggleFavourite(catalogue, productId).catch(reportError);
    }
  } finally {
    togglesInFlight.delete(productId);
  }
}

/**
 * Add `quantity` of a product to the draft order; signed out, sign in first.
 * @returns {Promise<boolean>} whether it was added
 */
async function addToOrder(productId, quantity) {
  const product = catalogue.product(productId);
  if (!product) return false;
  try {
    await orders.addToOrder(catalogue, product, quantity);
    return true;
  } catch (error) {
    if (error?.code !== 'not_authenticated') {
      reportError(error);
      return false;
    }
    if (currentKind() === 'product') closeDialog();
    if (await openLogin({ hint: 'Sign in to take orders: they are saved with your account.' })) {
      await orders.addToOrder(catalogue, product, quantity).catch(reportError);
      return true;
    }
    return false;
  }
}

// --- where the app is: the URL (routes.js), Back and Forward -----------------------------------

let route = parseRoute(window.location.href);

/** Record `next` in the history: a new entry (a place Back returns from), or in place (a search as typed). */
function go(next, { replace = false } = {}) {
  route = next;
  const state = { route: next, pushed: !replace || Boolean(window.history.state?.pushed) };
  if (replace) window.history.replaceState(state, '', formatRoute(next));
  else window.history.pushState(state, '', formatRoute(next));
}

/** Show the product of the current route over the list; when it closes, the URL goes back to the list. */
function showProduct(id) {
  if (hasDialog('product')) return; // a double click while the first one opens
  openProductDetail({
    catalogue,
    changeStatus,
    id,
    onToggleFavourite: toggleFavourite,
    onAddToOrder: addToOrder,
    returnFocus: () => productList.focusProduct(id),
  }).then(() => {
    if (route.product !== id) return; // closed by Back (or replaced by another route)
    if (window.history.state?.pushed) window.history.back(); // the entry this product added
    else go({ ...route, product: null }, { replace: true }); // opened from a link: the list in its place
  }).catch(reportError);
}

function openProduct(id) {
  if (hasDialog('product')) return;
  go({ ...route, product: id });
  showProduct(id);
}

/** Show `route` as the URL says (at start, Back, Forward). */
function showRoute() {
  productList.show(route, categories.show(route.list));
  if (route.product) showProduct(route.product);
  else if (currentKind() === 'product') closeDialog();
}

window.addEventListener('popstate', () => {
  route = parseRoute(window.location.href);
  showRoute();
});

// --- start ----------------------------------------------------------------------------------

async function start() {
  registerServiceWorker().catch((error) => {
    // The app works without it (no offline start, syncs run from the page).
    console.warn('Service worker not registered:', error);
  });
  keepStorage().then((persistent) => status.setStorage(persistent));
  // The first sync starts now, before the views are built: on a first visit over a phone's link its
  // download is most of the wait.
  const automaticSync = sync.startAutomaticSync({ beforeComplete: releaseCached }).catch(reportError);

  try {
    await catalogue.follow();
    await replica.refresh();
  } catch (error) {
    reportError(error);
  }

  categories = createCategoriesView(document.getElementById('categories'), {
    onSelect: (filter) => {
      productList.setFilter(filter);
      go({ ...route, list: filter.key, product: null });
    },
  });
  productList = createProductList(catalogueRoot, {
    catalogue,
    onOpen: openProduct,
    onToggleFavourite: toggleFavourite,
    onAddToOrder: addToOrder,
    onView: (view) => go({ ...route, ...view }, { replace: true }),
    changeStatus,
  });
  const render = () => {
    categories.update(catalogue.categories());
    productList.update();
    showPending();
  };
  catalogue.addEventListener('change', throttle(render, REFRESH_INTERVAL_MS)); // a sync changes it page by page
  render();

  const [auth, lastSync] = await Promise.all([
    sync.currentAuth().catch(() => undefined),
    sync.lastSync().catch(() => undefined),
  ]);
  setUser(auth?.user ?? null);
  status.setLastSync(lastSync);
  productList.setDownloading(!lastSync?.at); // never synced: the first sync is about to download
  await updateChangeStatus();

  showRoute(); // a shared or bookmarked link, or a reload
  document.documentElement.dataset.ready = 'true';

  conflicts.showAll().catch(reportError);
  await automaticSync;
  keepPictures(); // resumes what an earlier visit left to fetch ahead (a sync that completes does too)
}

start();
