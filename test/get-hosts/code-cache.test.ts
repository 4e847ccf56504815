/**
 * The hook's V8 code cache, on the installed hook (sh wrapper + bundle, as the client package lays
 * them out under a temporary root) run as screen.d/ldm runs it against a real advertise daemon:
 * `get_hosts --write-code-cache` (what the postinst runs) on every Node of the matrix, and the
 * wrapper's loader using it, or not, when it is missing, corrupt, stale (another bundle, the same
 * bundle edited, another Node), on a read-only file system, or writable by someone other than root.
 * Whatever happens to the cache, LDM gets the live server and nothing on stderr but the one <7> line
 * LTSP_BALANCE_DEBUG asks for. Needs root (the cache's owner is part of what is checked).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, startDaemon, stopAll, type Daemon } from '../../testing/advertise/helpers.ts';
import { randomSubnet } from '../../testing/get-hosts/fake-fleet.ts';
import { installHook, type InstalledHook } from '../../testing/get-hosts/installed-hook.ts';
import { NODE_MATRIX, officialNode } from '../../testing/node-binaries.ts';
import { BUNDLE_ID_PREFIX as BUILD_PREFIX, bundleIdLine } from '../../scripts/bundle.mjs';
import { BUNDLE_ID_PREFIX, CODE_CACHE_FORMAT, codeCachePath, verifiedBundleId, warmUpSurvey } from '../../get-hosts/code-cache.ts';
import { parseAdvertisement } from '../../shared/wire/parse.ts';

const work = mkdtempSync(join(tmpdir(), 'get-hosts-code-cache-'));
let installed: InstalledHook;
let cache = '';
let daemon: Daemon;
let servers = '';
const which = (name: string): string => spawnSync('/bin/sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
const TIMEOUT = which('timeout');
const USED = / used$/;

test.before(async () => {
  installed = await installHook(work);
  // Traversable by the unprivileged user of the ownership test (mkdtemp makes 0700 directories).
  chmodSync(work, 0o755);
  chmodSync(installed.dir, 0o755);
  mkdirSync(join(installed.chroot, 'var/cache'), { recursive: true });
  cache = codeCachePath(installed.bundle)!;
  daemon = await startDaemon({ host: `${randomSubnet()}.2`, procfs: join(FIXTURES, 'idle') });
  servers = `${daemon.host}:${daemon.port}`;
});

test.after(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

/** A PATH holding `node` of this version and coreutils' timeout, as a chroot has them. */
const paths = new Map<string, string>();
function pathFor(version: string): string {
  if (!paths.has(version)) {
    const dir = mkdtempSync(join(work, `path-${version}-`));
    chmodSync(dir, 0o755);
    symlinkSync(officialNode(version), join(dir, 'node'));
    symlinkSync(TIMEOUT, join(dir, 'timeout'));
    paths.set(version, dir);
  }
  return paths.get(version)!;
}

interface Run {
  hosts: string[];
  status: number;
  /** stderr without the debug line. */
  stderr: string;
  /** What the loader's <7> line said after "code cache ". */
  cacheLine: string;
}

/** screen.d/ldm's lines, with LTSP_BALANCE_DEBUG; `wrap` runs the shell inside another command (unshare). */
function asLdm(version: string, wrap: string[] = [], hook = installed.hook): Run {
  const script = `LDM_SERVER=$("${hook}"); echo "exit $?"; for SRV in $LDM_SERVER; do echo "$SRV"; done`;
  const env = { PATH: pathFor(version), LDM_BALANCE_SERVERS: servers, LDM_BALANCE_CACHE: join(work, 'no-survey.json'), LDM_BALANCE_DISCOVER: 'N', LDM_BALANCE_TIMEOUT_MS: '5000', LDM_BALANCE_MAX_RTT_MS: '0', LTSP_BALANCE_DEBUG: '1' };
  const argv = [...wrap, '/bin/sh', '-c', script];
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.split('\n').filter(Boolean);
  const debug = /^<7>get_hosts: code cache (.*)\n/m.exec(r.stderr);
  return { status: Number(/^exit (\d+)$/.exec(lines[0] ?? '')?.[1] ?? NaN), hosts: lines.slice(1), stderr: r.stderr.replace(/^<7>get_hosts: code cache .*\n/m, ''), cacheLine: debug?.[1] ?? `(no debug line in ${JSON.stringify(r.stderr)})` };
}

/** LDM got the live server, exit 0, nothing on stderr but the debug line, which must match `cacheLine`. */
function assertServed(r: Run, cacheLine: RegExp): void {
  assert.equal(r.hosts, [daemon.host], JSON.stringify(r));
  assert.is(r.status, 0, JSON.stringify(r));
  assert.is(r.stderr, '');
  assert.match(r.cacheLine, cacheLine);
}

function writeCache(version: string, opts: { uid?: number; wrap?: string[] } = {}): { status: number | null; stdout: string; stderr: string } {
  const argv = [...(opts.wrap ?? []), installed.hook, '--write-code-cache'];
  return spawnSync(argv[0]!, argv.slice(1), { env: { PATH: pathFor(version) }, encoding: 'utf8', timeout: 60_000, uid: opts.uid, gid: opts.uid });
}

function mustWriteCache(version: string): void {
  const w = writeCache(version);
  assert.equal([w.status, w.stdout, w.stderr], [0, '', ''], `--write-code-cache on Node ${version}`);
}

test('the bundle names its own SHA-256 on its last line, as the build and the cache writer spell it', () => {
  assert.is(BUNDLE_ID_PREFIX, BUILD_PREFIX);
  const content = readFileSync(installed.bundle);
  const id = verifiedBundleId(content);
  assert.ok(content.toString('latin1').endsWith(bundleIdLine(content.subarray(0, content.lastIndexOf(BUNDLE_ID_PREFIX)))));
  assert.match(id, /^[0-9a-f]{64}$/);
  const edited = Buffer.from(content);
  edited[100] = edited[100] === 0x61 ? 0x62 : 0x61;
  assert.throws(() => verifiedBundleId(edited), /changed after it was built/);
});

test('the warm-up survey is one the strict wire parser accepts (else the warm-up would compile less)', () => {
  const doc = JSON.parse(warmUpSurvey(Date.now())) as { reports: Array<{ document: string }> };
  for (const r of doc.reports) assert.ok(parseAdvertisement(r.document).hostname.startsWith('app'));
});

test('missing: the hook runs uncached, LDM gets the live server', () => {
  rmSync(cache, { force: true });
  assertServed(asLdm('20.20.2'), /not used: ENOENT$/);
});

for (const version of NODE_MATRIX) {
  test(`Node ${version}: --write-code-cache writes a root-owned cache for it, and the hook uses it`, () => {
    mustWriteCache(version);
    const st = statSync(cache);
    assert.equal([st.uid, st.mode & 0o777], [0, 0o644]);
    const header = readFileSync(cache).subarray(0, 200).toString('latin1').split('\n')[0]!;
    const bundle = statSync(installed.bundle);
    assert.is(header, `${CODE_CACHE_FORMAT} v${version} ${process.arch} ${verifiedBundleId(readFileSync(installed.bundle))} ${bundle.size} ${Math.floor(bundle.mtimeMs / 1000)}`);
    assertServed(asLdm(version), USED);
    // Without LTSP_BALANCE_DEBUG: silent, as LDM sees it.
    const quiet = spawnSync('/bin/sh', ['-c', `"${installed.hook}"`], { env: { PATH: pathFor(version), LDM_BALANCE_SERVERS: servers, LDM_BALANCE_CACHE: join(work, 'none.json'), LDM_BALANCE_DISCOVER: 'N', LDM_BALANCE_TIMEOUT_MS: '5000', LDM_BALANCE_MAX_RTT_MS: '0' }, encoding: 'utf8', timeout: 60_000 });
    assert.equal([quiet.stdout, quiet.stderr], [`${daemon.host}\n`, '']);
  });
}

test('stale: written by another Node version, the hook on this one compiles without it', () => {
  mustWriteCache('22.23.5');
  assertServed(asLdm('20.20.2'), /not used: written for another bundle or Node\.js$/);
  assertServed(asLdm('22.23.5'), USED);
});

test('stale: another bundle (an upgrade, the same length), or the same bundle edited after the cache was written', () => {
  // A second tree whose bundle differs by one character of the usage text (same length: V8's own
  // check, the source length, would not see it), with its own correct last line.
  const other = join(work, 'other');
  for (const p of ['usr/share/ltsp/get_hosts', 'usr/share/ltsp-balance/get_hosts.cjs']) {
    mkdirSync(join(other, p, '..'), { recursive: true });
    copyFileSync(join(installed.chroot, p), join(other, p));
  }
  chmodSync(join(other, 'usr/share/ltsp/get_hosts'), 0o755);
  mkdirSync(join(other, 'var/cache/ltsp-balance'), { recursive: true });
  const bundle = join(other, 'usr/share/ltsp-balance/get_hosts.cjs');
  const text = readFileSync(bundle, 'latin1');
  const body = text.slice(0, text.lastIndexOf(BUNDLE_ID_PREFIX)).replace('this help', 'This help');
  writeFileSync(bundle, body + bundleIdLine(Buffer.from(body, 'latin1')), 'latin1');
  utimesSync(bundle, statSync(installed.bundle).atime, statSync(installed.bundle).mtime);
  assert.is(statSync(bundle).size, statSync(installed.bundle).size);
  mustWriteCache('20.20.2');
  copyFileSync(cache, join(other, 'var/cache/ltsp-balance/get_hosts.cjs.v8cache'));
  assertServed(asLdm('20.20.2', [], join(other, 'usr/share/ltsp/get_hosts')), /not used: written for another bundle or Node\.js$/);

  // The installed bundle edited in place, its last line kept (a hand patch): its mtime tells.
  assertServed(asLdm('20.20.2'), USED);
  const original = statSync(installed.bundle);
  utimesSync(installed.bundle, original.atime, new Date(original.mtimeMs + 5000));
  try {
    assertServed(asLdm('20.20.2'), /not used: written for another bundle or Node\.js$/);
  } finally {
    utimesSync(installed.bundle, original.atime, original.mtime);
  }
  assertServed(asLdm('20.20.2'), USED);
});

test('corrupt: data V8 rejects, a header cut short, random bytes, an empty file, a FIFO: uncached, the live server', () => {
  mustWriteCache('20.20.2');
  const good = readFileSync(cache);
  const headerEnd = good.indexOf(0x0a) + 1;
  const flipped = Buffer.from(good);
  for (let i = headerEnd; i < flipped.length; i += 97) flipped[i] = flipped[i]! ^ 0xff;
  const cases: Array<[string, Buffer, RegExp]> = [
    ['bytes flipped after the header', flipped, /not used: V8 rejected it/],
    ['the data cut to half', good.subarray(0, headerEnd + (good.length - headerEnd) / 2), /not used: V8 rejected it/],
    ['the header cut short', good.subarray(0, headerEnd - 10), /not used: written for another bundle or Node\.js$/],
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255)), /not used: written for another bundle or Node\.js$/],
    ['empty', Buffer.alloc(0), /not used: written for another bundle or Node\.js$/],
  ];
  for (const [what, bytes, line] of cases) {
    writeFileSync(cache, bytes, { mode: 0o644 });
    const r = asLdm('20.20.2');
    assert.equal(r.hosts, [daemon.host], `${what}: ${JSON.stringify(r)}`);
    assert.is(r.stderr, '', what);
    assert.match(r.cacheLine, line, what);
  }
  // A FIFO in its place: opened without blocking, refused as not a file (no reader waits for a writer).
  rmSync(cache);
  const fifo = spawnSync('mkfifo', ['-m', '0644', cache]);
  assert.is(fifo.status, 0, String(fifo.stderr));
  assertServed(asLdm('20.20.2'), /not used: not a file only root can write$/);
  rmSync(cache);
  mustWriteCache('20.20.2');
  assertServed(asLdm('20.20.2'), USED);
});

test('not root-only: a cache owned by a user, or writable by the group, is never used; a user cannot write one', () => {
  mustWriteCache('20.20.2');
  try {
    chownSync(cache, 65534, 65534);
    assertServed(asLdm('20.20.2'), /not used: not a file only root can write$/);
    chownSync(cache, 0, 0);
    chmodSync(cache, 0o664);
    assertServed(asLdm('20.20.2'), /not used: not a file only root can write$/);
    chmodSync(cache, 0o644);
    assertServed(asLdm('20.20.2'), USED);
    // nobody running --write-code-cache: refused before anything is written.
    const before = readFileSync(cache);
    const w = writeCache('20.20.2', { uid: 65534 });
    assert.is(w.status, 1);
    assert.match(w.stderr, /^<3>only root writes the code cache.*\(ERR_CODE_CACHE\)\n$/);
    assert.ok(readFileSync(cache).equals(before));
    // A cache directory others may write into: root does not write there either.
    chmodSync(join(cache, '..'), 0o777);
    const open = writeCache('20.20.2');
    assert.is(open.status, 1);
    assert.match(open.stderr, /is not a directory only root can write.*\(ERR_CODE_CACHE\)\n$/);
  } finally {
    chmodSync(join(cache, '..'), 0o755);
    chownSync(cache, 0, 0);
    chmodSync(cache, 0o644);
  }
});

test('read-only (a thin client\'s NFS or NBD root): a valid cache is used, a missing one is not missed, writing fails in one line', () => {
  mustWriteCache('20.20.2');
  const root = installed.chroot;
  // A private mount namespace: the tree bound read-only onto itself, for that command only.
  const mount = which('mount');
  const readOnly = [which('unshare'), '-m', '/bin/sh', '-c', `${mount} --bind "${root}" "${root}" && ${mount} -o remount,bind,ro "${root}" && exec "$@"`, 'sh'];
  assertServed(asLdm('20.20.2', readOnly), USED);
  const w = writeCache('20.20.2', { wrap: readOnly });
  assert.is(w.status, 1);
  assert.match(w.stderr, /^<3>cannot write the code cache .*(EROFS|read-only).*\(ERR_CODE_CACHE\)\n$/);
  assert.ok(existsSync(cache), 'the cache on the read-only tree is untouched');
  rmSync(cache);
  assertServed(asLdm('20.20.2', readOnly), /not used: ENOENT$/);
  mustWriteCache('20.20.2');
});

test('--write-code-cache refuses a bundle that is not at its installed path, and other options', () => {
  const loose = join(work, 'loose.cjs');
  copyFileSync(installed.bundle, loose);
  appendFileSync(loose, '');
  const r = spawnSync(officialNode('20.20.2'), [loose, '--write-code-cache'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 1);
  assert.match(r.stderr, /is not the installed bundle .*\(ERR_CODE_CACHE\)\n$/);
  const both = spawnSync(installed.hook, ['--write-code-cache', '--explain'], { env: { PATH: pathFor('20.20.2') }, encoding: 'utf8', timeout: 60_000 });
  assert.is(both.status, 2);
  assert.match(both.stderr, /--write-code-cache takes no other option \(ERR_USAGE\)/);
});

test.run();
