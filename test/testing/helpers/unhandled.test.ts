/**
 * The runner's preload: a test file with an unhandled rejection and an uncaught exception, run the
 * way scripts/test.mjs runs every file, reports those two tests failed and the others passed (plain
 * Node ends the process at the first one and uvu reports nothing for the whole file).
 */
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testFileArgs } from '../../../scripts/test-file.mjs';

const root = new URL('../../..', import.meta.url).pathname;
const fixture = new URL('../../../testing/fixtures/suite/unhandled.fixture.ts', import.meta.url).pathname;

test('an unhandled rejection and an uncaught exception fail their own tests; the file goes on', () => {
  const r = spawnSync(process.execPath, testFileArgs(fixture), { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 60_000 });
  const out = r.stdout + r.stderr;
  assert.match(out, /Total:\s+5/, out);
  assert.match(out, /Passed:\s+3/, out);
  assert.match(out, /FAIL\s+"three is running when it rejects"[\s\S]*unhandled rejection in this test: RequestTimeoutError: left behind by two/, out);
  assert.match(out, /FAIL\s+"four throws from a timer"[\s\S]*uncaught exception in this test: thrown in a timer/, out);
  assert.is(r.status, 1);
});

test.run();
