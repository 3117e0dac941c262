/**
 * The outbox (`#outbox`, in the dialog), opened from the "unsent" chip:
 * every change made here that the server has not settled, with what it
 * is, when it was made and its state, and the actions that apply:
 *   waiting   — Discard (before it is sent), Sync now
 *   sending   — none (the server's answer decides it)
 *   conflict  — Review (the conflict dialog)
 *   rejected  — Dismiss (the refusal was seen)
 * It follows the outbox while open: a change sent leaves the list. When a
 * change has waited more than a day and the app runs in a browser tab, it
 * warns that the browser may delete unsent changes (WebKit deletes the data
 * of sites unused for weeks; an installed app's data is kept).
 * @module views/outbox
 */

import { describeChange } from '../changes.js';
import { isInstalled } from '../pwa.js';
import { discardChange, dismissRejections, pendingChanges, sending, syncEvents } from '../sync/index.js';
import { formatWhen, h, plural } from './dom.js';
import { openDialog } from './dialog.js';

/** Unsent this long, a change in a browser tab is at risk of the browser deleting the site's data. */
const AT_RISK_AFTER_MS = 24 * 60 * 60 * 1000;

const STATES = {
  waiting: { label: 'Waiting', badge: 'badge-pending' },
  sending: { label: 'Sending…', badge: 'badge-pending' },
  conflict: { label: 'Conflict', badge: 'badge-conflict' },
  rejected: { label: 'Refused', badge: 'badge-rejected' },
};

/**
 * @param {{catalogue: import('../catalogue.js').Catalogue,
 *          changeStatus: import('../changeStatus.js').ChangeStatus,
 *          onReview: (conflict: object) => void, onSyncNow: () => void,
 *          onError: (error: Error) => void, returnFocus?: () => void}} options
 * @returns {Promise<void>} once closed
 */
export function openOutbox({ catalogue, changeStatus, onReview, onSyncNow, onError, returnFocus }) {
  let stop = () => {};
  return openDialog({
    kind: 'outbox',
    labelledBy: 'outbox-title',
    returnFocus,
    onClose: () => stop(),
    build: (close) => {
      const view = buildOutbox({ catalogue, changeStatus, onReview, onSyncNow, onError, close });
      const render = () => view.render().catch(onError);
      const events = [[catalogue, 'change'], [changeStatus, 'change'], [syncEvents, 'syncstart'],
        [syncEvents, 'synccomplete'], [syncEvents, 'syncerror']];
      for (const [target, type] of events) target.addEventListener(type, render);
      stop = () => { for (const [target, type] of events) target.removeEventListener(type, render); };
      render();
      return view.root;
    },
  });
}

function buildOutbox({ catalogue, changeStatus, onReview, onSyncNow, onError, close }) {
  const summary = h('p', { class: 'outbox-summary', 'aria-live': 'polite' });
  const atRisk = h('p', { id: 'outbox-at-risk', class: 'notice notice-warning', hidden: true },
    h('strong', { class: 'notice-title', text: 'Some changes have waited more than a day.' }),
    ' This browser may delete unsent changes of a site that is not installed. Connect and sync soon, '
    + 'and install the app to keep its data.');
  const list = h('ul', { class: 'outbox-list', 'aria-label': 'Changes not settled' });
  const message = h('p', { class: 'form-status', role: 'status', dataset: { outboxMessage: '' } });
  const syncNow = h('button', {
    type: 'button', id: 'outbox-sync-now', class: 'btn btn-primary',
    on: { click: () => { onSyncNow(); message.textContent = 'Sending…'; } },
  }, 'Sync now');
  const root = h('section', { id: 'outbox', class: 'outbox' },
    h('header', { class: 'dialog-header' },
      h('h2', { id: 'outbox-title', text: 'Changes made on this device' }),
      h('button', { type: 'button', class: 'btn-close', 'aria-label': 'Close', on: { click: () => close() } }, '×')),
    h('div', { class: 'dialog-body' },
      summary,
      atRisk,
      list,
      message,
      h('div', { class: 'form-actions' }, syncNow)));

  let rendering = Promise.resolve();

  const entry = ({ key, what, when, state, detail, actions = [] }) => h('li', {
    class: 'outbox-entry', dataset: { state, change: key },
  },
  h('div', { class: 'outbox-what', text: what }),
  h('div', { class: 'outbox-meta' },
    h('span', { class: `badge ${STATES[state].badge}`, text: STATES[state].label }),
    when ? h('time', { dateTime: new Date(when).toISOString(), text: formatWhen(when) }) : null,
    detail ? h('span', { class: 'outbox-detail', text: detail }) : null),
  actions.length ? h('div', { class: 'outbox-actions' }, actions) : null);

  const action = (text, onClick, extra = {}) => h('button', {
    type: 'button', class: 'btn btn-small', on: { click: onClick }, ...extra,
  }, text);

  async function discard(change, button) {
    button.disabled = true;
    try {
      const outcome = await discardChange(change.id);
      message.textContent = {
        discarded: 'Change discarded.',
        sending: 'A sync is sending this change now: the server’s answer decides it.',
        gone: 'This change was sent already.',
      }[outcome];
      await catalogue.refresh();
    } catch (error) {
      onError(error);
    } finally {
      button.disabled = false;
    }
  }

  async function draw() {
    const [changes, isSending] = await Promise.all([pendingChanges(), sending()]);
    const state = isSending ? 'sending' : 'waiting';
    const entries = changes.map((change) => entry({
      key: `m-${change.id}`,
      what: describeChange(catalogue, change),
      when: change.queuedAt,
      state,
      actions: isSending ? [] : [action('Discard', (event) => discard(change, event.currentTarget), {
        'aria-label': `Discard: ${describeChange(catalogue, change)}`,
      })],
    }));
    for (const conflict of changeStatus.conflicts) {
      entries.push(entry({
        key: `c-${conflict.id}`,
        what: describeChange(catalogue, { ...conflict, op: 'upsert', data: conflict.mine ?? {}, base: {} }),
        when: conflict.at,
        state: 'conflict',
        detail: 'Changed on the server meanwhile: choose which values to keep.',
        actions: [action('Review', () => { close(); onReview(conflict); })],
      }));
    }
    for (const refusal of changeStatus.rejections) {
      entries.push(entry({
        key: `r-${refusal.recordId}-${refusal.at}`,
        what: describeChange(catalogue, refusal),
        when: refusal.at,
        state: 'rejected',
        detail: refusal.detail ?? 'The server refused this change; it was undone here.',
      }));
    }
    if (changeStatus.rejections.length) {
      entries.push(h('li', { class: 'outbox-entry outbox-footer' }, action('Dismiss refused changes', async () => {
        try {
          await dismissRejections();
          await changeStatus.refresh();
        } catch (error) {
          onError(error);
        }
      }, { id: 'outbox-dismiss' })));
    }
    list.replaceChildren(...entries);
    list.hidden = !entries.length;
    const counts = [
      changes.length ? `${plural(changes.length, 'change', 'changes')} ${isSending ? 'being sent' : 'waiting to be sent'}` : '',
      changeStatus.conflicts.length ? plural(changeStatus.conflicts.length, 'conflict', 'conflicts') + ' to decide' : '',
      changeStatus.rejections.length ? plural(changeStatus.rejections.length, 'change', 'changes') + ' refused' : '',
    ].filter(Boolean);
    summary.textContent = counts.length ? `${counts.join(', ')}.` : 'Everything made on this device has reached the server.';
    syncNow.hidden = !changes.length || isSending;
    const waitedLong = changes.some((change) => Date.now() - change.queuedAt > AT_RISK_AFTER_MS);
    atRisk.hidden = !waitedLong || isInstalled();
  }

  return {
    root,
    /** Draw the list again (draws run one after another). */
    render() {
      rendering = rendering.then(draw, draw);
      return rendering;
    },
  };
}
