/**
 * Stored segments — pulled pages and snapshot parts, kept as the server
 * sent them — and what they change: the one definition of what the local
 * replica of a collection is.
 * @module segments
 */

import { parsePage } from './page-format.js';
import { FORMAT as SNAPSHOT_FORMAT, parsePart, partRecords } from './snapshot-format.js';

/**
 * BroadcastChannel on which the engine says that it stored a segment
 * (`{collection, seq}`), so that open pages read it.
 */
export const SEGMENT_CHANNEL_NAME = 'offline-sync-segments';

/**
 * A stored segment: a pulled page of a collection, or a part of its snapshot
 * (`format` is then the part format's name), kept as the server sent it —
 * `blob`, the response body, undecoded (or `text`, for a small page and as
 * compaction writes it) — and numbered `seq` within its collection.
 * @typedef {{collection: string, seq: number, reset: boolean, format?: string, blob?: Blob, text?: string}} Segment
 */

/**
 * What a segment changes: upserted records and deleted ids (deletes apply after upserts).
 * @typedef {{upserts: object[], deletes: string[]}} Changes
 */

/** Records of a snapshot part made into objects per step. */
const PART_CHUNK = 1250;

/**
 * @param {Segment} segment
 * @returns {Promise<string>} its JSON text
 */
export function segmentText(segment) {
  return typeof segment.text === 'string' ? Promise.resolve(segment.text) : segment.blob.text();
}

/**
 * @param {{format?: string}} segment
 * @returns {boolean} whether it is a snapshot part (else a pulled page)
 */
export function isSnapshotPart(segment) {
  return segment.format === SNAPSHOT_FORMAT;
}

/**
 * What a segment changes, its text parsed once, a part per step: `between()`
 * is awaited after each (to yield to the page).
 * @param {Segment} segment
 * @param {() => Promise<void>} [between]
 * @returns {Promise<Changes>}
 */
export async function readChanges(segment, between = async () => {}) {
  const text = await segmentText(segment);
  if (!isSnapshotPart(segment)) return parsePage(text, between);
  const part = parsePart(text);
  const upserts = [];
  for (let start = 0; start < part.count; start += PART_CHUNK) {
    await between();
    for (const record of partRecords(part, start, Math.min(start + PART_CHUNK, part.count))) upserts.push(record);
  }
  return { upserts, deletes: [] };
}

/**
 * Apply `changes` to `records`, upserts first, then deletes.
 * @param {Map<string, object>} records
 * @param {Changes} changes
 * @returns {Map<string, object>|null} each id whose earlier record left `records` (replaced or
 *   deleted), with that record (the first one, if it left twice); null if none
 */
export function applyChanges(records, { upserts, deletes }) {
  let gone = null;
  const left = (id, earlier) => {
    gone ??= new Map();
    if (!gone.has(id)) gone.set(id, earlier);
  };
  for (const record of upserts) {
    const earlier = records.get(record.id);
    records.set(record.id, record);
    if (earlier !== undefined) left(record.id, earlier);
  }
  for (const id of deletes) {
    const earlier = records.get(id);
    if (earlier !== undefined && records.delete(id)) left(id, earlier);
  }
  return gone;
}

/**
 * Replay `segments` in order into `records` (a segment with `reset` clears first).
 * @param {Segment[]} segments
 * @param {Map<string, object>} [records]
 * @returns {Promise<Map<string, object>>} `records`
 */
export async function replaySegments(segments, records = new Map()) {
  for (const segment of segments) {
    if (segment.reset) records.clear();
    applyChanges(records, await readChanges(segment));
  }
  return records;
}
