/**
 * The built ltsp-balance-server package, installed with dpkg into a real Debian bookworm system
 * (debootstrap, Debian's nodejs 18): lintian, what dpkg lists, the postinst's unit enabling, each
 * unit's ExecStart exactly as installed under systemd-socket-activate, queried; systemd-analyze
 * verify; installed twice; removed while its daemon runs; purge restoring the system exactly; a
 * package of another architecture and a read-only system refused without a trace. Needs root.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildPackages } from '../../packaging/build.ts';
import { Chroot } from '../../testing/debian/chroot.ts';
import { execStart, listens } from '../../testing/debian/units.ts';
import { ManagedProcess } from '../../testing/fleet/process.ts';
import { fetchTcp, queryUdp } from '../../testing/advertise/helpers.ts';
import { parseAdvertisement, parseReply } from '../../shared/wire/parse.ts';

const work = mkdtempSync('/var/tmp/ltsp-balance-server-pkg-');
let debs: string[] = [];
let sys: Chroot;
let clean: string[] = [];
const running = new Set<ManagedProcess>();
const deb = (name: string): string => `/tmp/${basename(debs.find((d) => basename(d).startsWith(`${name}_`))!)}`;
/** A loopback address of our own for port 377 (other tests may hold 127.0.0.1:377). */
const address = `127.${50 + (process.pid % 150)}.${(process.pid >> 8) % 250}.${2 + (process.pid % 200)}`;

test.before(async () => {
  try {
    debs = await buildPackages({ out: join(work, 'deb') });
    sys = Chroot.create(work);
    for (const d of debs) copyFileSync(d, sys.path(`tmp/${basename(d)}`));
    // The dependencies first (from the cached .debs): the snapshot is of a server ready for our package.
    sys.mustExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'nodejs', 'libwbclient0', 'procps', 'systemd']);
    clean = sys.snapshot();
  } catch (err) {
    console.error(err); // uvu does not print a failed hook's error
    throw err;
  }
});
test.after(async () => {
  for (const p of running) await p.stop();
  sys?.remove();
  rmSync(work, { recursive: true, force: true });
});

function dpkg(...args: string[]) {
  return sys.exec(['dpkg', ...args]);
}

test('lintian: no errors in any of the three packages', () => {
  assert.is(debs.length, 3, debs.join(' '));
  const r = spawnSync('lintian', ['--no-tag-display-limit', ...debs], { encoding: 'utf8', timeout: 300_000 });
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('E:'));
  assert.equal(errors, [], r.stdout);
  assert.ok(r.status === 0 || errors.length === 0, r.stderr);
});

test('dpkg -i installs it: nothing under /usr/local, /etc files are conffiles, the units are enabled', () => {
  const r = dpkg('-i', deb('ltsp-balance-server'));
  assert.is(r.status, 0, r.stderr);
  const listed = sys.mustExec(['dpkg', '-L', 'ltsp-balance-server']).split('\n').filter(Boolean);
  assert.ok(listed.includes('/usr/lib/ltsp-balance-server/node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node') || process.arch !== 'x64', 'koffi binary for the architecture');
  assert.ok(listed.includes('/usr/lib/ltsp-balance-server/node_modules/koffi/src/koffi/index.js'), 'koffi src/ (ERR_MODULE_NOT_FOUND before)');
  assert.equal(listed.filter((p) => p.startsWith('/usr/local')), []);
  const conffiles = sys.mustExec(['dpkg-query', '-W', '-f=${Conffiles}', 'ltsp-balance-server']).trim().split('\n').map((l) => l.trim().split(' ')[0]);
  assert.equal(conffiles.sort(), ['/etc/ltsp/advertise.conf', '/etc/ltsp/extraservers']);
  // deb-systemd-helper enable, from the postinst dh_installsystemd wrote.
  assert.is(readlinkSync(sys.path('etc/systemd/system/sockets.target.wants/ltsp-advertise.socket')), '/lib/systemd/system/ltsp-advertise.socket');
  assert.is(readlinkSync(sys.path('etc/systemd/system/sockets.target.wants/ltsp-winbind-pool.socket')), '/lib/systemd/system/ltsp-winbind-pool.socket');
});

test('every installed command runs on Debian\'s nodejs (--help)', () => {
  for (const cmd of ['ltsp-server-advertise', 'ltsp-winbind-pool', 'ltsp-balance']) {
    const r = sys.exec([`/usr/bin/${cmd}`, '--help']);
    assert.is(r.status, 0, `${cmd}: ${r.stderr}`);
    assert.match(r.stdout, /Usage:/);
  }
  // update-sshkeys from the shipped defaults (the conffile /etc/ltsp/extraservers lists no server yet).
  const keys = sys.exec(['/usr/bin/ltsp-balance', 'update-sshkeys', '--no-discover']);
  assert.is(keys.status, 0, keys.stderr);
  assert.match(readFileSync(sys.path('etc/ltsp/ssh_known_hosts.ltsp-balance'), 'utf8'), /^# Written by "ltsp-balance update-sshkeys"/);
  assert.match(keys.stderr, /next: "ltsp-update-sshkeys -u"/);
  rmSync(sys.path('etc/ltsp/ssh_known_hosts.ltsp-balance'));
});

test('systemd-analyze verify is clean on the installed units', () => {
  const units = ['ltsp-advertise.socket', 'ltsp-advertise.service', 'ltsp-winbind-pool.socket', 'ltsp-winbind-pool.service'];
  const r = spawnSync('systemd-analyze', [`--root=${sys.root}`, 'verify', ...units.map((u) => `/lib/systemd/system/${u}`)], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr.trim(), '', r.stderr);
});

/** Runs a unit's ExecStart as installed, inside the system, under systemd-socket-activate. */
function activate(sockets: string[], unit: string, label: string, env: Record<string, string> = {}): ManagedProcess {
  // systemd-socket-activate passes its environment on, through unshare and chroot, to the daemon.
  const p = new ManagedProcess([...sockets, ...sys.prefix(), ...execStart(sys.root, unit)], { label, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env } });
  running.add(p);
  return p;
}

/**
 * One TCP and one UDP query through the two nested activators: the TCP connection makes the outer
 * one start the inner, the first datagram makes the inner one start the daemon (Node 18 in the
 * chroot: a second or so), which then answers both.
 */
async function queryActivated(p: ManagedProcess): Promise<{ tcp: Buffer; udp: Buffer }> {
  await p.waitForOutput(/Listening on .* as 3\./, 20_000);
  const tcp = fetchTcp(377, address);
  await p.waitForOutput(/Listening on .* as 4\./, 20_000);
  for (let i = 0; i < 30; i++) {
    const replies = await queryUdp(377, undefined, { host: address, waitMs: 1000 });
    if (replies.length > 0) return { tcp: await tcp, udp: replies[0]! };
  }
  throw new Error(`no UDP answer: ${p.stderr}`);
}

test('advertise: the installed ExecStart, socket-activated as its socket unit says, answers TCP and UDP from the packaged defaults', async () => {
  const l = listens(sys.root, 'ltsp-advertise.socket');
  assert.equal(l, { stream: ['377'], datagram: ['377'] });
  assert.equal(execStart(sys.root, 'ltsp-advertise.service').slice(-3), ['/usr/bin/ltsp-server-advertise', '--config', '/etc/ltsp/advertise.conf']);
  // RuntimeDirectory=ltsp-advertise, as systemd would make it.
  mkdirSync(sys.path('run/ltsp-advertise'), { recursive: true });
  const daemon = activate([
    'systemd-socket-activate', '-l', `${address}:377`, '--fdname=advertise',
    'systemd-socket-activate', '-d', '-l', `${address}:377`, '--fdname=advertise:advertise',
  ], 'ltsp-advertise.service', 'installed advertise', { RUNTIME_DIRECTORY: '/run/ltsp-advertise' });
  try {
    const { tcp, udp } = await queryActivated(daemon);
    const ad = parseAdvertisement(tcp);
    assert.ok(ad.cpus >= 1 && ad.state === 'accepting' && ad.weight === 100, JSON.stringify(ad));
    assert.is(parseReply(udp).kind, 'document');
    await daemon.waitForOutput(/socket-activated/, 20_000);
  } finally {
    await daemon.stop();
    running.delete(daemon);
  }
});

test('winbind pool: the installed ExecStart answers (no winbindd here: said so); with the local-backend drop-in, auth succeeds', async () => {
  const l = listens(sys.root, 'ltsp-winbind-pool.socket');
  assert.equal(l.stream, ['/run/ltsp-winbind-pool.sock']);
  const sock = sys.path(l.stream[0]!);
  const auth = (user: string, password: string) => sys.exec(['/usr/bin/ltsp-winbind-pool', 'auth', user], { input: `${password}\n` });
  let pool = activate(['systemd-socket-activate', '-l', sock], 'ltsp-winbind-pool.service', 'installed pool (winbind)');
  try {
    await pool.waitForOutput(/Listening on/, 20_000);
    const r = auth('alice', 'secret');
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /winbind/i, r.stderr);
  } finally {
    await pool.stop();
    running.delete(pool);
  }
  // The drop-in the unit's comment and ltsp-winbind-pool(8) document.
  const hash = sys.mustExec(['/usr/bin/ltsp-winbind-pool', 'hash-password'], { input: 'secret\n' }).trim();
  mkdirSync(sys.path('etc/ltsp/winbind-pool'), { recursive: true });
  writeFileSync(sys.path('etc/ltsp/winbind-pool/passwd'), `alice:${hash}:20001:100:Alice:/home/alice:/bin/bash\n`, { mode: 0o600 });
  mkdirSync(sys.path('etc/systemd/system/ltsp-winbind-pool.service.d'), { recursive: true });
  writeFileSync(sys.path('etc/systemd/system/ltsp-winbind-pool.service.d/local.conf'), '[Service]\nExecStart=\nExecStart=/usr/bin/ltsp-winbind-pool serve --backend local\n');
  pool = activate(['systemd-socket-activate', '-l', sock], 'ltsp-winbind-pool.service', 'installed pool (local)');
  try {
    await pool.waitForOutput(/Listening on/, 20_000);
    const ok = auth('alice', 'secret');
    assert.is(ok.status, 0, ok.stderr);
    const wrong = auth('alice', 'wrong');
    assert.is.not(wrong.status, 0);
  } finally {
    await pool.stop();
    running.delete(pool);
    rmSync(sys.path('etc/systemd/system/ltsp-winbind-pool.service.d'), { recursive: true, force: true });
    rmSync(sys.path('etc/ltsp/winbind-pool'), { recursive: true, force: true });
  }
});

test('installed twice: the second dpkg -i is a clean reinstall, the system as after the first', () => {
  // Without modification times: the postinst runs again and deb-systemd-helper rewrites its state files.
  const once = sys.snapshot({ mtimes: false });
  const r = dpkg('-i', deb('ltsp-balance-server'));
  assert.is(r.status, 0, r.stderr);
  assert.equal(sys.snapshot({ mtimes: false }), once);
});

test('a package of another architecture is refused in one line, nothing installed', () => {
  // The amd64 package going into an i386 chroot, the other way round: repack with another Architecture.
  const dir = join(work, 'foreign');
  spawnSync('dpkg-deb', ['-R', debs.find((d) => basename(d).startsWith('ltsp-balance-server_'))!, dir]);
  const control = join(dir, 'DEBIAN/control');
  const foreign = process.arch === 'x64' ? 'arm64' : 'amd64';
  spawnSync('sed', ['-i', `s/^Architecture: .*/Architecture: ${foreign}/`, control]);
  const out = sys.path(`tmp/foreign_${foreign}.deb`);
  assert.is(spawnSync('dpkg-deb', ['--root-owner-group', '-b', dir, out]).status, 0);
  const before = sys.snapshot();
  const r = dpkg('-i', `/tmp/foreign_${foreign}.deb`);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, new RegExp(`package architecture \\(${foreign}\\) does not match system`));
  assert.equal(sys.snapshot(), before);
});

test('removed while its daemon runs: removal succeeds, conffiles stay, purge restores the system exactly', async () => {
  mkdirSync(sys.path('run/ltsp-advertise'), { recursive: true });
  const daemon = activate(['systemd-socket-activate', '-l', `${address}:377`, 'systemd-socket-activate', '-d', '-l', `${address}:377`], 'ltsp-advertise.service', 'advertise during removal', { RUNTIME_DIRECTORY: '/run/ltsp-advertise' });
  try {
    await queryActivated(daemon);
    const r = dpkg('-r', 'ltsp-balance-server');
    assert.is(r.status, 0, r.stderr);
    // No systemd here to stop it (with systemd, the prerm's deb-systemd-invoke stop does): named, one line.
    const said = r.stderr.split('\n').filter((l) => l.includes('still runs'));
    assert.equal(said, [`ltsp-balance-server: pid ${daemon.pid} (/usr/bin/ltsp-server-advertise) still runs, started outside systemd: stop it, it keeps running the removed version`], r.stderr);
    assert.ok(existsSync(sys.path('etc/ltsp/advertise.conf')), 'conffiles stay after remove');
    assert.not.ok(existsSync(sys.path('usr/bin/ltsp-server-advertise')));
  } finally {
    await daemon.stop();
    running.delete(daemon);
  }
  const p = dpkg('--purge', 'ltsp-balance-server');
  assert.is(p.status, 0, p.stderr);
  rmSync(sys.path('run/ltsp-advertise'), { recursive: true, force: true });
  assert.equal(sys.snapshot(), clean);
});

test('a read-only system: dpkg refuses in one line, nothing written', () => {
  const before = sys.snapshot();
  const ro = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
    'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && mount -t proc proc "$0/proc" && exec chroot "$0" "$@"', sys.root];
  const r = spawnSync(ro[0]!, [...ro.slice(1), 'dpkg', '-i', deb('ltsp-balance-server')], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /Read-only file system/);
  assert.ok(r.stderr.trim().split('\n').length <= 2, r.stderr);
  assert.equal(sys.snapshot(), before);
});

test.run();
