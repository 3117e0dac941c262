/**
 * Installation and updates: registers the service worker, tells the page
 * when a new release waits ("update available — reload"), and exposes the
 * browser's install prompt.
 * @module pwa
 */

/** Fired on `pwaEvents`: `updateavailable`, `installable`, `installed`. */
export const pwaEvents = new EventTarget();

let installPrompt = null;

/**
 * Register `/sw.js` (a module worker with scope `/`) and watch for new releases.
 * @returns {Promise<ServiceWorkerRegistration|null>}
 */
export async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return null;
  const registration = await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' });
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

let wantsReload = false;

/** Activate the waiting release and reload the page into it. */
export function applyUpdate(registration) {
  wantsReload = true;
  registration.waiting?.postMessage({ type: 'SKIP_WAITING' });
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
