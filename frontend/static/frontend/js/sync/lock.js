/**
 * The Web Lock held while a sync runs, in any tab or the worker. A leaf
 * module: the engine, the queue and the outbox all ask about it.
 * @module lock
 */

/** Name of the Web Lock held while a sync runs (in any tab or the worker). */
export const LOCK_NAME = 'offline-sync';

/** @returns {Promise<boolean>} whether some context holds the sync lock right now (a sync runs) */
export async function syncRunning() {
  const { held } = await navigator.locks.query();
  return held.some((lock) => lock.name === LOCK_NAME);
}
