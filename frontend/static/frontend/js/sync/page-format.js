/**
 * The byte layout of a pulled page (`GET /api/sync/pull/`), as the server
 * writes it: the app's one owner of the layout described in
 * docs/protocol-notes.md ("Page layout"); `syncapi/page_format.py` is the
 * server's. Both sides' tests read the golden fixture `tests/fixtures/page.json`.
 *
 * A page is still plain JSON (PROTOCOL.md); the layout only lets a client
 * read it without decoding every record: `{"upserts":[...],"deletes":[...],
 * "cursor":...,...}` in that order, each record `{"id":...,"version":...,...}`
 * with `"id"` first and `"version"` second, no whitespace between records,
 * and the number of records in the `Sync-Upserts` header. Every reader here
 * falls back to a full `JSON.parse` when a page is not laid out so.
 * @module page-format
 */

/** The response header that counts a page's upserts. */
export const UPSERTS_HEADER = 'Sync-Upserts';

/** A page's end is read on its own when it holds this much: its deletes, cursors and flags. */
const TAIL_BYTES = 64 * 1024;

/** A page's records are parsed about this many characters at a time (some 1,250 records). */
const PART_CHARS = 500_000;

/**
 * The members after `upserts` (`deletes`, `cursor`, ...) of a page's JSON
 * text, or of its end; null if not laid out so.
 * @returns {{members: object, at: number}|null} `at`: where they start in `text`
 */
function pageTail(text) {
  const at = text.lastIndexOf('"deletes":');
  if (at < 0) return null;
  try {
    const members = JSON.parse(`{${text.slice(at)}`);
    // Laid out so only if `upserts` came before: a tail that holds it is some other layout.
    return typeof members.cursor === 'string' && !('upserts' in members) ? { members, at } : null;
  } catch {
    return null;
  }
}

/**
 * What a sync needs from a page — cursor, flags, deletes and a count of
 * records — without decoding its records.
 * @param {string} text
 * @returns {{cursor: string, has_more: boolean, reset: boolean, deletes: string[], upserts: number}}
 */
export function summarize(text) {
  const KEY = '"version":';
  const tail = pageTail(text);
  if (!tail) {
    const body = JSON.parse(text);
    return { ...body, upserts: body.upserts.length };
  }
  let upserts = 0;
  for (let i = text.indexOf(KEY); i !== -1 && i < tail.at; i = text.indexOf(KEY, i + KEY.length)) upserts += 1;
  return { ...tail.members, upserts };
}

/**
 * `summarize` for a page as `api.pull` answers it. Of a page kept as a Blob,
 * with the server's count of upserts (`Sync-Upserts`), only the end is read
 * (its records stay undecoded, in the browser's blob storage); otherwise, or
 * if the end does not hold the members after `upserts`, the whole text.
 * @param {{body: Blob|string, upserts: number|null}} page
 */
export async function summarizePage({ body, upserts }) {
  if (typeof body === 'string') return summarize(body);
  if (upserts !== null) {
    const tail = pageTail(await body.slice(Math.max(0, body.size - TAIL_BYTES)).text());
    if (tail) return { ...tail.members, upserts };
  }
  return summarize(await body.text());
}

/**
 * A page's JSON text cut into parts that parse on their own, so that a page
 * of 5,000 records (2 MB) is not parsed in one task: `parts` are runs of
 * whole records (`JSON.parse(`[${part}]`)`), `rest` an object with the
 * page's other members. A cut in the wrong place cannot parse, so a caller
 * falls back to the whole text.
 * @param {string} text
 * @returns {{parts: string[], rest: string} | null} null if not laid out so
 */
export function pageInParts(text, partChars = PART_CHARS) {
  const OPEN = '"upserts":[';
  const open = text.indexOf(OPEN);
  const close = text.lastIndexOf('],"deletes":');
  if (open < 0 || close < open) return null;
  const parts = [];
  for (let from = open + OPEN.length; from < close;) {
    let cut = from + partChars < close ? text.indexOf('},{"id":', from + partChars) : -1;
    cut = cut < 0 || cut >= close ? close : cut + 1;
    parts.push(text.slice(from, cut));
    from = cut + 1; // past the comma between two records
  }
  return { parts, rest: `{${text.slice(close + 2)}` };
}

/**
 * A page's upserts and deletes, its records parsed a part per step:
 * `between()` is awaited after each part (to yield to the page).
 * @param {string} text
 * @param {() => Promise<void>} [between]
 * @returns {Promise<{upserts: object[], deletes: string[]}>}
 */
export async function parsePage(text, between = async () => {}) {
  const cut = pageInParts(text);
  if (cut) {
    try {
      const upserts = [];
      for (const part of cut.parts) {
        for (const record of JSON.parse(`[${part}]`)) upserts.push(record);
        await between();
      }
      return { upserts, deletes: JSON.parse(cut.rest).deletes };
    } catch {
      // Not cut between records: parsed whole below.
    }
  }
  const { upserts, deletes } = JSON.parse(text);
  return { upserts, deletes };
}
