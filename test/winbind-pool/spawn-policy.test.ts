import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CrashGuard, SpawnRate, type Census } from '../../winbind-pool/spawn-policy.ts';

const settings = { minWorkers: 2, maxWorkers: 40, minSpare: 1, spawnRateCap: 8 };
const census = (c: Partial<Census>): Census => ({ live: 2, starting: 0, idle: 0, queued: 0, draining: false, probing: false, ...c });

test('a lasting shortage doubles the rate per tick up to the cap; a quiet tick resets it', () => {
  const r = new SpawnRate(settings);
  const spawned: number[] = [];
  let starting = 0;
  for (let tick = 0; tick < 6; tick++) {
    const n = r.take(census({ live: 2 + starting, starting, queued: 100 }));
    starting += n;
    spawned.push(n);
    r.tick();
  }
  assert.equal(spawned, [1, 2, 4, 8, 8, 8]);
  r.take(census({ idle: 1 })); // nothing wanted
  r.tick();
  assert.is(r.rate, 1);
});

test('the budget is shared by all spawns within a tick', () => {
  const r = new SpawnRate(settings);
  assert.is(r.take(census({ queued: 3 })), 1);
  assert.is(r.take(census({ queued: 3, starting: 1, live: 3 })), 0);
});

test('filling up to minWorkers is not rate-limited; maxWorkers caps everything', () => {
  const r = new SpawnRate({ ...settings, minWorkers: 5 });
  assert.is(r.take(census({ live: 0 })), 5);
  const capped = new SpawnRate({ ...settings, maxWorkers: 3, spawnRateCap: 32 });
  for (let i = 0; i < 5; i++) capped.tick();
  assert.is(capped.take(census({ live: 2, queued: 50 })), 1);
});

test('while probing after a start failure: one at a time, none while one is starting', () => {
  const r = new SpawnRate({ ...settings, minWorkers: 4 });
  assert.is(r.take(census({ live: 0, probing: true })), 1);
  assert.is(r.take(census({ live: 1, starting: 1, probing: true })), 0);
});

test('draining spawns only for waiting requests, not for spares or the minimum', () => {
  const r = new SpawnRate(settings);
  assert.is(r.take(census({ live: 0, draining: true })), 0);
  assert.is(r.take(census({ live: 0, draining: true, queued: 1 })), 1);
});

test('crash guard: exponential backoff up to the maximum, reset by a successful start', () => {
  const g = new CrashGuard({ backoffMinMs: 100, backoffMaxMs: 1000 });
  assert.equal([1, 2, 3, 4, 5, 6].map(() => g.failed('boom', 0)), [100, 200, 400, 800, 1000, 1000]);
  assert.is(g.backoffMs(500), 500);
  assert.is(g.lastError, 'boom');
  g.started();
  assert.is(g.failures, 0);
  assert.is(g.failed('again', 0), 100);
});

test.run();
