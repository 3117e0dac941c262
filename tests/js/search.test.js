// Product search as people type it (frontend/static/frontend/js/search.js). Run by `make test`.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SearchIndex, fold, highlights, withinOneEdit } from '../../frontend/static/frontend/js/search.js';

const PRODUCTS = [
  { id: 'drill', name: 'Bosch brushless drill driver 18V', sku: 'HW-DRL-004213' },
  { id: 'bank', name: 'Anker magnetic power bank 20000 mAh', sku: 'EL-PWR-000101' },
  { id: 'glasses', name: '3M anti-fog safety glasses tinted', sku: 'HW-SAF-882634' },
  { id: 'cafe', name: 'Café crème Senseo pads', sku: 'FD-COF-000007' },
  { id: 'drills', name: 'Makita drill bit set', sku: 'HW-DRL-000042' },
  { id: 'bosch-saw', name: 'Bosch circular saw', sku: 'HW-SAW-034036' },
];

function index(products = PRODUCTS) {
  const built = new SearchIndex();
  for (const product of products) built.put(product);
  return built;
}

const ids = (matches) => matches.map((m) => m.id);

test('every word must match, in any order, as the start of a word', () => {
  assert.deepEqual(ids(index().search('bosch drill')), ['drill']);
  assert.deepEqual(ids(index().search('drill bosch')), ['drill']);
  assert.deepEqual(ids(index().search('bos dri')), ['drill']);
  assert.deepEqual(ids(index().search('bosch')).sort(), ['bosch-saw', 'drill']);
  assert.deepEqual(index().search('rill'), []); // inside a word: no
});

test('two neighbouring words are also found written together', () => {
  assert.deepEqual(ids(index().search('powerbank')), ['bank']);
  assert.deepEqual(ids(index().search('powerb')), ['bank']);
});

test('case and accents do not matter', () => {
  assert.deepEqual(ids(index().search('CAFE CREME')), ['cafe']);
  assert.deepEqual(ids(index().search('café')), ['cafe']);
  assert.equal(fold('Crème Brûlée'), 'creme brulee');
});

test('one typo is forgiven in a word of five letters or more, not in a shorter one', () => {
  assert.deepEqual(ids(index().search('glases')), ['glasses']);
  assert.deepEqual(ids(index().search('galsses')), ['glasses']); // swapped
  assert.deepEqual(ids(index().search('brushlss')), ['drill']); // as typed, before the word is complete
  assert.deepEqual(index().search('glaxxes tinted'), []); // two typos
  assert.deepEqual(ids(index().search('bsoch drill')), ['drill']); // swapped
  assert.deepEqual(index().search('bsohc'), []); // two edits
  assert.deepEqual(ids(index().search('drkll')).sort(), ['drill', 'drills']);
  assert.deepEqual(index().search('drkl'), []); // four letters: no typo allowed
});

test('SKUs match whole, from the start or from any of their parts', () => {
  assert.deepEqual(ids(index().search('hw-saw-034036')), ['bosch-saw']);
  assert.deepEqual(ids(index().search('034036')), ['bosch-saw']);
  assert.deepEqual(ids(index().search('hw-drl')).sort(), ['drill', 'drills']);
  assert.deepEqual(ids(index().search('drl bosch')), ['drill']);
});

test('better matches first: whole words, then starts of words, then typos', () => {
  const built = index([
    { id: 'typo', name: 'Drilk press', sku: 'A-1' },
    { id: 'prefix', name: 'Drilling machine', sku: 'A-2' },
    { id: 'exact', name: 'Cordless drill', sku: 'A-3' },
    { id: 'leading', name: 'Drill stand', sku: 'A-4' },
  ]);
  assert.deepEqual(ids(built.search('drill')), ['leading', 'exact', 'prefix', 'typo']);
});

test('a changed name is found by its new words only, a deleted product not at all', () => {
  const built = index();
  built.put({ id: 'drill', name: 'Bosch impact wrench', sku: 'HW-DRL-004213' });
  assert.deepEqual(ids(built.search('bosch drill')), []);
  assert.deepEqual(ids(built.search('impact')), ['drill']);
  built.delete('bank');
  assert.deepEqual(built.search('anker'), []);
  assert.equal(built.size, PRODUCTS.length - 1);
});

test('replaced products are compacted away once they outnumber the live ones', () => {
  const built = new SearchIndex();
  for (const round of ['alpha', 'beta', 'gamma']) {
    for (let i = 0; i < 800; i += 1) built.put({ id: `p${i}`, name: `Widget ${round} model ${i}`, sku: `W-${i}` });
  }
  assert.equal(built.size, 800);
  assert.equal(built.search('widget gamma').length, 800);
  assert.deepEqual(built.search('beta'), []);
  assert.deepEqual(built.search('alpha'), []);
});

test('withinOneEdit: changed, added, removed, swapped', () => {
  assert.ok(withinOneEdit('glases', 'glasses'));
  assert.ok(withinOneEdit('glassses', 'glasses'));
  assert.ok(withinOneEdit('glasees', 'glasses'));
  assert.ok(withinOneEdit('galsses', 'glasses'));
  assert.ok(!withinOneEdit('gasles', 'glasses'));
});

test('highlights: the matched start of each word, whole words for typos, both halves of a joined word', () => {
  const mark = (text, query) => highlights(text, query).map(([s, e]) => text.slice(s, e));
  assert.deepEqual(mark('Bosch brushless drill driver 18V', 'dri bosch'), ['Bosch', 'dri', 'dri']);
  assert.deepEqual(mark('3M anti-fog safety glasses tinted', 'glases'), ['glasses']);
  assert.deepEqual(mark('Anker magnetic power bank 20000 mAh', 'powerbank'), ['power', 'bank']);
  assert.deepEqual(mark('Café crème', 'cafe'), ['Café']);
  assert.deepEqual(highlights('Anything', '  '), []);
});

test('a search leaves nothing behind for the next one', () => {
  const built = index();
  assert.deepEqual(ids(built.search('bosch saw')), ['bosch-saw']);
  const again = built.search('bosch');
  assert.deepEqual(ids(again).sort(), ['bosch-saw', 'drill']);
  assert.equal(new Set(again.map((m) => m.score)).size, 1); // scores of this search alone
  assert.deepEqual(ids(built.search('bosch saw')), ids(built.search('saw bosch')));
});
