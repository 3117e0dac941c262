/**
 * Every request to the server (PROTOCOL.md). Failures become SyncErrors with
 * the server's code, or `network` / `server` when there is no usable answer.
 * @module api
 */

import { SyncError } from './errors.js';

/** A response body being read (`text()`, `blob()`); a connection lost meanwhile is a `network` SyncError. */
function readBody(reading) {
  return reading.catch((error) => { throw new SyncError('network', { cause: String(error) }); });
}

/**
 * @param {string} path
 * @param {{method?: string, token?: string|null, body?: object, raw?: boolean, cache?: RequestCache}} [options]
 *   `raw`: answer a successful response itself, its body unread; `cache`: the HTTP cache mode
 *   (`no-store` unless the response never changes)
 */
async function request(path, { method = 'GET', token = null, body, raw = false, cache = 'no-store' } = {}) {
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
    });
  } catch (error) {
    throw new SyncError('network', { cause: String(error) });
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

/** GET /api/sync/config/ */
export function getConfig(token) {
  return request('/api/sync/config/', { token });
}

/** Response header of a pulled page: how many records it upserts (this server's extension). */
const UPSERTS_HEADER = 'Sync-Upserts';

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
export async function pull(collection, cursor, limit, token) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (cursor) params.set('cursor', cursor);
  const response = await request(`/api/sync/pull/${encodeURIComponent(collection)}/?${params}`, { token, raw: true });
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
export async function getSnapshot(collection, token) {
  try {
    return await request(`/api/sync/snapshot/${encodeURIComponent(collection)}/`, { token });
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
export async function getSnapshots(token) {
  try {
    return (await request('/api/sync/snapshot/', { token })).snapshots;
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
export async function getSnapshotPart(url) {
  const response = await request(url, { raw: true, cache: 'default' });
  return readBody(response.blob());
}

/** POST /api/sync/push/ */
export function push(clientId, mutations, token) {
  return request('/api/sync/push/', { method: 'POST', token, body: { client_id: clientId, mutations } });
}

/** POST /api/auth/login/ → {token, user, expires_at} */
export function login(username, password, deviceName = '') {
  return request('/api/auth/login/', { method: 'POST', body: { username, password, device_name: deviceName } });
}

/** POST /api/auth/logout/ (revokes this device's token) */
export function logout(token) {
  return request('/api/auth/logout/', { method: 'POST', token });
}
