import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SourceRateLimiter, sourceKey } from '../../advertise/rate-limit.ts';

test('a source gets its burst, then the rate', () => {
  let now = 0;
  const rl = new SourceRateLimiter(2, 3, 100, () => now);
  assert.equal([1, 2, 3, 4].map(() => rl.allow('10.0.0.1')), [true, true, true, false]);
  assert.ok(rl.allow('10.0.0.2'), 'another source has its own bucket');
  now += 499;
  assert.not.ok(rl.allow('10.0.0.1'));
  now += 2;
  assert.ok(rl.allow('10.0.0.1'), 'half a second at 2/s refills one token');
});

test('IPv4 mapped into IPv6 is the same source; IPv6 counts per /64', () => {
  assert.is(sourceKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.is(sourceKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.is(sourceKey('2001:db8:1:2::99'), '2001:db8:1:2::/64');
  assert.is(sourceKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.is(sourceKey('::1'), '0:0:0:0::/64');
  assert.is(sourceKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  const rl = new SourceRateLimiter(1, 1, 100, () => 0);
  assert.ok(rl.allow('2001:db8:1:2::1'));
  assert.not.ok(rl.allow('2001:db8:1:2::2'), 'same /64, same bucket');
});

test('the map stays bounded under a spray of sources and is swept when buckets refill', () => {
  let now = 0;
  const rl = new SourceRateLimiter(10, 5, 1000, () => now);
  for (let i = 0; i < 50_000; i++) rl.allow(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  assert.is(rl.size, 1000);
  now += 1000;
  rl.sweep();
  assert.is(rl.size, 0);
});

test('rate 0 turns limiting off; configure applies at once', () => {
  const rl = new SourceRateLimiter(0, 1, 10, () => 0);
  for (let i = 0; i < 100; i++) assert.ok(rl.allow('10.0.0.1'));
  assert.is(rl.size, 0);
  rl.configure(1, 1);
  assert.ok(rl.allow('10.0.0.1'));
  assert.not.ok(rl.allow('10.0.0.1'));
});

test.run();
