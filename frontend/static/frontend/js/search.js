/**
 * Product search as people type it: every word of the query must match, in
 * any order, the start of a word of the name (or of two neighbouring words
 * written together: "powerbank") or of the SKU or one of its parts. Case
 * and accents do not matter, and a word of five letters or more may have
 * one typo. Better matches come first: whole words before beginnings of
 * words before words with a typo.
 *
 * `SearchIndex` keeps an inverted index of the names' words, built as
 * products arrive (about 1-2 µs a product); SKUs, unique per product, are
 * matched by a scan instead. Pure (no DOM, no IndexedDB).
 * @module search
 */

/** Query words this long or longer may have one typo. */
export const TYPO_MIN_LENGTH = 5;

const EXACT = 3;
const PREFIX = 2;
const TYPO = 1;
const SKU_EXACT = 6;
const SKU_PREFIX = 2;
/** Query words past this many are ignored (a search box, not a document). */
const MAX_WORDS = 16;
/** Added when the name starts with the first query word. */
const LEADING = 0.5;

const WORD = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}/gu;
const NOT_ASCII = /[^\x00-\x7f]/;

/** @returns {string} `text` lower-cased, without accents ("É" -> "e") */
export function fold(text) {
  const lower = text.toLowerCase();
  return NOT_ASCII.test(lower) ? lower.normalize('NFD').replace(MARKS, '') : lower;
}

/**
 * Call `visit` with each word of `folded` (a folded text), in order. ASCII,
 * the usual case, is cut in one pass over its characters, with no list of
 * the words in between.
 */
function forEachWord(folded, visit) {
  if (NOT_ASCII.test(folded)) {
    for (const word of folded.match(WORD) ?? []) visit(word);
    return;
  }
  let start = -1;
  for (let i = 0; i <= folded.length; i += 1) {
    const c = i < folded.length ? folded.charCodeAt(i) : 32;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      visit(folded.slice(start, i));
      start = -1;
    }
  }
}

/** @returns {string[]} the folded words of `text` */
export function words(text) {
  const found = [];
  forEachWord(fold(text), (word) => found.push(word));
  return found;
}

/** @returns {string} `text` as a regular expression matching it literally */
const literal = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * @returns {boolean} whether `a` becomes `b` by at most one edit: a letter
 *   changed, added, removed, or two neighbours swapped
 */
export function withinOneEdit(a, b) {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i += 1;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // changed
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swapped
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1); // removed / added
}

/** @returns {boolean} whether `word` is the start of `term` but for one typo */
function typoPrefixOf(word, term) {
  for (let length = word.length - 1; length <= word.length + 1; length += 1) {
    if (length <= term.length && withinOneEdit(word, term.slice(0, length))) return true;
  }
  return false;
}

/** @returns {number} the first index of `sorted` whose value is not below `value` */
function lowerBound(sorted, value) {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * @typedef {object} Match
 * @property {string} id the product's id
 * @property {number} score higher is better
 */

export class SearchIndex {
  /** @type {Map<string, number>} product id -> its document number */
  #docOf = new Map();
  /** @type {(string|null)[]} document number -> product id (null once replaced or removed) */
  #ids = [];
  /** @type {string[]} document number -> folded name */
  #names = [];
  /** @type {string[]} document number -> folded SKU */
  #skus = [];
  /** @type {Map<string, number[]>} term -> document numbers, ascending */
  #postings = new Map();
  /** @type {string[]|null} the terms, sorted (null: to be sorted again) */
  #sorted = null;
  #dead = 0;
  /** @type {{matched: Uint8Array, score: Float64Array, wordScore: Float64Array}|null} */
  #buffers = null;

  /** @returns {number} the products indexed */
  get size() {
    return this.#docOf.size;
  }

  /**
   * Index a product, or index it again if its name or SKU changed.
   * @param {{id: string, name: string, sku: string}} product
   */
  put({ id, name, sku }) {
    const folded = fold(name);
    const foldedSku = sku.toLowerCase();
    const doc = this.#docOf.get(id);
    if (doc !== undefined) {
      if (this.#names[doc] === folded && this.#skus[doc] === foldedSku) return;
      this.#forget(doc);
    }
    const next = this.#ids.length;
    this.#ids.push(id);
    this.#names.push(folded);
    this.#skus.push(NOT_ASCII.test(foldedSku) ? fold(foldedSku) : foldedSku);
    this.#docOf.set(id, next);
    forEachWord(folded, (term) => this.#post(term, next));
  }

  /** Add document `doc` to the postings of `term` (documents come in ascending order). */
  #post(term, doc) {
    const list = this.#postings.get(term);
    if (!list) {
      this.#postings.set(term, [doc]);
      this.#sorted = null;
    } else if (list[list.length - 1] !== doc) {
      list.push(doc);
    }
  }

  /** Forget a product. */
  delete(id) {
    const doc = this.#docOf.get(id);
    if (doc !== undefined) this.#forget(doc);
  }

  /** Forget every product. */
  clear() {
    this.#docOf.clear();
    this.#ids = [];
    this.#names = [];
    this.#skus = [];
    this.#postings.clear();
    this.#sorted = null;
    this.#dead = 0;
  }

  #forget(doc) {
    this.#docOf.delete(this.#ids[doc]);
    this.#ids[doc] = null;
    this.#dead += 1;
    // Replaced documents stay in the postings until they outnumber the live ones.
    if (this.#dead > 1000 && this.#dead > this.#docOf.size) this.#compact();
  }

  #compact() {
    const live = [];
    this.#ids.forEach((id, doc) => {
      if (id !== null) live.push({ id, name: this.#names[doc], sku: this.#skus[doc] });
    });
    this.clear();
    for (const product of live) this.put(product);
  }

  /** @returns {string[]} the name words, sorted */
  #terms() {
    this.#sorted ??= [...this.#postings.keys()].sort();
    return this.#sorted;
  }

  /** @returns {number[]} the indexes in #terms() of the words starting with `prefix` */
  #startingWith(prefix) {
    const terms = this.#terms();
    const found = [];
    for (let i = lowerBound(terms, prefix); i < terms.length && terms[i].startsWith(prefix); i += 1) found.push(i);
    return found;
  }

  /**
   * Call `consider(doc, score)` for each document a name word matches `word`:
   * as the word, its start, the two words it joins, or with one typo.
   */
  #nameMatches(word, consider) {
    const terms = this.#terms();
    const found = new Set();
    for (const i of this.#startingWith(word)) {
      found.add(terms[i]);
      for (const doc of this.#postings.get(terms[i])) consider(doc, terms[i] === word ? EXACT : PREFIX);
    }
    // Two neighbouring words written together: "powerbank" for "power bank", "powerb" as typed.
    for (let split = 1; split < word.length; split += 1) {
      const left = word.slice(0, split);
      const right = word.slice(split);
      const lefts = this.#postings.get(left);
      if (!lefts || !this.#startingWith(right).length) continue;
      const adjacent = new RegExp(`(?:^|[^\\p{L}\\p{N}])${literal(left)}[^\\p{L}\\p{N}]${literal(right)}`, 'u');
      for (const doc of lefts) if (adjacent.test(this.#names[doc])) consider(doc, PREFIX);
    }
    if (word.length < TYPO_MIN_LENGTH) return;
    for (const term of terms) {
      if (found.has(term) || term.length < word.length - 1) continue;
      if (withinOneEdit(word, term) || (term.length > word.length && typoPrefixOf(word, term))) {
        for (const doc of this.#postings.get(term)) consider(doc, TYPO);
      }
    }
  }

  /**
   * The products matching every word of `query`, best first; among equals,
   * in document order (the caller orders ties as it lists products).
   * @param {string} query
   * @returns {Match[]} empty when the query has no words
   */
  search(query) {
    const queryWords = [...new Set(words(query))].slice(0, MAX_WORDS);
    if (!queryWords.length) return [];
    const total = this.#ids.length;
    const ids = this.#ids;
    const skus = this.#skus;
    const { matched, score, wordScore } = this.#scratch(total);
    let touched = [];
    try {
      for (const [position, word] of queryWords.entries()) {
        const next = [];
        const consider = (doc, value) => {
          if (matched[doc] !== position || ids[doc] === null) return;
          if (wordScore[doc] === 0) next.push(doc);
          if (value > wordScore[doc]) wordScore[doc] = value;
        };
        this.#nameMatches(word, consider);
        const part = `-${word}`;
        const scan = (doc) => {
          const sku = skus[doc];
          if (sku === word) consider(doc, SKU_EXACT);
          else if (sku.startsWith(word) || sku.includes(part)) consider(doc, SKU_PREFIX);
        };
        if (position) touched.forEach(scan);
        else for (let doc = 0; doc < total; doc += 1) scan(doc);
        for (const doc of next) {
          matched[doc] = position + 1;
          score[doc] += wordScore[doc] + (position === 0 && this.#names[doc].startsWith(word) ? LEADING : 0);
          wordScore[doc] = 0;
        }
        for (const doc of touched) {
          if (matched[doc] === position) { matched[doc] = 0; score[doc] = 0; } // dropped by this word
        }
        touched = next;
        if (!touched.length) return [];
      }
      const results = touched.slice().sort((a, b) => score[b] - score[a] || a - b);
      return results.map((doc) => ({ id: ids[doc], score: score[doc] }));
    } finally {
      for (const doc of touched) {
        matched[doc] = 0;
        score[doc] = 0;
      }
    }
  }

  /** Per-document scratch arrays of a search, kept between searches (all zero between them). */
  #scratch(total) {
    if (!this.#buffers || this.#buffers.matched.length < total) {
      const capacity = Math.ceil(Math.max(total, 1024) * 1.25);
      this.#buffers = {
        matched: new Uint8Array(capacity), score: new Float64Array(capacity), wordScore: new Float64Array(capacity),
      };
    }
    return this.#buffers;
  }
}

/**
 * Where the words of `query` match in `text`, for highlighting: the start
 * of each matched word (the whole word for a match with a typo, and both
 * words of a match written together).
 * @param {string} text as shown
 * @param {string} query
 * @returns {Array<[number, number]>} [start, end) ranges in `text`, in order, not overlapping
 */
export function highlights(text, query) {
  const queryWords = [...new Set(words(query))];
  if (!queryWords.length) return [];
  const ranges = [];
  // Folding keeps one letter per letter for the Latin scripts a catalogue uses; NFD marks are dropped.
  const found = [];
  for (const match of text.matchAll(WORD)) {
    found.push({ word: fold(match[0]), start: match.index, end: match.index + match[0].length });
  }
  found.forEach((token, i) => {
    let length = 0;
    for (const word of queryWords) {
      if (token.word.startsWith(word)) length = Math.max(length, word.length);
      else if (word.length >= TYPO_MIN_LENGTH && (withinOneEdit(word, token.word) || typoPrefixOf(word, token.word))) {
        length = Math.max(length, token.word.length);
      } else if (i + 1 < found.length && word.startsWith(token.word) && word.length > token.word.length
        && (token.word + found[i + 1].word).startsWith(word)) {
        length = token.word.length;
        const rest = word.length - token.word.length;
        ranges.push([found[i + 1].start, found[i + 1].start + Math.min(rest, found[i + 1].end - found[i + 1].start)]);
      }
    }
    if (length) ranges.push([token.start, token.start + Math.min(length, token.end - token.start)]);
  });
  ranges.sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return merged;
}
