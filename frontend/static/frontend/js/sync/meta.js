/**
 * Named accessors of the small values the sync client keeps in IndexedDB
 * (keys declared in keys.js). Each is one transaction, safe across tabs
 * and the worker.
 * @module meta
 */

import { getMeta, setMeta, updateMeta } from './db.js';
import {
  AUTH, CLIENT_ID, CONFIG, CONFLICTS, LAST_SYNC, REJECTIONS, REVOKE_TOKENS, RUNNING_UNIT, SCHEMA_VERSION,
  UNIT_QUEUE, cursorKey, snapshotKey,
} from './keys.js';

/** @returns {Promise<{token: string, user: object, expiresAt: string}|undefined>} the signed-in session */
export const auth = () => getMeta(AUTH);
/** @param {{token: string, user: object, expiresAt: string}} value */
export const setAuth = (value) => setMeta(AUTH, value);

/** @returns {Promise<object|undefined>} the configuration the server delivered last */
export const config = () => getMeta(CONFIG);
export const setConfig = (value) => setMeta(CONFIG, value);
/** @returns {Promise<string|undefined>} the schema version the replica was pulled under */
export const schemaVersion = () => getMeta(SCHEMA_VERSION);
export const setSchemaVersion = (value) => setMeta(SCHEMA_VERSION, value);

/** @returns {Promise<{at: number, unit: string}|undefined>} the last sync that completed */
export const lastSync = () => getMeta(LAST_SYNC);
export const setLastSync = (value) => setMeta(LAST_SYNC, value);

/** @returns {Promise<string>} this installation's client id (created once) */
export const clientId = () => updateMeta(CLIENT_ID, (id) => id ?? crypto.randomUUID());

/** @returns {Promise<object[]>} merge conflicts waiting for a decision */
export const conflicts = async () => (await getMeta(CONFLICTS)) ?? [];
/** Drop the conflict with id `id`. */
export const dropConflict = (id) => updateMeta(CONFLICTS, (list) => (list ?? []).filter((c) => c.id !== id));
/** @returns {Promise<object[]>} changes the server refused */
export const rejections = async () => (await getMeta(REJECTIONS)) ?? [];
export const clearRejections = () => setMeta(REJECTIONS, []);
/** Forget the refused changes of one group (an order mended and queued again). */
export const dropRejections = (group) => updateMeta(REJECTIONS, (list) => (list ?? []).filter((r) => r.group !== group));

/** @returns {Promise<string|null|undefined>} where `collection`'s next pull starts */
export const cursor = (collection) => getMeta(cursorKey(collection));
/** @returns {Promise<{manifest: object, done: string[]}|undefined>} `collection`'s snapshot download in progress */
export const snapshotDownload = (collection) => getMeta(snapshotKey(collection));
/** @param {import('./db.js').WriteFor} [options] */
export const setSnapshotDownload = (collection, value, options) => setMeta(snapshotKey(collection), value, options);

/** @returns {Promise<string[]>} the sync units waiting */
export const unitQueue = async () => (await getMeta(UNIT_QUEUE)) ?? [];
/** @param {(queue: string[]) => string[]} update @returns {Promise<string[]>} the new queue */
export const updateUnitQueue = (update) => updateMeta(UNIT_QUEUE, (queue) => update(queue ?? []));
/** @returns {Promise<string|null|undefined>} the unit marked as running */
export const runningUnit = () => getMeta(RUNNING_UNIT);
export const setRunningUnit = (unit) => updateMeta(RUNNING_UNIT, () => unit);

/** @returns {Promise<string[]>} tokens waiting to be revoked */
export const revokeTokens = async () => (await getMeta(REVOKE_TOKENS)) ?? [];
/** @param {(tokens: string[]) => string[]} update @returns {Promise<string[]>} the tokens after it */
export const updateRevokeTokens = (update) => updateMeta(REVOKE_TOKENS, (tokens) => update(tokens ?? []));
