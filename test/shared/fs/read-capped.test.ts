import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileCapped, readRegularFileCapped } from '../../../shared/fs/read-capped.ts';
import { errorCode } from '../../../testing/helpers/error-code.ts';

const dir = mkdtempSync(join(tmpdir(), 'read-capped-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));


test('a file within the cap is read whole; one byte over is refused', () => {
  const path = join(dir, 'small');
  writeFileSync(path, 'abcd');
  assert.is(readFileCapped(path, 4).toString(), 'abcd');
  assert.is(errorCode(() => readFileCapped(path, 3)), 'ERR_FILE_TOO_LARGE');
});

test('a missing file keeps its ENOENT (callers skip absent default paths)', () => {
  assert.is(errorCode(() => readFileCapped(join(dir, 'absent'), 10)), 'ENOENT');
});

test('a FIFO in place of the file is refused at once instead of blocking on open', () => {
  const fifo = join(dir, 'lts.conf');
  execFileSync('mkfifo', [fifo]);
  assert.is(errorCode(() => readFileCapped(fifo, 10)), 'ERR_FILE_TYPE');
});

test('devices stay readable within the cap: /dev/null is empty, /dev/zero stops at the cap', () => {
  assert.is(readFileCapped('/dev/null', 10).length, 0);
  assert.is(errorCode(() => readFileCapped('/dev/zero', 10)), 'ERR_FILE_TOO_LARGE');
});

const codeOf = (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (err: { code?: string }) => String(err.code));

test('the asynchronous reader: the same errors, regular files only (directory, FIFO: no hang), whole files within the cap', async () => {
  const sub = join(dir, 'async');
  mkdirSync(sub);
  assert.is(await codeOf(readRegularFileCapped(join(sub, 'nope'), 100)), 'ENOENT');
  assert.is(await codeOf(readRegularFileCapped(sub, 100)), 'ERR_FILE_TYPE');
  execFileSync('mkfifo', [join(sub, 'fifo')]);
  assert.is(await codeOf(readRegularFileCapped(join(sub, 'fifo'), 100)), 'ERR_FILE_TYPE');
  assert.is(await codeOf(readRegularFileCapped('/dev/zero', 100)), 'ERR_FILE_TYPE');
  writeFileSync(join(sub, 'big'), Buffer.alloc(200_000, 0x41));
  assert.is(await codeOf(readRegularFileCapped(join(sub, 'big'), 150_000)), 'ERR_FILE_TOO_LARGE');
  assert.is((await readRegularFileCapped(join(sub, 'big'), 200_000)).length, 200_000);
  writeFileSync(join(sub, 'empty'), '');
  assert.is((await readRegularFileCapped(join(sub, 'empty'), 10)).length, 0);
});

test.run();
