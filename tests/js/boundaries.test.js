// The sync client (frontend/static/frontend/js/sync/) stands alone: none of its modules imports
// anything outside its folder; the app reaches it only through its public API (sync/index.js),
// and the service worker imports the sync client alone (sync/worker.js).
// Run by `make test`: node --test tests/js/
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const JS = resolve(dirname(fileURLToPath(import.meta.url)), '../../frontend/static/frontend/js');
const SYNC = join(JS, 'sync');

/** Every specifier a module names: static imports and re-exports, bare imports, import() (JSDoc types too). */
export function specifiers(source) {
  const found = [];
  for (const pattern of [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]) {
    for (const match of source.matchAll(pattern)) found.push(match[1]);
  }
  return found;
}

function modules(folder) {
  return readdirSync(folder, { recursive: true }).filter((name) => name.endsWith('.js')).map((name) => join(folder, name));
}

/** `source` without its comments (a JSDoc type such as `import('./sync/replica.js').Replica` is no import). */
const withoutComments = (source) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

/**
 * `[module, target]` for each import of each of `files`, targets as paths relative to js/.
 * @param {{code?: boolean}} [options] `code`: leave out what comments name
 */
function imports(files, { code = false } = {}) {
  return files.flatMap((file) => {
    const source = readFileSync(file, 'utf8');
    return specifiers(code ? withoutComments(source) : source)
      .map((specifier) => [relative(JS, file), specifier.startsWith('.') ? relative(JS, resolve(dirname(file), specifier)) : specifier]);
  });
}

test('the specifier scan finds every form of import', () => {
  const source = `import a from './a.js';\nimport { b,\n c } from "../b.js";\nexport * from './c.js';\nimport './d.js';\n`
    + `/** @param {import('./e.js').E} e */\nconst f = await import('./f.js');`;
  assert.deepEqual(specifiers(source).sort(), ['../b.js', './a.js', './c.js', './d.js', './e.js', './f.js']);
});

test('no module of the sync client imports anything outside sync/', () => {
  const outside = imports(modules(SYNC)).filter(([, target]) => !target.startsWith('sync/'));
  assert.deepEqual(outside, []);
});

test('the app imports the sync client only through its public API', () => {
  const app = modules(JS).filter((file) => !file.startsWith(SYNC + '/') && !file.endsWith('sw-main.js'));
  const reaching = imports(app, { code: true }).filter(([, target]) => target.startsWith('sync/') && target !== 'sync/index.js');
  assert.deepEqual(reaching, []);
});

test('the service worker imports the sync client alone', () => {
  const reached = imports([join(JS, 'sw-main.js')]).map(([, target]) => target);
  assert.deepEqual(reached, ['sync/worker.js']);
});
