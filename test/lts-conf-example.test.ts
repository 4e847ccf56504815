import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { renderExample } from '../scripts/lts-conf-example.mjs';
import { resolveLtsConf } from '../ltsp/ltsconf.ts';
import { SETTING_KEYS } from '../balance/settings.ts';

const example = readFileSync(new URL('../lts.conf.example', import.meta.url), 'utf8');

test('lts.conf.example is up to date with every component keys file', () => {
  assert.is(example, renderExample(), 'run node scripts/lts-conf-example.mjs');
});

test('it parses under the LTSP rules with no issue', () => {
  const conf = resolveLtsConf({ path: 'lts.conf.example', bytes: Buffer.from(example) }, { hostname: 'tc1' });
  assert.equal(conf.issues, []);
  assert.is(conf.failed, false);
});

test('every get_hosts key is documented in it', () => {
  for (const spec of SETTING_KEYS) assert.ok(example.includes(spec.key), spec.key); // LTSP's own keys (SERVER, SSH_OVERRIDE_PORT) are named in prose
});

test('used as it is, get_hosts takes it without a warning and still prints a host', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/get_hosts.ts', '--config', 'lts.conf.example', '--servers', '127.0.0.1:9', '--timeout', '50'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  assert.is(r.stdout.trim(), '127.0.0.1');
  assert.not.match(r.stderr, /<[34]>.*lts\.conf/);
});

test.run();
