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

test('regression: a prefix never runs a subcommand that writes; install is gone (the Debian packages install)', () => {
  const up = cli('up', '--extraservers', join(dir, 'none'), '--output', join(dir, 'known'));
  assert.is(up.status, 2);
  assert.match(up.stderr, /unknown command 'up'/);
  for (const gone of ['install', 'uninstall']) {
    const r = cli(gone, '--root', dir);
    assert.is(r.status, 2, gone);
    assert.match(r.stderr, new RegExp(`^<3>unknown command '${gone}'.*\\(ERR_USAGE\\)\n$`));
  }
});

test('full names run; a typo gets "did you mean" on one line', () => {
  // update-sshkeys on an empty list writes a header-only file and exits 0.
  const list = join(dir, 'extraservers');
  writeFileSync(list, '# no extra servers yet\n');
  const out = join(dir, 'known');
  const r = cli('update-sshkeys', '--extraservers', list, '--output', out);
  assert.is(r.status, 0, r.stderr);
  assert.match(readFileSync(out, 'utf8'), /^# Written by "ltsp-balance update-sshkeys"/);
  const typo = cli('updtae-sshkeys');
  assert.is(typo.status, 2);
  assert.match(typo.stderr, /Did you mean update-sshkeys\?/);
  assert.not.match(typo.stderr, /\\x0a/, 'one readable line');
});

test('the demo and the namespace cleanup are not subcommands of the shipped command', () => {
  for (const gone of ['demo', 'netns-cleanup']) {
    const r = cli(gone);
    assert.is(r.status, 2, gone);
    assert.match(r.stderr, new RegExp(`unknown command '${gone}'`));
  }
});

test('no subcommand prints the help and exits 2; bad option values are usage errors', () => {
  const none = cli();
  assert.is(none.status, 2);
  assert.match(none.stdout + none.stderr, /Commands:[\s\S]*update-sshkeys/);
  assert.not.match(none.stderr, /outputHelp/);
  const badTimeout = cli('update-sshkeys', '--timeout', 'soon');
  assert.is(badTimeout.status, 2);
  assert.match(badTimeout.stderr, /--timeout must be a duration from 1s to 10m/);
});

test.run();
