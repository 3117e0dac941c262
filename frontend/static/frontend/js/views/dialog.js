/**
 * The one modal `<dialog id="dialog">` of the shell, shared by every view:
 * requests are shown one at a time, in order (a conflict that arrives while
 * a product is open waits until it is closed). Focus moves into the dialog
 * and returns where it came from when it closes.
 * @module views/dialog
 */

const dialog = document.getElementById('dialog');
const queue = [];
let current = null;

/**
 * @typedef {object} DialogRequest
 * @property {(close: (result?: any) => void) => HTMLElement} build the content; give its heading an id
 *   and pass it as `labelledBy`
 * @property {string} [labelledBy] id of the element naming the dialog
 * @property {string} [kind] what it shows (`product`, `login`, `conflict`, ...), see `currentKind()`
 * @property {string} [size] `sheet` (full screen on phones) or `compact`
 * @property {HTMLElement|(() => void)} [returnFocus] where focus goes on close (default: where it was)
 * @property {() => void} [onClose]
 */

/**
 * Show `request` now, or after the dialogs before it.
 * @param {DialogRequest} request
 * @returns {Promise<any>} the result passed to `close`, once the dialog closed (undefined when dismissed)
 */
export function openDialog(request) {
  return new Promise((resolve) => {
    queue.push({ ...request, resolve, result: undefined });
    if (!current) showNext();
  });
}

/** @returns {string|null} the `kind` of the dialog shown now */
export function currentKind() {
  return current?.kind ?? null;
}

/** @returns {boolean} whether a dialog of `kind` is shown or waiting */
export function hasDialog(kind, predicate = () => true) {
  return [current, ...queue].some((entry) => entry && entry.kind === kind && predicate(entry));
}

/** Close the dialog shown now (e.g. its content went away). */
export function closeDialog(result) {
  if (current) {
    current.result = result;
    dialog.close();
  }
}

function showNext() {
  const next = queue.shift();
  if (!next) return;
  current = next;
  if (!next.returnFocus) next.returnFocus = document.activeElement;
  const close = (result) => {
    if (current !== next) return;
    next.result = result;
    dialog.close();
  };
  dialog.className = next.size ?? 'compact';
  dialog.replaceChildren(next.build(close));
  if (next.labelledBy) dialog.setAttribute('aria-labelledby', next.labelledBy);
  else dialog.removeAttribute('aria-labelledby');
  dialog.showModal();
  const first = dialog.querySelector('[autofocus]');
  if (first) first.focus();
}

dialog.addEventListener('close', () => {
  const done = current;
  current = null;
  dialog.replaceChildren();
  dialog.className = '';
  if (!done) return;
  try {
    done.onClose?.();
  } finally {
    restoreFocus(done.returnFocus);
    done.resolve(done.result);
    // Let the page settle (focus, re-render) before the next one opens.
    setTimeout(showNext, 0);
  }
});

// A click on the backdrop (the dialog box itself, outside its content) closes it;
// a drag that started inside (selecting text) does not.
let pressedOnBackdrop = false;
dialog.addEventListener('pointerdown', (event) => { pressedOnBackdrop = event.target === dialog; });
dialog.addEventListener('click', (event) => {
  if (event.target === dialog && pressedOnBackdrop) dialog.close();
  pressedOnBackdrop = false;
});

function restoreFocus(target) {
  if (typeof target === 'function') {
    target();
  } else if (target instanceof HTMLElement && target.isConnected && target !== document.body) {
    target.focus();
  } else {
    document.getElementById('search')?.focus();
  }
}
