/**
 * Signing in (a form in the dialog) and signing out (with a warning when
 * unsent changes would be lost).
 * @module views/login
 */

import * as session from '../sync/index.js';
import { h, plural } from './dom.js';
import { openDialog } from './dialog.js';

const LOGIN_MESSAGES = {
  invalid_credentials: 'Wrong username or password.',
  throttled: 'Too many attempts. Wait a minute, then try again.',
  network: 'The server cannot be reached. Signing in needs a connection.',
  server: 'The server had a problem. Try again in a moment.',
};

/**
 * Show the sign-in form.
 * @param {{hint?: string, returnFocus?: () => void}} [options]
 * @returns {Promise<object|undefined>} the signed-in user, or undefined when cancelled
 */
export function openLogin({ hint, returnFocus } = {}) {
  return openDialog({
    kind: 'login',
    labelledBy: 'login-title',
    returnFocus,
    build: (close) => {
      const username = h('input', {
        id: 'username', name: 'username', autocomplete: 'username', required: true,
        autocapitalize: 'none', spellcheck: 'false', autofocus: true,
      });
      const password = h('input', {
        id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
      });
      const error = h('p', { class: 'form-error', role: 'alert', dataset: { loginError: '' } });
      const submit = h('button', { type: 'submit', id: 'login-submit', class: 'btn btn-primary' }, 'Sign in');
      const form = h('form', { id: 'login-form', class: 'dialog-form', novalidate: true },
        h('header', { class: 'dialog-header' },
          h('h2', { id: 'login-title', text: 'Sign in' }),
          h('button', { type: 'button', class: 'btn-close', 'aria-label': 'Close', on: { click: () => close() } }, '×')),
        h('div', { class: 'dialog-body' },
          hint ? h('p', { class: 'hint', text: hint }) : null,
          h('div', { class: 'form-row' }, h('label', { for: 'username', text: 'Username' }), username),
          h('div', { class: 'form-row' }, h('label', { for: 'password', text: 'Password' }), password),
          error,
          h('div', { class: 'form-actions' },
            h('button', { type: 'button', class: 'btn', on: { click: () => close() } }, 'Cancel'),
            submit)));

      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        error.textContent = '';
        if (!username.value.trim() || !password.value) {
          error.textContent = 'Enter your username and password.';
          (username.value.trim() ? password : username).focus();
          return;
        }
        submit.disabled = true;
        submit.textContent = 'Signing in…';
        try {
          const user = await session.login(username.value.trim(), password.value);
          close(user);
        } catch (failure) {
          error.textContent = LOGIN_MESSAGES[failure?.code] ?? failure?.message ?? 'Signing in failed.';
          password.select();
          password.focus();
        } finally {
          submit.disabled = false;
          submit.textContent = 'Sign in';
        }
      });
      return form;
    },
  });
}

/**
 * Sign out, after asking when unsent changes would be lost.
 * @param {{returnFocus?: () => void}} [options]
 * @returns {Promise<boolean>} whether the user is signed out now
 */
export async function signOut({ returnFocus } = {}) {
  const unsent = await session.unsentChanges();
  if (unsent > 0) {
    const confirmed = await openDialog({
      kind: 'confirm-sign-out',
      labelledBy: 'sign-out-title',
      returnFocus,
      build: (close) => h('div', { class: 'dialog-form', dataset: { confirmSignOut: '' } },
        h('header', { class: 'dialog-header' }, h('h2', { id: 'sign-out-title', text: 'Sign out?' })),
        h('div', { class: 'dialog-body' },
          h('p', { class: 'warning-text', dataset: { unsentWarning: '' } },
            unsent === 1
              ? '1 change has not been sent and will be lost.'
              : `${plural(unsent, 'change', 'changes')} have not been sent and will be lost.`),
          h('p', { text: 'Sync while online first to keep them.' }),
          h('div', { class: 'form-actions' },
            h('button', { type: 'button', class: 'btn', autofocus: true, on: { click: () => close(false) } }, 'Cancel'),
            h('button', {
              type: 'button', id: 'confirm-sign-out', class: 'btn btn-danger', on: { click: () => close(true) },
            }, 'Sign out and discard')))),
    });
    if (!confirmed) return false;
  }
  await session.logout();
  return true;
}
