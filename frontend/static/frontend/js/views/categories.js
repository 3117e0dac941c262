/**
 * The category tree in `#categories`, with "All products" and "Favourites".
 * On narrow screens it folds behind a toggle button.
 * @module views/categories
 */

import { h } from './dom.js';

const MAX_DEPTH_CLASS = 5;

/** @typedef {{categoryId: string|null, favouritesOnly: boolean, label: string}} CategoryFilter */

/**
 * @param {HTMLElement} root `#categories`
 * @param {{onSelect: (filter: CategoryFilter) => void}} actions
 */
export function createCategoriesView(root, { onSelect }) {
  const currentLabel = h('span', { class: 'categories-current', text: 'All products' });
  const toggle = h('button', {
    type: 'button', id: 'categories-toggle', class: 'categories-toggle',
    'aria-expanded': 'false', 'aria-controls': 'category-list',
    on: { click: () => setExpanded(toggle.getAttribute('aria-expanded') !== 'true') },
  }, h('span', { class: 'categories-toggle-label', text: 'Category:' }), ' ', currentLabel);
  const list = h('ul', { id: 'category-list', class: 'category-list' });
  root.replaceChildren(toggle, list);
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && toggle.getAttribute('aria-expanded') === 'true') {
      setExpanded(false);
      toggle.focus();
    }
  });

  /** @type {string} 'all' | 'favourites' | a category id */
  let selected = 'all';
  let signature = null;
  let categories = [];

  function setExpanded(expanded) {
    toggle.setAttribute('aria-expanded', String(expanded));
    list.classList.toggle('is-open', expanded);
  }

  function entry(key, label, { depth = null, extraClass = '' } = {}) {
    const classes = ['category', extraClass];
    if (depth !== null) classes.push(`depth-${Math.min(depth, MAX_DEPTH_CLASS)}`);
    return h('li', {},
      h('button', {
        type: 'button',
        class: classes.filter(Boolean).join(' '),
        dataset: { category: key },
        'aria-current': key === selected ? 'true' : null,
        on: { click: () => select(key, { collapse: true }) },
      }, label));
  }

  function filterFor(key) {
    if (key === 'favourites') return { categoryId: null, favouritesOnly: true, label: 'Favourites', key };
    if (key === 'all') return { categoryId: null, favouritesOnly: false, label: 'All products', key };
    const category = categories.find((c) => c.id === key);
    return { categoryId: key, favouritesOnly: false, label: category?.name ?? 'Category', key };
  }

  function markSelected() {
    for (const button of list.querySelectorAll('button.category')) {
      if (button.dataset.category === selected) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
    currentLabel.textContent = filterFor(selected).label;
  }

  function select(key, { collapse = false } = {}) {
    selected = key;
    markSelected();
    if (collapse && toggle.getAttribute('aria-expanded') === 'true') {
      setExpanded(false);
      toggle.focus();
    }
    onSelect(filterFor(key));
  }

  return {
    /**
     * Show the tree (re-rendered only when it changed, so focus stays put).
     * @param {Array<{id: string, name: string, depth: number}>} tree from `replica.categories()`
     */
    update(tree) {
      categories = tree;
      const next = tree.map((c) => `${c.id}:${c.depth}:${c.name}`).join('\n');
      if (next === signature) return;
      signature = next;
      const hadFocus = list.contains(document.activeElement) ? document.activeElement.dataset.category : null;
      list.replaceChildren(
        entry('all', 'All products', { extraClass: 'category-special' }),
        entry('favourites', 'Favourites', { extraClass: 'category-special' }),
        ...tree.map((c) => entry(c.id, c.name, { depth: c.depth })),
      );
      if (hadFocus) list.querySelector(`[data-category="${CSS.escape(hadFocus)}"]`)?.focus();
      // The selected category was removed: fall back to everything.
      // (Not before any has arrived: a link to a category on a first visit waits for the download.)
      if (tree.length && selected !== 'all' && selected !== 'favourites' && !tree.some((c) => c.id === selected)) {
        select('all');
      } else {
        markSelected();
      }
    },
    /** @returns {CategoryFilter} */
    current() {
      return filterFor(selected);
    },
    /**
     * Show `key` as selected without telling `onSelect` (Back, Forward, a link).
     * @returns {CategoryFilter} its filter
     */
    show(key) {
      selected = key;
      markSelected();
      return filterFor(key);
    },
  };
}
