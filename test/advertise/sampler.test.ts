import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sampler, UNREAD } from '../../advertise/sampler.ts';
import { startSwapDriver } from '../../testing/fixtures/proc/swap-driver.ts';
import { FIXTURES, sleep, tempDir } from '../../testing/advertise/helpers.ts';
import { writeUtmp } from '../../testing/advertise/utmp-fixture.ts';
import { GENEROUS_MS, eventually } from '../../testing/helpers/wait.ts';

function sampler(procfs: string, utmpPath: string, now?: () => number) {
  const errors: string[] = [];
  const recovered: string[] = [];
  const s = new Sampler({
    procfs,
    utmpPath,
    onError: (source, err, repeated) => errors.push(`${source}:${(err as { code: string }).code}:${repeated}`),
    onRecovered: (source) => recovered.push(source),
    now,
  });
  return { s, errors, recovered };
}

test('one sample of a fixture and a utmp file', async () => {
  const dir = tempDir();
  writeUtmp(join(dir, 'utmp'), [{ user: 'alice' }, { user: 'bob' }]);
  const { s, errors } = sampler(join(FIXTURES, 'busy'), join(dir, 'utmp'));
  await s.sample();
  assert.equal(errors, []);
  assert.is(s.measurements.procsRunning, 9);
  assert.is(s.measurements.sessions, 2);
  assert.is(s.measurements.loginsLast60s, 2);
});

test('a file that breaks keeps its last good values, reported once then as repeats, then recovery', async () => {
  const dir = tempDir();
  cpSync(join(FIXTURES, 'idle'), dir, { recursive: true });
  const { s, errors, recovered } = sampler(dir, join(dir, 'no-utmp'));
  await s.sample();
  assert.equal(errors, ['utmp:ENOENT:false']);
  const before = s.measurements.memTotalKb;
  writeFileSync(join(dir, 'meminfo'), 'garbage\n');
  rmSync(join(dir, 'loadavg'));
  await s.sample();
  await s.sample();
  assert.is(s.measurements.memTotalKb, before);
  assert.is(s.measurements.loadavg1, 0.05);
  assert.ok(errors.includes('meminfo:ERR_SOURCE_MALFORMED:false'));
  assert.ok(errors.includes('meminfo:ERR_SOURCE_MALFORMED:true'));
  assert.ok(errors.includes('loadavg:ENOENT:true'));
  cpSync(join(FIXTURES, 'idle', 'meminfo'), join(dir, 'meminfo'));
  await s.sample();
  assert.equal(recovered, ['meminfo']);
});

test('a source never read makes the server look full, not idle', async () => {
  const dir = tempDir();
  const { s } = sampler(dir, join(dir, 'utmp'));
  await s.sample();
  assert.equal(s.measurements, { ...UNREAD });
});

test('utmp that disappears counts as no sessions (not the last count)', async () => {
  const dir = tempDir();
  writeUtmp(join(dir, 'utmp'), [{ user: 'alice' }]);
  const { s } = sampler(join(FIXTURES, 'idle'), join(dir, 'utmp'));
  await s.sample();
  assert.is(s.measurements.sessions, 1);
  rmSync(join(dir, 'utmp'));
  await s.sample();
  assert.is(s.measurements.sessions, 0);
});

test('the swap driver makes the swapping fixture report swapping; static fixtures never do', async () => {
  // A rate over a time window (waiting for time is the point): 2 s against a driver ticking every
  // 50 ms, so a tick or a read a loaded machine makes a few hundred ms late moves the rate by a
  // fraction of the 200..700 band, where over 600 ms it could leave it.
  const swap = await startSwapDriver({ pagesPerSec: 400, tickMs: 50 });
  try {
    const { s } = sampler(swap.dir, join(swap.dir, 'utmp'));
    await s.sample();
    await sleep(2000);
    await s.sample();
    assert.ok(s.measurements.swapInPerSec > 200 && s.measurements.swapInPerSec < 700, `in ${s.measurements.swapInPerSec}`);
    assert.ok(s.measurements.swapOutPerSec > 200, `out ${s.measurements.swapOutPerSec}`);
  } finally {
    await swap.stop();
  }
  const { s } = sampler(join(FIXTURES, 'swapping'), '/nonexistent');
  await s.sample();
  await s.sample();
  assert.is(s.measurements.swapInPerSec, 0);
});

test('start() samples on the interval and stop() ends it', async () => {
  const { s } = sampler(join(FIXTURES, 'idle'), '/nonexistent');
  let n = 0;
  s.start(() => 50, () => n++);
  await eventually(() => n >= 3, GENEROUS_MS, 'three samples');
  s.stop();
  const seen = n;
  // Silence after stop(): three intervals and more (on a slow machine this can only miss a late sample).
  await sleep(150);
  assert.is(n, seen);
});

test.run();
