// The client side of bench/list_order.py: CPU time of the app's catalogue index taking a first
// download's parts in the published list order or in id order, and of a floor. Prints JSON.
//   node bench/list_order.mjs <records.json> <runs>
// records.json: {"order": [...], "part": n, "listed": [...records in list order], "by_id": [...]}
import { readFileSync } from 'node:fs';

globalThis.BroadcastChannel = class { addEventListener() {} postMessage() {} }; // the sync client opens some
const { Catalogue } = await import('../frontend/static/frontend/js/catalogue.js');

const [file, runs] = [process.argv[2], Number(process.argv[3])];
const { order, part, listed, by_id: byId } = JSON.parse(readFileSync(file, 'utf8'));

/** The replica's side of the hand-over: what `Replica.subscribe` gives the catalogue. */
class Feed extends EventTarget {
  subscribe(consumer) { this.consumer = consumer; return Promise.resolve(); }
  describe() { return { order }; }
  changed() { return new Map(); }
}

const cpuMs = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };

/** CPU ms to merge `records`, part by part as a first download brings them; checks the result. */
async function merge(records) {
  const feed = new Feed();
  const catalogue = new Catalogue(feed);
  await catalogue.follow();
  const start = cpuMs();
  for (let at = 0; at < records.length; at += part) {
    await feed.consumer({ collection: 'products', reset: at === 0, upserts: records.slice(at, at + part), deletes: [], gone: null });
  }
  const spent = cpuMs() - start;
  const ids = catalogue.search().map((r) => r.id);
  if (ids.length !== listed.length || ids.some((id, i) => id !== listed[i].id)) throw new Error('not in the list order');
  return spent;
}

/** The floor: each record's keys computed and pushed into flat arrays, nothing compared. */
function floor(records) {
  const start = cpuMs();
  const keys = [];
  const texts = [];
  const items = [];
  for (const r of records) {
    keys.push(order.map((f) => String(r[f] ?? '').toLowerCase()).join('\u0000'));
    texts.push(`${r.name.toLowerCase()}\u0000${r.sku.toLowerCase()}`);
    items.push(r);
  }
  if (items.length !== records.length) throw new Error('lost records');
  return cpuMs() - start;
}

const out = { listed: [], byId: [], floor: [] };
for (let run = 0; run < runs; run += 1) {
  out.floor.push(floor(byId));
  out.listed.push(await merge(listed));
  out.byId.push(await merge(byId));
}
console.log(JSON.stringify(out));
