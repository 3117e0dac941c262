/**
 * Typed sync errors. Every failure the engine reports carries a `code`; the
 * human messages live in one table, as Workbox's `messages.ts` does.
 * @module errors
 */

/** @type {Record<string, string>} */
export const messages = {
  network: 'The server cannot be reached. Your changes are kept and will be sent later.',
  server: 'The server had a problem. The sync will be tried again.',
  not_authenticated: 'Sign in to sync your own data.',
  invalid_token: 'Your session has ended. Sign in again.',
  session_ended: 'You signed out, so the sync that was running stopped.',
  quota_exceeded: 'This device is out of storage space. Free some space: your unsent changes are kept.',
  unknown_unit: 'There is no sync unit with this name.',
  invalid_response: 'The server sent an answer the app does not understand.',
  storage: 'The local database failed.',
  internal: 'Something went wrong in the app.',
};

/** Codes worth retrying later: the same request may well succeed. */
const RETRYABLE = new Set(['network', 'server']);

export class SyncError extends Error {
  /**
   * @param {string} code machine code (a key of `messages`, or a server error code)
   * @param {object} [details] anything that helps: status, server detail, cause
   */
  constructor(code, details = {}) {
    super(messages[code] ?? details.detail ?? code);
    this.name = 'SyncError';
    this.code = code;
    this.details = details;
  }

  /** @returns {boolean} whether retrying the same sync may succeed */
  get retryable() {
    return RETRYABLE.has(this.code);
  }
}

/**
 * Normalise anything thrown into a SyncError.
 * @param {unknown} error
 * @returns {SyncError}
 */
export function toSyncError(error) {
  if (error instanceof SyncError) return error;
  if (error && error.name === 'QuotaExceededError') return new SyncError('quota_exceeded', { cause: String(error) });
  if (error instanceof DOMException) return new SyncError('storage', { cause: String(error) });
  return new SyncError('internal', { cause: String(error) });
}
