import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet } from '../../testing/fleet/netns.ts';
import { startSshd, type RunningSshd } from '../../testing/fleet/sshd.ts';
import { parseExtraServers, parseTarget, MAX_EXTRASERVERS_BYTES } from '../../admin/host-keys/extraservers.ts';
import { keyLines } from '../../admin/host-keys/keyscan.ts';
import type { ManagedProcess } from '../../testing/fleet/process.ts';

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
  if (fleet) rmSync(`/etc/netns/${fleet.host('client').ns}`, { recursive: true, force: true });
  await fleet?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** An lts.conf with no server list and discovery off: only the extraservers list counts. */
const noLtsConf = join(dir, 'lts.conf-empty');
writeFileSync(noLtsConf, '[Default]\nLDM_BALANCE_DISCOVER = N\n');

function updateSshKeys(extraservers: string, output: string, ...more: string[]) {
  const ltsConf = more.includes('--lts-conf') ? [] : ['--lts-conf', noLtsConf];
  return fleet.exec('client', [process.execPath, '--import', 'tsx', join(root, 'bin/ltsp-balance.ts'), 'update-sshkeys',
    '--extraservers', extraservers, '--output', output, '--timeout', '1', ...ltsConf, ...more], { cwd: root, timeoutMs: 60_000 });
}

const keyEntries = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));

test('keys of the answering servers are written; unreachable ones are reported, exit 5 (partial); the next step is named', async () => {
  const list = join(dir, 'extraservers');
  writeFileSync(list, `# application servers\n10.77.0.2\n\n10.77.0.4, 10.77.0.5\n10.77.0.2:22\n`);
  const out = join(dir, 'ssh_known_hosts.ltsp-balance');
  const r = await updateSshKeys(list, out);
  assert.is(r.status, 5, r.stderr);
  assert.equal(keyEntries(out), [`10.77.0.2 ${ssh22.publicKey}`]);
  assert.match(r.stderr, /10\.77\.0\.4: no host key .*nothing written for it/);
  assert.match(r.stderr, /10\.77\.0\.5: no host key/);
  assert.match(r.stderr, /wrote 1 key\(s\) of 1 of 3 server\(s\)/);
  assert.match(r.stderr, /next: "ltsp-update-sshkeys -u" .*"ltsp-update-image"/);
  // LDM's one port for every server (SSH_OVERRIDE_PORT): sshd on 2222.
  const other = join(dir, 'known-2222');
  writeFileSync(list, '10.77.0.3\n');
  const r2 = await updateSshKeys(list, other, '--ssh-port', '2222');
  assert.is(r2.status, 0, r2.stderr);
  assert.equal(keyEntries(other), [`[10.77.0.3]:2222 ${ssh2222.publicKey}`]);
});

test('a per-host ssh port is refused: LDM uses one SSH_OVERRIDE_PORT for every server', async () => {
  const list = join(dir, 'extraservers-port');
  writeFileSync(list, '10.77.0.2\n10.77.0.3:2222\n');
  const out = join(dir, 'untouched-port');
  writeFileSync(out, 'previous\n');
  const r = await updateSshKeys(list, out);
  assert.is(r.status, 2);
  assert.match(r.stderr, /:2: "10\.77\.0\.3:2222": LDM logs into every server on one ssh port \(SSH_OVERRIDE_PORT, here 22\).*\(ERR_EXTRASERVERS\)/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.is(readFileSync(out, 'utf8'), 'previous\n');
  // The same port as SSH_OVERRIDE_PORT in lts.conf is fine.
  const conf = join(dir, 'lts.conf-2222');
  writeFileSync(conf, '[Default]\nSSH_OVERRIDE_PORT = 2222\nLDM_BALANCE_DISCOVER = N\n');
  writeFileSync(list, '10.77.0.3:2222\n');
  const ok = await updateSshKeys(list, out, '--lts-conf', conf);
  assert.is(ok.status, 0, ok.stderr);
  assert.equal(keyEntries(out), [`[10.77.0.3]:2222 ${ssh2222.publicKey}`]);
});

/** update-sshkeys with this lts.conf and an empty extraservers list; `out` is the file it wrote. */
async function fromLtsConfOnly(name: string, ltsConf: string) {
  const conf = join(dir, `lts.conf-${name}`);
  writeFileSync(conf, ltsConf);
  const empty = join(dir, 'extraservers-empty');
  writeFileSync(empty, '');
  const out = join(dir, `known-${name}`);
  return { r: await updateSshKeys(empty, out, '--lts-conf', conf), out };
}

test('LDM_BALANCE_SERVERS of every lts.conf section: names get their address entries too, and ssh by name trusts them', async () => {
  // Name resolution inside the client's namespace: ip netns exec mounts /etc/netns/<ns>/hosts on /etc/hosts.
  const nsEtc = `/etc/netns/${fleet.host('client').ns}`;
  mkdirSync(nsEtc, { recursive: true });
  writeFileSync(join(nsEtc, 'hosts'), '127.0.0.1 localhost\n10.77.0.2 app1\n10.77.0.5 app5\n');
  const { r, out } = await fromLtsConfOnly('servers', '[Default]\nLDM_BALANCE_SERVERS = "app1:3777 app5"\n\n[lab2]\nLDM_BALANCE_SERVERS = app1 10.77.0.4\n');
  assert.is(r.status, 5, r.stderr);
  assert.equal(keyEntries(out), [`app1,10.77.0.2 ${ssh22.publicKey}`], 'the advertise port 3777 is not ssh\'s');
  assert.match(r.stderr, /app5: no host key/);
  assert.match(r.stderr, /10\.77\.0\.4: no host key/);
  for (const host of ['app1', '10.77.0.2']) {
    const ssh = await fleet.exec('client', ['ssh', '-o', `UserKnownHostsFile=${out}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'CheckHostIP=yes',
      '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-i', '/dev/null', `nobody@${host}`, 'true'], { timeoutMs: 20_000 });
    assert.match(ssh.stderr, /Permission denied/, `${host}: ${ssh.stderr}`);
    assert.not.match(ssh.stderr, /Host key verification failed|IDENTIFICATION HAS CHANGED|Permanently added/, ssh.stderr);
  }
});

test('no server list in lts.conf: the servers answering the discovery broadcast are recorded by address', async () => {
  let daemon: ManagedProcess | undefined;
  try {
    daemon = fleet.spawn('app1', [process.execPath, '--import', 'tsx', join(root, 'bin/ltsp-server-advertise.ts'), '--procfs', join(root, 'testing/fixtures/proc/idle'),
      '--utmp', join(dir, 'no-utmp'), '--status-socket', join(dir, 'adv.sock')], { cwd: root, label: 'advertise app1' });
    await daemon.waitForOutput(/listening on/, 30_000);
    const { r, out } = await fromLtsConfOnly('discover', '[Default]\nLDM_BALANCE_ALGORITHM = best\n');
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /discovery: 1 server\(s\) answered the broadcast: 10\.77\.0\.2/);
    assert.equal(keyEntries(out), [`10.77.0.2 ${ssh22.publicKey}`]);
  } finally {
    await daemon?.stop();
  }
});

test('ssh trusts the written file: the login path reaches authentication, not a host key failure', async () => {
  const out = join(dir, 'ssh_known_hosts.ltsp-balance');
  const ssh = (knownHosts: string, port: number, host: string) =>
    fleet.exec('client', ['ssh', '-p', String(port), '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-i', '/dev/null', `nobody@${host}`, 'true'], { timeoutMs: 20_000 });
  for (const [port, host, file] of [[22, '10.77.0.2', out], [2222, '10.77.0.3', join(dir, 'known-2222')]] as const) {
    const trusted = await ssh(file, port, host);
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

test('the list parser: host names, IPv4, IPv6 with and without port, comments, duplicates; the one ssh port', () => {
  assert.equal(parseExtraServers('a.example\n# c\n  \n[fe80::1]:2222 ::1 10.0.0.1:2222, a.example:2222\n', 'x', 2222), [
    { host: 'a.example', port: 2222 },
    { host: 'fe80::1', port: 2222 },
    { host: '::1', port: 2222 },
    { host: '10.0.0.1', port: 2222 },
  ]);
  assert.equal(parseExtraServers('a.example:22 [fe80::1]:22\n', 'x'), [{ host: 'a.example', port: 22 }, { host: 'fe80::1', port: 22 }]);
  for (const [text, port] of [['a.example:2222', 22], ['[fe80::1]:2222', 22], ['a.example:22', 2222]] as const) {
    assert.throws(() => parseExtraServers(text, 'x', port), /per-host port cannot be used/, text);
  }
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
