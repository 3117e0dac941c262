/**
 * Replaying stored segments (pulled pages) into a map of records: the one
 * definition of what the local replica of a collection is.
 * @module segments
 */

import { FORMAT as SNAPSHOT_FORMAT, parsePart, partRecords } from './snapshot-format.js';

/**
 * BroadcastChannel on which the engine hands each stored segment to the open
 * pages, so that they need not read back from IndexedDB what was just written.
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
 * @param {Segment} segment
 * @returns {Promise<string>} its page's JSON text
 */
export function segmentText(segment) {
  return typeof segment.text === 'string' ? Promise.resolve(segment.text) : segment.blob.text();
}

/**
 * `segments` with their texts read, for `replaySegments`.
 * @param {Segment[]} segments
 * @returns {Promise<Array<Segment & {text: string}>>}
 */
export function withTexts(segments) {
  return Promise.all(segments.map(async (segment) => ({ ...segment, text: await segmentText(segment) })));
}

/**
 * @param {{text: string, format?: string}} segment
 * @returns {boolean} whether it is a snapshot part (else a pulled page)
 */
export function isSnapshotPart(segment) {
  return segment.format === SNAPSHOT_FORMAT;
}

/**
 * What a segment changes: a page's upserts and deletes, or a snapshot part's records.
 * @param {{text: string, format?: string}} segment
 * @returns {{upserts: object[], deletes: string[]}}
 */
export function segmentChanges(segment) {
  if (isSnapshotPart(segment)) return { upserts: partRecords(parsePart(segment.text)), deletes: [] };
  return JSON.parse(segment.text);
}

/**
 * Apply `segments` in order to `records` (a segment with `reset` clears first).
 * @param {Array<{text: string, reset: boolean, format?: string}>} segments
 * @param {Map<string, object>} [records]
 * @returns {Map<string, object>} `records`
 */
export function replaySegments(segments, records = new Map()) {
  for (const segment of segments) {
    if (segment.reset) records.clear();
    const { upserts, deletes } = segmentChanges(segment);
    for (const record of upserts) records.set(record.id, record);
    for (const id of deletes) records.delete(id);
  }
  return records;
}

/** A page's records are parsed about this many characters at a time (some 1,250 records). */
const PART_CHARS = 500_000;

/**
 * A stored page's JSON text cut into parts that parse on their own, so that a
 * page of 5,000 records (2 MB) is not parsed in one task: `parts` are runs of
 * whole records (`JSON.parse(`[${part}]`)`), `rest` is an object with the
 * page's other members (`deletes`, ...). Cuts fall between records of this
 * server's layout (`{"id":` first, `"deletes"` after `"upserts"`); a cut in
 * the wrong place cannot parse, so a caller falls back to the whole text.
 * @param {string} text
 * @returns {{parts: string[], rest: string} | null} null if not laid out so
 */
export function pageInParts(text, partChars = PART_CHARS) {
  const OPEN = '"upserts":[';
  const open = text.indexOf(OPEN);
  const close = text.lastIndexOf('],"deletes":');
  if (open < 0 || close < open) return null;
  const parts = [];
  for (let from = open + OPEN.length; from < close;) {
    let cut = from + partChars < close ? text.indexOf('},{"id":', from + partChars) : -1;
    cut = cut < 0 || cut >= close ? close : cut + 1;
    parts.push(text.slice(from, cut));
    from = cut + 1; // past the comma between two records
  }
  return { parts, rest: `{${text.slice(close + 2)}` };
}
