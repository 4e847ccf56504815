// What ships: every command bundled by scripts/bundle.mjs, exactly as `npm run build` makes them, and
// searched for what must never be in them: the test harness and its fixtures, the blocking test
// backend (default password "secret"), and, in get_hosts, commander (it parses with node:util).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCommands } from '../../testing/helpers/bundles.ts';

const bundles = bundleCommands();
test.after(() => bundles.remove());
const files = readdirSync(bundles.dir).filter((f) => f !== 'package.json');
const text = (f: string): string => readFileSync(join(bundles.dir, f), 'utf8');

test('every command of bin/ is bundled, get_hosts and the greeter wrapper (both run by LDM in the chroot) also as CommonJS', () => {
  const commands = readdirSync(new URL('../../bin/', import.meta.url)).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  assert.equal(files.sort(), [...commands.map((c) => `${c}.js`), 'get_hosts.cjs', 'ltsp-balance-greeter.cjs'].sort());
});

const FORBIDDEN: [string, RegExp][] = [
  ['a path into testing/ or test/', /(?:^|[^\w-])(?:testing|test)\/[\w./-]+\.(?:ts|mjs|js|json)/],
  ['a fixture path', /fixtures\//],
  ['the blocking test backend (its block-<ms> names)', /block-\(\\d/],
  ['the blocking test backend (Atomics.wait)', /Atomics\.wait\b/],
  ['the test backends\' default password', /["'`]secret["'`]/],
  ['the network-namespace harness', /\bnetem\b|ip netns|ltspf/],
];

test('no bundle carries test harness, fixtures or the blocking backend', () => {
  for (const f of files) {
    const body = text(f);
    for (const [what, re] of FORBIDDEN) assert.not.match(body, re, `${f} contains ${what}: ${re.exec(body)?.[0]}`);
  }
});

test('the checks above can fail: the blocking backend itself trips them', () => {
  const source = readFileSync(new URL('../../testing/winbind-pool/blocking-backend.ts', import.meta.url), 'utf8');
  assert.ok(FORBIDDEN.some(([, re]) => re.test(source)));
});

test('regression: the get_hosts bundles carry no commander (it was 39 KB of 161 KB)', () => {
  for (const f of ['get_hosts.js', 'get_hosts.cjs']) {
    const body = text(f);
    assert.not.match(body, /commander\.(?:unknownOption|missingArgument|help)|CommanderError/, f);
  }
  assert.match(text('ltsp-balance.js'), /commander\.unknownOption/, 'the marker is what commander carries');
});

test.run();
