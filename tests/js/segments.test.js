// The replica's replay of stored segments (pulled pages and snapshot parts) and the cutting of a
// page into parts that parse alone. Run by `make test`: node --test tests/js/
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { pageInParts, replaySegments, segmentChanges } from '../../frontend/static/frontend/js/segments.js';
import { FORMAT } from '../../frontend/static/frontend/js/snapshot-format.js';

const PART = readFileSync(new URL('../fixtures/snapshot-part.json', import.meta.url), 'utf8');
const RECORDS = JSON.parse(readFileSync(new URL('../fixtures/snapshot-part.records.json', import.meta.url), 'utf8'));

const page = (upserts, deletes = []) => JSON.stringify({ collection: 'products', upserts, deletes, cursor: 'c', has_more: false, reset: false });

test('a snapshot part and a pulled page change the replica alike', () => {
  assert.deepEqual(segmentChanges({ text: PART, format: FORMAT }), { upserts: RECORDS, deletes: [] });
  assert.deepEqual(segmentChanges({ text: page([{ id: 'a', version: 1 }], ['b']) }).deletes, ['b']);
});

test('segments replay in order: later upserts win, deletes remove, a reset starts over', () => {
  const records = replaySegments([
    { text: PART, format: FORMAT, reset: true },
    { text: page([{ id: RECORDS[0].id, version: 999, name: 'renamed' }], [RECORDS[1].id]), reset: false },
  ]);
  assert.equal(records.size, RECORDS.length - 1);
  assert.equal(records.get(RECORDS[0].id).name, 'renamed');
  assert.equal(records.has(RECORDS[1].id), false);

  replaySegments([{ text: page([{ id: 'only', version: 1 }]), reset: true }], records);
  assert.deepEqual([...records.keys()], ['only']);
});

test('a page cut into parts parses to the same records and members', () => {
  const upserts = Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, version: i + 1, name: `Name ${i}, "quoted" },{ not a cut` }));
  const text = page(upserts, ['gone']);

  const cut = pageInParts(text, 200);
  assert.ok(cut.parts.length > 1);
  assert.deepEqual(cut.parts.flatMap((part) => JSON.parse(`[${part}]`)), upserts);
  assert.deepEqual(JSON.parse(cut.rest).deletes, ['gone']);
});

test('a page not laid out as this server lays it out is not cut', () => {
  assert.equal(pageInParts(JSON.stringify({ deletes: [], upserts: [] })), null);
});
