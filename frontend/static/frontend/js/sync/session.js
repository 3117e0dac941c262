/**
 * Signing in and out on this device. The token is kept in IndexedDB, where
 * the service worker reads it for background syncs.
 * @module session
 */

import * as api from './api.js';
import * as db from './db.js';
import * as meta from './meta.js';
import { clearPictures } from './pictures.js';
import { revokeLater, revokePending } from './revocations.js';
import { engine, signedIn, triggerOfflineDataSync } from './trigger.js';

/** @returns {Promise<{token: string, user: {id: number, username: string, is_staff: boolean}}|undefined>} */
export function currentAuth() {
  return meta.auth();
}

/**
 * Sign in, store the device token, and start a sync if the configuration says so.
 * @throws {import('./errors.js').SyncError} `invalid_credentials`, `throttled`, `network`, ...
 */
export async function login(username, password) {
  const answer = await api.login(username, password, navigator.userAgent.slice(0, 200));
  await meta.setAuth({ token: answer.token, user: answer.user, expiresAt: answer.expires_at });
  engine.announce('signedin', { user: answer.user });
  await signedIn();
  return answer.user;
}

/** @returns {Promise<number>} changes that would be lost by signing out now */
export function unsentChanges() {
  return db.outboxCount();
}

/**
 * Sign out: remove the user's data, unsent changes included, from this
 * device, and revoke the token on the server. Ask first if `unsentChanges()`
 * is not zero.
 *
 * A sync running meanwhile, in any context, is stopped first (its requests
 * aborted), and the data is wiped under the sync lock once it has let go,
 * so nothing that sync fetched for this session is stored after the wipe;
 * db.js refuses such writes besides. Offline, the data leaves the device at
 * once and the token is revoked by the next sync (a background sync is
 * queued for it, and to finish a sync that was stopped).
 */
export async function logout() {
  const token = (await currentAuth())?.token ?? null;
  // Remembered first: revoked below, or by the next sync if the server cannot be reached or the app closes.
  if (token) await revokeLater(token);
  const config = await meta.config();
  const userCollections = Object.entries(config?.collections ?? {}) // none stored before a first sync
    .filter(([, info]) => info.scope === 'user')
    .map(([name]) => name);
  const stopped = await engine.endSession(token, () => db.wipeUserData(userCollections));
  // The pictures kept say which products this user looked at or marked: they go too.
  await clearPictures().catch(() => {});
  const unrevoked = token ? await revokePending() : 0;
  engine.announce('signedout', {});
  if (unrevoked || stopped) await triggerOfflineDataSync('all'); // as the signed-out device: no user collection
}
