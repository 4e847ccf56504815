// Every error code the tree throws is documented in a README's error table, and every code a README
// names is one the tree still has; each code has exactly one class (one `super('ERR_…'`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SKIP = new Set(['node_modules', 'dist', '.git', 'test']);
/** Node's own codes that the tree reads but never throws. */
const NODE_CODES = new Set(['ERR_CHILD_PROCESS_STDIO_MAXBUFFER']);

function walk(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return SKIP.has(name) ? [] : walk(path, keep);
    return keep(name) ? [path] : [];
  });
}

const sources = walk(root, (n) => n.endsWith('.ts') && !n.endsWith('.d.ts'));
const readmes = walk(root, (n) => n === 'README.md');

const inCode = new Map<string, string[]>();
const classes = new Map<string, string[]>();
for (const f of sources) {
  const text = readFileSync(f, 'utf8');
  for (const m of text.matchAll(/'(ERR_[A-Z0-9_]+)'/g)) {
    if (!NODE_CODES.has(m[1]!)) inCode.set(m[1]!, [...(inCode.get(m[1]!) ?? []), relative(root, f)]);
  }
  for (const m of text.matchAll(/super\(\s*'(ERR_[A-Z0-9_]+)'/g)) classes.set(m[1]!, [...(classes.get(m[1]!) ?? []), relative(root, f)]);
}
/** `new SomeError('ERR_…'`: a class that takes its code from the caller, i.e. several codes for one class. */
const codeFromCaller: string[] = [];
for (const f of sources) {
  for (const m of readFileSync(f, 'utf8').matchAll(/new [A-Z]\w*\(\s*'(ERR_[A-Z0-9_]+)'/g)) codeFromCaller.push(`${relative(root, f)}: ${m[1]}`);
}
const inDocs = new Set<string>();
for (const f of readmes) for (const m of readFileSync(f, 'utf8').matchAll(/\b(ERR_[A-Z0-9_]+)\b(?!\*)/g)) inDocs.add(m[1]!);

test('the scan finds what it should (the checks below can fail)', () => {
  assert.ok(inCode.has('ERR_USAGE') && inCode.has('ERR_WIRE_FIELD') && inCode.has('ERR_DENIED'));
  assert.ok(inDocs.has('ERR_USAGE'));
  assert.ok(readmes.length >= 6, readmes.join(' '));
});

test('every error code in the tree is documented in a README', () => {
  assert.equal([...inCode.keys()].filter((c) => !inDocs.has(c)).map((c) => `${c} (${inCode.get(c)!.join(', ')})`), []);
});

test('every error code a README names still exists in the tree', () => {
  assert.equal([...inDocs].filter((c) => !inCode.has(c)).sort(), []);
});

test('one class per code: no code has two classes, no class takes its code from the caller', () => {
  assert.equal([...classes].filter(([, where]) => where.length > 1).map(([c, where]) => `${c}: ${where.join(', ')}`), []);
  assert.equal(codeFromCaller, []);
});

test.run();
