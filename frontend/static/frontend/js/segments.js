/**
 * Replaying stored segments (pulled pages) into a map of records: the one
 * definition of what the local replica of a collection is.
 * @module segments
 */

/**
 * BroadcastChannel on which the engine hands each stored segment to the open
 * pages, so that they need not read back from IndexedDB what was just written.
 */
export const SEGMENT_CHANNEL_NAME = 'offline-sync-segments';

/**
 * Apply `segments` in order to `records` (a segment with `reset` clears first).
 * @param {Array<{text: string, reset: boolean}>} segments
 * @param {Map<string, object>} [records]
 * @returns {Map<string, object>} `records`
 */
export function replaySegments(segments, records = new Map()) {
  for (const segment of segments) {
    if (segment.reset) records.clear();
    const page = JSON.parse(segment.text);
    for (const record of page.upserts) records.set(record.id, record);
    for (const id of page.deletes) records.delete(id);
  }
  return records;
}
