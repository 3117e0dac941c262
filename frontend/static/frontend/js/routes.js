/**
 * The app's URLs, so that a product, a category or a search can be shared,
 * bookmarked and reached with Back and Forward:
 *
 *   /                        every product      on any list: ?q=<search>,
 *                                               &sort=<order>, &stock=in
 *   /favourites/             the favourites
 *   /categories/<id>/        a category (and the ones below it)
 *   /products/<id>/          a product's detail, over the list
 *
 * The server answers these paths with the shell (frontend/urls.py), and the
 * service worker answers them from its cache (`self.APP_ROUTE`, rendered
 * from the same Python pattern).
 * @module routes
 */

/**
 * @typedef {object} Route
 * @property {string} list 'all', 'favourites' or a category id
 * @property {string} query the search ('' for none)
 * @property {string} sort the order ('' for the best match, else one of SORTS)
 * @property {boolean} inStock only products in stock
 * @property {string|null} product the id of the product shown over the list
 */

/** The orders a list can be sorted in besides the best match (catalogue.js sorts by them). */
export const SORTS = ['name', 'price', '-price', '-stock'];

const PRODUCT = /^\/products\/([^/]+)\/$/;
const CATEGORY = /^\/categories\/([^/]+)\/$/;

/** @returns {Route} what `url` (a URL or a location) shows; an unknown path shows every product */
export function parseRoute(url) {
  const { pathname, searchParams } = new URL(url, 'http://app.invalid');
  const query = searchParams.get('q') ?? '';
  const sort = SORTS.includes(searchParams.get('sort')) ? searchParams.get('sort') : '';
  const view = { query, sort, inStock: searchParams.get('stock') === 'in' };
  const product = PRODUCT.exec(pathname);
  if (product) return { list: 'all', ...view, product: decodeURIComponent(product[1]) };
  const category = CATEGORY.exec(pathname);
  if (category) return { list: decodeURIComponent(category[1]), ...view, product: null };
  return { list: pathname === '/favourites/' ? 'favourites' : 'all', ...view, product: null };
}

/** @returns {string} the path (and search) of `route` */
export function formatRoute({ list = 'all', query = '', sort = '', inStock = false, product = null }) {
  if (product) return `/products/${encodeURIComponent(product)}/`;
  const path = list === 'all' ? '/' : list === 'favourites' ? '/favourites/' : `/categories/${encodeURIComponent(list)}/`;
  const params = new URLSearchParams();
  if (query.trim()) params.set('q', query.trim());
  if (SORTS.includes(sort)) params.set('sort', sort);
  if (inStock) params.set('stock', 'in');
  return params.size ? `${path}?${params}` : path;
}
