// One rule of the layout (README "Layout"): nothing outside test/, testing/, bench/ and demo/ (the
// demo runs from the source tree only, with the fixtures) imports from test/ or testing/, so the
// product can never load harness code. Checked on the sources, not only on the bundles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const ALLOWED = ['test', 'testing', 'bench', 'demo', 'node_modules', 'dist', '.git'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return dir === root && ALLOWED.includes(name) ? [] : sources(path);
    return /\.(?:ts|mts|mjs|js)$/.test(name) ? [path] : [];
  });
}

const IMPORT_FROM_TEST = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](?:\.\.?\/)+(?:[\w-]+\/)*?(?:test|testing)\/[^'"]*['"]/;

test('no product file imports from test/ or testing/', () => {
  const offenders = sources(root).filter((f) => IMPORT_FROM_TEST.test(readFileSync(f, 'utf8')));
  assert.equal(offenders.map((f) => relative(root, f)), []);
});

test('the pattern catches the import forms it is meant to', () => {
  for (const line of ["import { x } from '../testing/fleet/netns.ts';", "await import('../../test/x.ts')", "export { y } from './testing/a.ts'"]) {
    assert.ok(IMPORT_FROM_TEST.test(line), line);
  }
  assert.not.ok(IMPORT_FROM_TEST.test("import { x } from '../shared/testing-free.ts';"));
});

test.run();
