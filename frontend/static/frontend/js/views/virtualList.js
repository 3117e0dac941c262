/**
 * A list that stays smooth with 100,000 items: rows have one fixed height,
 * the list element is sized to all of them (CSS custom property
 * `--total-height`), and only the rows in view (plus a few) exist in the DOM.
 * Rows are keyed by item id, so a row that stays in view — and the focus in
 * it — survives scrolling and data updates.
 * @module views/virtualList
 */

import { h, setVar } from './dom.js';

const OVERSCAN = 6;

export class VirtualList {
  /**
   * @param {{viewport: HTMLElement, rowHeight: number, label: string,
   *          createRow: (item: object) => HTMLLIElement,
   *          updateRow: (li: HTMLLIElement, item: object) => void}} options
   *   `createRow` builds a row for an item; `updateRow` refreshes it when the item object changed
   */
  constructor({ viewport, rowHeight, label, createRow, updateRow }) {
    this.viewport = viewport;
    this.rowHeight = rowHeight;
    this.createRow = createRow;
    this.updateRow = updateRow;
    this.items = [];
    /** @type {Map<string, number>|null} position of each item by id, built when first needed */
    this.positions = null;
    /** @type {Map<string, HTMLLIElement>} rows in the DOM, by item id */
    this.rows = new Map();
    this.frame = 0;
    this.list = h('ul', { class: 'virtual-list', 'aria-label': label });
    setVar(this.list, '--row-height', `${rowHeight}px`);
    viewport.append(this.list);
    viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(viewport);
    this.list.addEventListener('keydown', (event) => this.onKeydown(event));
  }

  /**
   * Show `items` (objects with an `id`).
   * @param {object[]} items
   * @param {{resetScroll?: boolean}} [options] scroll back to the top (a new filter)
   */
  setItems(items, { resetScroll = false } = {}) {
    this.items = items;
    this.positions = null; // a list of 100,000 is replaced often during a sync: index it only on demand
    setVar(this.list, '--total-height', `${items.length * this.rowHeight}px`);
    if (resetScroll) this.viewport.scrollTop = 0;
    this.render();
  }

  /** Lay the rows out `rowHeight` px apart (the layout changed with the screen's width). */
  setRowHeight(rowHeight) {
    if (rowHeight === this.rowHeight) return;
    const top = Math.floor(this.viewport.scrollTop / this.rowHeight); // the first row in view stays first
    this.rowHeight = rowHeight;
    setVar(this.list, '--row-height', `${rowHeight}px`);
    setVar(this.list, '--total-height', `${this.items.length * rowHeight}px`);
    for (const li of this.rows.values()) li.index = -1; // placed again at the new height
    this.viewport.scrollTop = top * rowHeight;
    this.render();
  }

  /** @returns {number|undefined} the position of item `id` */
  indexOf(id) {
    this.positions ??= new Map(this.items.map((item, index) => [item.id, index]));
    return this.positions.get(id);
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Render the rows in view now. */
  render() {
    const { items, rowHeight, viewport } = this;
    const height = viewport.clientHeight || window.innerHeight;
    const first = Math.max(0, Math.floor(viewport.scrollTop / rowHeight) - OVERSCAN);
    const last = Math.min(items.length - 1, Math.ceil((viewport.scrollTop + height) / rowHeight) + OVERSCAN);
    const wanted = [];
    for (let index = first; index <= last; index += 1) wanted.push(index);
    // Keep the focused row even when scrolled away, so focus is never lost.
    const focusedId = this.list.contains(document.activeElement) ? document.activeElement.closest('li')?.dataset.id : null;
    const focusedIndex = focusedId === undefined || focusedId === null ? undefined : this.indexOf(focusedId);
    if (focusedIndex !== undefined && (focusedIndex < first || focusedIndex > last)) {
      wanted.push(focusedIndex);
      wanted.sort((a, b) => a - b);
    }

    const wantedIds = new Set(wanted.map((index) => items[index].id));
    for (const [id, li] of this.rows) {
      if (!wantedIds.has(id)) {
        li.remove();
        this.rows.delete(id);
      }
    }
    // Insert new rows in index order, without moving the ones already there (moving blurs).
    let cursor = this.list.firstElementChild;
    for (const index of wanted) {
      const item = items[index];
      let li = this.rows.get(item.id);
      if (!li) {
        li = this.createRow(item);
        li.item = item;
        this.rows.set(item.id, li);
      } else if (li.item !== item) {
        this.updateRow(li, item);
        li.item = item;
      }
      if (li.index !== index) {
        li.index = index;
        setVar(li, '--y', `${index * rowHeight}px`);
        li.setAttribute('aria-posinset', String(index + 1));
      }
      li.setAttribute('aria-setsize', String(items.length));
      if (li === cursor) cursor = cursor.nextElementSibling;
      else this.list.insertBefore(li, cursor);
    }
  }

  /**
   * Scroll `id`'s row into view and focus the element matching `selector` in it.
   * @returns {boolean} whether the item is in the list
   */
  focusItem(id, selector = 'button') {
    const index = this.indexOf(id);
    if (index === undefined) return false;
    this.scrollToIndex(index);
    this.render();
    this.rows.get(id)?.querySelector(selector)?.focus();
    return true;
  }

  scrollToIndex(index) {
    const top = index * this.rowHeight;
    const { viewport } = this;
    if (top < viewport.scrollTop) viewport.scrollTop = top;
    else if (top + this.rowHeight > viewport.scrollTop + viewport.clientHeight) {
      viewport.scrollTop = top + this.rowHeight - viewport.clientHeight;
    }
  }

  /** Arrow keys, Home and End move between rows, in the same column (the row or its favourite button). */
  onKeydown(event) {
    const keys = { ArrowDown: 1, ArrowUp: -1, PageDown: 'pageDown', PageUp: 'pageUp', Home: 'home', End: 'end' };
    if (!(event.key in keys) || event.altKey || event.ctrlKey || event.metaKey) return;
    const li = event.target.closest('li');
    if (!li || !this.items.length) return;
    const column = [...li.querySelectorAll('button')].indexOf(event.target);
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / this.rowHeight) - 1);
    const step = keys[event.key];
    let index = li.index;
    if (step === 'home') index = 0;
    else if (step === 'end') index = this.items.length - 1;
    else if (step === 'pageDown') index += page;
    else if (step === 'pageUp') index -= page;
    else index += step;
    index = Math.max(0, Math.min(this.items.length - 1, index));
    event.preventDefault();
    const id = this.items[index].id;
    this.scrollToIndex(index);
    this.render();
    const buttons = this.rows.get(id)?.querySelectorAll('button');
    buttons?.[Math.max(0, column)]?.focus();
  }
}
