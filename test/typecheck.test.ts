import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

// Tests run through tsx, which strips types without checking them: this keeps `strict` honest in CI.
test('the whole tree type-checks under the strict tsconfig', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
  assert.is(r.stdout + r.stderr, '');
  assert.is(r.status, 0);
});

test.run();
