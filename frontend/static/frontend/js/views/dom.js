/**
 * Building DOM without innerHTML (data never becomes markup) and formatting
 * values for display. The page's CSP forbids style attributes: use classes,
 * and CSS custom properties set through CSSOM (`setVar`).
 * @module views/dom
 */

/**
 * Create an element.
 * @param {string} tag
 * @param {object} [props] `class`, `text`, `dataset` ({...}), `on` ({event: handler}),
 *   `hidden`/`disabled`/... (booleans), anything else becomes an attribute; null/undefined/false are skipped
 * @param {...(Node|string|number|null|undefined|false|Array)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'on') for (const [type, handler] of Object.entries(value)) el.addEventListener(type, handler);
    else if (key === 'style') throw new Error('Style attributes are blocked by the CSP: use a class or setVar()');
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Set a CSS custom property on `el` (CSSOM: allowed by `style-src 'self'`). */
export function setVar(el, name, value) {
  el.style.setProperty(name, String(value));
}

/** Show or hide `el` with the `hidden` attribute. */
export function show(el, visible) {
  el.hidden = !visible;
}

/** A text only screen readers read. */
export function srOnly(text) {
  return h('span', { class: 'visually-hidden', text });
}

/** "1 change", "3 changes" */
export function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

const priceFormats = new Map();

/**
 * A price as the server sends it (a decimal string) in the reader's locale:
 * "€12.50", "12,50 €". The string itself is formatted (Intl reads it as an
 * exact decimal: no float conversion); a currency Intl does not know is
 * shown as sent, "12.50 XYZ".
 * @param {string|null|undefined} price
 * @param {string} [currency] ISO 4217 code
 * @param {string} [locale] the reader's by default
 */
export function formatPrice(price, currency, locale = undefined) {
  if (price === null || price === undefined || price === '') return '—';
  if (!currency) return String(price);
  const key = `${locale ?? ''}|${currency}`;
  if (!priceFormats.has(key)) {
    let format = null;
    try {
      format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    } catch {
      // Not a currency code Intl knows.
    }
    priceFormats.set(key, format);
  }
  const format = priceFormats.get(key);
  return format ? format.format(String(price)) : `${price} ${currency}`;
}

/** "12 in stock" / "Out of stock" */
export function formatStock(stock) {
  if (stock === null || stock === undefined) return 'Stock unknown';
  return Number(stock) > 0 ? `${stock} in stock` : 'Out of stock';
}

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A moment (ms or ISO text) for people: the time today, date and time otherwise. */
export function formatWhen(value) {
  if (value === null || value === undefined) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const today = new Date();
  return date.toDateString() === today.toDateString() ? timeOnly.format(date) : dateTime.format(date);
}

/**
 * Call `fn` at most once per `ms`, always including a final call after the last request;
 * `cancel()` drops a call not made yet.
 * @returns {(() => void) & {cancel: () => void}}
 */
export function throttle(fn, ms) {
  let last = -Infinity;
  let timer = null;
  const throttled = () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - performance.now());
    timer = setTimeout(() => {
      timer = null;
      last = performance.now();
      fn();
    }, wait);
  };
  throttled.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return throttled;
}

/** @returns {(...args) => void} `fn` called `ms` after the last call */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const ICONS = {
  star: 'M12 2.6l2.9 5.9 6.5.9-4.7 4.6 1.1 6.5L12 17.5l-5.8 3 1.1-6.5L2.6 9.4l6.5-.9z',
  sync: 'M20 12a8 8 0 0 1-14.3 4.9M4 12a8 8 0 0 1 14.3-4.9M18.5 3v4.5H14M5.5 21v-4.5H10',
  share: 'M12 3v12M8 7l4-4 4 4M7 10H5v11h14V10h-2',
  add: 'M3 4h2.5l2.2 10.5h10.6L20.5 7H7M10 19.5a1 1 0 1 0 0 .01M17 19.5a1 1 0 1 0 0 .01M13.5 8.5v4M11.5 10.5h4',
};

/** A decorative inline SVG icon (hidden from screen readers; the control carries the name). */
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon icon-${name}`);
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}
