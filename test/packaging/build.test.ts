/**
 * `npm run package` as CI and an administrator run it: the command's output folder and refusals, and
 * a build for another architecture, whose koffi binary comes from the npm registry (cached in
 * ~/.cache/ltsp-balance/npm after the first run).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'ltsp-balance-build-test-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function packageCommand(...args: string[]) {
  return spawnSync('npm', ['run', '--silent', 'package', '--', ...args], { cwd: root, encoding: 'utf8', timeout: 600_000 });
}

const field = (deb: string, name: string): string => execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();

test('an architecture without koffi binary or Debian nodejs is refused in one line, nothing built', () => {
  const out = join(work, 'refused');
  const r = packageCommand('--arch', 's390x', '--out', out);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /^<3>architecture "s390x" is not supported: amd64, i386, armhf, arm64 .*\(ERR_PACKAGE_ARCH\)\n$/);
  assert.throws(() => readdirSync(out));
});

test('--arch arm64: the arch-specific packages carry koffi\'s arm64 binary and its library needs; the client stays all', () => {
  const out = join(work, 'arm64');
  const r = packageCommand('--arch', 'arm64', '--out', out);
  assert.is(r.status, 0, r.stderr);
  const debs = readdirSync(out).sort();
  assert.equal(debs, ['ltsp-balance-client_0.1.0_all.deb', 'ltsp-balance-greeter-bridge_0.1.0_arm64.deb', 'ltsp-balance-server_0.1.0_arm64.deb']);
  for (const name of ['ltsp-balance-server', 'ltsp-balance-greeter-bridge']) {
    const deb = join(out, `${name}_0.1.0_arm64.deb`);
    assert.is(field(deb, 'Architecture'), 'arm64');
    assert.match(field(deb, 'Depends'), /libc6 \(>= 2\.\d+\)/);
    const files = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
    assert.match(files, new RegExp(`usr/lib/${name}/node_modules/@koromix/koffi-linux-arm64/linux_arm64/koffi\\.node`));
    assert.not.match(files, /koffi-linux-x64|musl_/);
    const dir = join(work, `x-${name}`);
    execFileSync('dpkg-deb', ['-x', deb, dir]);
    const elf = execFileSync('readelf', ['-h', join(dir, `usr/lib/${name}/node_modules/@koromix/koffi-linux-arm64/linux_arm64/koffi.node`)], { encoding: 'utf8' });
    assert.match(elf, /Machine:\s+AArch64/);
  }
  assert.is(field(join(out, 'ltsp-balance-client_0.1.0_all.deb'), 'Architecture'), 'all');
});

test.run();
