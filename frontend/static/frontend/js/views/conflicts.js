/**
 * Merge conflicts (`#conflict`, in the dialog): for each field the server
 * could not merge, "Your value" against "Server value", and the choice of
 * which to keep. One dialog per conflict, one after another.
 * @module views/conflicts
 */

import { pendingConflicts, resolveConflict } from '../sync/index.js';
import { formatPrice, h } from './dom.js';
import { openDialog } from './dialog.js';

const FIELD_LABELS = { price: 'Price', stock: 'Stock', name: 'Name', description: 'Description', currency: 'Currency' };

/**
 * @param {{catalogue: import('../catalogue.js').Catalogue, onSettled: () => void, onError: (error: Error) => void}} options
 *   `onSettled` runs after each dialog closes (resolved or put off)
 */
export function createConflicts({ catalogue, onSettled, onError }) {
  /** Conflict ids shown or waiting in the dialog queue. */
  const onScreen = new Set();

  function show(conflict) {
    if (!conflict?.id || onScreen.has(conflict.id)) return;
    onScreen.add(conflict.id);
    openDialog({
      kind: 'conflict',
      labelledBy: 'conflict-title',
      build: (close) => buildConflict(catalogue, conflict, close, onError),
    }).finally(() => {
      onScreen.delete(conflict.id);
      onSettled();
    });
  }

  return {
    /** Show one conflict (a `conflict` event's detail), unless it is already on screen. */
    show,
    /** Show every stored conflict not on screen yet. */
    async showAll() {
      for (const conflict of await pendingConflicts()) show(conflict);
    },
    /** @returns {number} how many of `stored` (the stored conflicts) are not on screen */
    waitingAmong(stored) {
      return stored.filter((c) => !onScreen.has(c.id)).length;
    },
  };
}

function buildConflict(catalogue, conflict, close, onError) {
  const record = catalogue.product(conflict.recordId) ?? conflict.server ?? {};
  const name = record.name ?? conflict.server?.name;
  const currency = record.currency ?? conflict.server?.currency;
  const show = (field, value) => {
    if (value === undefined || value === null) return '—';
    return field === 'price' ? formatPrice(value, currency) : String(value);
  };
  const serverGone = !conflict.server;
  const several = conflict.fields.length > 1;

  const rows = conflict.fields.map((field) => h('tr', { dataset: { field } },
    h('th', { scope: 'row', text: FIELD_LABELS[field] ?? field }),
    h('td', { class: 'mine', text: show(field, conflict.mine?.[field]) }),
    h('td', { class: 'server', text: serverGone ? 'deleted' : show(field, conflict.server[field]) })));

  const decide = (choice) => async (event) => {
    const buttons = event.currentTarget.closest('.form-actions').querySelectorAll('button');
    for (const button of buttons) button.disabled = true;
    try {
      await resolveConflict(conflict, choice);
      await catalogue.refresh();
      close(choice);
    } catch (failure) {
      for (const button of buttons) button.disabled = false;
      onError(failure);
    }
  };

  return h('section', { id: 'conflict', class: 'dialog-form conflict', dataset: { conflictId: conflict.id } },
    h('header', { class: 'dialog-header' },
      h('h2', { id: 'conflict-title', text: 'Your change clashes with a newer one' })),
    h('div', { class: 'dialog-body' },
      h('p', {},
        serverGone
          ? `${name ? `“${name}”` : 'This record'} was removed on the server while your change was waiting.`
          : `Someone changed ${name ? `“${name}”` : 'this record'} on the server while your change was waiting. `
            + 'Choose which values to keep.'),
      h('table', { class: 'conflict-table' },
        h('caption', { class: 'visually-hidden', text: 'Your values and the server’s' }),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: 'Field' }),
          h('th', { scope: 'col', text: 'Your value' }),
          h('th', { scope: 'col', text: 'Server value' }))),
        h('tbody', {}, rows)),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn btn-ghost', on: { click: () => close() } }, 'Decide later'),
        h('button', {
          type: 'button', id: 'keep-server', class: 'btn', on: { click: decide('server') },
        }, serverGone ? 'Discard my change' : several ? 'Keep server values' : 'Keep server value'),
        serverGone ? null : h('button', {
          type: 'button', id: 'keep-mine', class: 'btn btn-primary', on: { click: decide('mine') },
        }, several ? 'Keep my values' : 'Keep my value'))));
}
