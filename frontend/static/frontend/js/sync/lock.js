/**
 * The Web Lock held while a sync runs, in any tab or the worker. A leaf
 * module: the outbox and the queue both name it.
 * @module lock
 */

/** Name of the Web Lock held while a sync runs (in any tab or the worker). */
export const LOCK_NAME = 'offline-sync';
