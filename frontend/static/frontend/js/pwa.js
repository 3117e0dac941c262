/**
 * Installation and updates: registers the service worker, tells the page
 * when a new release waits ("update available — reload"), exposes the
 * browser's install prompt, says whether the app runs installed and whether
 * installing it is done by hand (iPhone and iPad), and asks the browser to
 * keep its storage.
 * @module pwa
 */

/** Fired on `pwaEvents`: `updateavailable`, `installable`, `installed`. */
export const pwaEvents = new EventTarget();

let installPrompt = null;
/** @type {Promise<ServiceWorkerRegistration>|null} */
let registering = null;

/** How long `releaseCached` waits for the worker at most: a sync never hangs on it. */
const CACHE_WAIT_MS = 15_000;

/**
 * Register `/sw.js` (a module worker with scope `/`) and watch for new releases.
 * @returns {Promise<ServiceWorkerRegistration|null>}
 */
export async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return null;
  registering = navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' });
  const registration = await registering;
  const announce = () => pwaEvents.dispatchEvent(new CustomEvent('updateavailable', { detail: { registration } }));
  if (registration.waiting && navigator.serviceWorker.controller) announce();
  registration.addEventListener('updatefound', () => {
    const incoming = registration.installing;
    incoming?.addEventListener('statechange', () => {
      // The first worker of a device activates at once; a later one waits for the user.
      if (incoming.state === 'installed' && navigator.serviceWorker.controller) announce();
    });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloading || !wantsReload) return;
    reloading = true;
    window.location.reload();
  });
  return registration;
}

/**
 * Resolves once the active service worker has cached the release (at once if
 * none was registered, at the latest after CACHE_WAIT_MS): a sync the page
 * runs on a first visit completes only then, so that the app it filled also
 * starts offline.
 * @returns {Promise<void>}
 */
export async function releaseCached() {
  if (!(await registering?.then(() => true, () => false))) return;
  const cached = navigator.serviceWorker.ready.then(({ active }) => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    active.postMessage({ type: 'CACHE_RELEASE' }, [channel.port2]);
  }));
  await Promise.race([cached, new Promise((resolve) => { setTimeout(resolve, CACHE_WAIT_MS); })]);
}

let wantsReload = false;

/** How long `applyUpdate` waits at most for the registration to name the release's worker. */
const WAITING_NAMED_MS = 10_000;

/** Activate the waiting release and reload the page into it. */
export async function applyUpdate(registration) {
  wantsReload = true;
  (await waitingWorker(registration))?.postMessage({ type: 'SKIP_WAITING' });
}

/**
 * The registration's waiting worker, once it names one. WebKit fires a new
 * worker's `installed` before `registration.waiting` names it, and a message
 * posted to that worker meanwhile reaches the active one instead.
 * @returns {Promise<ServiceWorker|null>}
 */
async function waitingWorker(registration) {
  const deadline = Date.now() + WAITING_NAMED_MS;
  while (!registration.waiting && Date.now() < deadline) {
    await new Promise((resolve) => { setTimeout(resolve, 50); });
  }
  return registration.waiting;
}

window.addEventListener('beforeinstallprompt', (event) => {
  event.preventDefault();
  installPrompt = event;
  pwaEvents.dispatchEvent(new CustomEvent('installable'));
});

window.addEventListener('appinstalled', () => {
  installPrompt = null;
  pwaEvents.dispatchEvent(new CustomEvent('installed'));
});

/** Show the browser's install dialog (after a user gesture). @returns {Promise<boolean>} accepted */
export async function promptInstall() {
  if (!installPrompt) return false;
  installPrompt.prompt();
  const { outcome } = await installPrompt.userChoice;
  installPrompt = null;
  return outcome === 'accepted';
}

/** @returns {boolean} whether the app runs installed (from the home screen or as an app window) */
export function isInstalled() {
  return navigator.standalone === true || window.matchMedia('(display-mode: standalone)').matches;
}

/**
 * @returns {boolean} whether the app runs in a browser tab on an iPhone or iPad,
 *   where every browser is WebKit, none offers an install prompt, and installing
 *   is "Share, then Add to Home Screen", by hand
 */
export function installsByHand() {
  const iPadAsMac = navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1; // iPadOS asks for desktop pages
  return (/iPhone|iPad|iPod/.test(navigator.userAgent) || iPadAsMac) && !isInstalled();
}

/**
 * Ask the browser to keep this app's storage until the user deletes it, unless
 * it already does. Chromium decides by itself (installed apps, engagement),
 * Firefox asks the user once, WebKit grants it to apps added to the home screen.
 * @returns {Promise<boolean|null>} whether the storage is kept (null: the browser does not say)
 */
export async function keepStorage() {
  const storage = navigator.storage;
  if (!storage?.persisted) return null;
  try {
    return (await storage.persisted()) || (await storage.persist?.()) || false;
  } catch {
    return null;
  }
}
