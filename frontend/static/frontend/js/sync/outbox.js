/**
 * The local mutation queue: changes made on this device, applied to the
 * local view at once (optimistic) and sent by the sync engine's push stage.
 * @module outbox
 */

import * as api from './api.js';
import * as db from './db.js';
import { LOCK_NAME, syncRunning } from './lock.js';
import { withRoomForData } from './pictures.js';

/** The server's cap on mutations per push (syncapi MAX_PUSH_MUTATIONS). */
const BATCH = 500;

/**
 * Queue a change. Resolves once it is stored: it will be sent even if the
 * app closes now. Changes with the same `group` (an order and its lines) are
 * applied by the server all or none, each run of them that is queued
 * together (docs/protocol-notes.md).
 * @param {{collection: string, op: 'upsert'|'delete', recordId: string, baseVersion?: number|null,
 *          data?: object, base?: object, group?: string}} change
 * @returns {Promise<object>} the stored mutation (with its id)
 */
export function enqueue({ collection, op, recordId, baseVersion = null, data, base, group }) {
  const mutation = { collection, op, record_id: recordId, base_version: baseVersion };
  if (data) mutation.data = data;
  if (base) mutation.base = base;
  if (group) mutation.group = group;
  return withRoomForData(() => db.outboxAdd(mutation));
}

/**
 * A change waiting to be sent.
 * @typedef {object} PendingChange
 * @property {number} id the mutation's id (for `discardChange`)
 * @property {string} collection
 * @property {'upsert'|'delete'} op
 * @property {string} recordId
 * @property {object|undefined} data the fields set (upserts)
 * @property {object|undefined} base the values seen before the change (edits)
 * @property {number|undefined} queuedAt ms since the epoch
 */

/** @returns {Promise<PendingChange[]>} the changes waiting to be sent, oldest first */
export async function pendingChanges() {
  return (await db.outboxAll()).map(({ id, collection, op, record_id: recordId, data, base, queuedAt }) => ({
    id, collection, op, recordId, data, base, queuedAt,
  }));
}

/** @returns {Promise<boolean>} whether a sync (which sends the queued changes first) runs now, in any context */
export const sending = syncRunning;

/**
 * Discard a change before it is sent. Not while a sync runs: its push may be
 * sending the change, and the server's answer decides it.
 * @param {number} id a `PendingChange`'s id
 * @returns {Promise<'discarded'|'sending'|'gone'>} done; a sync is sending it; it was sent already
 */
export function discardChange(id) {
  return navigator.locks.request(LOCK_NAME, { ifAvailable: true }, async (lock) => {
    if (!lock) return 'sending';
    return (await db.outboxDelete(id)) ? 'discarded' : 'gone';
  });
}

/**
 * Queued changes of one collection as they show locally: id -> record as
 * changed here (marked `pending`), or null when deleted here.
 * @param {Map<string, object>} records the replica of the collection (not modified)
 * @param {object[]} pending queued mutations, oldest first
 * @param {string} collection
 * @returns {Map<string, object|null>}
 */
export function pendingOverlay(records, pending, collection) {
  const overlay = new Map();
  for (const m of pending) {
    if (m.collection !== collection) continue;
    if (m.op === 'delete') {
      overlay.set(m.record_id, null);
    } else {
      const current = overlay.get(m.record_id) ?? records.get(m.record_id) ?? { id: m.record_id, version: null };
      overlay.set(m.record_id, { ...current, ...m.data, pending: true });
    }
  }
  return overlay;
}

function wire({ id, collection, op, record_id, base_version, data, base }) {
  const mutation = { id, collection, op, record_id, base_version };
  if (data) mutation.data = data;
  if (base) mutation.base = base;
  return mutation;
}

/**
 * The queued mutations as the requests that send them: at most BATCH each,
 * a run of one group (consecutive mutations sharing `group`) never cut in
 * two unless it alone is longer, and each run labelled on the wire by its
 * group and first id: the server applies it all or none.
 * @param {object[]} pending queued mutations, oldest first
 * @returns {object[][]} wire mutations per request
 */
export function pushBatches(pending) {
  const runs = [];
  for (const m of pending) {
    const last = runs.at(-1);
    if (m.group && last?.group === m.group) last.members.push(m);
    else runs.push({ group: m.group, members: [m] });
  }
  const batches = [];
  let batch = [];
  for (const { group, members } of runs) {
    if (batch.length && batch.length + members.length > BATCH) {
      batches.push(batch);
      batch = [];
    }
    for (const m of members) {
      if (batch.length === BATCH) {
        batches.push(batch);
        batch = [];
      }
      batch.push(group ? { ...wire(m), group: `${group}/${members[0].id}` } : wire(m));
    }
  }
  if (batch.length) batches.push(batch);
  return batches;
}

/**
 * Send every queued mutation and record the answers (the push stage).
 * A lost answer is harmless: the same ids are answered `duplicate` next time.
 * @param {{clientId: string, token: string, nextSeq: (collection: string) => number}} context
 * @returns {Promise<{sent: number, applied: number, conflicts: object[], rejections: object[], duplicates: number}>}
 */
export async function pushOutbox({ clientId, token, nextSeq }) {
  const stats = { sent: 0, applied: 0, conflicts: [], rejections: [], duplicates: 0 };
  const pending = await db.outboxAll();
  const queued = new Map(pending.map((m) => [m.id, m]));
  for (const batch of pushBatches(pending)) {
    const byId = new Map(batch.map((m) => [m.id, queued.get(m.id)]));
    const answer = await api.push(clientId, batch, token);
    const outcome = { done: [], records: new Map(), conflicts: [], rejections: [], applied: [] };
    const changesOf = (collection) => {
      if (!outcome.records.has(collection)) outcome.records.set(collection, { upserts: [], deletes: [] });
      return outcome.records.get(collection);
    };
    for (const result of answer.results) {
      const mutation = byId.get(result.id);
      if (!mutation) continue;
      outcome.done.push(result.id);
      if (result.record) changesOf(mutation.collection).upserts.push(result.record);
      else if (result.status === 'applied' && mutation.op === 'delete') {
        // Through an alias the server deleted the record it had merged this id into (`record_id`).
        const deletes = changesOf(mutation.collection).deletes;
        deletes.push(mutation.record_id);
        if (result.record_id && result.record_id !== mutation.record_id) deletes.push(result.record_id);
      }
      if (result.status === 'applied' && result.record && result.record.id === mutation.record_id) {
        outcome.applied.push({
          collection: mutation.collection, recordId: mutation.record_id,
          from: mutation.base_version ?? null, to: result.record.version,
        });
      }
      if (result.status === 'applied') stats.applied += 1;
      else if (result.status === 'duplicate') stats.duplicates += 1;
      else if (result.status === 'conflict') {
        outcome.conflicts.push({
          id: crypto.randomUUID(),
          collection: mutation.collection,
          recordId: mutation.record_id,
          fields: result.fields ?? Object.keys(mutation.data ?? {}),
          mine: mutation.data ?? null,
          server: result.record ?? null,
          at: Date.now(),
        });
      } else if (result.status === 'rejected') {
        outcome.rejections.push({
          collection: mutation.collection,
          recordId: mutation.record_id,
          op: mutation.op,
          code: result.code,
          detail: result.detail,
          errors: result.errors ?? {},
          // What was refused, so that a refused order can be mended (orders.js).
          data: mutation.data ?? null,
          baseVersion: mutation.base_version ?? null,
          group: mutation.group ?? null,
          at: Date.now(),
        });
      }
    }
    const seqs = new Map([...outcome.records.keys()].map((c) => [c, nextSeq(c)]));
    await withRoomForData(() => db.recordPushOutcome(outcome, seqs));
    stats.sent += batch.length;
    stats.conflicts.push(...outcome.conflicts);
    stats.rejections.push(...outcome.rejections);
  }
  return stats;
}
