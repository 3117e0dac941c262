// How the views show values (frontend/static/frontend/js/views/dom.js). Run by `make test`.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatPrice } from '../../frontend/static/frontend/js/views/dom.js';

test('a price reads as the reader writes it, from the exact decimal the server sent', () => {
  assert.equal(formatPrice('21.99', 'EUR', 'en-IE'), '€21.99');
  assert.equal(formatPrice('21.99', 'EUR', 'de-DE'), '21,99\u00a0€');
  assert.equal(formatPrice('1234567890.10', 'USD', 'en-US'), '$1,234,567,890.10');
  assert.equal(formatPrice('0.1', 'GBP', 'en-GB'), '£0.10');
});

test('a price without a currency Intl knows is shown as sent; none is a dash', () => {
  assert.equal(formatPrice('5.00', 'X1Z', 'en-US'), '5.00 X1Z');
  assert.equal(formatPrice('5.00', '', 'en-US'), '5.00');
  assert.equal(formatPrice(null, 'EUR'), '—');
});
