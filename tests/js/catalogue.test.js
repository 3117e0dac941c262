// The app's catalogue index over the records the sync client hands it: the list's order from
// the configuration, merges, search. Run by `make test`: node --test tests/js/
import assert from 'node:assert/strict';
import { test } from 'node:test';

// The sync client opens BroadcastChannels when imported; in Node one would keep the process alive.
globalThis.BroadcastChannel = class { addEventListener() {} postMessage() {} };
const { Catalogue, sortKey } = await import('../../frontend/static/frontend/js/catalogue.js');

/** Stands in for the sync client's Replica: what the catalogue reads of it. */
class FakeReplica extends EventTarget {
  constructor(order) {
    super();
    this.order = order;
    this.changes = new Map();
    this.records = new Map();
    this.consumer = null;
  }

  subscribe(consumer) { this.consumer = consumer; return Promise.resolve(); }

  describe(collection) { return collection === 'products' && this.order ? { order: this.order } : {}; }

  get(collection, id) { return this.changes.has(id) ? this.changes.get(id) ?? undefined : this.records.get(id); }

  all() { return []; }

  changed() { return this.changes; }

  pendingCount() { return this.changes.size; }

  /** Hand over one change, as the replica does after applying a segment. */
  send(change) {
    const full = { collection: 'products', reset: false, deletes: [], gone: null, ...change };
    if (full.reset) this.records.clear();
    for (const id of [...full.deletes, ...(full.gone ?? [])]) this.records.delete(id);
    for (const record of full.upserts ?? []) this.records.set(record.id, record);
    return this.consumer(full);
  }
}

let counter = 0;
const product = (name, sku, id = `id-${String(counter += 1).padStart(4, '0')}`) => ({ id, version: 1, name, sku, category_id: null });
const names = (catalogue, filter) => catalogue.search(filter).map((p) => p.name);

async function following(order = ['name', 'sku']) {
  const replica = new FakeReplica(order);
  const catalogue = new Catalogue(replica);
  await catalogue.follow();
  return { replica, catalogue };
}

test('the sort key follows the configured fields, lower-cased', () => {
  assert.equal(sortKey(['name', 'sku'])({ name: 'Drill', sku: 'AB-1' }), 'drill\u0000ab-1');
  assert.equal(sortKey([])({ name: 'Drill' }), '');
});

test('pages in or out of the configured order merge into one sorted list', async () => {
  const { replica, catalogue } = await following();
  await replica.send({ reset: true, upserts: [product('Anvil', 'A'), product('drill', 'B'), product('Drill', 'A')] });
  await replica.send({ upserts: [product('zinc', 'Z'), product('Chisel', 'C'), product('bolt', 'B')] });

  assert.deepEqual(names(catalogue), ['Anvil', 'bolt', 'Chisel', 'Drill', 'drill', 'zinc']);
  assert.deepEqual(catalogue.search().slice(3, 5).map((p) => p.sku), ['A', 'B']); // same name: by SKU
  assert.equal(catalogue.productCount, 6);
});

test('without a configured order the list is by id', async () => {
  const { replica, catalogue } = await following(null);
  await replica.send({ reset: true, upserts: [product('b', '1', 'id-b'), product('a', '2', 'id-c'), product('c', '3', 'id-a')] });

  assert.deepEqual(catalogue.search().map((p) => p.id), ['id-a', 'id-b', 'id-c']);
});

test('a changed record moves, a deleted one goes, and a reset starts over', async () => {
  const { replica, catalogue } = await following();
  const drill = product('Drill', 'D');
  const saw = product('Saw', 'S');
  await replica.send({ reset: true, upserts: [drill, saw, product('Tape', 'T')] });

  await replica.send({ upserts: [{ ...drill, name: 'Router' }], deletes: [saw.id], gone: new Set([drill.id, saw.id]) });
  assert.deepEqual(names(catalogue), ['Router', 'Tape']);

  await replica.send({ reset: true, upserts: [product('Only', 'O')] });
  assert.deepEqual(names(catalogue), ['Only']);
});

test('of a record upserted twice in one change the last counts; upserted and deleted, it goes', async () => {
  const { replica, catalogue } = await following();
  const drill = product('Drill', 'D');
  await replica.send({ reset: true, upserts: [drill] });

  const twice = [{ ...drill, name: 'Drill v2' }, { ...drill, name: 'Drill v3' }];
  await replica.send({ upserts: twice, gone: new Set([drill.id]) });
  assert.deepEqual(names(catalogue), ['Drill v3']);

  const brief = product('Brief', 'B');
  await replica.send({ upserts: [brief], deletes: [brief.id], gone: new Set([brief.id]) });
  assert.deepEqual(names(catalogue), ['Drill v3']);
});

test('search matches name or SKU, case-insensitive, and finds changes made here by what they show', async () => {
  const { replica, catalogue } = await following();
  const drill = product('Bosch drill 18V', 'BSH-1');
  const saw = product('Saw', 'SAW-9');
  await replica.send({ reset: true, upserts: [drill, saw, product('Hammer', 'HAM-2')] });

  assert.deepEqual(names(catalogue, { query: 'DRILL' }), ['Bosch drill 18V']);
  assert.deepEqual(names(catalogue, { query: 'saw-9' }), ['Saw']);

  replica.changes.set(drill.id, { ...drill, name: 'Bosch hammer drill', pending: true });
  replica.changes.set(saw.id, null); // deleted here
  assert.deepEqual(names(catalogue, { query: 'hammer' }), ['Hammer', 'Bosch hammer drill']); // starts with it: first
  assert.deepEqual(names(catalogue, { query: 'saw' }), []);
});

test('another configured order sorts by it, and search still matches name or SKU', async () => {
  const { replica, catalogue } = await following(['sku']);
  await replica.send({ reset: true, upserts: [product('Anvil', 'Z-1'), product('Bolt', 'a-2'), product('Chisel', 'M-3')] });
  await replica.send({ upserts: [product('Drill', 'B-4')] });

  assert.deepEqual(names(catalogue), ['Bolt', 'Drill', 'Chisel', 'Anvil']);
  assert.deepEqual(names(catalogue, { query: 'chis' }), ['Chisel']);
  assert.deepEqual(names(catalogue, { query: 'z-1' }), ['Anvil']);
});

test('search ranks better matches first and keeps equals in the list order', async () => {
  const { replica, catalogue } = await following();
  await replica.send({
    reset: true,
    upserts: [product('Cordless drill B', 'X-2'), product('Drilling rig', 'X-3'), product('Cordless drill A', 'X-1'),
      product('Drill stand', 'X-4')],
  });
  assert.deepEqual(names(catalogue, { query: 'drill' }),
    ['Drill stand', 'Cordless drill A', 'Cordless drill B', 'Drilling rig']);
  assert.deepEqual(names(catalogue, { query: 'drill cordless' }), ['Cordless drill A', 'Cordless drill B']);
});

test('a deleted product is no longer found', async () => {
  const { replica, catalogue } = await following();
  const anvil = product('Anvil', 'A-1');
  await replica.send({ reset: true, upserts: [anvil, product('Anvil stand', 'A-2')] });
  await replica.send({ upserts: [], deletes: [anvil.id] });
  assert.deepEqual(names(catalogue, { query: 'anvil' }), ['Anvil stand']);
});

test('a list sorts by price or stock, equals in the list order, and filters to what is in stock', async () => {
  const { replica, catalogue } = await following();
  const priced = (name, price, stock) => ({ ...product(name, name[0]), price, stock });
  await replica.send({
    reset: true,
    upserts: [priced('Drill', '59.00', 3), priced('Anvil', '120.50', 0), priced('Chisel', '9.99', 12),
      priced('Bolt', '59.00', 40)],
  });

  assert.deepEqual(names(catalogue, { sort: 'price' }), ['Chisel', 'Bolt', 'Drill', 'Anvil']);
  assert.deepEqual(names(catalogue, { sort: '-price' }), ['Anvil', 'Bolt', 'Drill', 'Chisel']);
  assert.deepEqual(names(catalogue, { sort: '-stock' }), ['Bolt', 'Chisel', 'Drill', 'Anvil']);
  assert.deepEqual(names(catalogue, { inStock: true }), ['Bolt', 'Chisel', 'Drill']);
  assert.deepEqual(names(catalogue, { sort: 'price', inStock: true, query: 'd' }), ['Drill']);

  // A price changed here and not yet sent sorts by the price shown.
  const chisel = catalogue.search({ query: 'chisel' })[0];
  replica.changes.set(chisel.id, { ...chisel, price: '500.00' });
  assert.deepEqual(names(catalogue, { sort: '-price' }), ['Chisel', 'Anvil', 'Bolt', 'Drill']);
});

test('a search sorted by name is in the list order, not by best match', async () => {
  const { replica, catalogue } = await following();
  await replica.send({ reset: true, upserts: [product('Anvil for drills', 'A'), product('Drill', 'D')] });

  assert.deepEqual(names(catalogue, { query: 'drill' }), ['Drill', 'Anvil for drills']);
  assert.deepEqual(names(catalogue, { query: 'drill', sort: 'name' }), ['Anvil for drills', 'Drill']);
});
