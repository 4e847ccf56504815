// The conventions every command shares (top README "Conventions"), checked on the five commands as
// they ship (bundled by scripts/bundle.mjs): `--version`; one error line `<3>message (CODE)` and
// nothing else on stderr for a usage error, exit 2; time flags that accept units; `status` with no
// daemon exits 3 (shared/exit-codes.ts); abbreviations only for read-only subcommands.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleCommands } from '../testing/helpers/bundles.ts';
import { runProcess, type ProcessResult } from '../testing/helpers/process.ts';

const bundles = bundleCommands();
const dir = mkdtempSync(join(tmpdir(), 'ltsp-balance-conventions-'));
test.after(() => {
  bundles.remove();
  rmSync(dir, { recursive: true, force: true });
});

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const COMMANDS = ['get_hosts', 'ltsp-server-advertise', 'ltsp-greeter-bridge', 'ltsp-winbind-pool', 'ltsp-balance', 'ltsp-balance-greeter'] as const;
type Name = (typeof COMMANDS)[number];

// lts.conf variables of the machine running the tests must not leak into what the commands see.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LDM_|LTSP_|SERVER$|NODE_OPTIONS$)/.test(k)));
const run = (name: Name, args: string[]): Promise<ProcessResult> => runProcess(process.execPath, [bundles.file(name), ...args], { env, timeoutMs: 60_000 });

/** A usage error: exit 2, nothing on stdout, exactly one journald error line ending in (ERR_USAGE). */
function assertUsageError(r: ProcessResult, what: string, message?: RegExp): void {
  assert.is(r.code, 2, `${what}: ${r.stderr}`);
  assert.is(r.stdout, '', what);
  assert.match(r.stderr, /^<3>[^\n]+ \(ERR_USAGE\)\n$/, `${what}: ${JSON.stringify(r.stderr)}`);
  if (message) assert.match(r.stderr, message, what);
}

test('--version prints "NAME VERSION" (package.json\'s) and exits 0, for every command', async () => {
  for (const name of COMMANDS) {
    for (const flag of ['--version', '-V']) {
      const r = await run(name, [flag]);
      assert.is(r.code, 0, `${name} ${flag}: ${r.stderr}`);
      assert.is(r.stdout, `${name} ${VERSION}\n`);
      assert.is(r.stderr, '');
    }
  }
});

test('an unknown flag is one <3>... (ERR_USAGE) line and exit 2, for every command', async () => {
  for (const name of COMMANDS) assertUsageError(await run(name, ['--no-such-flag']), name);
  assertUsageError(await run('ltsp-winbind-pool', ['status', '--no-such-flag']), 'winbind-pool subcommand flag');
  assertUsageError(await run('ltsp-winbind-pool', ['frobnicate']), 'winbind-pool unknown subcommand', /unknown command 'frobnicate'/);
});

const BAD_TIME: [Name, string[], string][] = [
  ['get_hosts', ['--timeout', '5parsecs'], '--timeout'],
  ['ltsp-server-advertise', ['--sample-interval', 'soon'], '--sample-interval'],
  ['ltsp-server-advertise', ['--write-timeout', '-1s'], '--write-timeout'],
  ['ltsp-greeter-bridge', ['serve', '--interval', '1fortnight'], '--interval'],
  ['ltsp-greeter-bridge', ['watch', '--once', '--timeout', 'later'], '--timeout'],
  ['ltsp-winbind-pool', ['ping', '--timeout-ms', '1e3'], '--timeout-ms'],
  ['ltsp-winbind-pool', ['serve', '--request-timeout-ms', 'NaN'], '--request-timeout-ms'],
  ['ltsp-balance', ['update-sshkeys', '--timeout', '5 s'], '--timeout'],
  ['ltsp-balance', ['storm', '--staleness', 'old'], '--staleness'],
];

test('a bad time value is a usage error naming the flag, the range with units, and the value', async () => {
  for (const [name, args, flag] of BAD_TIME) {
    assertUsageError(await run(name, args), `${name} ${args.join(' ')}`, new RegExp(`<3>${flag} must be a duration from \\S+ to \\S+ \\(e\\.g\\. 300ms, 2s`));
  }
});

test('time flags accept units: get_hosts --timeout 50ms and 0.05s both end at the deadline, none answering', async () => {
  for (const t of ['50ms', '0.05s', '50']) {
    const started = performance.now();
    const r = await run('get_hosts', ['--servers', '127.0.0.1:9', '--timeout', t]);
    assert.is(r.code, 9, `--timeout ${t}: ${r.stderr}`); // unavailable: nobody answered, the configured list printed
    assert.is(r.stdout, '127.0.0.1\n');
    assert.ok(performance.now() - started < 30_000);
  }
});

test('time flags accept units: the client commands and update-sshkeys take 2s / 300ms', async () => {
  const nowhere = join(dir, 'no-daemon.sock');
  const ping = await run('ltsp-winbind-pool', ['ping', '--socket', nowhere, '--timeout-ms', '2s']);
  assert.is(ping.code, 9, ping.stderr); // PAM_AUTHINFO_UNAVAIL: the daemon is not there
  assert.match(ping.stderr, /^<3>[^\n]+ \(ERR_DAEMON_UNREACHABLE\)\n$/);
  const list = join(dir, 'extraservers');
  writeFileSync(list, '# none\n');
  const keys = await run('ltsp-balance', ['update-sshkeys', '--extraservers', list, '--output', join(dir, 'known'), '--timeout', '2s']);
  assert.is(keys.code, 0, keys.stderr);
  const watch = await run('ltsp-greeter-bridge', ['watch', '--once', '--timeout', '300ms', '--queue', `/conv-${process.pid}-none`, '--choice-queue', `/conv-${process.pid}-none-c`]);
  assert.is.not(watch.code, 2, `the flag was accepted: ${watch.stderr}`);
  assert.not.match(watch.stderr, /ERR_USAGE/);
});

test('status with no daemon exits 3 (ERR_NOT_RUNNING) in every command that has a daemon', async () => {
  const cases: [Name, string[]][] = [
    ['ltsp-server-advertise', ['status', '--status-socket', join(dir, 'advertise.sock')]],
    ['ltsp-greeter-bridge', ['status', '--queue', `/conv-${process.pid}-nobody`]],
    ['ltsp-winbind-pool', ['status', '--socket', join(dir, 'pool.sock'), '--timeout-ms', '300ms']],
  ];
  for (const [name, args] of cases) {
    const r = await run(name, args);
    assert.is(r.code, 3, `${name}: ${r.stderr}`);
    assert.match(r.stderr, /^<3>[^\n]+ \(ERR_NOT_RUNNING\)\n$/, name);
  }
});

test('read-only subcommands may be abbreviated; subcommands that write or serve may not', async () => {
  const st = await run('ltsp-server-advertise', ['st', '--status-socket', join(dir, 'advertise.sock')]);
  assert.is(st.code, 3, 'st is status');
  assertUsageError(await run('ltsp-winbind-pool', ['ser', '--socket', join(dir, 'never.sock')]), 'ser is not serve', /unknown command 'ser'/);
  assertUsageError(await run('ltsp-greeter-bridge', ['ser']), 'ser is not serve', /unknown command 'ser'/);
  assertUsageError(await run('ltsp-balance', ['instal', '--dry-run']), 'instal is not install', /unknown command 'instal'/);
});

test('the shipped winbind pool has no test backend', async () => {
  assertUsageError(await run('ltsp-winbind-pool', ['serve', '--backend', 'blocking', '--socket', join(dir, 'b.sock')]), '--backend blocking', /'blocking' is invalid/);
  assertUsageError(await run('ltsp-winbind-pool', ['serve', '--block-ms', '5', '--socket', join(dir, 'b.sock')]), '--block-ms', /unknown option '--block-ms'/);
});

test.run();
