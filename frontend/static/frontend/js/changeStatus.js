/**
 * What became of the changes made on this device, per record: a merge
 * conflict waiting for the user's decision, or a change the server refused.
 * The list rows, the product detail and the outbox view read it; app.js
 * refreshes it after each push.
 * @module changeStatus
 */

import { pendingConflicts, rejectedChanges } from './sync/index.js';

export class ChangeStatus extends EventTarget {
  /** @type {object[]} conflicts waiting for a decision (sync/conflicts.js) */
  conflicts = [];
  /** @type {object[]} changes the server refused, not dismissed yet */
  rejections = [];
  /** Counts the refreshes, so that views can tell they are out of date. */
  revision = 0;
  #conflicted = new Set();
  #rejected = new Map();

  /** Read the stored conflicts and refusals again; `change` fires. */
  async refresh() {
    const [conflicts, rejections] = await Promise.all([pendingConflicts(), rejectedChanges()]);
    this.conflicts = conflicts;
    this.rejections = rejections;
    this.#conflicted = new Set(conflicts.map((c) => c.recordId));
    this.#rejected = new Map(rejections.map((r) => [r.recordId, r]));
    this.revision += 1;
    this.dispatchEvent(new CustomEvent('change'));
  }

  /** @returns {'conflict'|'rejected'|null} what waits for the user about record `recordId` */
  of(recordId) {
    if (this.#conflicted.has(recordId)) return 'conflict';
    return this.#rejected.has(recordId) ? 'rejected' : null;
  }

  /** @returns {object|undefined} the refusal of a change of `recordId` */
  rejection(recordId) {
    return this.#rejected.get(recordId);
  }
}
