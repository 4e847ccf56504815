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

test('bound is the 90th percentile of the last 32 calls of the op, ceiling the slowest', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.double({ min: 0, max: 1e4, noNaN: true })), { minLength: 1, maxLength: 200 }), (calls) => {
      const st = new ServiceTime();
      calls.forEach((ms, i) => {
        st.learn('auth', ms);
        assert.is(st.bound('auth'), plainBound(calls.slice(0, i + 1)));
        assert.is(st.ceiling('auth'), Math.max(...calls.slice(Math.max(0, i - 31), i + 1)));
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

test('the queue wait follows the pace of answers under load when that is slower than the calls', () => {
  const st = new ServiceTime();
  for (let i = 0; i < 10; i++) st.learn('auth', 100);
  assert.is(st.queueWait(10, 2), 500); // 10 waiting, 100 ms calls, 2 workers
  // Answers while requests wait come 200 ms apart (workers starved of CPU, daemon delays):
  for (let t = 0; t <= 2000; t += 200) st.answered(t, true);
  assert.ok(Math.abs(st.queueWait(10, 2) - 2000) < 1e-9, String(st.queueWait(10, 2)));
  // Answers with nothing waiting say nothing about the pace (the workers were not all busy).
  st.answered(10_000, false);
  st.answered(20_000, true);
  assert.ok(Math.abs(st.queueWait(10, 2) - 2000) < 1e-9);
});

test.run();
