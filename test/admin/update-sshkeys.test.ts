import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet } from '../../testing/fleet/netns.ts';
import { startSshd, type RunningSshd } from '../../testing/fleet/sshd.ts';
import { parseExtraServers, parseTarget, MAX_EXTRASERVERS_BYTES } from '../../admin/host-keys/extraservers.ts';
import { keyLines } from '../../admin/host-keys/keyscan.ts';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ltsp-balance-sshkeys-test-'));
let fleet: Fleet;
let ssh22: RunningSshd;
let ssh2222: RunningSshd;

test.before(async () => {
  // app1: sshd on 22; app2: sshd on 2222; app3: up, no sshd (refused); app4: partitioned (no answer).
  try {
    fleet = await Fleet.create({ hosts: ['app1', 'app2', 'app3', 'app4', 'client'] });
    [ssh22, ssh2222] = await Promise.all([startSshd(fleet, 'app1', dir), startSshd(fleet, 'app2', dir, 2222)]);
    await fleet.partition('app4');
  } catch (err) {
    console.error(err); // uvu does not print a failed hook's error
    throw err;
  }
});
test.after(async () => {
  await fleet?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

function updateSshKeys(extraservers: string, output: string, ...more: string[]) {
  return fleet.exec('client', [process.execPath, '--import', 'tsx', join(root, 'bin/ltsp-balance.ts'), 'update-sshkeys',
    '--extraservers', extraservers, '--output', output, '--timeout', '1', ...more], { cwd: root, timeoutMs: 60_000 });
}

const keyEntries = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));

test('keys of the answering servers are written; unreachable ones are reported, exit 3', async () => {
  const list = join(dir, 'extraservers');
  writeFileSync(list, `# application servers\n10.77.0.2\n\n10.77.0.3:2222   # sshd on another port\n10.77.0.4, 10.77.0.5\n10.77.0.2\n`);
  const out = join(dir, 'ssh_known_hosts.auto');
  const r = await updateSshKeys(list, out);
  assert.is(r.status, 5, r.stderr);
  assert.equal(keyEntries(out), [`10.77.0.2 ${ssh22.publicKey}`, `[10.77.0.3]:2222 ${ssh2222.publicKey}`]);
  assert.match(r.stderr, /10\.77\.0\.4: no host key .*nothing written for it/);
  assert.match(r.stderr, /10\.77\.0\.5: no host key/);
  assert.match(r.stderr, /wrote 2 key\(s\) of 2 of 4 server\(s\)/);
});

test('ssh trusts the written file: the login path reaches authentication, not a host key failure', async () => {
  const out = join(dir, 'ssh_known_hosts.auto');
  const ssh = (knownHosts: string, port: number, host: string) =>
    fleet.exec('client', ['ssh', '-p', String(port), '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-i', '/dev/null', `nobody@${host}`, 'true'], { timeoutMs: 20_000 });
  for (const [port, host] of [[22, '10.77.0.2'], [2222, '10.77.0.3']] as const) {
    const trusted = await ssh(out, port, host);
    assert.match(trusted.stderr, /Permission denied/, trusted.stderr);
    assert.not.match(trusted.stderr, /Host key verification failed/);
  }
  const empty = join(dir, 'empty_known_hosts');
  writeFileSync(empty, '');
  const unknown = await ssh(empty, 22, '10.77.0.2');
  assert.match(unknown.stderr, /Host key verification failed/);
});

test('a server down during the update keeps its keys from the previous file', async () => {
  const list = join(dir, 'extraservers-2');
  writeFileSync(list, '10.77.0.2 10.77.0.5\n');
  const out = join(dir, 'known-2');
  writeFileSync(out, `10.77.0.5 ${ssh2222.publicKey}\n10.77.0.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOld0nlyInTheOldFile00000000000000000\n`);
  const r = await updateSshKeys(list, out);
  assert.is(r.status, 5);
  assert.equal(keyEntries(out), [`10.77.0.2 ${ssh22.publicKey}`, `10.77.0.5 ${ssh2222.publicKey}`], 'kept 10.77.0.5, dropped 10.77.0.9 (no longer listed)');
  assert.match(r.stderr, /10\.77\.0\.5: no host key .*kept its 1 key\(s\)/);
  // All reachable: exit 0.
  writeFileSync(list, '10.77.0.2\n');
  const ok = await updateSshKeys(list, out);
  assert.is(ok.status, 0, ok.stderr);
  assert.equal(keyEntries(out), [`10.77.0.2 ${ssh22.publicKey}`]);
});

test('bad lists are refused with the line, and the output file is left alone', async () => {
  const out = join(dir, 'untouched');
  writeFileSync(out, 'previous\n');
  const cases: Array<[string, RegExp]> = [
    ['10.77.0.2\n-oProxyCommand=touch_/tmp/x\n', /:2: "-oProxyCommand=touch_\/tmp\/x" is not a host name/],
    ['10.77.0.2:99999\n', /:1: .*invalid port "99999" \(1\.\.65535\)/],
    ['host:22:33\n', /:1: .*too many colons/],
    ['host:2x\n', /:1: .*invalid port "2x"/],
    ['x'.repeat(MAX_EXTRASERVERS_BYTES + 1), /larger than 65536 bytes/],
  ];
  for (const [text, message] of cases) {
    const list = join(dir, 'bad-list');
    writeFileSync(list, text);
    const r = await updateSshKeys(list, out);
    assert.is(r.status, 2, text.slice(0, 40));
    assert.match(r.stderr, message);
    assert.match(r.stderr, /ERR_EXTRASERVERS/);
    assert.is(readFileSync(out, 'utf8'), 'previous\n');
  }
  const missing = await updateSshKeys(join(dir, 'no-such-file'), out);
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /no-such-file.*cannot read/);
  const badTimeout = await updateSshKeys(join(dir, 'no-such-file'), out, '--timeout', '0');
  assert.is(badTimeout.status, 2);
});

test('the list parser: host names, IPv4, IPv6 with and without port, comments, duplicates', () => {
  assert.equal(parseExtraServers('a.example\n# c\n  \n[fe80::1]:2222 ::1 10.0.0.1:22, a.example:22\n', 'x'), [
    { host: 'a.example', port: 22 },
    { host: 'fe80::1', port: 2222 },
    { host: '::1', port: 22 },
    { host: '10.0.0.1', port: 22 },
  ]);
  for (const bad of ['-p', '[a.example]:22', 'a..b', 'a b'.split(' ')[0] + '\x00', 'ex ample'.replace(' ', '/')]) {
    assert.type(parseTarget(bad), 'string', bad);
  }
});

test('keyscan output is checked line by line: wrong host, bad key text or extra fields are dropped', () => {
  const target = { host: '10.0.0.1', port: 2222 };
  const good = '[10.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJE6cthr8U/y07Zv8wuHxfDNu1KnEd1OV55uNUIYptLZ';
  const out = [
    '# 10.0.0.1:2222 SSH-2.0-OpenSSH_9.2p1',
    good,
    good,
    '10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJE6cthr8U/y07Zv8wuHxfDNu1KnEd1OV55uNUIYptLZ',
    '[10.0.0.1]:2222 ssh-ed25519 not*base64*at*all*here',
    '[10.0.0.1]:2222 evil-type AAAAC3NzaC1lZDI1NTE5AAAAIJE6cthr8U',
    `${good} extra`,
    '@cert-authority * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJE6cthr8U',
  ].join('\n');
  assert.equal(keyLines(out, target), [good]);
});

test.run();
