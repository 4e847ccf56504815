import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUtmp, readUtmp, UTMP_MAX_BYTES } from '../../advertise/utmp.ts';
import { tempDir } from '../../testing/advertise/helpers.ts';
import { BOOT_TIME, DEAD_PROCESS, LOGIN_PROCESS, utmpBytes, writeUtmp } from '../../testing/advertise/utmp-fixture.ts';

const NOW = 1_800_000_000;

test('USER_PROCESS records are sessions; distinct users; logins of the last 60 s', () => {
  const bytes = utmpBytes([
    { type: BOOT_TIME, user: 'reboot', tvSec: NOW - 86_400 },
    { user: 'alice', tvSec: NOW - 3600 },
    { user: 'bob', tvSec: NOW - 10 },
    { user: 'alice', line: 'pts/1', tvSec: NOW - 59 },
    { type: LOGIN_PROCESS, user: 'LOGIN', tvSec: NOW - 5 },
    { type: DEAD_PROCESS, user: 'carol', tvSec: NOW - 5 },
    { user: 'dave', tvSec: NOW - 60 },
  ]);
  assert.equal(parseUtmp(bytes, NOW), { sessions: 4, users: 3, loginsLast60s: 2, userNames: ['alice', 'bob', 'alice', 'dave'] });
});

test('a 32-byte name without a terminating NUL is read whole', () => {
  const long = 'u'.repeat(32);
  assert.equal(parseUtmp(utmpBytes([{ user: long, tvSec: NOW }]), NOW).userNames, [long]);
});

test('names the wire format cannot carry are counted but not listed', () => {
  const r = parseUtmp(utmpBytes([{ user: 'bad name', tvSec: NOW - 1000 }, { user: 'ok', tvSec: NOW - 1000 }]), NOW);
  assert.equal(r, { sessions: 2, users: 2, loginsLast60s: 0, userNames: ['ok'] });
});

test('empty utmp: no sessions; a partial record is a coded error', () => {
  assert.equal(parseUtmp(Buffer.alloc(0), NOW), { sessions: 0, users: 0, loginsLast60s: 0, userNames: [] });
  try {
    parseUtmp(Buffer.alloc(500), NOW);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_SOURCE_MALFORMED');
  }
});

test('readUtmp reads a real file and enforces its cap', async () => {
  const dir = tempDir();
  const path = join(dir, 'utmp');
  writeUtmp(path, [{ user: 'alice' }, { user: 'bob', tvSec: Math.floor(Date.now() / 1000) - 3600 }]);
  const r = await readUtmp(path, Math.floor(Date.now() / 1000));
  assert.is(r.sessions, 2);
  assert.is(r.loginsLast60s, 1);
  writeFileSync(path, Buffer.alloc(UTMP_MAX_BYTES + 384));
  try {
    await readUtmp(path, NOW);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_FILE_TOO_LARGE');
  }
});

test.run();
