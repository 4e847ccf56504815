import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatServer, MAX_LIST_CHARS, MAX_SERVERS, parseServerList, serverKey } from '../../balance/servers.ts';
import { setLogSink } from '../../shared/log.ts';

test('host[:port] entries separated by spaces or commas, default port 377, duplicates dropped', () => {
  assert.equal(parseServerList(' app1, app2:400\tapp1 10.0.0.5:377 ,', 'test'), [
    { host: 'app1', port: 377 },
    { host: 'app2', port: 400 },
    { host: '10.0.0.5', port: 377 },
  ]);
});

test('IPv6: bracketed with a port, or bare without', () => {
  assert.equal(parseServerList('[FD00::5]:1377 fd00::6 [::1]', 'test'), [
    { host: 'fd00::5', port: 1377 },
    { host: 'fd00::6', port: 377 },
    { host: '::1', port: 377 },
  ]);
});

test('IPv6: every spelling of one address is one server, kept in its canonical form', () => {
  const list = parseServerList('[::1] [0:0:0:0:0:0:0:1] ::0001 [0::1]:377 [::1]:400 [0:0::1]:400 FD00:0:0:0:0:0:0:5 [fd00::5]', 'test');
  assert.equal(list, [
    { host: '::1', port: 377 },
    { host: '::1', port: 400 },
    { host: 'fd00::5', port: 377 },
  ]);
  assert.is(serverKey({ host: '0:0:0:0:0:0:0:1', port: 377 }), serverKey({ host: '::1', port: 377 }));
});

test('invalid entries throw a coded error naming entry and source', () => {
  for (const bad of ['app1:0', 'app1:65536', 'app1:x', '[app1]:377', 'a b:c', '-bad', 'bad..name', 'ünïcode', 'a'.repeat(300)]) {
    try {
      parseServerList(bad, 'LDM_BALANCE_SERVERS');
      assert.unreachable(bad);
    } catch (err) {
      assert.is((err as { code: string }).code, 'ERR_SERVER_LIST', bad);
      assert.match((err as Error).message, /^LDM_BALANCE_SERVERS: server entry/);
    }
  }
});

test('with a handler, invalid entries are reported and skipped', () => {
  const rejected: string[] = [];
  const list = parseServerList('ok1 bad:0 ok2', 'x', (err) => rejected.push(err.entry));
  assert.equal(list.map(formatServer), ['ok1', 'ok2']);
  assert.equal(rejected, ['bad:0']);
});

test('the list is capped', () => {
  const text = Array.from({ length: MAX_SERVERS + 5 }, (_, i) => `h${i}`).join(' ');
  const rejected: string[] = [];
  assert.is(parseServerList(text, 'x', (e) => rejected.push(e.entry)).length, MAX_SERVERS);
  assert.is(rejected.length, 1);
});

test('past the cap the rule is the same with or without a handler: first 256 used, one report naming the cap, never a throw', () => {
  const text = Array.from({ length: MAX_SERVERS + 5 }, (_, i) => `h${i}`).join(' ');
  const logged: string[] = [];
  setLogSink((line) => logged.push(line));
  try {
    const servers = parseServerList(text, '--servers'); // no handler: as the bridge's --servers
    assert.is(servers.length, MAX_SERVERS);
    assert.equal(logged, [`<4>--servers: server entry "h256" and 4 more entries after it are past the limit of ${MAX_SERVERS} servers: ignored; the first ${MAX_SERVERS} servers at most are used\n`]);
    assert.throws(() => parseServerList('good bad_host!', '--servers'), /bad_host!/); // a bad entry still throws
  } finally {
    setLogSink(undefined);
  }
});

test('a list longer than the character cap is cut at an entry boundary, the first entries used', () => {
  const entry = `${Array(4).fill('a'.repeat(59)).join('.')}.example`; // up to 251 characters, labels <= 63
  const text = Array.from({ length: 600 }, (_, i) => `${i}${entry}`).join(' ');
  assert.ok(text.length > MAX_LIST_CHARS);
  const reports: string[] = [];
  const servers = parseServerList(text, 'LDM_BALANCE_SERVERS', (e) => reports.push(e.message));
  assert.is(servers.length, MAX_SERVERS);
  assert.is(servers[0]!.host, `0${entry}`);
  assert.ok(reports.length >= 1 && reports.every((r) => /past the limit of/.test(r)), reports.join('\n'));
});

test('formatServer omits the default port and brackets IPv6', () => {
  assert.is(formatServer({ host: 'a', port: 377 }), 'a');
  assert.is(formatServer({ host: 'a', port: 1 }), 'a:1');
  assert.is(formatServer({ host: '::1', port: 1 }), '[::1]:1');
});

test.run();
