/**
 * The snapshot part format `syncapi.columns.v1`: a collection's records as
 * one JSON object of columns (field names once). The app's one owner of the
 * format described in docs/protocol-notes.md ("Snapshot parts");
 * `syncapi/snapshots/format.py` is the server's. Both sides' tests read the
 * golden fixture `tests/fixtures/snapshot-part.json`.
 *
 * A column is an array of its values, or `{uuid_hex}`: UUIDs (canonical,
 * lowercase) as their 32 hex digits one after another.
 * @module snapshot-format
 */

import { SyncError } from './errors.js';

export const FORMAT = 'syncapi.columns.v1';

/**
 * A part's text, parsed and checked, each column as an array of its values.
 * @typedef {{collection: string, count: number, fields: string[], columns: Array<Array<any>>}} Part
 * @param {string} text
 * @returns {Part}
 * @throws {SyncError} `invalid_response` if it is not a part of this format
 */
export function parsePart(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SyncError('invalid_response', { detail: 'A snapshot part is not JSON.' });
  }
  const { format, fields, columns, count } = body ?? {};
  const valid = format === FORMAT && Array.isArray(fields) && Array.isArray(columns)
    && fields.length === columns.length && Number.isInteger(count) && count >= 0;
  const values = valid ? columns.map((column) => columnValues(column, count)) : [];
  if (!valid || values.includes(null)) throw new SyncError('invalid_response', { detail: `Not a ${FORMAT} snapshot part.` });
  return { ...body, columns: values };
}

const HEX = /^[0-9a-f]*$/;

/** A column's `count` values, or null if it does not hold them. */
function columnValues(column, count) {
  if (Array.isArray(column)) return column.length === count ? column : null;
  const digits = column?.uuid_hex;
  if (typeof digits !== 'string' || digits.length !== 32 * count || !HEX.test(digits)) return null;
  const values = new Array(count);
  for (let at = 0, i = 0; i < count; i += 1, at += 32) {
    values[i] = `${digits.slice(at, at + 8)}-${digits.slice(at + 8, at + 12)}-${digits.slice(at + 12, at + 16)}-`
      + `${digits.slice(at + 16, at + 20)}-${digits.slice(at + 20, at + 32)}`;
  }
  return values;
}

/**
 * Records `start` to `end` (excluded) of a parsed part, as objects with the part's fields.
 * @param {Part} part
 * @param {number} [start]
 * @param {number} [end]
 * @returns {object[]}
 */
export function partRecords({ fields, columns, count }, start = 0, end = count) {
  const records = new Array(Math.max(0, end - start));
  for (let at = start; at < end; at += 1) {
    const record = {};
    for (let f = 0; f < fields.length; f += 1) record[fields[f]] = columns[f][at];
    records[at - start] = record;
  }
  return records;
}
