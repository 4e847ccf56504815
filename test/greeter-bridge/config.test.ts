/** The bridge's keys: flag, then environment, then lts.conf (LTSP rules), then the default. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bridgeRun, cleanup, tempDir } from '../../testing/greeter-bridge/helpers.ts';

const dir = tempDir();
const conf = join(dir, 'lts.conf');
writeFileSync(conf, '[Default]\nLDM_BALANCE_BRIDGE_QUEUE = "from-conf"\nLDM_BALANCE_BRIDGE_INTERVAL_S = soon\n');
test.after(cleanup);

test('queue names: lts.conf, overridden by the environment, overridden by the flag', async () => {
  const fromConf = await bridgeRun(['status', '--config', conf]);
  assert.is(fromConf.code, 3);
  assert.match(fromConf.stderr, /no bridge serves queue \/from-conf /);
  const env = { ...process.env, LDM_BALANCE_BRIDGE_QUEUE: 'from-env' };
  const fromEnv = await bridgeRun(['status', '--config', conf], { env });
  assert.match(fromEnv.stderr, /queue \/from-env /);
  const fromFlag = await bridgeRun(['status', '--config', conf, '--queue', 'from-flag'], { env });
  assert.match(fromFlag.stderr, /queue \/from-flag /);
  const byDefault = await bridgeRun(['status', '--config', join(dir, 'missing.conf')]);
  assert.is(byDefault.code, 2);
  assert.match(byDefault.stderr, /cannot read .*missing\.conf/);
});

test('an invalid key value stops serve, naming the key, the file and the line', async () => {
  const r = await bridgeRun(['serve', '--config', conf, '--servers', '127.0.0.1', '--no-cache']);
  assert.is(r.code, 2);
  assert.is(r.stderr, `<3>LDM_BALANCE_BRIDGE_INTERVAL_S (${conf} line 3) must be a duration from 10ms to 24h (e.g. 300ms, 2s; a bare number is seconds), got "soon" (ERR_CONFIG)\n`);
});

test.run();
