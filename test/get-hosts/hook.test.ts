/**
 * The installed hook as LTSP 5 runs it, on the Node a chroot has: the sh wrapper
 * (/usr/share/ltsp/get_hosts, /usr/lib/ltsp/get_hosts) and the CommonJS bundle, installed into a
 * chroot under a temporary root as the layout table says (testing/get-hosts/installed-hook.ts);
 * screen.d/ldm's own lines run it against real advertise daemons on loopback, on each official Node
 * binary of the matrix (testing/node-binaries.ts, fetched once into a cache), found on PATH as
 * `node` or `nodejs`, over UDP, TCP, a central balancer and the survey cache; then with no Node, a
 * Node that crashes, fails, prints nothing, hangs or is built for another architecture, a Node too
 * old, and a truncated bundle. LDM must get a host every time, with one line on stderr saying why.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FIXTURES, startDaemon, stopAll, type Daemon } from '../../testing/advertise/helpers.ts';
import { randomSubnet, startFakeServer } from '../../testing/get-hosts/fake-fleet.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';
import { writeSurveyCache } from '../../balance/cache-write.ts';
import { NODE_MATRIX, officialNode } from '../../testing/node-binaries.ts';
import { installHook, type InstalledHook } from '../../testing/get-hosts/installed-hook.ts';

const work = mkdtempSync(join(tmpdir(), 'get-hosts-hook-'));
let installed: InstalledHook;
let hook = '';
const subnet = randomSubnet();
/** Settings a machine shared with other tests cannot miss (see the matrix test). */
const PATIENT = { LDM_BALANCE_TIMEOUT_MS: '5000', LDM_BALANCE_MAX_RTT_MS: '0' };
const daemons: Daemon[] = [];
let live: string[] = [];
let servers = '';

test.before(async () => {
  installed = await installHook(work);
  hook = installed.hook;
  daemons.push(...(await Promise.all([2, 3].map((n) => startDaemon({ host: `${subnet}.${n}`, procfs: join(FIXTURES, 'idle') })))));
  live = daemons.map((d) => d.host);
  // Two live daemons and one address where nothing listens.
  servers = [...daemons.map((d) => `${d.host}:${d.port}`), `${subnet}.9:${daemons[0]!.port}`].join(' ');
});

test.after(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  hosts: string[];
  status: number | null;
  stderr: string;
}

/**
 * A directory to be the whole PATH: `entries` (name -> file to link) and, as every Debian and
 * Ubuntu chroot has coreutils, `timeout` (the wrapper's watchdog) unless `withTimeout` is false.
 */
function pathWith(entries: Record<string, string>, withTimeout = true): string {
  const dir = mkdtempSync(join(work, 'path-'));
  for (const [name, file] of Object.entries({ ...(withTimeout ? { timeout: TIMEOUT } : {}), ...entries })) symlinkSync(file, join(dir, name));
  return dir;
}
const TIMEOUT = spawnSync('/bin/sh', ['-c', 'command -v timeout'], { encoding: 'utf8' }).stdout.trim();

/** A fake node: a shell script (the only programs it runs are shell built-ins). */
function fakeNode(body: string): string {
  const file = join(mkdtempSync(join(work, 'fake-')), 'node');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/**
 * screen.d/ldm's lines (LTSP 5, LDM 2.2): run the hook when it is executable, capture it, split
 * LDM_SERVER on white space. Environment: only what ltsp_config exports, plus PATH.
 */
function asLdm(path: string, env: Record<string, string>, hookPath = hook): Promise<Run> {
  const script = `if [ -x "${hookPath}" ]; then LDM_SERVER=$("${hookPath}"); else LDM_SERVER=server; fi
echo "exit $?"; for SRV in $LDM_SERVER; do echo "$SRV"; done`;
  return run('/bin/sh', ['-c', script], { PATH: path, LDM_BALANCE_CACHE: join(work, 'no-cache.json'), LDM_BALANCE_DISCOVER: 'N', ...env }).then((r) => {
    const lines = r.stdout.split('\n').filter(Boolean);
    return { status: Number(/^exit (\d+)$/.exec(lines[0] ?? '')?.[1] ?? NaN), hosts: lines.slice(1), stderr: r.stderr };
  });
}

/** The installed hook run by a person, with arguments. */
const runHook = (args: string[], env: Record<string, string>) => run(hook, args, env);

function run(command: string, args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stdout, stderr });
    });
  });
}

for (const version of NODE_MATRIX) {
  test(`Node ${version}: a live server chosen, the live ones listed, nothing on stderr`, async () => {
    const path = pathWith({ node: officialNode(version) });
    // A deadline generous enough for a machine shared with other tests (from Node 12 the dead
    // address is refused at once, so nothing waits for it), and no round-trip ceiling (a loaded machine's
    // loopback can take over 100 ms): the Node version is under test here, not the filters.
    const r = await asLdm(path, { LDM_BALANCE_SERVERS: servers, ...PATIENT });
    assert.ok(live.includes(r.hosts[0]!), `chosen ${r.hosts[0]} is live (${JSON.stringify(r)})`);
    assert.equal([...r.hosts].sort(), [...live].sort());
    assert.is(r.stderr, '');
    assert.is(r.status, 0);
    // A person's run on the same Node: flags parsed, every server explained with its status.
    const explained = spawnSync(hook, ['--servers', servers, '--json'], { env: { PATH: path, ...PATIENT }, encoding: 'utf8', timeout: 60_000 });
    assert.is(explained.stderr, '');
    const doc = JSON.parse(explained.stdout) as { elapsedMs: number; servers: Array<{ status: string; via: string | null; error: { message: string } | null }>; chosen: string };
    assert.equal(doc.servers.map((s) => s.status), ['Idle', 'Idle', 'Down']);
    assert.equal(doc.servers.map((s) => s.via), ['udp', 'udp', null]);
    // The address where nothing listens: from Node 12 its connected UDP socket hears the port
    // unreachable and TCP confirms at once, before the TCP timer (2 s of the 5 s deadline; typically
    // tens of ms, but a machine at 4x oversubscription gets the whole margin);
    // Node 8 and 10 have no dgram connect(): unconnected, they learn it from TCP at the timer.
    const dead = doc.servers[2]!.error!.message;
    if (Number(version.split('.')[0]) >= 12) {
      assert.match(dead, /UDP port unreachable and TCP connection refused/, version);
      assert.ok(doc.elapsedMs < 2000, `${version}: decided at ${doc.elapsedMs} ms, the TCP timer is at 2000`);
    } else {
      assert.match(dead, /^ECONNREFUSED: TCP \S+ port \d+: connection refused/, version);
      assert.ok(doc.elapsedMs >= 2000, `${version}: decided at ${doc.elapsedMs} ms, before the TCP timer`);
    }
    const usage = spawnSync(hook, ['--timeout'], { env: { PATH: path }, encoding: 'utf8', timeout: 60_000 });
    assert.is(usage.status, 2);
    assert.match(usage.stderr, /^<3>Option '--timeout <value>' argument missing.*\(ERR_USAGE\)\n$/);
  });
}

for (const version of ['8.10.0', '10.24.1']) {
  test(`Node ${version}: an lts.conf with a wildcard section (nothing newer than this Node used on the way)`, () => {
    const conf = join(work, `lts-${version}.conf`);
    writeFileSync(conf, `[Default]\nLDM_BALANCE_SERVERS = "${servers}"\n[*]\nLDM_BALANCE_MAX_RTT_MS = 0\n`);
    const r = spawnSync(hook, ['--config', conf], { env: { PATH: pathWith({ node: officialNode(version) }), LDM_BALANCE_TIMEOUT_MS: '5000', LDM_BALANCE_CACHE: join(work, 'no-cache.json'), LDM_BALANCE_DISCOVER: 'N' }, encoding: 'utf8', timeout: 60_000 });
    assert.is(r.stderr, '');
    assert.ok(live.includes(r.stdout.split(' ')[0]!.trim()), r.stdout);
  });
}

test('every Node: TCP when UDP is silent, the central balancer over http://, the survey cache', async () => {
  const tcpOnly = await startFakeServer({ address: `${subnet}.5`, ad: sampleAdvertisement({ hostname: 'tcp-only' }), udp: { kind: 'silent' } });
  const lb = createServer((_req, res) => res.end(`${subnet}.5\n`));
  await new Promise<void>((resolve) => lb.listen(0, `${subnet}.6`, resolve));
  const cache = join(work, 'survey.json');
  try {
    const list = `${tcpOnly.address} ${servers}`;
    const balanced = { LDM_BALANCE_SERVERS: list, LDM_BALANCE_ALGORITHM: 'loadbalancer', LDM_BALANCE_LOADBALANCER: `http://${subnet}.6:${(lb.address() as AddressInfo).port}/ltsp`, ...PATIENT };
    writeSurveyCache(cache, daemons.map((d) => ({ server: { host: d.host, port: d.port }, reachable: true, ad: sampleAdvertisement({ hostname: d.host }), rttMs: 1, via: 'udp' as const })), Date.now());
    const cached = { LDM_BALANCE_SERVERS: daemons.map((d) => `${d.host}:${d.port}`).join(' '), LDM_BALANCE_CACHE: cache, LDM_BALANCE_CACHE_MAX_AGE_MS: '600000' };
    for (const version of NODE_MATRIX) {
      const path = pathWith({ node: officialNode(version) });
      // Not spawnSync: the fake server and the balancer answer from this process's event loop.
      const json = async (env: Record<string, string>): Promise<{ chosen: string; algorithm: string; source: string; servers: Array<{ status: string; via: string | null }> }> => {
        const r = await runHook(['--json'], { PATH: path, LDM_BALANCE_DISCOVER: 'N', LDM_BALANCE_CACHE: join(work, 'no-cache.json'), ...env });
        assert.is(r.stderr, '', `${version}: ${r.stderr}`);
        return JSON.parse(r.stdout);
      };
      const doc = await json(balanced);
      assert.equal([doc.chosen, doc.algorithm], [tcpOnly.address, 'loadbalancer'], version);
      assert.equal([doc.servers[0]!.status, doc.servers[0]!.via], ['Idle', 'tcp'], version);
      assert.is((await json(cached)).source, 'cache', version);
    }
  } finally {
    await tcpOnly.close();
    await new Promise((resolve) => lb.close(resolve));
  }
});

test('found as `nodejs` (old Debian and Ubuntu), through the 2007 path /usr/lib/ltsp/get_hosts', async () => {
  const r = await asLdm(pathWith({ nodejs: officialNode('8.10.0') }), { LDM_BALANCE_SERVERS: servers, ...PATIENT }, installed.legacyHook);
  assert.ok(live.includes(r.hosts[0]!), JSON.stringify(r));
  assert.is(r.stderr, '');
});

/** What every fallback must look like: the hosts, exit 1 (shared table: could not do its job), one line on stderr saying why. */
function assertFallback(r: Run, hosts: string[], why: RegExp): void {
  assert.equal(r.hosts, hosts, JSON.stringify(r));
  assert.is(r.status, 1);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, why);
}

const written = `${subnet}.2:4000, app-one [fd00::5]:377 fd00::7 ${subnet}.2 app-one:9`;
const asWritten = [`${subnet}.2`, 'app-one', 'fd00::5', 'fd00::7'];

test('no Node on PATH: LDM_BALANCE_SERVERS as written, ports dropped; else `server`; XDMCP: the first', async () => {
  const empty = pathWith({});
  assertFallback(await asLdm(empty, { LDM_BALANCE_SERVERS: written }), asWritten, /^<3>get_hosts: neither node nor nodejs is on PATH .*: printing /);
  assertFallback(await asLdm(empty, {}), ['server'], /neither node nor nodejs/);
  assertFallback(await asLdm(empty, { LDM_BALANCE_SERVERS: `"'$(reboot)' ;;` }), ['server'], /neither node nor nodejs/);
  assertFallback(await asLdm(empty, { LDM_BALANCE_SERVERS: written, LDM_BALANCE_XDMCP: 'Y' }), [`${subnet}.2`], /neither/);
  const person = spawnSync(hook, ['--explain'], { env: { PATH: empty }, encoding: 'utf8' });
  assert.is(person.status, 1);
  assert.match(person.stderr, /^<3>get_hosts: neither node nor nodejs is on PATH .*: install the nodejs package\n$/);
});

test('a Node that crashes (SIGSEGV), fails, or prints no host: the fallback, one line why', async () => {
  assertFallback(await asLdm(pathWith({ node: fakeNode('kill -SEGV $$') }), { LDM_BALANCE_SERVERS: written }), asWritten, /^<3>get_hosts: node was killed by signal 11 before printing a host: printing /);
  assertFallback(await asLdm(pathWith({ node: fakeNode('exit 1') }), { LDM_BALANCE_SERVERS: written }), asWritten, /exited with status 1 and printed no host/);
  assertFallback(await asLdm(pathWith({ node: fakeNode("printf ' \\n\\t\\n'") }), {}), ['server'], /exited with status 0 and printed no host/);
});

test('a Node that hangs: stopped by the watchdog after the deadline + 9 s, the fallback; without timeout on PATH it still runs', async () => {
  const started = Date.now();
  const r = await asLdm(pathWith({ node: fakeNode('exec /bin/sleep 600') }), { LDM_BALANCE_SERVERS: written, LDM_BALANCE_TIMEOUT_MS: '500' });
  assertFallback(r, asWritten, /^<3>get_hosts: node printed no host within 10 s: stopped: printing /);
  assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`);
  const plain = await asLdm(pathWith({ node: officialNode('8.10.0') }, false), { LDM_BALANCE_SERVERS: servers, ...PATIENT });
  assert.ok(live.includes(plain.hosts[0]!), JSON.stringify(plain));
  assert.is(plain.stderr, '');
});

test('a node binary of another architecture (an ARM ELF on this machine): the fallback, our line last', async () => {
  const file = join(mkdtempSync(join(work, 'arm-')), 'node');
  // An ELF header for ARM (e_machine 40): the kernel refuses it with ENOEXEC, the shell says so.
  writeFileSync(file, Buffer.concat([Buffer.from('7f454c46010101000000000000000000020028000100000000000000', 'hex'), Buffer.alloc(64)]));
  chmodSync(file, 0o755);
  const r = await asLdm(pathWith({ node: file }), { LDM_BALANCE_SERVERS: written });
  assert.equal(r.hosts, asWritten, JSON.stringify(r));
  assert.is(r.status, 1);
  // Through timeout (execvp), ENOEXEC makes glibc hand the file to /bin/sh, which complains in its
  // own words and exits 2; without timeout the shell reports 126. Either way: the fallback, our line last.
  assert.match(r.stderr.trimEnd().split('\n').pop()!, /^<3>get_hosts: node (cannot be executed \(another architecture\?\)|\S+ exited with status 2 and printed no host): printing /);
});

test('a Node too old for the bundle (4.9, as Debian 9 ships): one clear line, the fallback', async () => {
  const r = await asLdm(pathWith({ node: officialNode('4.9.1') }), { LDM_BALANCE_SERVERS: servers });
  assertFallback(r, [...live, `${subnet}.9`], /^<3>get_hosts: Node.js v4\.9\.1 is too old \(8\.10 or newer needed\): LDM gets the configured servers instead$/);
  const person = spawnSync(hook, ['--explain'], { env: { PATH: pathWith({ node: officialNode('4.9.1') }) }, encoding: 'utf8' });
  assert.equal([person.status, person.stdout, person.stderr], [1, '', '<3>get_hosts: Node.js v4.9.1 is too old (8.10 or newer needed)\n']);
});

test('a truncated bundle: one clear line, the fallback', async () => {
  // A second install of the same files whose bundle lost its tail (a full disk during an upgrade).
  const copy = join(work, 'truncated');
  for (const p of ['usr/share/ltsp/get_hosts', 'usr/share/ltsp-balance/get_hosts.cjs']) {
    mkdirSync(join(copy, p, '..'), { recursive: true });
    copyFileSync(join(installed.chroot, p), join(copy, p));
  }
  chmodSync(join(copy, 'usr/share/ltsp/get_hosts'), 0o755);
  const bundle = join(copy, 'usr/share/ltsp-balance/get_hosts.cjs');
  truncateSync(bundle, Math.floor(readFileSync(bundle).length / 2));
  const r = await asLdm(pathWith({ node: officialNode('20.20.2') }), { LDM_BALANCE_SERVERS: written }, join(copy, 'usr/share/ltsp/get_hosts'));
  assertFallback(r, asWritten, /^<3>get_hosts: \S+get_hosts\.cjs does not load on Node\.js v20\.20\.2 \(.+\): LDM gets the configured servers instead$/);
});

test('nothing configured, the boot server answering: printed as `server`, by the bundle on Node 8.10', async () => {
  const r = await asLdm(pathWith({ node: officialNode('8.10.0') }), { SERVER: live[0]! });
  // SERVER names no port: the daemon listens on an ephemeral one, so the survey finds nobody and
  // the last resort is printed; either way LDM gets LTSP's name for the boot server.
  assert.equal(r.hosts, ['server']);
  assert.is(r.stderr, '');
});

test.run();
