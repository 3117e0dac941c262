// The app's reader of the snapshot part format against the golden fixture that the server's
// tests read too (tests/syncapi/test_snapshot_format.py). Run by `make test`: node --test tests/js/
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { FORMAT, parsePart, partRecords } from '../../frontend/static/frontend/js/sync/snapshot-format.js';

const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const PART = fixture('snapshot-part.json');
const RECORDS = JSON.parse(fixture('snapshot-part.records.json'));

test('the golden part reads as its records', () => {
  const part = parsePart(PART);
  assert.equal(part.collection, 'products');
  assert.equal(part.count, RECORDS.length);
  assert.deepEqual(partRecords(part), RECORDS);
});

test('records are read a run at a time, in order', () => {
  const part = parsePart(PART);
  assert.deepEqual([...partRecords(part, 0, 2), ...partRecords(part, 2)], RECORDS);
  assert.deepEqual(partRecords(part, 1, 1), []);
});

test('a part of no records reads as none', () => {
  const part = parsePart(JSON.stringify({ format: FORMAT, collection: 'c', count: 0, fields: ['id'], columns: [[]] }));
  assert.deepEqual(partRecords(part), []);
});

for (const [name, text] of Object.entries({
  'not JSON': 'not json',
  'another format': JSON.stringify({ format: 'other', count: 0, fields: [], columns: [] }),
  'fields without columns': JSON.stringify({ format: FORMAT, count: 0, fields: ['id'], columns: [] }),
  'a column too long': JSON.stringify({ format: FORMAT, count: 1, fields: ['id'], columns: [['a', 'b']] }),
  'UUID digits too few': JSON.stringify({ format: FORMAT, count: 1, fields: ['id'], columns: [{ uuid_hex: 'ab'.repeat(15) }] }),
  'UUID digits not hex': JSON.stringify({ format: FORMAT, count: 1, fields: ['id'], columns: [{ uuid_hex: 'G'.repeat(32) }] }),
})) {
  test(`${name} is refused with a SyncError`, () => {
    assert.throws(() => parsePart(text), (error) => error.name === 'SyncError' && error.code === 'invalid_response');
  });
}
