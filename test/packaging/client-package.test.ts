/**
 * The thin-client packages in a real chroot: a debootstrap'd Debian bookworm system (cached), into
 * which apt installs the built ltsp-balance-client, pulling Debian's own nodejs. The hook then runs
 * inside it with chroot exactly as LDM's screen.d/ldm runs it (`LDM_SERVER=$(/usr/share/ltsp/get_hosts)`,
 * split on spaces), choosing among real advertise daemons on loopback addresses. The greeter bridge
 * package runs its unit's ExecStart as installed. Purging leaves nothing behind. Needs root.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildPackages } from '../../packaging/build.ts';
import { Chroot } from '../../testing/debian/chroot.ts';
import { execStart } from '../../testing/debian/units.ts';
import { FIXTURES, startDaemon, stopAll, type Daemon } from '../../testing/advertise/helpers.ts';

const work = mkdtempSync('/var/tmp/ltsp-balance-client-pkg-');
let debs: string[] = [];
let sys: Chroot;
const daemons: Daemon[] = [];
const deb = (name: string): string => `/tmp/${basename(debs.find((d) => basename(d).startsWith(`${name}_`))!)}`;
// Loopback addresses of our own, on the advertise port (LDM gets host names without a port).
const net = `127.${50 + (process.pid % 150)}.${(process.pid >> 8) % 250}`;
const [idle, busy, dead] = [`${net}.11`, `${net}.12`, `${net}.13`];
const SERVERS = `${busy} ${idle} ${dead}`;

test.before(async () => {
  try {
    debs = await buildPackages({ out: join(work, 'deb') });
    sys = Chroot.create(work);
    for (const d of debs) copyFileSync(d, sys.path(`tmp/${basename(d)}`));
    daemons.push(await startDaemon({ host: idle, port: 377, procfs: join(FIXTURES, 'idle') }));
    daemons.push(await startDaemon({ host: busy, port: 377, procfs: join(FIXTURES, 'busy') }));
  } catch (err) {
    console.error(err); // uvu does not print a failed hook's error
    throw err;
  }
});
test.after(async () => {
  await stopAll();
  sys?.remove();
  rmSync(work, { recursive: true, force: true });
});

test('apt installs ltsp-balance-client into the chroot, with Debian\'s nodejs as its dependency', () => {
  assert.not.ok(existsSync(sys.path('usr/bin/node')), 'no Node before');
  sys.mustExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', deb('ltsp-balance-client')]);
  const node = sys.mustExec(['dpkg-query', '-W', '-f=${Version}', 'nodejs']);
  assert.match(node, /deb12/, `Debian's nodejs, got ${node}`);
  const listed = sys.mustExec(['dpkg', '-L', 'ltsp-balance-client']).split('\n').filter(Boolean);
  assert.ok(listed.includes('/usr/share/ltsp/get_hosts'));
  assert.equal(listed.filter((p) => p.startsWith('/usr/local')), []);
});

/** screen.d/ldm's use of the hook: its output captured, split on whitespace, the first host LDM's. */
function hostsAsLdmSees(chroot: Chroot): string[] {
  const ldm = 'LDM_SERVER=$(/usr/share/ltsp/get_hosts); set -- $LDM_SERVER; echo "$#"; for h in "$@"; do echo "$h"; done';
  const r = chroot.exec(['sh', '-c', ldm], { env: { LDM_BALANCE_SERVERS: SERVERS } });
  assert.is(r.status, 0, r.stderr);
  const [count, ...hosts] = r.stdout.trim().split('\n');
  assert.is(Number(count), hosts.length);
  assert.is(hosts[0], idle, `the idle server first: ${r.stdout} ${r.stderr}`);
  for (const h of hosts) assert.ok([idle, busy, dead].includes(h!), h);
  return hosts;
}

test('the hook, run as screen.d/ldm runs it, chooses among real advertise daemons', () => {
  hostsAsLdmSees(sys);
  // The 2007 path, and the administrator's check.
  const old = sys.exec(['/usr/lib/ltsp/get_hosts'], { env: { LDM_BALANCE_SERVERS: SERVERS } });
  assert.is(old.stdout.split(/\s+/)[0], idle, old.stderr);
  const explain = sys.exec(['/usr/share/ltsp/get_hosts', '--explain'], { env: { LDM_BALANCE_SERVERS: SERVERS } });
  assert.match(explain.stdout + explain.stderr, new RegExp(dead.replace(/\./g, '\\.')));
});

test('the greeter bridge package: its unit\'s ExecStart as installed publishes the servers to the greeter\'s queue', () => {
  sys.mustExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', deb('ltsp-balance-greeter-bridge')]);
  assert.equal(sys.mustExec(['dpkg', '-L', 'ltsp-balance-greeter-bridge']).split('\n').filter((p) => p.startsWith('/usr/local')), []);
  const argv = execStart(sys.root, 'ltsp-greeter-bridge.service');
  assert.is(argv[0], '/usr/bin/node');
  // RuntimeDirectory=ltsp-balance, as systemd would make it; a private IPC namespace for the queues.
  // watch fails at once until serve has created the queue (no readiness signal reaches a shell): retried, 20 s at most.
  const script = 'mkdir -p /run/ltsp-balance; "$@" & pid=$!; r=1; i=0; while [ $i -lt 200 ] && kill -0 $pid; do '
    + 'if ltsp-greeter-bridge watch --once --timeout 30; then r=0; break; fi; i=$((i+1)); sleep 0.1; done; kill $pid; wait $pid; exit $r';
  // Queue names of our own: the bridge's one-instance lock is an abstract socket, shared with the host's
  // network namespace (and with other tests' bridges).
  const queues = { LDM_BALANCE_BRIDGE_QUEUE: `/ltsp-pkg-${process.pid}-s`, LDM_BALANCE_BRIDGE_CHOICE_QUEUE: `/ltsp-pkg-${process.pid}-c` };
  const r = sys.exec(['sh', '-c', script, 'sh', ...argv], { ipc: true, env: { LDM_BALANCE_SERVERS: SERVERS, ...queues }, timeoutMs: 120_000 });
  assert.is(r.status, 0, r.stderr);
  const snapshot = r.stdout.trim().split('\n').at(-1)!;
  for (const h of [idle, busy, dead]) assert.match(snapshot, h.replace(/\./g, '\\.'));
});

test('systemd-analyze verify is clean on the bridge\'s installed unit', () => {
  sys.mustExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'systemd']); // from the cached .debs
  const r = spawnSync('systemd-analyze', [`--root=${sys.root}`, 'verify', '/lib/systemd/system/ltsp-greeter-bridge.service'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr.trim(), '', r.stderr);
});

test('purging both packages leaves nothing of them; a second install and purge restores the system exactly', () => {
  const files = ['ltsp-balance-client', 'ltsp-balance-greeter-bridge'].flatMap((p) => sys.mustExec(['dpkg', '-L', p]).split('\n').filter(Boolean));
  sys.mustExec(['dpkg', '--purge', 'ltsp-balance-greeter-bridge', 'ltsp-balance-client']);
  // Directories (and /lib, a link to one) are shared with other packages.
  const left = files.filter((p) => existsSync(sys.path(p)) && !statSync(sys.path(p)).isDirectory());
  assert.equal(left, []);
  const before = sys.snapshot();
  sys.mustExec(['dpkg', '-i', deb('ltsp-balance-client'), deb('ltsp-balance-greeter-bridge')]);
  sys.mustExec(['dpkg', '--purge', 'ltsp-balance-greeter-bridge', 'ltsp-balance-client']);
  assert.equal(sys.snapshot(), before);
});

test('an i386 chroot (the common LTSP 5 one): the arch-all client and i386 nodejs work; the amd64 bridge is refused in one line, nothing written', () => {
  const sys32 = Chroot.create(work, 'i386');
  try {
    copyFileSync(debs.find((d) => d.includes('ltsp-balance-client_'))!, sys32.path(`tmp/${basename(deb('ltsp-balance-client'))}`));
    sys32.mustExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', deb('ltsp-balance-client')]);
    assert.is(sys32.mustExec(['dpkg-query', '-W', '-f=${Architecture}', 'nodejs']), 'i386');
    hostsAsLdmSees(sys32);
    const bridge = debs.find((d) => d.includes('ltsp-balance-greeter-bridge_'))!;
    copyFileSync(bridge, sys32.path(`tmp/${basename(bridge)}`));
    const before = sys32.snapshot();
    const r = sys32.exec(['dpkg', '-i', `/tmp/${basename(bridge)}`]);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /package architecture \(amd64\) does not match system \(i386\)/);
    assert.equal(sys32.snapshot(), before);
  } finally {
    sys32.remove();
  }
});

test.run();
