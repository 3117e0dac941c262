// The app's URLs (frontend/static/frontend/js/routes.js). Run by `make test`.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatRoute, parseRoute } from '../../frontend/static/frontend/js/routes.js';

test('each route has a path, and the path reads back as the route', () => {
  const plain = { sort: '', inStock: false };
  const routes = [
    { list: 'all', query: '', ...plain, product: null },
    { list: 'all', query: 'bosch drill', ...plain, product: null },
    { list: 'favourites', query: '', ...plain, product: null },
    { list: 'favourites', query: 'café', ...plain, product: null },
    { list: '5f0c7c8e-1b2a-4c3d-9e8f-0a1b2c3d4e5f', query: 'saw', ...plain, product: null },
    { list: 'all', query: '', ...plain, product: '962aee9e-96d7-49f3-9b17-6ad37db4907e' },
    { list: 'all', query: '', sort: '-price', inStock: true, product: null },
    { list: 'abc', query: 'saw', sort: 'name', inStock: false, product: null },
  ];
  for (const route of routes) assert.deepEqual(parseRoute(formatRoute(route)), route);
});

test('the paths are the ones the server serves the shell at', () => {
  assert.equal(formatRoute({ list: 'all' }), '/');
  assert.equal(formatRoute({ list: 'favourites' }), '/favourites/');
  assert.equal(formatRoute({ list: 'abc', query: ' drill  ' }), '/categories/abc/?q=drill');
  assert.equal(formatRoute({ product: 'p-1', list: 'abc', query: 'x' }), '/products/p-1/');
});

test('an unknown path shows every product', () => {
  const plain = { sort: '', inStock: false };
  assert.deepEqual(parseRoute('/nothing/here'), { list: 'all', query: '', ...plain, product: null });
  assert.deepEqual(parseRoute('https://shop.example.com/?q=a+b'), { list: 'all', query: 'a b', ...plain, product: null });
});

test('a sort and the in-stock filter are kept in the URL; an unknown sort is the best match', () => {
  assert.equal(formatRoute({ list: 'all', sort: 'price', inStock: true }), '/?sort=price&stock=in');
  assert.equal(formatRoute({ list: 'abc', query: 'saw', sort: '-stock' }), '/categories/abc/?q=saw&sort=-stock');
  assert.equal(parseRoute('/?sort=colour').sort, '');
  assert.equal(parseRoute('/?stock=yes').inStock, false);
});
