import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHostname, parseHostPort, unmapIPv4 } from '../../../shared/net/address.ts';

test('host[:port]: names, IPv4, bracketed and bare IPv6, the default port', () => {
  assert.equal(parseHostPort('app1', 377), { host: 'app1', port: 377 });
  assert.equal(parseHostPort('app1.example.:2222', 22), { host: 'app1.example.', port: 2222 });
  assert.equal(parseHostPort('10.0.0.5:80', 377), { host: '10.0.0.5', port: 80 });
  assert.equal(parseHostPort('[FD00::5]:377', 22), { host: 'fd00::5', port: 377 });
  assert.equal(parseHostPort('fd00::5', 22), { host: 'fd00::5', port: 22 });
});

test('what is not an address says why', () => {
  assert.match(parseHostPort('[app1]:22', 22) as string, /brackets around something that is not an IPv6 address/);
  assert.match(parseHostPort('host:22:33', 22) as string, /too many colons/);
  assert.match(parseHostPort('host:0', 22) as string, /invalid port "0"/);
  assert.match(parseHostPort('host:99999', 22) as string, /invalid port "99999"/);
  assert.match(parseHostPort('-oProxyCommand=x', 22) as string, /not a host name/);
});

test('one host-name rule: labels 1..63, no leading or trailing "-", no empty label', () => {
  for (const good of ['a', 'app-1', 'a.b.c', 'x_y', 'host.example.', `${'a'.repeat(63)}.b`]) assert.ok(isHostname(good), good);
  for (const bad of ['-a', 'a-', 'a..b', '.a', `${'a'.repeat(64)}`, 'a b', 'a/b', '']) assert.not.ok(isHostname(bad), bad);
});

test('IPv4-mapped IPv6 is unmapped; other addresses stay', () => {
  assert.is(unmapIPv4('::ffff:10.0.0.5'), '10.0.0.5');
  assert.is(unmapIPv4('::FFFF:127.0.0.1'), '127.0.0.1');
  assert.is(unmapIPv4('::ffff:abcd'), '::ffff:abcd');
  assert.is(unmapIPv4('fd00::5'), 'fd00::5');
  assert.is(unmapIPv4('10.0.0.5'), '10.0.0.5');
});

test.run();
