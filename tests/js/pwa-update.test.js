// A new release's prompt (pwa.js): the reload the user asks for reaches the release's worker,
// even in WebKit, whose registration names that worker waiting only after its `installed` fired.
import assert from 'node:assert/strict';
import { test } from 'node:test';

/** A service worker as the page sees it: its state, its `statechange` events, the messages it receives. */
class Worker extends EventTarget {
  constructor(state) {
    super();
    this.state = state;
    this.received = [];
  }

  become(state) {
    this.state = state;
    this.dispatchEvent(new Event('statechange'));
  }
}

/**
 * A registration as WebKit keeps it: a message posted to the new worker before the registration
 * names it waiting reaches the active worker instead.
 */
class Registration extends EventTarget {
  constructor() {
    super();
    this.active = new Worker('activated');
    this.installing = null;
    this.waiting = null;
  }

  /** A new release's worker, installing. */
  incoming() {
    const worker = new Worker('installing');
    worker.postMessage = (message) => (this.waiting === worker ? worker : this.active).received.push(message);
    this.installing = worker;
    this.dispatchEvent(new Event('updatefound'));
    return worker;
  }
}

const registration = new Registration();
const container = Object.assign(new EventTarget(), {
  controller: registration.active,
  register: async () => registration,
});
globalThis.window = Object.assign(new EventTarget(), { location: { reload() { window.reloads += 1; } }, reloads: 0 });
Object.defineProperty(globalThis, 'navigator', { value: { serviceWorker: container }, configurable: true });

const { applyUpdate, pwaEvents, registerServiceWorker } = await import('../../frontend/static/frontend/js/pwa.js');

test('reloading into a new release reaches its worker once the registration names it waiting', async () => {
  const prompts = [];
  pwaEvents.addEventListener('updateavailable', ({ detail }) => prompts.push(detail.registration));
  await registerServiceWorker();

  const worker = registration.incoming();
  worker.become('installed'); // the prompt shows; the registration still calls the worker installing
  assert.deepEqual(prompts, [registration]);

  const applied = applyUpdate(registration); // the user agrees at once
  setTimeout(() => {
    registration.installing = null;
    registration.waiting = worker;
  }, 120);
  await applied;
  assert.deepEqual([worker.received, registration.active.received], [[{ type: 'SKIP_WAITING' }], []]);

  container.controller = worker; // the worker took over: the page reloads into the release
  container.dispatchEvent(new Event('controllerchange'));
  assert.equal(window.reloads, 1);
});
