import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ltsp-balance-cli-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/ltsp-balance.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('an unambiguous prefix runs the subcommand', () => {
  // "up" is update-sshkeys: on an empty list it writes a header-only file and exits 0.
  const list = join(dir, 'extraservers');
  writeFileSync(list, '# no extra servers yet\n');
  const out = join(dir, 'known');
  const r = cli('up', '--extraservers', list, '--output', out);
  assert.is(r.status, 0, r.stderr);
  assert.match(readFileSync(out, 'utf8'), /^# Written by "ltsp-balance update-sshkeys"/);
  const un = cli('uni', '--root', dir);
  assert.is(un.status, 1);
  assert.match(un.stderr, /ERR_INSTALL_NOT_INSTALLED/, 'uni ran uninstall');
  assert.match(cli('inst', '--help').stdout, /Usage: ltsp-balance install/);
});

test('an ambiguous prefix names the candidates; a typo gets "did you mean"', () => {
  const amb = cli('u');
  assert.is(amb.status, 2);
  assert.match(amb.stderr, /"u" is ambiguous: it could be uninstall, update-sshkeys/);
  const typo = cli('updtae-sshkeys');
  assert.is(typo.status, 2);
  assert.match(typo.stderr, /Did you mean update-sshkeys\?/);
  const misspelt = cli('unistall');
  assert.is(misspelt.status, 2);
  assert.match(misspelt.stderr, /unknown command 'unistall'.*Did you mean uninstall\?/);
  assert.not.match(misspelt.stderr, /\\x0a/, 'one readable line');
});

test('no subcommand prints the help and exits 2; bad option values are usage errors', () => {
  const none = cli();
  assert.is(none.status, 2);
  assert.match(none.stdout + none.stderr, /Commands:[\s\S]*update-sshkeys/);
  assert.not.match(none.stderr, /outputHelp/);
  const badTimeout = cli('update-sshkeys', '--timeout', 'soon');
  assert.is(badTimeout.status, 2);
  assert.match(badTimeout.stderr, /--timeout must be a whole number/);
  const badPrefix = cli('install', '--root', dir, '--prefix', 'relative/dir', '--dry-run', '--from', dir);
  assert.is(badPrefix.status, 2);
});

test('"ltsp-balance de" runs the demo to the end', () => {
  const r = cli('de', '--no-chooser', '--port', String(40_000 + (process.pid % 20_000)));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /== get_hosts --explain --algorithm best/);
  assert.match(r.stdout, /every process stopped \(0 running\)/);
});

test.run();
