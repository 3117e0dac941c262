/**
 * The keys of IndexedDB's `meta` store, each declared here once. Modules
 * read and write them through `meta.js` (or, inside its transactions, db.js).
 * @module keys
 */

/** `{token, user, expiresAt}` of the signed-in session; absent when signed out. */
export const AUTH = 'auth';
/** The configuration the server delivered last (`GET /api/sync/config/`). */
export const CONFIG = 'config';
/** The configuration's `schema_version` the replica was pulled under. */
export const SCHEMA_VERSION = 'schemaVersion';
/** `{at, unit}` of the last sync that completed. */
export const LAST_SYNC = 'lastSync';
/** This installation's client id, sent with every push. */
export const CLIENT_ID = 'clientId';
/** The id the next queued mutation gets (ids only ever increase). */
export const NEXT_MUTATION_ID = 'nextMutationId';
/** Merge conflicts waiting for the user's decision. */
export const CONFLICTS = 'conflicts';
/** Changes the server refused (rolled back here), until the user has seen them. */
export const REJECTIONS = 'rejections';
/**
 * The versions the server gave records when it applied this device's changes:
 * `collection/id` -> {froms, to}. A change queued on top of an applied one,
 * whose base is a version in `froms`, is based on `to` (see db.js `rebase`).
 */
export const REBASES = 'rebases';
/** Sync units waiting to run, in order. */
export const UNIT_QUEUE = 'unitQueue';
/** The unit at the head of the queue while it runs. */
export const RUNNING_UNIT = 'runningUnit';
/** Tokens of sign-outs not revoked on the server yet. */
export const REVOKE_TOKENS = 'revokeTokens';

/** @returns {string} the key of `collection`'s cursor (where its next pull starts) */
export const cursorKey = (collection) => `cursor:${collection}`;
/** @returns {string} the key of the highest segment number `collection` ever had */
export const seqKey = (collection) => `seq:${collection}`;
/** @returns {string} the key of `collection`'s snapshot download in progress (`{manifest, done}`) */
export const snapshotKey = (collection) => `snapshot:${collection}`;

/** What belongs to the signed-in user, removed with their data at sign-out. */
export const USER_KEYS = [AUTH, CONFLICTS, REJECTIONS, REBASES, UNIT_QUEUE];

/** @returns {string[]} the keys that go with `collection`'s stored segments when its replica is dropped */
export const replicaKeys = (collection) => [cursorKey(collection), snapshotKey(collection)];
