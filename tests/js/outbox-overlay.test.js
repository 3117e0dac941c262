// What the app shows for queued changes not yet sent: the replica with the outbox laid over it.
// Run by `make test`: node --test tests/js/
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pendingOverlay } from '../../frontend/static/frontend/js/sync/outbox.js';

const records = new Map([['p1', { id: 'p1', version: 4, price: '10.00', name: 'Drill' }]]);

test('queued edits apply in order over the stored record and are marked pending', () => {
  const overlay = pendingOverlay(records, [
    { collection: 'products', op: 'upsert', record_id: 'p1', data: { price: '11.00' } },
    { collection: 'products', op: 'upsert', record_id: 'p1', data: { price: '12.00', name: 'Drill 18V' } },
  ], 'products');

  assert.deepEqual(overlay.get('p1'), { id: 'p1', version: 4, price: '12.00', name: 'Drill 18V', pending: true });
  assert.equal(records.get('p1').price, '10.00'); // the replica itself is not modified
});

test('a record created offline has no version; a queued delete hides the record', () => {
  const overlay = pendingOverlay(records, [
    { collection: 'favourites', op: 'upsert', record_id: 'f1', data: { product_id: 'p1' } },
    { collection: 'products', op: 'delete', record_id: 'p1' },
  ], 'favourites');

  assert.deepEqual(overlay.get('f1'), { id: 'f1', version: null, product_id: 'p1', pending: true });
  assert.equal(overlay.has('p1'), false); // another collection's mutation
  assert.equal(pendingOverlay(records, [{ collection: 'products', op: 'delete', record_id: 'p1' }], 'products').get('p1'), null);
});

test('an edit after a queued delete brings the record back as edited', () => {
  const overlay = pendingOverlay(records, [
    { collection: 'products', op: 'delete', record_id: 'p1' },
    { collection: 'products', op: 'upsert', record_id: 'p1', data: { price: '9.00' } },
  ], 'products');
  assert.equal(overlay.get('p1').price, '9.00');
});
