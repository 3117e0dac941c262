/**
 * "Add to Home Screen" instructions, for iPhones and iPads, where no browser
 * offers an install prompt: installed, the app opens without the browser's
 * bars, and WebKit keeps its data (it may delete a site's data after weeks
 * without use otherwise). Dismissed once, it is not shown again on this device.
 * @module views/homeScreenHint
 */

import { h, icon } from './dom.js';

const DISMISSED = 'homeScreenHintDismissed';

/** @param {HTMLElement} root where the hint goes (above the notices) */
export function createHomeScreenHint(root) {
  if (dismissed()) return;
  const hint = h('div', { id: 'home-screen-hint', class: 'notice notice-info', role: 'note' },
    h('p', {},
      h('strong', { class: 'notice-title', text: 'Install this app.' }),
      ' Tap ', icon('share'), h('span', { text: 'Share' }), ', then ', h('strong', { text: 'Add to Home Screen' }),
      '. Installed, it opens like an app, works offline and its data is kept.'),
    h('button', {
      type: 'button', id: 'dismiss-home-screen-hint', class: 'btn btn-small',
      on: {
        click: () => {
          remember();
          hint.remove();
        },
      },
    }, 'Dismiss'));
  root.append(hint);
}

function dismissed() {
  try {
    return localStorage.getItem(DISMISSED) === '1';
  } catch {
    return false; // storage refused: shown, and dismissed for this page only
  }
}

function remember() {
  try {
    localStorage.setItem(DISMISSED, '1');
  } catch {
    // storage refused: nothing to remember it in
  }
}
