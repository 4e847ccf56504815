/**
 * The bridge's keys: flag, then environment, then lts.conf (the reader get_hosts uses), then the
 * default. One error policy with get_hosts: lts.conf's problems and bad key values are logged and the
 * default is used; a bad flag stops the command.
 */
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
  assert.is(byDefault.code, 3);
  assert.match(byDefault.stderr, /^<4>.*missing\.conf: cannot read: .*; no lts\.conf value is used\n/);
  assert.match(byDefault.stderr, /queue \/ltsp-greeter-servers /);
});

test('a bad key value in lts.conf is logged, naming the key, the file and the line, and its default used (as get_hosts does)', async () => {
  const bad = join(dir, 'bad-queue.conf');
  writeFileSync(bad, '[Default]\nLDM_BALANCE_BRIDGE_QUEUE = "a/b"\n');
  const r = await bridgeRun(['status', '--config', bad]);
  assert.is(r.code, 3);
  assert.match(r.stderr, new RegExp(`^<4>LDM_BALANCE_BRIDGE_QUEUE \\(${bad} line 2\\): .*; using /ltsp-greeter-servers\n`));
  assert.match(r.stderr, /no bridge serves queue \/ltsp-greeter-servers /);
});

test('the bridge resolves lts.conf as getltscfg does: a syntax error is one warning naming file and line, the lines before it count', async () => {
  const broken = join(dir, 'broken.conf');
  writeFileSync(broken, '[Default]\nLDM_BALANCE_BRIDGE_QUEUE = from-broken\nsomething odd\nLDM_BALANCE_BRIDGE_CHOICE_QUEUE = never-read\n');
  const r = await bridgeRun(['status', '--config', broken]);
  assert.is(r.code, 3);
  assert.match(r.stderr, new RegExp(`^<4>${broken} line 4: syntax error: .*line 3, "something odd", is not KEY = value\n`));
  assert.match(r.stderr, /queue \/from-broken /);
});

test('a bad flag still stops the command: the administrator typed it', async () => {
  const r = await bridgeRun(['serve', '--config', conf, '--servers', '127.0.0.1', '--no-cache', '--interval', 'soon']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^<3>--interval must be a duration from 10ms to 24h .*got "soon" \(ERR_USAGE\)\n$/);
});

test.run();
