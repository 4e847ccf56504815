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
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { clientFixture, copyDeb, hostsAsLdmSees, SITE, SITE_ENV } from '../../testing/debian/client-site.ts';
import { execStart } from '../../testing/debian/units.ts';

const f = clientFixture(test);
const client = (): string => copyDeb(f.sys, f.debs, 'ltsp-balance-client');
const bridge = (): string => copyDeb(f.sys, f.debs, 'ltsp-balance-greeter-bridge');

test('apt installs ltsp-balance-client into the chroot, with Debian\'s nodejs as its dependency', () => {
  assert.not.ok(existsSync(f.sys.path('usr/bin/node')), 'no Node before');
  f.sys.mustExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', client()]);
  const node = f.sys.mustExec(['dpkg-query', '-W', '-f=${Version}', 'nodejs']);
  assert.match(node, /deb12/, `Debian's nodejs, got ${node}`);
  const listed = f.sys.mustExec(['dpkg', '-L', 'ltsp-balance-client']).split('\n').filter(Boolean);
  assert.ok(listed.includes('/usr/share/ltsp/get_hosts'));
  assert.equal(listed.filter((p) => p.startsWith('/usr/local')), []);
});

test('the hook, run as screen.d/ldm runs it, chooses among real advertise daemons', () => {
  hostsAsLdmSees(f.sys);
  // The 2007 path, and the administrator's check.
  const old = f.sys.exec(['/usr/lib/ltsp/get_hosts'], { env: SITE_ENV });
  assert.is(old.stdout.split(/\s+/)[0], SITE.idle, old.stderr);
  const explain = f.sys.exec(['/usr/share/ltsp/get_hosts', '--explain'], { env: SITE_ENV });
  assert.match(explain.stdout + explain.stderr, new RegExp(SITE.dead.replace(/\./g, '\\.')));
});

test('the postinst wrote the hook\'s V8 code cache with the chroot\'s nodejs, and the hook as LDM runs it uses it', () => {
  const cache = f.sys.path('var/cache/ltsp-balance/get_hosts.cjs.v8cache');
  const st = statSync(cache);
  assert.is(st.uid, 0);
  assert.is(st.mode & 0o777, 0o644);
  const node = f.sys.mustExec(['node', '--version']).trim();
  const header = readFileSync(cache).subarray(0, 200).toString('latin1').split('\n')[0]!;
  assert.match(header, new RegExp(`^ltsp-balance-v8cache/1 ${node.replace(/\./g, '\\.')} \\w+ [0-9a-f]{64} \\d+ \\d+$`));
  const ldm = 'LDM_SERVER=$(/usr/share/ltsp/get_hosts); echo "$LDM_SERVER"';
  const r = f.sys.exec(['sh', '-c', ldm], { env: { ...SITE_ENV, LTSP_BALANCE_DEBUG: '1' } });
  assert.is(r.stdout.split(/\s+/)[0], SITE.idle, r.stderr);
  assert.match(r.stderr, /^<7>get_hosts: code cache \/var\/cache\/ltsp-balance\/get_hosts\.cjs\.v8cache used$/m);
});

test('a new nodejs in the chroot triggers the postinst, which writes the cache again', () => {
  const cache = f.sys.path('var/cache/ltsp-balance/get_hosts.cjs.v8cache');
  rmSync(cache);
  const deb = f.sys.mustExec(['sh', '-c', 'ls /var/cache/apt/archives/nodejs_*.deb']).trim().split('\n')[0]!;
  f.sys.mustExec(['dpkg', '-i', deb]);
  assert.ok(existsSync(cache), 'dpkg ran the client\'s trigger: the cache is back');
  const r = f.sys.exec(['/usr/share/ltsp/get_hosts'], { env: { ...SITE_ENV, LTSP_BALANCE_DEBUG: '1' } });
  assert.match(r.stderr, / used$/m, r.stderr);
});

test('the greeter bridge package: its unit\'s ExecStart as installed publishes the servers to the greeter\'s queue', () => {
  f.sys.mustExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', bridge()]);
  assert.equal(f.sys.mustExec(['dpkg', '-L', 'ltsp-balance-greeter-bridge']).split('\n').filter((p) => p.startsWith('/usr/local')), []);
  const argv = execStart(f.sys.root, 'ltsp-greeter-bridge.service');
  assert.is(argv[0], '/usr/bin/node');
  // RuntimeDirectory=ltsp-balance, as systemd would make it; a private IPC namespace for the queues.
  // watch fails at once until serve has created the queue (no readiness signal reaches a shell): retried, 20 s at most.
  const script = 'mkdir -p /run/ltsp-balance; "$@" & pid=$!; r=1; i=0; while [ $i -lt 200 ] && kill -0 $pid; do '
    + 'if ltsp-greeter-bridge watch --once --timeout 30; then r=0; break; fi; i=$((i+1)); sleep 0.1; done; kill $pid; wait $pid; exit $r';
  // Queue names of our own: the bridge's one-instance lock is an abstract socket, shared with the host's
  // network namespace (and with other tests' bridges).
  const queues = { LDM_BALANCE_BRIDGE_QUEUE: `/ltsp-pkg-${process.pid}-s`, LDM_BALANCE_BRIDGE_CHOICE_QUEUE: `/ltsp-pkg-${process.pid}-c` };
  const r = f.sys.exec(['sh', '-c', script, 'sh', ...argv], { ipc: true, env: { ...SITE_ENV, ...queues }, timeoutMs: 120_000 });
  assert.is(r.status, 0, r.stderr);
  const snapshot = r.stdout.trim().split('\n').at(-1)!;
  for (const h of Object.values(SITE)) assert.ok(snapshot.includes(`"server":"${h}"`), `${h} in ${snapshot}`);
});

test('systemd-analyze verify is clean on the bridge\'s installed unit', () => {
  f.sys.mustExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'systemd']); // from the cached .debs
  const r = spawnSync('systemd-analyze', [`--root=${f.sys.root}`, 'verify', '/lib/systemd/system/ltsp-greeter-bridge.service'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr.trim(), '', r.stderr);
});

test('purging both packages leaves nothing of them; a second install and purge restores the system exactly', () => {
  const files = ['ltsp-balance-client', 'ltsp-balance-greeter-bridge'].flatMap((p) => f.sys.mustExec(['dpkg', '-L', p]).split('\n').filter(Boolean));
  f.sys.mustExec(['dpkg', '--purge', 'ltsp-balance-greeter-bridge', 'ltsp-balance-client']);
  // Directories (and /lib, a link to one) are shared with other packages.
  const left = files.filter((p) => existsSync(f.sys.path(p)) && !statSync(f.sys.path(p)).isDirectory());
  assert.equal(left, []);
  const before = f.sys.snapshot();
  f.sys.mustExec(['dpkg', '-i', client(), bridge()]);
  f.sys.mustExec(['dpkg', '--purge', 'ltsp-balance-greeter-bridge', 'ltsp-balance-client']);
  assert.equal(f.sys.snapshot(), before);
});

test.run();
