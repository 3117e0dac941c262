/**
 * Tokens of sessions signed out while the server could not be reached. The
 * user's data leaves the device at once; the token alone is kept, for one
 * purpose: revoking it on the server at the next chance (the next sync, in
 * whichever context runs it), so that it stops working then rather than at
 * its expiry.
 * @module revocations
 */

import * as api from './api.js';
import { toSyncError } from './errors.js';
import * as meta from './meta.js';

/** Remember `token` to be revoked later. */
export function revokeLater(token) {
  return meta.updateRevokeTokens((tokens) => [...new Set([...tokens, token])]);
}

/**
 * Revoke every remembered token the server can be asked about now. A token
 * the server no longer accepts (expired, revoked) is done with too.
 * @returns {Promise<number>} tokens still waiting (the server was unreachable)
 */
export async function revokePending() {
  const tokens = await meta.revokeTokens();
  const settled = new Set();
  for (const token of tokens) {
    try {
      await api.logout(token);
      settled.add(token);
    } catch (error) {
      if (!toSyncError(error).retryable) settled.add(token);
    }
  }
  if (!settled.size) return tokens.length;
  const left = await meta.updateRevokeTokens((current) => current.filter((token) => !settled.has(token)));
  return left.length;
}
