import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { DEFAULT_SETTINGS, formatWarning, loadSettings, SETTING_KEYS } from '../../balance/settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'get-hosts-settings-'));
let n = 0;
const conf = (text: string | Buffer): string => {
  const path = join(dir, `lts${n++}.conf`);
  writeFileSync(path, text);
  return path;
};
const load = (env: Record<string, string>, text?: string, extra = {}) =>
  loadSettings({ env, configPath: conf(text ?? '[Default]\nUNRELATED=1\n'), mac: '00:11:22:aa:bb:cc', hostname: 'tc1', ...extra });

test('defaults when nothing is set', () => {
  const { settings, warnings } = loadSettings({ env: {}, configPath: conf('[Default]\nOTHER=1\n') });
  assert.equal(warnings, []);
  assert.is(settings.algorithm, 'two-choices');
  assert.is(settings.timeoutMs, 300);
  assert.equal(settings.servers, []);
  assert.is(settings.maxLoadPerCpu, DEFAULT_SETTINGS.maxLoadPerCpu);
});

test('the environment wins over lts.conf, key by key; an empty variable does not count', () => {
  const { settings } = load(
    { LDM_BALANCE_ALGORITHM: 'best', LDM_BALANCE_TIMEOUT_MS: '' },
    // getltscfg's lexer takes "[" as a section bracket (lexer.l:23,28): a bracketed IPv6 entry needs quotes.
    '[Default]\nLDM_BALANCE_ALGORITHM=random\nLDM_BALANCE_TIMEOUT_MS=200\nLDM_BALANCE_SERVERS="a b:400 [fd00::1]:377"\n',
  );
  assert.is(settings.algorithm, 'best');
  assert.is(settings.timeoutMs, 200);
  assert.equal(settings.servers, [{ host: 'a', port: 377 }, { host: 'b', port: 400 }, { host: 'fd00::1', port: 377 }]);
});

test('every key is read, with LTSP booleans', () => {
  const { settings, warnings } = load({}, `[Default]
LDM_BALANCE_FALLBACK_ALGORITHM = fixed
LDM_BALANCE_ALGORITHM = loadbalancer
LDM_BALANCE_MAX_LOAD = 1.5
LDM_BALANCE_MAX_RTT_MS = 40
LDM_BALANCE_SKIP_SWAPPING = N
LDM_BALANCE_XDMCP = True
LDM_BALANCE_WEIGHTS = "app1=200, app2=0"
LDM_BALANCE_SLOW_START_S = 30
LDM_BALANCE_LOAD_BOUND = 0.5
LDM_BALANCE_LOGIN_CHECK = y
SSH_OVERRIDE_PORT = 2222
LDM_BALANCE_LOADBALANCER = lb.example
LDM_BALANCE_CACHE = /tmp/x.json
LDM_BALANCE_CACHE_MAX_AGE_MS = 0
LDM_BALANCE_DISCOVER = false
SERVER = 10.0.0.1
`);
  assert.equal(warnings, []);
  assert.equal({ ...settings, weights: [...settings.weights] }, {
    ...DEFAULT_SETTINGS,
    algorithm: 'loadbalancer',
    fallbackAlgorithm: 'fixed',
    maxLoadPerCpu: 1.5,
    maxRttMs: 40,
    skipSwapping: false,
    xdmcp: true,
    weights: [['app1', 200], ['app2', 0]],
    slowStartSec: 30,
    boundedLoadEpsilon: 0.5,
    loginCheck: true,
    loginPort: 2222,
    loadBalancer: { host: 'lb.example', port: 8008, path: '/' },
    cachePath: '/tmp/x.json',
    cacheMaxAgeMs: 0,
    discover: false,
    bootServer: '10.0.0.1',
  });
});

test('LDM_BALANCE_LOGIN_PORT overrides SSH_OVERRIDE_PORT; the balancer URL form keeps port and path', () => {
  const { settings } = load({ SSH_OVERRIDE_PORT: '2222', LDM_BALANCE_LOGIN_PORT: '22', LDM_BALANCE_LOADBALANCER: 'http://[fd00::9]:9000/choose?x=1' });
  assert.is(settings.loginPort, 22);
  assert.equal(settings.loadBalancer, { host: 'fd00::9', port: 9000, path: '/choose?x=1' });
});

test('an invalid value: one warning naming key, value, file and line, and the default is kept', () => {
  const path = conf('[Default]\n\nLDM_BALANCE_ALGORITHM = fastest\nLDM_BALANCE_TIMEOUT_MS=1e3\nLDM_BALANCE_XDMCP=yes\n');
  const { settings, warnings } = loadSettings({ env: {}, configPath: path });
  assert.is(settings.algorithm, 'two-choices');
  assert.is(settings.timeoutMs, 300);
  assert.is(settings.xdmcp, false);
  assert.equal(warnings.map(formatWarning), [
    `${path} line 3: LDM_BALANCE_ALGORITHM="fastest" is not one of two-choices, deficit, best, weighted, machash, random, fixed, loadbalancer; using two-choices`,
    `${path} line 4: LDM_BALANCE_TIMEOUT_MS="1e3" is not a whole number; using 300`,
    `${path} line 5: LDM_BALANCE_XDMCP="yes" is not a boolean (Y y True true / N n False false); using N`,
  ]);
});

test('invalid environment values name the environment; ranges are checked', () => {
  const { settings, warnings } = load({ LDM_BALANCE_TIMEOUT_MS: '999999', LDM_BALANCE_MAX_LOAD: '-1', LDM_BALANCE_LOADBALANCER: 'ftp://x' });
  assert.is(settings.timeoutMs, 300);
  assert.is(settings.loadBalancer, undefined);
  assert.equal(warnings.map(formatWarning), [
    'environment: LDM_BALANCE_MAX_LOAD="-1" is not a decimal number; using 2',
    'environment: LDM_BALANCE_TIMEOUT_MS="999999" is outside 10..10000; using 300',
    'environment: LDM_BALANCE_LOADBALANCER="ftp://x" must be plain http:// (the ltsp-cluster lbserver speaks HTTP); using none',
  ]);
});

test('a bad server entry is skipped with a warning; the others stay', () => {
  const { settings, warnings } = load({ LDM_BALANCE_SERVERS: 'good1 bad_host!:1 good2:99999 good3' });
  assert.equal(settings.servers.map((s) => s.host), ['good1', 'good3']);
  assert.is(warnings.length, 2);
  assert.match(formatWarning(warnings[0]!), /^environment: LDM_BALANCE_SERVERS="bad_host!:1" is not a host name or IP address; entry skipped$/);
  assert.match(formatWarning(warnings[1]!), /invalid port "99999"/);
});

test('sections apply: MAC section overrides Default for this client only', () => {
  const text = '[Default]\nLDM_BALANCE_ALGORITHM=best\n[00:11:22:aa:bb:cc]\nLDM_BALANCE_ALGORITHM=machash\n';
  assert.is(load({}, text).settings.algorithm, 'machash');
  assert.is(load({}, text, { mac: '00:11:22:aa:bb:cd' }).settings.algorithm, 'best');
});

test('a garbage or huge lts.conf: warnings and defaults, never an exception', () => {
  const garbage = loadSettings({ env: {}, configPath: conf(Buffer.from([0xff, 0x00, 0x5b, 0x0a, 0x3d, 0x3d])) });
  assert.is(garbage.settings.algorithm, 'two-choices');
  assert.match(formatWarning(garbage.warnings[0]!), /NUL bytes/);
  const huge = loadSettings({ env: {}, configPath: conf(`[Default]\n${'#'.repeat(300 * 1024)}`) });
  assert.match(formatWarning(huge.warnings[0]!), /cannot read: larger than 262144 bytes/);
  const missing = loadSettings({ env: {}, configPath: join(dir, 'nope.conf') });
  assert.match(formatWarning(missing.warnings[0]!), /cannot read: ENOENT/);
});

test('256 servers at most, the same rule from lts.conf and the environment: the first 256 used, one warning naming the cap', () => {
  const list = Array.from({ length: 300 }, (_, i) => `s${i}`).join(' ');
  for (const [env, text] of [[{ LDM_BALANCE_SERVERS: list }, undefined], [{}, `[Default]\nLDM_BALANCE_SERVERS = ${list}\n`]] as const) {
    const { settings, warnings } = load(env, text);
    assert.is(settings.servers.length, 256);
    assert.is(settings.servers.at(-1)!.host, 's255');
    assert.equal(warnings.map(formatWarning).filter((w) => w.includes('LDM_BALANCE_SERVERS')).length, 1);
    assert.match(formatWarning(warnings[0]!), /"s256" and 43 more entries after it are past the limit of 256 servers: ignored; the first 256 servers at most are used$/);
  }
});

test('lts.conf problems come first, as one warning each naming file and line; what was read before a syntax error still counts', () => {
  const { settings, warnings } = load({}, '[Default]\nLDM_BALANCE_SERVERS = app1 app2\nLDM_BALANCE_ALGORITHM = best\nLDM_BALANCE_WEIGHTS = app1=2\n');
  assert.equal(settings.servers.map((s) => s.host), ['app1', 'app2']);
  assert.is(settings.algorithm, 'best');
  assert.match(formatWarning(warnings[0]!), /lts\d+\.conf line 4: syntax error: "=" .*put a value that contains "=" in double quotes/);
  // getltscfg kept "app1" (the part before "="), which is not a weight list.
  assert.match(formatWarning(warnings[1]!), /line 4: LDM_BALANCE_WEIGHTS="app1" entry "app1" is not host=weight/);
  assert.is(warnings.length, 2);
});

test('a garbage value is shown escaped in its warning: printable ASCII only', () => {
  const { warnings } = load({ LDM_BALANCE_ALGORITHM: 'b\u00e9st\u001b[2J\ufffd' });
  const line = formatWarning(warnings[0]!);
  assert.ok(line.startsWith('environment: LDM_BALANCE_ALGORITHM="b\\u00e9st\\u001b[2J\\ufffd" is not one of '), line);
  assert.not.match(line, /[^\x20-\x7e]/);
});

test('the default path being absent is not worth a warning', () => {
  const { warnings } = loadSettings({ env: {} });
  // /etc/lts.conf does not exist on a development machine; if it does, its problems are real warnings
  assert.ok(warnings.every((w) => !/ENOENT/.test(w.message)));
});

test('lts.conf.keys documents every key read, and its examples are valid values', () => {
  const keys = readFileSync(new URL('../../balance/lts.conf.keys', import.meta.url), 'utf8');
  for (const key of ['LDM_BALANCE_SERVERS', ...SETTING_KEYS.map((k) => k.key).filter((k) => k !== 'SSH_OVERRIDE_PORT')]) {
    assert.match(keys, new RegExp(`^#${key} = `, 'm'), key);
  }
  const uncommented = keys.replace(/^#(LDM_BALANCE_\w+ = )/gm, '$1');
  const { settings, warnings } = loadSettings({ env: {}, configPath: conf(`[Default]\n${uncommented}`) });
  assert.equal(warnings.map(formatWarning), []);
  assert.equal(settings.servers.map((s) => s.host), ['app1', 'app2', 'app3']);
  assert.equal(settings.loadBalancer, { host: 'lbserver.example', port: 8008, path: '/' });
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
