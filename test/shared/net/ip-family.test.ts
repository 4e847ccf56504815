import { isIP } from 'node:net';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ipFamily } from '../../../shared/net/ip-family.ts';

test('the same answer as net.isIP for addresses, host names and host:port entries', () => {
  const cases = ['10.0.0.1', '127.0.0.2:37700', 'app1', 'app1:377', '::', '::1', '1::', 'fd00::5', '::ffff:10.0.0.5', 'fe80::1%eth0', '[::1]', '1:2', ':::1', '1.2.3', '256.1.1.1', '', ':', 'a:b:c'];
  for (const s of cases) assert.is(ipFamily(s), isIP(s), s);
});

test('the same answer as net.isIP for random strings of address characters', () => {
  const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.%x'.split(''));
  fc.assert(fc.property(fc.array(chars, { maxLength: 45 }).map((a) => a.join('')), (s) => ipFamily(s) === isIP(s)), { numRuns: 20_000 });
  fc.assert(fc.property(fc.ipV6(), (s) => ipFamily(s) === 6));
  fc.assert(fc.property(fc.ipV4(), (s) => ipFamily(s) === 4));
});

test.run();
