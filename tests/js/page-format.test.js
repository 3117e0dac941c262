// The page layout against its golden fixture, which the server's tests read too
// (tests/syncapi/test_page_format.py). Run by `make test`: node --test tests/js/
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { pageInParts, parsePage, summarize, summarizePage } from '../../frontend/static/frontend/js/sync/page-format.js';

const PAGE = readFileSync(new URL('../fixtures/page.json', import.meta.url), 'utf8');
const EXPECTED = JSON.parse(PAGE);

test('a page is summarized without decoding its records', () => {
  assert.deepEqual(summarize(PAGE), {
    deletes: EXPECTED.deletes, cursor: EXPECTED.cursor, has_more: true, reset: false, upserts: EXPECTED.upserts.length,
  });
});

test('of a page kept as a Blob, with the count header, only the end is read', async () => {
  const body = new Blob([PAGE]);
  let read = 0;
  const slice = body.slice.bind(body);
  body.slice = (...args) => { const part = slice(...args); read += part.size; return part; };

  const summary = await summarizePage({ body, upserts: 3 });

  assert.equal(summary.upserts, 3);
  assert.deepEqual(summary.deletes, EXPECTED.deletes);
  assert.equal(read, PAGE.length <= 64 * 1024 ? new TextEncoder().encode(PAGE).length : 64 * 1024);
});

test('a page cut into parts, between records only, parses to its records and members', async () => {
  const cut = pageInParts(PAGE, 10);

  assert.equal(cut.parts.length, EXPECTED.upserts.length); // each part one record: the quoted "},{\"id\":" is no cut
  assert.deepEqual(cut.parts.flatMap((part) => JSON.parse(`[${part}]`)), EXPECTED.upserts);
  assert.deepEqual(JSON.parse(cut.rest).deletes, EXPECTED.deletes);
  let steps = 0;
  assert.deepEqual(await parsePage(PAGE, async () => { steps += 1; }), { upserts: EXPECTED.upserts, deletes: EXPECTED.deletes });
  assert.ok(steps >= 1);
});

test('a page laid out otherwise is still read, whole', async () => {
  const other = JSON.stringify({ deletes: ['x'], cursor: 'c', has_more: false, reset: true, upserts: [{ version: 1, id: 'a' }] }, null, 1);

  assert.equal(pageInParts(other), null);
  assert.deepEqual(await parsePage(other), { upserts: [{ version: 1, id: 'a' }], deletes: ['x'] });
  assert.equal(summarize(other).upserts, 1);
  assert.equal(summarize(other).cursor, 'c');
});
