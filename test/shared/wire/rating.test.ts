import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeRating, isSwapping, SWAPPING_RATING_CAP } from '../../../shared/wire/rating.ts';

const idle = { cpus: 8, loadavg1: 0, loadavg5: 0, memTotalKb: 1000, memAvailableKb: 1000, swapInPerSec: 0, swapOutPerSec: 0 };

test('an idle server rates 100, a saturated one 0', () => {
  assert.is(computeRating(idle), 100);
  assert.is(computeRating({ ...idle, loadavg1: 80, memAvailableKb: 0 }), 0);
});

test('load is per CPU: load 4 on 8 CPUs costs half of load 4 on 4 CPUs', () => {
  assert.is(computeRating({ ...idle, loadavg1: 4 }), 75);
  assert.is(computeRating({ ...idle, cpus: 4, loadavg1: 4 }), 50);
});

test('a storm shows at once: the larger of the 1- and 5-minute loads counts', () => {
  assert.is(computeRating({ ...idle, loadavg1: 8, loadavg5: 1 }), 50);
  assert.is(computeRating({ ...idle, loadavg1: 1, loadavg5: 8 }), 50);
});

test('a server swapping now is capped near the bottom even with free CPU', () => {
  const swapping = { ...idle, swapInPerSec: 100 };
  assert.ok(isSwapping(swapping));
  assert.is(computeRating(swapping), SWAPPING_RATING_CAP);
  assert.not.ok(isSwapping({ ...idle, swapOutPerSec: 1 }));
});

test.run();
