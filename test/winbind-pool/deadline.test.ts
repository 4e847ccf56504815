// The pool under more requests than its deadline allows (issue 17): what cannot be served in time is
// answered at once (ERR_BUSY) or from the queue (ERR_TIMEOUT), never by killing a worker at the
// deadline; and the deadline's log line names no user for an authentication.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setLogSink } from '../../shared/log.ts';
import { blockingPool, closeAll, outcome } from '../../testing/winbind-pool/harness.ts';

setLogSink(() => {});
test.after.each(closeAll);

test('a queued request without time left for a call is answered ERR_TIMEOUT from the queue; no worker is killed', async () => {
  const timeout = 2000;
  const pool = blockingPool({ minWorkers: 1, maxWorkers: 1, minSpare: 0, requestTimeoutMs: timeout, killGraceMs: 100 }, 500);
  await pool.start();
  const exits: unknown[] = [];
  pool.on('exit', (e) => exits.push(e));
  assert.is(await outcome(pool.submit({ op: 'ping' })), 'resolved'); // the pool learns what a call costs
  const started = performance.now();
  const answers = Array.from({ length: 8 }, () => {
    const sent = performance.now();
    return outcome(pool.submit({ op: 'ping' })).then((o) => ({ o, ms: performance.now() - sent }));
  });
  const results = await Promise.all(answers);
  const kinds = results.map((r) => r.o);
  assert.ok(kinds.filter((k) => k === 'resolved').length >= 2, kinds.join(' '));
  assert.ok(kinds.every((k) => k === 'resolved' || k === 'ERR_BUSY:overloaded' || k === 'ERR_TIMEOUT:queued'), kinds.join(' '));
  assert.ok(kinds.some((k) => k !== 'resolved'), kinds.join(' '));
  const s = pool.status();
  assert.is(s.counters.deadlineKills, 0, 'no worker was handed a request it could not finish');
  assert.is(exits.length, 0);
  // Every answer within the deadline (timers fire late on a loaded machine: a generous margin).
  for (const r of results) assert.ok(r.ms <= timeout + 500, `answered after ${Math.round(r.ms)} ms`);
  assert.ok(performance.now() - started < timeout + 1000);
});

test('a flood beyond what the deadline allows is answered ERR_BUSY at once, before any call finishes', async () => {
  const pool = blockingPool({ minWorkers: 2, maxWorkers: 2, minSpare: 0, requestTimeoutMs: 2000, maxQueue: 1000 }, 200);
  await pool.start();
  await Promise.all([pool.submit({ op: 'ping' }), pool.submit({ op: 'ping' })]);
  const flood = Array.from({ length: 100 }, () => outcome(pool.submit({ op: 'ping' })));
  // Synchronously after submitting: the hopeless ones are already refused, the rest queued.
  const s = pool.status();
  assert.ok(s.counters.rejectedOverload >= 60, `rejected at once: ${s.counters.rejectedOverload}`);
  assert.ok(s.queueLength <= 25, `queued: ${s.queueLength}`);
  const kinds = await Promise.all(flood);
  assert.is(pool.status().counters.deadlineKills, 0);
  assert.ok(kinds.filter((k) => k === 'resolved').length >= 10, kinds.join(' '));
});

test('a deadline log line names no user for auth, and quotes and escapes names for lookups', async () => {
  const lines: string[] = [];
  setLogSink((l) => lines.push(l));
  try {
    const pool = blockingPool({ minWorkers: 2, maxWorkers: 2, minSpare: 0, requestTimeoutMs: 800, killGraceMs: 100 }, 5000);
    await pool.start();
    const typedPassword = 'Hunter2-typed-into-the-user-field';
    const hostile = '\u202eevil"name\\';
    const both = await Promise.all([
      outcome(pool.submit({ op: 'auth', user: typedPassword, password: 'x' })),
      outcome(pool.submit({ op: 'getpwnam', name: hostile })),
    ]);
    assert.equal(both, ['ERR_TIMEOUT:deadline', 'ERR_TIMEOUT:deadline']);
    const log = lines.join('');
    assert.match(log, /exceeded the 800 ms deadline on auth: killing it/);
    assert.not.ok(log.includes(typedPassword), log);
    assert.ok(log.includes('on getpwnam "\\u202eevil\\"name\\\\": killing it'), log);
    assert.not.ok(log.includes('\u202e'), 'no raw control or bidi character reaches the log');
  } finally {
    setLogSink(() => {});
  }
});

test.run();
