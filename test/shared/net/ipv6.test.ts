import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalIPv6 } from '../../../shared/net/ipv6.ts';

test('RFC 5952 form: lowercase, no leading zeros, the longest zero run (first on a tie) as ::', () => {
  const cases: Array<[string, string]> = [
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::0001', '::1'],
    ['FD00:0000:0:0:0:0:0:5', 'fd00::5'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['1::', '1::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:ffff:a00:5', '::ffff:10.0.0.5'],
    ['::FFFF:10.0.0.5', '::ffff:10.0.0.5'],
    ['fe80::0001%eth0', 'fe80::1%eth0'],
  ];
  for (const [input, expected] of cases) assert.is(canonicalIPv6(input), expected, input);
});

test('anything that is not an IPv6 address is returned unchanged', () => {
  for (const s of ['app1', 'APP1.example', '10.0.0.1', '', '1:2', ':::1', '[::1]']) assert.is(canonicalIPv6(s), s);
});

test('every canonical form maps to itself and to the same address as the input', () => {
  // WHATWG URL is an independent IPv6 serialiser (RFC 5952 too, but mapped IPv4 in hex).
  const toBytes = (a: string) => new URL(`http://[${a}]/`).hostname;
  for (let i = 0; i < 2000; i++) {
    const groups = Array.from({ length: 8 }, () => (Math.random() < 0.5 ? 0 : Math.floor(Math.random() * 0x10000)));
    const spelled = groups.map((g) => g.toString(16).padStart(Math.random() < 0.5 ? 4 : 1, '0')).join(':');
    const canonical = canonicalIPv6(spelled);
    assert.is(canonicalIPv6(canonical), canonical, spelled);
    assert.is(toBytes(canonical), toBytes(spelled), spelled);
    if (!canonical.startsWith('::ffff:')) assert.is(canonical, toBytes(spelled).slice(1, -1), spelled);
  }
});

test.run();
