import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ServiceTime } from '../../winbind-pool/service-time.ts';

// The bound is kept incrementally (a ring and a sorted copy, nothing allocated per call): it must
// equal the 90th percentile of the last 32 calls computed the plain way.
function plainBound(calls: number[]): number {
  const last = calls.slice(-32).sort((a, b) => a - b);
  return last[Math.min(last.length - 1, Math.ceil(0.9 * last.length) - 1)]!;
}

test('bound is the 90th percentile of the last 32 calls of the op', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.double({ min: 0, max: 1e4, noNaN: true })), { minLength: 1, maxLength: 200 }), (calls) => {
      const st = new ServiceTime();
      calls.forEach((ms, i) => {
        st.learn('auth', ms);
        assert.is(st.bound('auth'), plainBound(calls.slice(0, i + 1)));
      });
    }),
  );
});

test('ops are learnt apart; an unknown op has no bound', () => {
  const st = new ServiceTime();
  for (let i = 0; i < 40; i++) st.learn('auth', 100);
  st.learn('getpwnam', 1);
  assert.is(st.bound('auth'), 100);
  assert.is(st.bound('getpwnam'), 1);
  assert.is(st.bound('groups'), 0);
});

test.run();
