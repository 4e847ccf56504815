import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_MAX_BYTES, parseConfigText, readConfigFile } from '../../advertise/config-file.ts';
import { DEFAULT_SETTINGS, mergeSettings, settingsFromFlags } from '../../advertise/settings.ts';
import { tempDir } from '../../testing/advertise/helpers.ts';

function thrown(fn: () => unknown): { code: string; key?: string; message: string; exitCode: number } {
  try {
    fn();
  } catch (err) {
    return err as never;
  }
  throw new Error('expected an error');
}

test('every key, comments, blanks, quotes and white space', () => {
  const text = `# advertise
drain = yes
weight=250
  rate_limit=0
rate_burst="7"
sample_interval_ms='500'
max_connections = 64
write_timeout_ms=1500
`;
  assert.equal(parseConfigText(text, 'x'), {
    drain: true,
    weight: 250,
    rateLimit: 0,
    rateBurst: 7,
    sampleIntervalMs: 500,
    maxConnections: 64,
    writeTimeoutMs: 1500,
  });
});

test('bad values name the key and echo the value; exit code 2', () => {
  const e = thrown(() => parseConfigText('weight=heavy\n', '/etc/x.conf'));
  assert.is(e.code, 'ERR_CONFIG');
  assert.is(e.key, 'weight');
  assert.is(e.exitCode, 2);
  assert.match(e.message, /\/etc\/x.conf: weight must be a whole number from 0 to 10000, got "heavy"/);
  assert.is(thrown(() => parseConfigText('weight=10001\n', 'x')).key, 'weight');
  assert.is(thrown(() => parseConfigText('drain=maybe\n', 'x')).key, 'drain');
  assert.is(thrown(() => parseConfigText('sample_interval_ms=5\n', 'x')).key, 'sample_interval_ms');
  assert.is(thrown(() => parseConfigText('rate_burst=0\n', 'x')).key, 'rate_burst');
});

test('unknown keys, duplicates and non key=value lines are errors', () => {
  assert.match(thrown(() => parseConfigText('wieght=1\n', 'x')).message, /unknown key "wieght" \(known keys: drain, weight/);
  assert.match(thrown(() => parseConfigText('drain=1\ndrain=0\n', 'x')).message, /:2: drain is set twice/);
  assert.match(thrown(() => parseConfigText('just words\n', 'x')).message, /:1: expected key=value/);
});

test('the file: capped, must exist, no binary', async () => {
  const dir = tempDir();
  const path = join(dir, 'advertise.conf');
  writeFileSync(path, 'drain=true\n');
  assert.equal(await readConfigFile(path), { drain: true });
  writeFileSync(path, `# ${'x'.repeat(CONFIG_MAX_BYTES)}\n`);
  await readConfigFile(path).then(
    () => assert.unreachable(),
    (err) => assert.is(err.code, 'ERR_CONFIG'),
  );
  writeFileSync(path, 'drain=\0\n');
  await readConfigFile(path).then(
    () => assert.unreachable(),
    (err) => assert.match(err.message, /not a text file/),
  );
  await readConfigFile(join(dir, 'missing')).then(
    () => assert.unreachable(),
    (err) => assert.match(err.message, /cannot read config file/),
  );
});

test('flags: checked like file values but as usage errors; flags win over the file', () => {
  const flags = settingsFromFlags({ weight: '30', drain: true, sampleInterval: '250' });
  assert.equal(flags, { drain: true, weight: 30, sampleIntervalMs: 250 });
  const e = thrown(() => settingsFromFlags({ maxConnections: '0' }));
  assert.is(e.code, 'ERR_USAGE');
  assert.match(e.message, /--max-connections must be from 1 to 100000 connections, got 0/);
  assert.equal(mergeSettings({ weight: 5, drain: true }, { weight: 7 }), { ...DEFAULT_SETTINGS, weight: 7, drain: true });
});

test('the shipped config (/etc/ltsp/advertise.conf) sets nothing, and its commented lines are the defaults', async () => {
  const shipped = new URL('../../advertise/advertise.conf', import.meta.url).pathname;
  assert.equal(await readConfigFile(shipped), {});
  const uncommented = readFileSync(shipped, 'utf8').replace(/^#([a-z_]+=)/gm, '$1');
  assert.equal(mergeSettings(parseConfigText(uncommented, 'uncommented'), {}), { ...DEFAULT_SETTINGS });
  assert.equal(Object.keys(parseConfigText(uncommented, 'uncommented')).sort(), Object.keys(DEFAULT_SETTINGS).sort());
});

test.run();
