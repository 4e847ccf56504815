// The pool's scheduling with the blocking backend: real worker processes whose calls block for a
// set time, so every decision (dispatch, spawn, reap, recycle) can be observed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setLogSink } from '../../shared/log.ts';
import { blockingPool, busyPids, closeAll, isAlive, outcome } from '../../testing/winbind-pool/harness.ts';
import { eventually, GENEROUS_MS } from '../../testing/helpers/wait.ts';

setLogSink(() => {}); // warnings about killed workers are expected here
test.after.each(closeAll);

test('minWorkers are started up front and idle', async () => {
  const pool = blockingPool({ minWorkers: 3, maxWorkers: 5, minSpare: 0 });
  await pool.start();
  const s = pool.status();
  assert.is(s.total, 3);
  assert.is(s.idle, 3);
  assert.ok(s.workers.every((w) => isAlive(w.pid)));
});

test('requests go to idle workers in parallel, one in flight per worker', async () => {
  const pool = blockingPool({ minWorkers: 4, maxWorkers: 4, minSpare: 0 }, 200);
  await pool.start();
  const all = Promise.all([1, 2, 3, 4].map((i) => pool.submit({ op: 'getpwuid', uid: i })));
  assert.is(pool.status().busy, 4);
  assert.is(pool.status().queueLength, 0);
  const results = (await all) as { uid: number }[];
  assert.equal(results.map((r) => r.uid), [1, 2, 3, 4]);
  const s = pool.status();
  assert.is(s.counters.maxActive, 4);
  assert.equal(s.workers.map((w) => w.requests), [1, 1, 1, 1]);
});

test('spawning doubles per tick (1, 2, 4, 8) while the shortage lasts', async () => {
  const pool = blockingPool({ minWorkers: 1, maxWorkers: 16, minSpare: 1, tickMs: 250 }, 8000);
  await pool.start();
  const perTick: number[] = [0];
  pool.on('spawn', () => perTick[perTick.length - 1]!++);
  pool.on('tick', () => perTick.push(0));
  const requests = Array.from({ length: 15 }, (_, i) => pool.submit({ op: 'getpwuid', uid: i }).catch(() => {}));
  await eventually(() => pool.status().total === 16, GENEROUS_MS, '16 workers');
  assert.equal(perTick.filter((n) => n > 0), [1, 2, 4, 8]);
  assert.is(pool.status().spawnRate, 8);
  await pool.close();
  await Promise.all(requests);
});

test('a full queue answers ERR_BUSY at once; queued requests are served in order', async () => {
  const pool = blockingPool({ minWorkers: 1, maxWorkers: 1, minSpare: 0, maxQueue: 2 }, 300);
  await pool.start();
  const order: number[] = [];
  const served = [1, 2, 3].map((i) => pool.submit({ op: 'getpwuid', uid: i }).then(() => order.push(i)));
  const rejected = await outcome(pool.submit({ op: 'getpwuid', uid: 4 }));
  // Answered while the first request still runs.
  assert.is(rejected, 'ERR_BUSY');
  assert.is(pool.status().busy, 1);
  assert.is(pool.status().queueLength, 2);
  await Promise.all(served);
  assert.equal(order, [1, 2, 3]);
  assert.is(pool.status().counters.rejectedBusy, 1);
});

test('deadline: the caller gets ERR_TIMEOUT, the stuck worker (deaf to SIGTERM while blocked) is SIGKILLed and replaced', async () => {
  const pool = blockingPool({ minWorkers: 1, maxWorkers: 2, minSpare: 0, requestTimeoutMs: 1500, killGraceMs: 300 });
  await pool.start();
  const exits: { pid: number; signal: string | null; state: string }[] = [];
  pool.on('exit', (e) => exits.push(e));
  const stuck = pool.status().workers[0]!.pid;
  assert.is(await outcome(pool.submit({ op: 'getpwnam', name: 'block-20000' })), 'ERR_TIMEOUT:deadline');
  // Marked for termination: it must not get the next request.
  const next = outcome(pool.submit({ op: 'ping' }));
  await eventually(() => exits.length > 0, GENEROUS_MS, 'the stuck worker to exit');
  assert.equal(exits[0], { pid: stuck, code: null, signal: 'SIGKILL', state: 'killing' } as never);
  assert.is(await next, 'resolved');
  const s = pool.status();
  assert.ok(s.workers.every((w) => w.pid !== stuck));
  assert.is(s.counters.timeouts, 1);
});

test('overload is logged once per interval with a count, not once per request', async () => {
  const lines: string[] = [];
  setLogSink((l) => lines.push(l));
  try {
    const pool = blockingPool({ minWorkers: 1, maxWorkers: 1, minSpare: 0, maxQueue: 0, overloadLogIntervalMs: 400, tickMs: 50 }, 100);
    await pool.start();
    const results: Promise<string>[] = [];
    const started = Date.now();
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 5; i++) results.push(outcome(pool.submit({ op: 'ping' })));
      await new Promise((r) => setTimeout(r, 100)); // pacing the load over several intervals
    }
    await Promise.all(results);
    const busy = pool.status().counters.rejectedBusy;
    const logged = (): string[] => lines.filter((l) => l.includes('queue full'));
    const counted = (): number => logged().reduce((sum, l) => sum + Number(/: (\d+) in the last/.exec(l)![1]), 0);
    // The last interval is flushed by a tick: wait for it rather than for a fixed time.
    await eventually(() => counted() >= busy, GENEROUS_MS, 'every rejection logged');
    const elapsed = Date.now() - started;
    assert.ok(busy >= 40, `rejected ${busy}`);
    assert.is(counted(), busy);
    // At most once per 400 ms interval, however long a loaded machine took: bounded by the time
    // taken, never by the 50+ requests. One clock (the log's own, which the tick only consults), so
    // never two lines in one interval.
    const most = Math.ceil(elapsed / 400) + 1;
    assert.ok(logged().length >= 2 && logged().length <= most, `${logged().length} lines for ${busy} rejections in ${elapsed} ms`);
  } finally {
    setLogSink(() => {});
  }
});

test('a request whose deadline passes while it waits in the queue is answered ERR_TIMEOUT too', async () => {
  const pool = blockingPool({ minWorkers: 1, maxWorkers: 1, minSpare: 0, requestTimeoutMs: 300, killGraceMs: 100 });
  await pool.start();
  let exits = 0;
  pool.on('exit', () => exits++);
  const first = outcome(pool.submit({ op: 'getpwnam', name: 'block-5000' }));
  const second = outcome(pool.submit({ op: 'getpwnam', name: 'block-10' }));
  assert.is(pool.status().queueLength, 1);
  assert.is(await first, 'ERR_TIMEOUT:deadline');
  assert.is(await second, 'ERR_TIMEOUT:queued');
  await eventually(() => exits === 1, GENEROUS_MS, 'the stuck worker to go');
  assert.is(pool.status().counters.timeouts, 2);
});

test('kill -9 mid-request: authentication fails and is not retried', async () => {
  const pool = blockingPool({ minWorkers: 2, maxWorkers: 2, minSpare: 0 });
  await pool.start();
  const auth = pool.submit({ op: 'auth', user: 'block-2000', password: 'secret' });
  const [pid] = busyPids(pool);
  process.kill(pid!, 'SIGKILL');
  assert.is(await outcome(auth), 'ERR_WORKER_DIED:not_retried');
  assert.is(pool.status().counters.retries, 0);
  assert.is(pool.status().counters.workerDeaths, 1);
  await eventually(() => pool.status().idle === 2, GENEROUS_MS, 'a replacement');
});

test('kill -9 mid-request: a lookup is retried once on another worker, and only once', async () => {
  const pool = blockingPool({ minWorkers: 2, maxWorkers: 3, minSpare: 0 });
  await pool.start();
  const lookup = pool.submit({ op: 'getpwnam', name: 'block-800' });
  const [first] = busyPids(pool);
  process.kill(first!, 'SIGKILL');
  await eventually(() => busyPids(pool).length === 1 && busyPids(pool)[0] !== first, GENEROUS_MS, 'the retry to run');
  assert.equal(await lookup, { name: 'block-800', uid: 10000, gid: 10000, gecos: '', dir: '/home/block-800', shell: '/bin/sh' });
  assert.is(pool.status().counters.retries, 1);

  const twice = pool.submit({ op: 'getgrnam', name: 'block-3000' });
  const [a] = busyPids(pool);
  process.kill(a!, 'SIGKILL');
  await eventually(() => busyPids(pool).length === 1 && busyPids(pool)[0] !== a, GENEROUS_MS, 'the retry to run');
  process.kill(busyPids(pool)[0]!, 'SIGKILL');
  assert.is(await outcome(twice), 'ERR_WORKER_DIED:retried');
});

test('a worker is recycled after maxRequests and replaced', async () => {
  const pool = blockingPool({ minWorkers: 1, maxWorkers: 1, minSpare: 0, maxRequests: 3 }, 0);
  await pool.start();
  const first = pool.status().workers[0]!.pid;
  for (let i = 0; i < 3; i++) await pool.submit({ op: 'ping' });
  await eventually(() => pool.status().idle === 1 && pool.status().workers[0]!.pid !== first, GENEROUS_MS, 'the replacement');
  assert.not.ok(isAlive(first));
  await pool.submit({ op: 'ping' });
  assert.is(pool.status().counters.recycled, 1);
  assert.is(pool.status().counters.workerDeaths, 0);
});

test('reaping: after the load, one surplus spare per tick, oldest first, never a busy one, down to the minimum', async () => {
  const pool = blockingPool({ minWorkers: 2, maxWorkers: 6, minSpare: 1, idleTimeoutMs: 300, tickMs: 100 }, 500);
  await pool.start();
  const burst = Array.from({ length: 6 }, (_, i) => pool.submit({ op: 'getpwuid', uid: i }));
  await eventually(() => pool.status().total === 6, GENEROUS_MS, 'growth to 6');
  await Promise.all(burst);
  const startedAt = new Map(pool.status().workers.map((w) => [w.pid, w.startedAt]));
  const reaps: { pid: number; at: number }[] = [];
  pool.on('reap', (pid: number) => reaps.push({ pid, at: Date.now() }));
  // A long request during the reaping: its worker must survive.
  let longDoneAt = Infinity;
  const long = outcome(pool.submit({ op: 'getpwnam', name: 'block-2500' })).finally(() => (longDoneAt = Date.now()));
  const busy = busyPids(pool)[0]!;
  await eventually(() => pool.status().total === 2, 30_000, 'reaping down to the minimum');
  // Not while it was busy: on a loaded machine the 2.5 s request may end before the reaping does,
  // and an idle worker may then be reaped like any other.
  assert.ok(!reaps.some((r) => r.pid === busy && r.at < longDoneAt), 'the busy worker was not reaped');
  for (let i = 1; i < reaps.length; i++) assert.ok(reaps[i]!.at - reaps[i - 1]!.at >= 80, 'one reap per tick');
  // Oldest first among the idle ones: the long request's worker joins them only when it is done, so
  // it may be reaped after younger ones (seen on a loaded machine); the others go oldest first.
  const others = reaps.filter((r) => r.pid !== busy);
  for (let i = 1; i < others.length; i++) {
    assert.ok(startedAt.get(others[i - 1]!.pid)! <= startedAt.get(others[i]!.pid)!, `oldest first: ${JSON.stringify(reaps.map((r) => startedAt.get(r.pid)))}`);
  }
  assert.is(await long, 'resolved');
  assert.is(pool.status().counters.reaped, 4);
});

test('crash loop: workers that die at start are retried with backoff, one at a time, requests fail fast as unavailable', async () => {
  const pool = blockingPool(
    { minWorkers: 2, maxWorkers: 4, backoffMinMs: 100, backoffMaxMs: 400, tickMs: 50 },
    0,
    { kind: 'winbind', library: '/nonexistent/libwbclient.so.0' },
  );
  let concurrentStarts = 0;
  pool.on('spawn', () => {
    // After the first failure the pool probes with one worker at a time.
    if (pool.status().counters.startFailures > 0) concurrentStarts = Math.max(concurrentStarts, pool.status().starting);
  });
  await pool.start();
  await eventually(() => pool.status().counters.startFailures >= 3, GENEROUS_MS, 'a few start failures');
  const t0 = Date.now();
  assert.is(await outcome(pool.submit({ op: 'ping' })), 'ERR_UNAVAILABLE:no_worker');
  // At once: no waiting for a worker that will not come (1 s leaves room for a loaded machine).
  assert.ok(Date.now() - t0 < 1000, 'answered at once');
  const before = pool.status().counters.spawned;
  const t1 = Date.now();
  await eventually(() => pool.status().counters.spawned - before >= 3, 30_000, 'three more start attempts');
  const ms = Date.now() - t1;
  // Backoff 100, 200, 400, 400 ... plus a start-up each: three attempts take at least two backoffs
  // at the 400 ms ceiling; a busy loop would take a few ms. A slow machine only makes it longer.
  assert.ok(ms >= 700, `three start attempts in ${ms} ms`);
  assert.is(concurrentStarts, 1);
  assert.match(pool.status().lastStartError, /exited with code 1 before it was ready/);
});

test('drain: queued and running requests finish, new ones are refused, every worker exits', async () => {
  const pool = blockingPool({ minWorkers: 2, maxWorkers: 2, minSpare: 0 }, 200);
  await pool.start();
  const pids = pool.status().workers.map((w) => w.pid);
  const inflight = [1, 2, 3].map((i) => outcome(pool.submit({ op: 'getpwuid', uid: i })));
  const drained = pool.drain();
  assert.is(await outcome(pool.submit({ op: 'ping' })), 'ERR_SHUTTING_DOWN');
  assert.equal(await Promise.all(inflight), ['resolved', 'resolved', 'resolved']);
  await drained;
  assert.is(pool.status().total, 0);
  assert.ok(pids.every((p) => !isAlive(p)));
});

test('a worker that dies while idle is replaced to keep minWorkers', async () => {
  const pool = blockingPool({ minWorkers: 2, maxWorkers: 2, minSpare: 0 });
  await pool.start();
  const victim = pool.status().workers[0]!.pid;
  process.kill(victim, 'SIGKILL');
  await eventually(() => pool.status().idle === 2 && !pool.status().workers.some((w) => w.pid === victim), GENEROUS_MS, 'the replacement');
  assert.is(pool.status().counters.workerDeaths, 1);
});

test.run();
