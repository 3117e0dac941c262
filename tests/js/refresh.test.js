// The foreground refresh's timer (sync/refresh.js): when it asks the server, and when it stays still.
import assert from 'node:assert/strict';
import { test } from 'node:test';

globalThis.BroadcastChannel = class { addEventListener() {} postMessage() {} };
const { ForegroundRefresh } = await import('../../frontend/static/frontend/js/sync/refresh.js');

/** A page with a hand-driven clock: `advance(ms)` runs the timers due and waits for what they started. */
function page({ visible = true, online = true, changes = false } = {}) {
  const state = { visible, online, changes, now: 0, timers: new Map(), next: 1, probes: 0, syncs: 0 };
  const refresh = new ForegroundRefresh({
    probe: async () => { state.probes += 1; return state.changes; },
    sync: async () => { state.syncs += 1; },
    isVisible: () => state.visible,
    isOnline: () => state.online,
    setTimer: (run, ms) => { const id = state.next++; state.timers.set(id, { at: state.now + ms, run }); return id; },
    clearTimer: (id) => state.timers.delete(id),
  });
  state.advance = async (ms) => {
    const until = state.now + ms;
    for (;;) {
      const due = [...state.timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      state.timers.delete(due[0]);
      state.now = due[1].at;
      due[1].run();
      await new Promise((resolve) => setImmediate(resolve));
    }
    state.now = until;
  };
  return { refresh, state };
}

test('while visible and online it asks every interval, and syncs only when the server has changes', async () => {
  const { refresh, state } = page();
  refresh.configure(30);
  await state.advance(29_999);
  assert.equal(state.probes, 0);
  await state.advance(1);
  assert.deepEqual([state.probes, state.syncs], [1, 0]);
  state.changes = true;
  await state.advance(30_000);
  assert.deepEqual([state.probes, state.syncs], [2, 1]);
});

test('hidden, nothing runs; visible again, the delay starts over', async () => {
  const { refresh, state } = page();
  refresh.configure(30);
  await state.advance(10_000);
  state.visible = false;
  refresh.reschedule(); // what visibilitychange calls
  await state.advance(10 * 60_000);
  assert.equal(state.probes, 0);
  state.visible = true;
  refresh.reschedule();
  await state.advance(30_000);
  assert.equal(state.probes, 1);
});

test('offline, nothing runs', async () => {
  const { refresh, state } = page({ online: false });
  refresh.configure(30);
  await state.advance(5 * 60_000);
  assert.equal(state.probes, 0);
});

test('a sync meanwhile starts the delay over; no interval switches it off', async () => {
  const { refresh, state } = page();
  refresh.configure(30);
  await state.advance(20_000);
  refresh.reschedule(); // what synccomplete calls
  await state.advance(20_000);
  assert.equal(state.probes, 0);
  await state.advance(10_000);
  assert.equal(state.probes, 1);
  refresh.configure(null);
  await state.advance(5 * 60_000);
  assert.equal(state.probes, 1);
});

test('a failed probe is tried again at the next interval', async () => {
  const { refresh, state } = page();
  let failing = true;
  const probe = new ForegroundRefresh({
    probe: async () => { state.probes += 1; if (failing) throw new Error('offline'); return false; },
    sync: async () => {},
    isVisible: () => true,
    isOnline: () => true,
    setTimer: (run, ms) => { const id = state.next++; state.timers.set(id, { at: state.now + ms, run }); return id; },
    clearTimer: (id) => state.timers.delete(id),
  });
  refresh.configure(null);
  probe.configure(30);
  await state.advance(30_000);
  failing = false;
  await state.advance(30_000);
  assert.equal(state.probes, 2);
});
