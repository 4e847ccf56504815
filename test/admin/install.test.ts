import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { applyInstall, applyUninstall } from '../../admin/install/apply.ts';
import { planInstall, relocateUnit } from '../../admin/install/layout.ts';
import { MANIFEST_PATH } from '../../admin/install/manifest.ts';
import { ManagedProcess } from '../../testing/fleet/process.ts';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'ltsp-balance-install-test-'));
const bundles = join(work, 'bundles');
let target = '';

test.before(() => {
  const r = spawnSync(process.execPath, ['scripts/bundle.mjs', bundles], { cwd: root, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});
test.after(() => rmSync(work, { recursive: true, force: true }));

/** A fresh target system: an LTSP 5 chroot with Node in it, and one unrelated file. */
function newRoot(name: string): string {
  const r = join(work, name);
  mkdirSync(join(r, 'opt/ltsp/amd64/usr/bin'), { recursive: true });
  writeFileSync(join(r, 'opt/ltsp/amd64/usr/bin/node'), '');
  mkdirSync(join(r, 'etc'), { recursive: true });
  writeFileSync(join(r, 'etc/hostname'), 'server\n');
  return r;
}

/** Every path under `dir` with its type and content hash: the "before" to compare with "after". */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out.push(`${relative(dir, p)}/`);
        walk(p);
      } else out.push(`${relative(dir, p)} ${st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : readFileSync(p).toString('base64').slice(0, 40)}`);
    }
  };
  walk(dir);
  return out;
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/ltsp-balance.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('install puts each piece where LTSP expects it', () => {
  target = newRoot('main');
  const r = cli('install', '--root', target, '--from', bundles);
  assert.is(r.status, 0, r.stderr);
  const chroot = join(target, 'opt/ltsp/amd64');
  const getHosts = readFileSync(join(bundles, 'get_hosts.js'));
  for (const p of ['usr/share/ltsp/get_hosts', 'usr/lib/ltsp/get_hosts']) {
    assert.ok(readFileSync(join(chroot, p)).equals(getHosts), `${p} is the get_hosts bundle`);
    assert.is(statSync(join(chroot, p)).mode & 0o777, 0o755);
  }
  for (const cmd of ['ltsp-server-advertise', 'ltsp-winbind-pool', 'ltsp-greeter-bridge', 'ltsp-balance']) {
    assert.is(realpathSync(join(target, 'usr/bin', cmd)), join(target, `usr/lib/ltsp-balance/${cmd}.js`));
  }
  assert.not.ok(existsSync(join(target, 'usr/bin/get_hosts')), 'get_hosts belongs to the thin client only');
  // The greeter wrapper and the XDMCP screen script: fixed chroot paths LDM and LTSP run (issue 11).
  const wrapper = join(chroot, 'usr/share/ltsp/ltsp-balance-greeter');
  assert.ok(readFileSync(wrapper).equals(readFileSync(join(bundles, 'ltsp-balance-greeter.cjs'))), 'the wrapper bundle, CommonJS');
  assert.is(statSync(wrapper).mode & 0o777, 0o755);
  assert.not.ok(existsSync(join(target, 'usr/bin/ltsp-balance-greeter')), 'the wrapper belongs to the thin client only');
  const xdmcp = join(chroot, 'usr/share/ltsp/screen.d/xdmcp-balance');
  assert.ok(readFileSync(xdmcp).equals(readFileSync(join(root, 'ltsp/screen.d/xdmcp-balance'))));
  assert.is(statSync(xdmcp).mode & 0o777, 0o755);
  for (const pkg of ['posix-mq', 'koffi']) assert.ok(existsSync(join(target, 'usr/lib/ltsp-balance/node_modules', pkg, 'package.json')), pkg);
  for (const component of ['advertise', 'winbind-pool', 'greeter-bridge']) {
    const dir = join(root, component, 'systemd');
    if (!existsSync(dir)) continue;
    for (const unit of readdirSync(dir)) {
      const installed = join(target, 'usr/lib/systemd/system', unit.startsWith('ltsp-') ? unit : `ltsp-${unit}`);
      assert.ok(existsSync(installed), `${component}/systemd/${unit} installed`);
    }
  }
  if (existsSync(join(root, 'lts.conf.example'))) {
    assert.ok(existsSync(join(target, 'usr/share/doc/ltsp-balance/lts.conf.example')));
  } else {
    assert.match(r.stderr, /lts\.conf\.example is missing/);
  }
  assert.ok(existsSync(join(target, MANIFEST_PATH)));
});

test('the installed commands run: the daemon from <prefix>/bin answers the chroot\'s get_hosts', async () => {
  const daemon = new ManagedProcess(
    [join(target, 'usr/bin/ltsp-server-advertise'), '--address', '127.0.0.9', '--port', String(30_000 + (process.pid % 20_000)),
      '--procfs', join(root, 'testing/fixtures/proc/idle'), '--utmp', join(target, 'etc/hostname'), '--status-socket', join(work, 'adv.sock')],
    { label: 'installed advertise' },
  );
  try {
    await daemon.waitForOutput(/listening on/, 20_000);
    const r = spawnSync(join(target, 'opt/ltsp/amd64/usr/share/ltsp/get_hosts'), [], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, LDM_BALANCE_SERVERS: `127.0.0.9:${30_000 + (process.pid % 20_000)}` },
      timeout: 20_000,
    });
    assert.is(r.stdout, '127.0.0.9\n', r.stderr);
  } finally {
    await daemon.stop();
  }
  // The native addons load from the installed copy, not from the source tree.
  const req = createRequire(join(target, 'usr/lib/ltsp-balance/ltsp-greeter-bridge.js'));
  assert.is(req.resolve('posix-mq'), join(target, 'usr/lib/ltsp-balance/node_modules/posix-mq/lib/index.js'));
  assert.type(req('posix-mq'), 'function');
});

test('uninstall removes exactly what install wrote', () => {
  const fresh = newRoot('exact');
  const before = snapshot(fresh);
  assert.is(cli('install', '--root', fresh, '--from', bundles).status, 0);
  assert.ok(snapshot(fresh).length > before.length + 10);
  const r = cli('uninstall', '--root', fresh);
  assert.is(r.status, 0, r.stderr);
  assert.equal(snapshot(fresh), before);
  const again = cli('uninstall', '--root', fresh);
  assert.is(again.status, 1);
  assert.match(again.stderr, /ERR_INSTALL_NOT_INSTALLED/);
});

test('a file ltsp-balance did not write is a conflict; --force sets it aside and uninstall restores it', () => {
  const r0 = newRoot('conflict');
  const theirs = join(r0, 'opt/ltsp/amd64/usr/share/ltsp/get_hosts');
  mkdirSync(join(theirs, '..'), { recursive: true });
  writeFileSync(theirs, '#!/bin/sh\necho their-server\n', { mode: 0o755 });
  const before = snapshot(r0);
  const refused = cli('install', '--root', r0, '--from', bundles);
  assert.is(refused.status, 1);
  assert.match(refused.stderr, /refusing to overwrite: \/opt\/ltsp\/amd64\/usr\/share\/ltsp\/get_hosts .*ERR_INSTALL_CONFLICT/);
  assert.equal(snapshot(r0), before, 'a refused install writes nothing');
  assert.is(cli('install', '--root', r0, '--from', bundles, '--force').status, 0);
  assert.is(readFileSync(`${theirs}.ltsp-balance-orig`, 'utf8'), '#!/bin/sh\necho their-server\n');
  assert.is(cli('uninstall', '--root', r0).status, 0);
  assert.equal(snapshot(r0), before);
});

test('a file changed after install is kept by uninstall, and stays in the manifest', () => {
  const r0 = newRoot('edited');
  assert.is(cli('install', '--root', r0, '--from', bundles).status, 0);
  const edited = join(r0, 'usr/lib/ltsp/get_hosts'.replace('usr/lib', 'opt/ltsp/amd64/usr/lib'));
  writeFileSync(edited, 'local change\n');
  const r = cli('uninstall', '--root', r0);
  assert.is(r.status, 0);
  assert.match(r.stderr, /get_hosts changed since install: kept/);
  assert.is(readFileSync(edited, 'utf8'), 'local change\n');
  const manifest = JSON.parse(readFileSync(join(r0, MANIFEST_PATH), 'utf8'));
  assert.equal(manifest.entries.map((e: { path: string }) => e.path), ['/opt/ltsp/amd64/usr/lib/ltsp/get_hosts']);
});

test('reinstalling is an upgrade: no conflict with itself, and a chroot no longer named loses its get_hosts', () => {
  const r0 = newRoot('upgrade');
  mkdirSync(join(r0, 'opt/ltsp/i386/usr'), { recursive: true });
  assert.is(cli('install', '--root', r0, '--from', bundles).status, 0);
  assert.ok(existsSync(join(r0, 'opt/ltsp/i386/usr/share/ltsp/get_hosts')), 'every /opt/ltsp chroot found');
  const r = cli('install', '--root', r0, '--from', bundles, '--chroot', '/opt/ltsp/amd64');
  assert.is(r.status, 0, r.stderr);
  assert.not.ok(existsSync(join(r0, 'opt/ltsp/i386/usr/share/ltsp')), 'the dropped chroot is cleaned, directories included');
  assert.ok(existsSync(join(r0, 'opt/ltsp/amd64/usr/share/ltsp/get_hosts')));
  assert.is(cli('uninstall', '--root', r0).status, 0);
  assert.not.ok(existsSync(join(r0, 'usr')));
});

test('--dry-run lists the files and writes nothing; a tampered manifest is refused', () => {
  const r0 = newRoot('dry');
  const before = snapshot(r0);
  const r = cli('install', '--root', r0, '--from', bundles, '--dry-run', '--prefix', '/usr/local');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\/usr\/local\/bin\/ltsp-balance -> \.\.\/lib\/ltsp-balance\/ltsp-balance\.js$/m);
  assert.match(r.stdout, /^\/opt\/ltsp\/amd64\/usr\/share\/ltsp\/get_hosts$/m);
  assert.equal(snapshot(r0), before);
  // Without --from, the bundles are built from the sources into a temporary directory.
  const built = cli('install', '--root', r0, '--dry-run');
  assert.is(built.status, 0, built.stderr);
  assert.match(built.stdout, /^\/usr\/lib\/ltsp-balance\/get_hosts\.js$/m);
  assert.equal(readdirSync(tmpdir()).filter((n) => n.startsWith('ltsp-balance-bundle-')), [], 'the temporary bundles are removed');
  mkdirSync(join(r0, 'var/lib/ltsp-balance'), { recursive: true });
  writeFileSync(join(r0, MANIFEST_PATH), JSON.stringify({ format: 'ltsp-balance-install/1', prefix: '/usr', chroots: [], createdDirs: [], entries: [{ path: '/etc/../etc/hostname', kind: 'file', sha256: '0'.repeat(64) }] }));
  const u = cli('uninstall', '--root', r0);
  assert.is(u.status, 1);
  assert.match(u.stderr, /ERR_INSTALL_MANIFEST/);
  assert.ok(existsSync(join(r0, 'etc/hostname')));
});

test('with another prefix the units follow the commands, and units are renamed ltsp-*', () => {
  const unit = '[Unit]\nRequires=advertise.socket\nAfter=advertise.socket\n[Service]\nExecStart=/usr/bin/ltsp-server-advertise --x\nExecReload=/bin/kill -HUP $MAINPID\n';
  const out = relocateUnit(unit, ['advertise.service', 'advertise.socket'], '/usr/local', ['ltsp-server-advertise']);
  assert.match(out, /^Requires=ltsp-advertise\.socket$/m);
  assert.match(out, /^ExecStart=\/usr\/local\/bin\/ltsp-server-advertise --x$/m);
  assert.match(out, /^ExecReload=\/bin\/kill/m);
  // Through planInstall, from a source tree that has units.
  const src = join(work, 'src');
  mkdirSync(join(src, 'advertise/systemd'), { recursive: true });
  writeFileSync(join(src, 'advertise/systemd/advertise.service'), unit);
  const { files, warnings } = planInstall({ bundleDir: bundles, sourceRoot: src, prefix: '/opt/lb', chroots: [] });
  const planned = files.find((f) => f.path === '/opt/lb/lib/systemd/system/ltsp-advertise.service');
  assert.ok(planned);
  assert.match(planned.content!.toString(), /ExecStart=\/opt\/lb\/bin\/ltsp-server-advertise/);
  assert.ok(warnings.some((w) => /native package posix-mq not found/.test(w)));
  assert.ok(warnings.some((w) => /no chroot/.test(w)));
});

test('install stopped half-way leaves a manifest that uninstall cleans up with', () => {
  const r0 = newRoot('halfway');
  const before = snapshot(r0);
  const { files } = planInstall({ bundleDir: bundles, sourceRoot: root, prefix: '/usr', chroots: ['/opt/ltsp/amd64'] });
  // A regular file where the chroot's /usr/share/ltsp directory must go: every server file is
  // written first, then the chroot's get_hosts fails with ENOTDIR.
  writeFileSync(join(r0, 'opt/ltsp/amd64/usr/share'), 'not a directory');
  try {
    applyInstall({ root: r0, prefix: '/usr', chroots: ['/opt/ltsp/amd64'] }, files);
    assert.unreachable('the write must fail');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_INSTALL_IO');
  }
  assert.ok(existsSync(join(r0, 'usr/lib/ltsp-balance/get_hosts.js')), 'the server files were written');
  rmSync(join(r0, 'opt/ltsp/amd64/usr/share'));
  const report = applyUninstall(r0);
  assert.ok(report.removed.length > 10);
  assert.equal(snapshot(r0), before);
});

test.run();
