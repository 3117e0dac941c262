/**
 * Every request to the server (PROTOCOL.md). Failures become SyncErrors with
 * the server's code, or `network` / `server` when there is no usable answer.
 * @module api
 */

import { SyncError } from './errors.js';
import { UPSERTS_HEADER } from './page-format.js';

/**
 * Per session token, the controller that cuts its requests short in this
 * context once the session ends (`abortSession`); aborted ones are kept, so
 * that a request made later with the token fails at once.
 * @type {Map<string, AbortController>}
 */
const sessions = new Map();

/**
 * Cut short every request of this context made with `token`, now and later,
 * except the one that revokes it (`logout`): its session is ending (a sign-out).
 * Their promises reject with `reason`.
 * @param {string} token
 * @param {SyncError} reason
 */
export function abortSession(token, reason) {
  if (!sessions.has(token)) sessions.set(token, new AbortController());
  sessions.get(token).abort(reason);
}

/**
 * @returns {AbortSignal|undefined} what cuts a request short: `signal`, the end of `token`'s
 *   session, either (`signal` alone where `AbortSignal.any` is missing: the engine's requests
 *   pass one; only a push, made by outbox.js, relies on the session's)
 */
function requestSignal(signal, token) {
  if (!token) return signal;
  if (!sessions.has(token)) sessions.set(token, new AbortController());
  const session = sessions.get(token).signal;
  if (!signal) return session;
  return AbortSignal.any?.([signal, session]) ?? signal;
}

/**
 * A failed fetch or body read as a SyncError: the abort's reason if it was
 * cut short (a SyncError, see `abortSession`), else `network`.
 */
function failure(error) {
  return error instanceof SyncError ? error : new SyncError('network', { cause: String(error) });
}

/** A response body being read (`text()`, `blob()`); a connection lost meanwhile is a `network` SyncError. */
function readBody(reading) {
  return reading.catch((error) => { throw failure(error); });
}

/**
 * @param {string} path
 * @param {{method?: string, token?: string|null, body?: object, raw?: boolean, cache?: RequestCache,
 *          signal?: AbortSignal, revoking?: boolean}} [options]
 *   `raw`: answer a successful response itself, its body unread; `cache`: the HTTP cache mode
 *   (`no-store` unless the response never changes); `signal`: aborts the request (its reason,
 *   a SyncError, is thrown); `revoking`: the request revokes `token`, so its session's end does
 *   not cut it short
 */
async function request(path, {
  method = 'GET', token = null, body, raw = false, cache = 'no-store', signal, revoking = false,
} = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache,
      credentials: 'omit',
      signal: requestSignal(signal, revoking ? null : token),
    });
  } catch (error) {
    throw failure(error);
  }
  if (response.status >= 500) throw new SyncError('server', { status: response.status });
  if (raw && response.ok) return response;
  const text = await readBody(response.text());
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SyncError('invalid_response', { status: response.status });
  }
  if (!response.ok) throw new SyncError(parsed.code ?? 'invalid_response', { status: response.status, ...parsed });
  return parsed;
}

/**
 * GET /api/sync/config/
 * @param {string|null} token
 * @param {{signal?: AbortSignal}} [options] here and below: `signal` aborts the request
 */
export function getConfig(token, { signal } = {}) {
  return request('/api/sync/config/', { token, signal });
}


/**
 * A page this big or bigger is kept as a Blob; a smaller one (a delta sync's)
 * as text: a Blob saves decoding and copying megabytes, but costs a few round
 * trips to the browser process, which a small page does not repay.
 */
const BLOB_MIN_BYTES = 256 * 1024;

/**
 * GET one page of a collection, undecoded: it is stored and handed to the
 * pages as the server sent it, and only the pages that show it decode it.
 * @returns {Promise<{body: Blob|string, upserts: number|null}>} the page's JSON — a Blob if
 *   large, else its text — and its count of upserts if the server says (null if not)
 */
export async function pull(collection, cursor, limit, token, { signal } = {}) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (cursor) params.set('cursor', cursor);
  const response = await request(`/api/sync/pull/${encodeURIComponent(collection)}/?${params}`, { token, raw: true, signal });
  const upserts = Number.parseInt(response.headers.get(UPSERTS_HEADER) ?? '', 10);
  const length = Number.parseInt(response.headers.get('Content-Length') ?? '', 10);
  // A compressed page's Content-Length is that of its compressed bytes: a Blob from a fifth of the threshold.
  const small = length < (response.headers.get('Content-Encoding') ? BLOB_MIN_BYTES / 5 : BLOB_MIN_BYTES);
  const body = await readBody(small ? response.text() : response.blob());
  return { body, upserts: Number.isNaN(upserts) ? null : upserts };
}

/**
 * A snapshot's manifest (docs/protocol-notes.md), or null if the server offers none now.
 * @typedef {{url: string, sha256: string, records: number, bytes: number}} SnapshotPart
 * @typedef {{collection: string, format: string, version: number, records: number, cursor: string,
 *            parts: SnapshotPart[]}} Snapshot
 * @returns {Promise<Snapshot|null>}
 */
export async function getSnapshot(collection, token, { signal } = {}) {
  try {
    return await request(`/api/sync/snapshot/${encodeURIComponent(collection)}/`, { token, signal });
  } catch (error) {
    if (error.code === 'no_snapshot' || error.code === 'not_found') return null; // none now, or an older server
    throw error;
  }
}

/**
 * Every snapshot the server offers now, by collection (docs/protocol-notes.md);
 * null if it cannot say (an older server, no network).
 * @returns {Promise<Record<string, Snapshot>|null>}
 */
export async function getSnapshots(token, { signal } = {}) {
  try {
    return (await request('/api/sync/snapshot/', { token, signal })).snapshots;
  } catch {
    return null;
  }
}

/**
 * GET one snapshot part: its JSON as a Blob (decompressed by the browser),
 * fetched without credentials (parts are public and immutable).
 * @param {string} url
 * @returns {Promise<Blob>}
 * @throws {SyncError} `snapshot_part_not_found` once the server no longer keeps it
 */
export async function getSnapshotPart(url, { signal } = {}) {
  const response = await request(url, { raw: true, cache: 'default', signal });
  return readBody(response.blob());
}

/**
 * POST /api/sync/changed/ (an extension): which of these collections a pull
 * from its cursor would bring anything of.
 * @param {Record<string, string>} cursors collection -> cursor
 * @returns {Promise<{changed: string[]}>}
 */
export function changed(cursors, token) {
  return request('/api/sync/changed/', { method: 'POST', token, body: { cursors } });
}

/** POST /api/sync/push/ */
export function push(clientId, mutations, token) {
  return request('/api/sync/push/', { method: 'POST', token, body: { client_id: clientId, mutations } });
}

/** POST /api/auth/login/ → {token, user, expires_at} */
export function login(username, password, deviceName = '') {
  return request('/api/auth/login/', { method: 'POST', body: { username, password, device_name: deviceName } });
}

/** POST /api/auth/logout/ (revokes this device's token; made also once its session has ended here) */
export function logout(token) {
  return request('/api/auth/logout/', { method: 'POST', token, revoking: true });
}
