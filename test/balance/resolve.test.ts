/**
 * balance/probe/resolve.ts piece by piece, with files written for this run: the nsswitch reading,
 * the /etc/hosts reading, the getent child (a stand-in getent that hangs is SIGKILLed on abort, and
 * its pid is checked gone), and the c-ares fallback when getent is missing. The whole path under a
 * really hung DNS server is test/get-hosts/hung-dns.test.ts (root, mount namespace).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filesFirst, lookupHostsFile, resolveHost } from '../../balance/probe/resolve.ts';
import { GENEROUS_MS, eventually } from '../../testing/helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'resolve-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string, mode = 0o644): string => {
  const path = join(dir, `f${++n}`);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
};
const never = new AbortController().signal;
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

test('nsswitch: files first only when the hosts line starts with files (actions in brackets ignored)', () => {
  assert.is(filesFirst(file('passwd: files\nhosts:          files mdns4_minimal [NOTFOUND=return] dns myhostname\n')), true);
  assert.is(filesFirst(file('hosts: files dns # comment\n')), true);
  assert.is(filesFirst(file('hosts: dns files\n')), false);
  assert.is(filesFirst(file('hosts: [!UNAVAIL=return] dns files\n')), false);
  assert.is(filesFirst(file('#hosts: files\nhosts: resolve [!UNAVAIL=return] files\n')), false);
  assert.is(filesFirst(file('passwd: files\n')), false, 'no hosts line');
  assert.is(filesFirst(join(dir, 'missing')), false, "no nsswitch.conf: glibc's order is dns first");
});

test('/etc/hosts: first line naming the host, any case, aliases, comments, a trailing dot, IPv6 canonical', () => {
  const hosts = file('# site\n127.0.0.1 localhost\n10.0.0.1\tServer ltsp-server # boot server\nbad-line-without-address\n10.0.0.2 server\nFD00:0:0::5 app5 app5.example\n');
  assert.is(lookupHostsFile(hosts, 'server'), '10.0.0.1');
  assert.is(lookupHostsFile(hosts, 'LTSP-SERVER'), '10.0.0.1');
  assert.is(lookupHostsFile(hosts, 'server.'), '10.0.0.1');
  assert.is(lookupHostsFile(hosts, 'app5.example'), 'fd00::5');
  assert.is(lookupHostsFile(hosts, 'boot'), undefined, 'comments are not names');
  assert.is(lookupHostsFile(hosts, 'bad-line-without-address'), undefined);
  assert.is(lookupHostsFile(join(dir, 'missing'), 'server'), undefined);
});

test('files first: a name in the hosts file never starts getent', async () => {
  const marker = join(dir, 'getent-ran');
  const getent = file(`#!/bin/sh\ntouch ${marker}\necho "10.9.9.9 STREAM x"\n`, 0o755);
  const files = { nsswitch: file('hosts: files dns\n'), hosts: file('10.0.0.7 app7\n'), getent };
  assert.is(await resolveHost('app7', never, files), '10.0.0.7');
  assert.throws(() => readFileSync(marker), 'getent was not started');
  assert.is(await resolveHost('other', never, files), '10.9.9.9', 'not in the file: getent');
});

test('getent: its first address; "not found" is ERR_SURVEY_RESOLVE', async () => {
  const getent = file('#!/bin/sh\n[ "$2" = found ] || exit 2\nprintf "fd00:0::9       STREAM found\\nfd00::9 DGRAM\\n10.0.0.9 STREAM\\n"\n', 0o755);
  const files = { nsswitch: file('hosts: dns\n'), hosts: file(''), getent };
  assert.is(await resolveHost('found', never, files), 'fd00::9');
  try {
    await resolveHost('missing', never, files);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_SURVEY_RESOLVE');
    assert.match((err as Error).message, /no such host/);
  }
});

test('getent that hangs (a DNS server that never answers): abort rejects at once and the child is killed', async () => {
  const pidFile = join(dir, 'getent.pid');
  const getent = file(`#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`, 0o755);
  const files = { nsswitch: file('hosts: dns\n'), hosts: file(''), getent };
  const controller = new AbortController();
  const pending = resolveHost('hung.example', controller.signal, files);
  const pid = await eventually(() => {
    try {
      return Number(readFileSync(pidFile, 'utf8')) || undefined;
    } catch {
      return undefined;
    }
  }, GENEROUS_MS, 'the stand-in getent to start');
  const t = performance.now();
  controller.abort();
  try {
    await pending;
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_SURVEY_RESOLVE');
    assert.match((err as Error).message, /abandoned at the deadline/);
  }
  assert.ok(performance.now() - t < 1000, 'rejected at once');
  await eventually(() => !alive(pid), GENEROUS_MS, `getent ${pid} to be killed`);
});

test('no getent at all: c-ares takes over, and a cancelled lookup ends at once', async () => {
  const files = { nsswitch: file('hosts: dns\n'), hosts: file(''), getent: join(dir, 'no-such-getent') };
  // Whatever DNS this machine has (none, in CI): an answer, NXDOMAIN, or the 3 s abort, never a hang.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 3000);
  const t = performance.now();
  try {
    await resolveHost('no-such-host.invalid', controller.signal, files);
    assert.unreachable('.invalid never resolves (RFC 6761)');
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_SURVEY_RESOLVE');
    assert.match((err as Error).message, /no such host \(DNS\)|abandoned at the deadline/);
  } finally {
    clearTimeout(timer);
  }
  assert.ok(performance.now() - t < 3000 + 1000, 'ended by the abort at the latest');
  const cancelled = new AbortController();
  cancelled.abort();
  try {
    await resolveHost('anything.invalid', cancelled.signal, files);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_SURVEY_RESOLVE');
  }
  assert.is(await resolveHost('0:0::1', cancelled.signal, files), '::1', 'an IP address needs no lookup, even after the deadline');
});

test.run();
