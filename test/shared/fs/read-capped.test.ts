import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileCapped } from '../../../shared/fs/read-capped.ts';
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

test.run();
