/**
 * The queue of sync units waiting to run, shared by every tab and the worker
 * (kept in IndexedDB, changed in one transaction each time).
 * @module queue
 */

import { LOCK_NAME, syncRunning } from './lock.js';
import * as meta from './meta.js';

export { LOCK_NAME };

/**
 * The queue once `unit` is added unless it already waits. The unit at the
 * head stays there while it runs (so a crash leaves it queued); once it has
 * started (`running`), it no longer counts as waiting: a change made during
 * a sync gets a sync of its own after it.
 * @param {string[]} queue
 * @param {string} unit
 * @param {{running?: string|null, discardPendingUnits?: boolean}} [options] `discardPendingUnits`:
 *   empty the queue first (a running unit finishes)
 * @returns {string[]} a new queue
 */
export function withUnit(queue, unit, { running = null, discardPendingUnits = false } = {}) {
  const head = running && queue[0] === running ? queue.slice(0, 1) : [];
  const next = discardPendingUnits ? head : [...queue];
  if (!next.slice(head.length).includes(unit)) next.push(unit);
  return next;
}

/**
 * Queue `unit` unless it already waits (`withUnit`), in one transaction.
 * @param {string} unit
 * @param {{discardPendingUnits?: boolean}} [options] empty the queue first (a running unit finishes)
 * @returns {Promise<string[]>} the queue after the change
 */
export async function enqueueUnit(unit, { discardPendingUnits = false } = {}) {
  const marker = await meta.runningUnit();
  const running = marker && (await syncRunning()) ? marker : null; // a marker without the lock is stale
  return meta.updateUnitQueue((queue) => withUnit(queue, unit, { running, discardPendingUnits }));
}

/** Mark `unit` (the head of the queue) as started. Call under the sync lock. */
export function startUnit(unit) {
  return meta.setRunningUnit(unit);
}

/** Clear the started mark after a failure; the unit stays queued. */
export function abandonUnit() {
  return meta.setRunningUnit(null);
}

/** @returns {Promise<string|undefined>} the unit to run next, left in the queue until it succeeds */
export async function nextUnit() {
  return (await meta.unitQueue())[0];
}

/** Remove `unit` from the queue once it ran. */
export async function completeUnit(unit) {
  await meta.setRunningUnit(null);
  return meta.updateUnitQueue((queue) => {
    const next = [...queue];
    const index = next.indexOf(unit);
    if (index >= 0) next.splice(index, 1);
    return next;
  });
}
