/**
 * Fresh while open: while the page is visible and online, every
 * `foreground_refresh_seconds` of the configuration it asks the server
 * whether a pull would bring anything (one small request,
 * `POST /api/sync/changed/`), and syncs if so or if changes wait to be sent:
 * those leave within that delay of the server answering again, whatever the
 * retry timer's backoff. Hidden or offline, nothing runs.
 * @module refresh
 */

import * as api from './api.js';
import { outboxCount } from './db.js';
import * as meta from './meta.js';

/**
 * @returns {Promise<boolean>} whether a pull of `unit` would bring anything
 *   new: a collection never pulled counts as changed
 */
export async function serverHasChanges(unit) {
  const config = await meta.config();
  const collections = config?.units?.[unit];
  if (!collections) return true;
  const auth = await meta.auth();
  const cursors = {};
  for (const name of collections) {
    if (config.collections?.[name]?.scope === 'user' && !auth) continue; // pulled only when signed in
    const cursor = await meta.cursor(name);
    if (!cursor) return true;
    cursors[name] = cursor;
  }
  if (!Object.keys(cursors).length) return false;
  const answer = await api.changed(cursors, auth?.token ?? null);
  return answer.changed.length > 0;
}

/**
 * @returns {Promise<boolean>} whether a sync of `unit` would do anything:
 *   bring something new, or send changes waiting in the outbox; the server is
 *   asked either way, so that a sync starts only once it answers
 */
export async function worthSyncing(unit) {
  const changed = await serverHasChanges(unit);
  return changed || (await outboxCount()) > 0;
}

/**
 * The timer of the foreground refresh. Its surroundings are passed in, so
 * that what it does hidden, offline or between syncs can be tested alone.
 */
export class ForegroundRefresh {
  #seconds = null;
  #timer = null;
  #probe;
  #sync;
  #isVisible;
  #isOnline;
  #setTimer;
  #clearTimer;

  /**
   * @param {{probe: () => Promise<boolean>, sync: () => Promise<void>, isVisible: () => boolean,
   *          isOnline: () => boolean, setTimer?: typeof setTimeout, clearTimer?: typeof clearTimeout}} surroundings
   *   `probe`: whether a sync would do anything; `sync`: start a sync
   */
  constructor({
    probe, sync, isVisible, isOnline, setTimer = (run, ms) => setTimeout(run, ms), clearTimer = (id) => clearTimeout(id),
  }) {
    this.#probe = probe;
    this.#sync = sync;
    this.#isVisible = isVisible;
    this.#isOnline = isOnline;
    this.#setTimer = setTimer;
    this.#clearTimer = clearTimer;
  }

  /** @param {number|null|undefined} seconds the delay; null or 0: no refresh */
  configure(seconds) {
    if ((seconds || null) === this.#seconds) return;
    this.#seconds = seconds || null;
    this.reschedule();
  }

  /**
   * Count the delay from now (after any sync, on becoming visible or
   * online), or stop while hidden or offline.
   */
  reschedule() {
    this.#clearTimer(this.#timer);
    this.#timer = null;
    if (!this.#seconds || !this.#isVisible() || !this.#isOnline()) return;
    this.#timer = this.#setTimer(() => this.#check(), this.#seconds * 1000);
  }

  async #check() {
    this.#timer = null;
    try {
      if (this.#isVisible() && this.#isOnline() && await this.#probe()) await this.#sync();
    } catch {
      // Offline or the server in trouble: the network status and retries are reported elsewhere.
    }
    if (this.#timer === null) this.reschedule(); // a sync that completed meanwhile has rescheduled
  }
}
