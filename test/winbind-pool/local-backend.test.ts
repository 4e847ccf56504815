import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from '../../winbind-pool/backends/local.ts';
import { parseGroup, parsePasswd } from '../../winbind-pool/backends/local-files.ts';
import { hashPassword, parseHash, verifyPassword } from '../../winbind-pool/backends/password-hash.ts';
import { setLogSink } from '../../shared/log.ts';

const dir = mkdtempSync(join(tmpdir(), 'wbp-local-'));
const passwd = join(dir, 'passwd');
const group = join(dir, 'group');
// Cheapest allowed cost: these tests check logic, not strength.
const aliceHash = hashPassword('Al1ce pw', { ln: 10 });
writeFileSync(passwd, `# users\nalice:${aliceHash}:20001:100:Alice:/home/alice:/bin/bash\n\nbob:!${aliceHash}:20002:100::/home/bob:/bin/sh\n`);
writeFileSync(group, 'staff:x:100:\nteachers:x:200:alice,carol\n');

function failure(fn: () => unknown): { code: string; reason?: string } {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code: string }).code, reason: (err as { reason?: string }).reason };
  }
  return { code: 'no error' };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('hashes verify, and a wrong password does not', () => {
  const h = parseHash(aliceHash);
  assert.ok(verifyPassword('Al1ce pw', h));
  assert.not.ok(verifyPassword('Al1ce pw ', h));
  assert.not.equal(hashPassword('x', { ln: 10 }), hashPassword('x', { ln: 10 }), 'salted');
});

test('hash parameters that would cost too much memory or are malformed are refused', () => {
  const [, , , salt, key] = aliceHash.split('$');
  for (const bad of [
    `$scrypt$ln=21,r=8,p=1$${salt}$${key}`,
    `$scrypt$ln=20,r=32,p=1$${salt}$${key}`,
    `$scrypt$ln=9,r=8,p=1$${salt}$${key}`,
    `$scrypt$ln=14,r=8,p=1$${salt}`,
    '$6$saltsalt$abcdefghijklmnopqrstuv',
  ]) {
    assert.is(failure(() => parseHash(bad)).code, 'ERR_BAD_HASH', bad);
  }
});

test('file errors name the file and line', () => {
  assert.throws(() => parsePasswd('alice:x:1:1:::\n', 'p'), /p:1: not a \$scrypt/);
  assert.throws(() => parsePasswd(`a:!:1:1::/:/bin/sh\na:!:2:1::/:/bin/sh`, 'p'), /p:2: user a appears twice/);
  assert.throws(() => parsePasswd('a:!:99999999999:1::/:/bin/sh', 'p'), /uid must be/);
  assert.throws(() => parseGroup('g:x:1\n', 'g'), /g:1: expected 4 fields/);
  assert.throws(() => parseGroup('g:x:1:a b\n', 'g'), /member/);
});

test('auth: success, wrong password, unknown user, locked account', () => {
  const b = new LocalBackend(passwd, group);
  assert.equal(b.auth('alice', 'Al1ce pw'), { user: 'alice' });
  assert.equal(failure(() => b.auth('alice', 'nope')), { code: 'ERR_DENIED', reason: 'wrong_password' });
  assert.equal(failure(() => b.auth('zed', 'Al1ce pw')), { code: 'ERR_DENIED', reason: 'unknown_user' });
  assert.equal(failure(() => b.auth('bob', 'Al1ce pw')), { code: 'ERR_DENIED', reason: 'account_disabled' });
});

test('lookups return public entries (never the hash) and groups include the primary gid', () => {
  const b = new LocalBackend(passwd, group);
  const pw = b.getpwnam('alice');
  assert.equal(pw, { name: 'alice', uid: 20001, gid: 100, gecos: 'Alice', dir: '/home/alice', shell: '/bin/bash' });
  assert.equal(b.getpwuid(20002).name, 'bob');
  assert.equal(b.getgrnam('teachers'), { name: 'teachers', gid: 200, members: ['alice', 'carol'] });
  assert.equal(b.getgrgid(100).name, 'staff');
  assert.equal(b.groups('alice'), { user: 'alice', gids: [100, 200] });
  assert.is(failure(() => b.getpwnam('zed')).code, 'ERR_NOT_FOUND');
  assert.is(failure(() => b.getgrgid(7)).code, 'ERR_NOT_FOUND');
  assert.is(failure(() => b.groups('zed')).code, 'ERR_NOT_FOUND');
});

test('files are re-read when they change; a broken edit keeps the last good version', () => {
  const lines: string[] = [];
  setLogSink((l) => lines.push(l));
  try {
    const b = new LocalBackend(passwd, group);
    writeFileSync(group, 'staff:x:100:\nteachers:x:200:alice\nnew:x:300:alice\n');
    utimesSync(group, new Date(), new Date(Date.now() + 5000));
    assert.equal(b.groups('alice').gids, [100, 200, 300]);
    writeFileSync(group, 'broken line\n');
    utimesSync(group, new Date(), new Date(Date.now() + 10000));
    assert.equal(b.groups('alice').gids, [100, 200, 300]);
    assert.is(lines.length, 1);
    assert.match(lines[0]!, /keeping the previous user database/);
  } finally {
    setLogSink(undefined);
    writeFileSync(group, 'staff:x:100:\nteachers:x:200:alice,carol\n');
  }
});

test.run();
