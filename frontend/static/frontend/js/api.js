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
 * @param {{method?: string, token?: string|null, body?: object, raw?: boolean}} [options]
 *   `raw`: answer a successful response itself, its body unread
 */
async function request(path, { method = 'GET', token = null, body, raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
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
 * @param {{parallel?: boolean}} [options] `parallel`: on a first page, ask for `parallel_cursors`
 * @returns {Promise<{body: Blob|string, upserts: number|null}>} the page's JSON — a Blob if
 *   large, else its text — and its count of upserts if the server says (null if not)
 */
export async function pull(collection, cursor, limit, token, { parallel = false } = {}) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (cursor) params.set('cursor', cursor);
  if (parallel) params.set('parallel', '1');
  const response = await request(`/api/sync/pull/${encodeURIComponent(collection)}/?${params}`, { token, raw: true });
  const upserts = Number.parseInt(response.headers.get(UPSERTS_HEADER) ?? '', 10);
  const length = Number.parseInt(response.headers.get('Content-Length') ?? '', 10);
  const small = length < BLOB_MIN_BYTES; // false if unknown
  const body = await readBody(small ? response.text() : response.blob());
  return { body, upserts: Number.isNaN(upserts) ? null : upserts };
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
