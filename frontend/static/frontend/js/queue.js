/**
 * The queue of sync units waiting to run, shared by every tab and the worker
 * (kept in IndexedDB, changed in one transaction each time).
 * @module queue
 */

import { getMeta, updateMeta } from './db.js';

const KEY = 'unitQueue';

/**
 * Queue `unit` unless it already waits.
 * @param {string} unit
 * @param {{discardPendingUnits?: boolean}} [options] empty the queue first
 * @returns {Promise<string[]>} the queue after the change
 */
export function enqueueUnit(unit, { discardPendingUnits = false } = {}) {
  return updateMeta(KEY, (queue) => {
    const next = discardPendingUnits ? [] : [...(queue ?? [])];
    if (!next.includes(unit)) next.push(unit);
    return next;
  });
}

/** @returns {Promise<string|undefined>} the unit to run next, left in the queue until it succeeds */
export async function nextUnit() {
  return (await getMeta(KEY))?.[0];
}

/** Remove `unit` from the queue once it ran. */
export function completeUnit(unit) {
  return updateMeta(KEY, (queue) => {
    const next = [...(queue ?? [])];
    const index = next.indexOf(unit);
    if (index >= 0) next.splice(index, 1);
    return next;
  });
}

/** @returns {Promise<string[]>} the units waiting */
export async function pendingUnits() {
  return (await getMeta(KEY)) ?? [];
}
