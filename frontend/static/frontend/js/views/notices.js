/**
 * Notices above the product list: the last sync error (or any failed action),
 * changes the server refused (and that were undone here), and conflicts
 * still waiting for a decision.
 * @module views/notices
 */

import { messages } from '../sync/index.js';
import { h, plural, show } from './dom.js';

const ACTIONS = {
  'products:upsert': 'Your edit of a product',
  'products:delete': 'Deleting a product',
  'favourites:upsert': 'Adding a favourite',
  'favourites:delete': 'Removing a favourite',
};

/**
 * @param {HTMLElement} root where the notices go (a child of `#main`)
 * @param {{onDismissRejections: () => void, onShowConflicts: () => void, productName: (id: string) => string|undefined}} actions
 */
export function createNotices(root, actions) {
  const errorTitle = h('strong', { class: 'notice-title' });
  const errorMessage = h('span', { dataset: { errorMessage: '' } });
  const errorRetry = h('span', { dataset: { willRetry: '' } });
  const errorBox = h('div', { id: 'sync-error', class: 'notice notice-error', dataset: { syncError: '' }, hidden: true },
    h('p', {}, errorTitle, ' ', errorMessage, errorRetry),
    h('button', { type: 'button', class: 'btn btn-small', on: { click: () => view.clearError() } }, 'Dismiss'));
  // Kept in the page (empty when calm), so screen readers announce what appears in it.
  const errorRegion = h('div', { role: 'alert' }, errorBox);

  const rejectionList = h('ul', { class: 'notice-list' });
  const rejections = h('div', { class: 'notice notice-warning', dataset: { rejections: '' }, hidden: true },
    h('p', {}, h('strong', { class: 'notice-title', text: 'A change was not accepted.' }),
      ' The server refused it, so it has been undone on this device.'),
    rejectionList,
    h('button', {
      type: 'button', id: 'dismiss-rejections', class: 'btn btn-small',
      on: { click: () => actions.onDismissRejections() },
    }, 'Dismiss'));
  const rejectionRegion = h('div', { role: 'alert' }, rejections);

  const conflictText = h('span');
  const conflicts = h('div', { class: 'notice notice-info', dataset: { conflicts: '' }, hidden: true },
    h('p', {}, conflictText),
    h('button', {
      type: 'button', id: 'show-conflicts', class: 'btn btn-small',
      on: { click: () => actions.onShowConflicts() },
    }, 'Review'));

  root.replaceChildren(errorRegion, rejectionRegion, conflicts);

  const view = {
    /**
     * Show a sync error (a `syncerror` detail) or any SyncError-like failure.
     * @param {{code?: string, message?: string, willRetry?: boolean}} error
     */
    showError({ code = 'internal', message, willRetry = false } = {}) {
      const quota = code === 'quota_exceeded';
      errorBox.dataset.code = code;
      errorBox.classList.toggle('is-quota', quota);
      errorTitle.textContent = quota ? 'Storage full.' : code === 'network' ? 'No connection.' : 'Sync failed.';
      errorMessage.textContent = message || messages[code] || messages.internal;
      errorRetry.textContent = willRetry ? ' The app will retry automatically.' : '';
      show(errorBox, true);
    },
    clearError() {
      show(errorBox, false);
      delete errorBox.dataset.code;
    },
    /** @param {object[]} list the stored rejections (`changes.rejectedChanges()`) */
    setRejections(list) {
      rejectionList.replaceChildren(...list.map((rejection) => h('li', {}, describeRejection(rejection, actions))));
      show(rejections, list.length > 0);
    },
    /** @param {number} count conflicts waiting that are not on screen */
    setConflicts(count) {
      conflictText.textContent = count === 1
        ? '1 of your changes conflicts with a newer change on the server.'
        : `${plural(count, 'change', 'changes')} of yours conflict with newer changes on the server.`;
      show(conflicts, count > 0);
    },
  };
  return view;
}

function describeRejection(rejection, actions) {
  let what = ACTIONS[`${rejection.collection}:${rejection.op}`] ?? `A change to ${rejection.collection}`;
  if (rejection.collection === 'products') {
    const name = actions.productName(rejection.recordId);
    if (name) what = `Your edit of “${name}”`;
  }
  const reason = rejection.detail || reasonOf(rejection.code);
  const fieldErrors = Object.entries(rejection.errors ?? {}).map(([field, errors]) =>
    `${field}: ${[].concat(errors).join(' ')}`);
  return [
    h('span', { text: `${what}: ${reason}` }),
    fieldErrors.length ? h('span', { class: 'field-errors', text: ` (${fieldErrors.join('; ')})` }) : null,
  ];
}

function reasonOf(code) {
  switch (code) {
    case 'forbidden': return 'you are not allowed to make this change.';
    case 'not_found': return 'it no longer exists on the server.';
    case 'invalid': return 'the values were not valid.';
    default: return code ? `refused (${code}).` : 'refused.';
  }
}
