/**
 * The status area in the header (`#status`): network, last sync, unsent
 * changes and conflicts (a button opening the outbox), whether the browser
 * keeps the app's storage, sync progress, and the app's actions (sync now,
 * install, update, sign in/out). On a phone it is two rows: the title and the
 * actions, then the chips in one line that scrolls sideways. It shows what it is told; app.js wires the events.
 * @module views/status
 */

import { formatWhen, h, icon, show, throttle } from './dom.js';

/** The progress bar shows a sync's latest counts at most this often (the list re-renders as often). */
const PROGRESS_INTERVAL_MS = 250;

/**
 * @param {HTMLElement} root `#status`
 * @param {{onSyncNow: () => void, onInstall: () => void, onUpdate: () => void,
 *          onSignIn: () => void, onSignOut: () => void, onShowOutbox: () => void,
 *          onShowOrders: () => void}} actions
 */
export function createStatusView(root, actions) {
  const online = h('span', { class: 'chip net', dataset: { online: '' } });
  const lastSync = h('time', { dataset: { lastSync: '' }, text: 'never' });
  const pending = h('span', { dataset: { pendingCount: '' }, text: '0' });
  const conflicts = h('span', { dataset: { conflictCount: '' }, text: '0' });
  const conflictPart = h('span', { class: 'conflict-part', hidden: true }, ', ', conflicts, ' to decide');
  const pendingChip = h('button', {
    type: 'button', id: 'outbox-chip', class: 'chip pending-chip', 'aria-haspopup': 'dialog',
    on: { click: () => actions.onShowOutbox() },
  }, pending, ' unsent', conflictPart, h('span', { class: 'visually-hidden', text: ': show the changes' }));
  const storage = h('span', { class: 'chip storage-chip', id: 'storage-chip', hidden: true });
  const orderCount = h('span', { dataset: { orderLines: '' }, text: '0' });
  const orderChip = h('button', {
    type: 'button', id: 'orders-chip', class: 'chip order-chip', 'aria-haspopup': 'dialog', hidden: true,
    on: { click: () => actions.onShowOrders() },
  }, 'Order · ', orderCount, h('span', { class: 'visually-hidden', text: ' lines: show the orders' }));
  const progress = h('progress', { id: 'sync-progress', max: '1', 'aria-label': 'Sync progress', hidden: true });
  const progressLabel = h('span', { class: 'progress-label', 'aria-hidden': 'true', hidden: true });
  let latestProgress = null;
  const showProgress = throttle(() => {
    const { upserts, deletes, hasMore, expected } = latestProgress;
    // A snapshot says how many records it brings; otherwise the bar shows the known work, one more page while
    // there is more.
    const lastPage = Math.max(1, upserts);
    progress.max = Math.max(expected ?? 0, upserts + (hasMore ? Math.min(lastPage, 5000) : 0)) || 1;
    progress.value = upserts;
    progressLabel.textContent = `Syncing… ${upserts + deletes} records`;
  }, PROGRESS_INTERVAL_MS);

  const button = (id, text, onClick, extra = {}) =>
    h('button', { type: 'button', id, class: 'btn', on: { click: onClick }, ...extra }, text);
  const syncNow = h('button', {
    type: 'button', id: 'sync-now', class: 'btn btn-light btn-sync', on: { click: actions.onSyncNow },
  }, icon('sync'), h('span', { class: 'label-wide', text: 'Sync now' }));
  const install = button('install', 'Install app', actions.onInstall, { class: 'btn btn-light btn-small', hidden: true });
  const update = button('update-reload', 'Update available — reload', actions.onUpdate, {
    class: 'btn btn-accent btn-small', hidden: true,
  });
  const username = h('span', { class: 'username', dataset: { username: '' } });
  const userChip = h('span', { class: 'chip user-chip', hidden: true }, h('span', { class: 'visually-hidden', text: 'Signed in as ' }), username);
  const signIn = button('sign-in', 'Sign in', actions.onSignIn, { class: 'btn btn-light' });
  const signOut = button('sign-out', 'Sign out', actions.onSignOut, { class: 'btn btn-ghost', hidden: true });

  root.replaceChildren(
    h('div', { class: 'status-info' },
      online,
      h('span', { class: 'chip' }, 'Last sync ', lastSync),
      pendingChip,
      orderChip,
      storage,
      userChip,
      h('span', { class: 'sync-activity' }, progress, progressLabel),
      update),
    h('div', { class: 'status-actions' }, install, syncNow, signIn, signOut),
  );

  let syncing = 0;

  const view = {
    /** @param {boolean} isOnline */
    setOnline(isOnline) {
      online.textContent = isOnline ? 'Online' : 'Offline';
      online.classList.toggle('is-offline', !isOnline);
    },
    /** @param {{at: number}|undefined} meta the stored `lastSync` */
    setLastSync(meta) {
      if (meta?.at) {
        lastSync.dateTime = new Date(meta.at).toISOString();
        lastSync.textContent = formatWhen(meta.at);
      } else {
        lastSync.removeAttribute('datetime');
        lastSync.textContent = 'never';
      }
    },
    /**
     * @param {number} count unsent local changes
     * @param {number} [waiting] conflicts waiting for a decision
     */
    setPending(count, waiting = 0) {
      pending.textContent = String(count);
      conflicts.textContent = String(waiting);
      show(conflictPart, waiting > 0);
      pendingChip.classList.toggle('has-pending', count > 0 || waiting > 0);
    },
    /** @param {number|null} lines the draft order's lines (null: no one signed in, no orders) */
    setOrder(lines) {
      orderCount.textContent = String(lines ?? 0);
      show(orderChip, lines !== null);
      orderChip.classList.toggle('has-order', lines > 0);
    },
    /** @param {{username: string}|null} user */
    setUser(user) {
      username.textContent = user?.username ?? '';
      show(userChip, Boolean(user));
      show(signIn, !user);
      show(signOut, Boolean(user));
    },
    syncStarted() {
      syncing += 1;
      progress.removeAttribute('value'); // indeterminate until the first page
      progressLabel.textContent = 'Syncing…';
      show(progress, true);
      show(progressLabel, true);
      root.classList.add('is-syncing');
    },
    /**
     * Show a sync's progress: the latest at most every PROGRESS_INTERVAL_MS
     * (each update is a frame to style, lay out and paint, while the sync
     * needs the CPU; a first download reports 20 pages a second).
     * @param {import('../sync/engine.js').SyncProgressDetail} detail
     */
    syncProgress(detail) {
      if (!syncing) view.syncStarted();
      latestProgress = detail;
      showProgress();
    },
    syncEnded() {
      showProgress.cancel(); // a sync that ended shows no more progress
      syncing = 0;
      show(progress, false);
      show(progressLabel, false);
      root.classList.remove('is-syncing');
    },
    /**
     * @param {boolean|null} persistent whether the browser keeps this app's
     *   storage until the user deletes it (null: the browser does not say)
     */
    setStorage(persistent) {
      show(storage, persistent !== null);
      storage.textContent = persistent ? 'Data kept' : 'Data may be cleared';
      storage.title = persistent
        ? 'This browser keeps the app\'s data until you delete it.'
        : 'This browser may delete the app\'s data when space runs low or after weeks without use. '
          + 'Installing the app helps keep it.';
      storage.classList.toggle('is-at-risk', !persistent);
    },
    /** @param {boolean} visible */
    showInstall(visible) {
      show(install, visible);
    },
    /** @param {boolean} visible */
    showUpdate(visible) {
      show(update, visible);
    },
    /** Move focus to the account control now shown (after sign-in or sign-out). */
    focusAccount() {
      (signOut.hidden ? signIn : signOut).focus();
    },
  };
  return view;
}
