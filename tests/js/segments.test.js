// Stored segments (pulled pages and snapshot parts) and what they change in a replica.
// Run by `make test`: node --test tests/js/
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { applyChanges, readChanges, replaySegments } from '../../frontend/static/frontend/js/sync/segments.js';
import { FORMAT } from '../../frontend/static/frontend/js/sync/snapshot-format.js';

const PART = readFileSync(new URL('../fixtures/snapshot-part.json', import.meta.url), 'utf8');
const RECORDS = JSON.parse(readFileSync(new URL('../fixtures/snapshot-part.records.json', import.meta.url), 'utf8'));
const PAGE = readFileSync(new URL('../fixtures/page.json', import.meta.url), 'utf8');

const page = (upserts, deletes = []) => JSON.stringify({ collection: 'products', upserts, deletes, cursor: 'c', has_more: false, reset: false });

test('a snapshot part and a pulled page, as text or Blob, are read to their changes', async () => {
  assert.deepEqual(await readChanges({ text: PART, format: FORMAT }), { upserts: RECORDS, deletes: [] });
  assert.deepEqual(await readChanges({ blob: new Blob([PART]), format: FORMAT }), { upserts: RECORDS, deletes: [] });
  const { upserts, deletes } = JSON.parse(PAGE);
  assert.deepEqual(await readChanges({ blob: new Blob([PAGE]) }), { upserts, deletes });
});

test('segments replay in order: later upserts win, deletes remove, a reset starts over', async () => {
  const records = await replaySegments([
    { text: PART, format: FORMAT, reset: true },
    { text: page([{ id: RECORDS[0].id, version: 999, name: 'renamed' }], [RECORDS[1].id]), reset: false },
  ]);
  assert.equal(records.size, RECORDS.length - 1);
  assert.equal(records.get(RECORDS[0].id).name, 'renamed');
  assert.equal(records.has(RECORDS[1].id), false);

  await replaySegments([{ text: page([{ id: 'only', version: 1 }]), reset: true }], records);
  assert.deepEqual([...records.keys()], ['only']);
});

test('applying changes names the ids whose earlier record left', () => {
  const records = new Map([['a', { id: 'a', version: 1 }], ['b', { id: 'b', version: 1 }]]);

  assert.equal(applyChanges(records, { upserts: [{ id: 'c', version: 2 }], deletes: ['gone-already'] }), null);
  const gone = applyChanges(records, { upserts: [{ id: 'a', version: 3 }, { id: 'd', version: 3 }], deletes: ['b', 'd'] });

  assert.deepEqual([...gone.keys()].sort(), ['a', 'b', 'd']);
  assert.deepEqual(gone.get('a'), { id: 'a', version: 1 }); // the record that left, not its successor
  assert.deepEqual(gone.get('b'), { id: 'b', version: 1 });
  assert.deepEqual([...records.keys()].sort(), ['a', 'c']);
  assert.equal(records.get('a').version, 3);
});
