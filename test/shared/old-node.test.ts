/**
 * shared/old-node on every official Node of the matrix: first which built-ins each version has of
 * its own (the table in polyfill.ts must match what the binaries really have), then a probe bundled
 * as a hook command (target node8, polyfill injected) exercising each one; util.parseArgs filled in
 * on old Node must agree with Node's own parseArgs case by case.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFile } from '../../scripts/bundle.mjs';
import { NODE_MATRIX, officialNode } from '../../testing/node-binaries.ts';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'old-node-'));
const probe = join(dir, 'probe.cjs');

test.before(async () => {
  await bundleFile(join(root, 'testing/old-node/probe.ts'), probe, { hook: true });
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Node version from which each built-in is native (polyfill.ts's table); [major, minor] pairs, any match. */
const NATIVE_SINCE: Record<string, Array<[number, number]>> = {
  'Promise.prototype.finally': [[10, 0]],
  'String.prototype.trimStart': [[10, 0]],
  'Object.fromEntries': [[12, 0]],
  URL: [[10, 0]],
  TextDecoder: [[11, 0]],
  AbortController: [[15, 0]],
  'AbortSignal.timeout': [[16, 14], [17, 3]],
  performance: [[16, 0]],
  'util.parseArgs': [[16, 17], [18, 3]],
  'stable sort': [[11, 0]],
};
/** The same checks in syntax every Node parses, run with no bundle and no polyfill. */
const DETECT = `var s=Array.from({length:40},function(_,i){return{k:i%3,i:i}});s.sort(function(a,b){return a.k-b.k});
console.log(JSON.stringify({
'Promise.prototype.finally':typeof Promise.prototype.finally==='function',
'String.prototype.trimStart':typeof ''.trimStart==='function',
'Object.fromEntries':typeof Object.fromEntries==='function',
URL:typeof URL==='function',
TextDecoder:typeof TextDecoder==='function',
AbortController:typeof AbortController==='function',
'AbortSignal.timeout':typeof AbortSignal==='function'&&typeof AbortSignal.timeout==='function',
performance:typeof performance==='object',
'util.parseArgs':typeof require('util').parseArgs==='function',
'stable sort':s.every(function(x,n){return n===0||s[n-1].k<x.k||s[n-1].i<x.i})}))`;

function nativeOn(version: string, feature: string): boolean {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  // A pair [M, m] covers M.m and later M.x; the last pair covers every later major too.
  const since = NATIVE_SINCE[feature]!;
  return since.some(([M, m], i) => (major === M && minor >= m) || (i === since.length - 1 && major > M));
}

const OPTIONS = { config: { type: 'string', short: 'c' }, explain: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
const CASES: string[][] = [
  [], ['--explain'], ['--config', 'a'], ['--config=a'], ['--config=-x'], ['-c', 'a'], ['-ca'], ['-h'], ['-hc', 'x'],
  ['--config', 'a', '--config', 'b'], ['--config'], ['--config', '--explain'], ['--explain=yes'], ['--bogus'], ['-z'],
  ['extra'], ['--', '--explain'], ['-'], ['--config', ''],
];

function native(args: string[]): unknown {
  try {
    const r = parseArgs({ args, strict: true, allowPositionals: false, options: OPTIONS });
    return { values: { ...r.values }, positionals: r.positionals };
  } catch (err) {
    return { error: (err as { code?: string }).code };
  }
}

for (const version of NODE_MATRIX) {
  test(`Node ${version}: the built-ins it has match the table; each works in a hook bundle`, () => {
    const node = officialNode(version);
    const detected = spawnSync(node, ['-e', DETECT], { encoding: 'utf8', env: {} });
    assert.is(detected.status, 0, detected.stderr);
    const has = JSON.parse(detected.stdout) as Record<string, boolean>;
    for (const feature of Object.keys(NATIVE_SINCE)) assert.is(has[feature], nativeOn(version, feature), `${feature} native on ${version}`);

    const r = spawnSync(node, [probe, JSON.stringify({ options: OPTIONS, cases: CASES })], { encoding: 'utf8', env: {}, timeout: 30_000 });
    assert.is(r.stderr, '');
    assert.is(r.status, 0);
    const out = JSON.parse(r.stdout) as { checks: Record<string, true | string>; parseArgs: unknown[] };
    for (const [name, result] of Object.entries(out.checks)) assert.is(result, true, `${name} on ${version}: ${result}`);
    assert.is(Object.keys(out.checks).length, 10);
    CASES.forEach((args, i) => assert.equal(out.parseArgs[i], native(args), `parseArgs ${JSON.stringify(args)} on ${version}`));
  });
}

test.run();
