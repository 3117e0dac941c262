// The unit queue's rule: a unit waits once; the running head stays; discarding keeps it.
// Run by `make test`: node --test tests/js/
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withUnit } from '../../frontend/static/frontend/js/sync/queue.js';

test('a unit is queued once while it waits', () => {
  assert.deepEqual(withUnit([], 'all'), ['all']);
  assert.deepEqual(withUnit(['all', 'favourites'], 'all'), ['all', 'favourites']);
  assert.deepEqual(withUnit(['all'], 'catalogue'), ['all', 'catalogue']);
});

test('a running unit no longer waits: the same unit is queued again behind it', () => {
  assert.deepEqual(withUnit(['catalogue'], 'catalogue', { running: 'catalogue' }), ['catalogue', 'catalogue']);
  assert.deepEqual(withUnit(['catalogue', 'catalogue'], 'catalogue', { running: 'catalogue' }), ['catalogue', 'catalogue']);
});

test('discarding pending units keeps the running head only', () => {
  const queue = ['catalogue', 'favourites', 'all'];

  assert.deepEqual(withUnit(queue, 'all', { discardPendingUnits: true }), ['all']);
  assert.deepEqual(withUnit(queue, 'all', { running: 'catalogue', discardPendingUnits: true }), ['catalogue', 'all']);
  assert.deepEqual(withUnit(queue, 'all', { running: 'favourites', discardPendingUnits: true }), ['all']); // not the head
  assert.deepEqual(queue, ['catalogue', 'favourites', 'all']); // not changed in place
});
