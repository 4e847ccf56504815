/**
 * sd_notify through libsystemd, against a real notify socket (a Unix datagram socket bound to a
 * path, as systemd makes it): every message arrives as systemd would read it. libsystemd reads the
 * process environment, so each test sets NOTIFY_SOCKET (and WATCHDOG_*) on this test process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { systemdNotifier } from '../../../shared/systemd/notify.ts';
import { notifySocket, type NotifySocket } from '../../../testing/systemd/notify-socket.ts';
import { eventually, GENEROUS_MS, sleep } from '../../../testing/helpers/wait.ts';

let sock: NotifySocket;
test.before(() => {
  sock = notifySocket();
});
test.before.each(() => {
  process.env.NOTIFY_SOCKET = sock.path;
});
test.after.each(() => {
  for (const k of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) delete process.env[k];
});
test.after(() => sock.close());

const count = (what: string): number => sock.messages.filter((m) => m === what).length;
let markers = 0;
/**
 * Sends a marker of its own and waits until the socket has read it: whatever was sent before it is
 * read by then (one receive queue, in order), so what a test counts next is all that was sent, however
 * late this process gets to read.
 */
async function drained(): Promise<void> {
  const saved = process.env.NOTIFY_SOCKET;
  process.env.NOTIFY_SOCKET = sock.path;
  const marker = `STATUS=marker ${++markers}`;
  systemdNotifier().status(marker.slice('STATUS='.length));
  if (saved === undefined) delete process.env.NOTIFY_SOCKET;
  await sock.waitFor(new RegExp(`^${marker}$`));
}

test('without NOTIFY_SOCKET every call is a no-op', async () => {
  delete process.env.NOTIFY_SOCKET;
  const n = systemdNotifier();
  assert.is(n.active, false);
  assert.is(n.watchdogMs, undefined);
  const before = sock.messages.length;
  n.ready('x');
  n.keepAlive();
  n.stopping('y');
  n.close();
  await drained();
  assert.equal(sock.messages.slice(before), [`STATUS=marker ${markers}`], 'only the marker');
});

test('READY=1, STATUS= and STOPPING=1 reach the socket; a status is one line', async () => {
  const n = systemdNotifier();
  assert.is(n.active, true);
  assert.is(n.watchdogMs, undefined);
  n.ready('serving 3 servers');
  n.status('line one\nline two');
  n.stopping('bye');
  assert.is(await sock.waitFor(/^READY=1/), 'READY=1\nSTATUS=serving 3 servers');
  assert.is(await sock.waitFor(/^STATUS=line/), 'STATUS=line one line two');
  assert.is(await sock.waitFor(/^STOPPING=1/), 'STOPPING=1\nSTATUS=bye');
  n.close();
});

test('WATCHDOG_USEC: the period is read, and keep-alives go on by themselves at half of it until close()', async () => {
  process.env.WATCHDOG_USEC = '200000';
  const n = systemdNotifier();
  assert.is(n.watchdogMs, 200);
  const before = count('WATCHDOG=1');
  n.keepAlive();
  await eventually(() => count('WATCHDOG=1') >= before + 4, GENEROUS_MS, `four keep-alives (${count('WATCHDOG=1') - before} so far)`);
  n.close();
  await drained();
  const after = count('WATCHDOG=1');
  // Four intervals of silence: a timer left running would send in each (a late one only sends later).
  await sleep(400);
  await drained();
  assert.is(count('WATCHDOG=1'), after, 'nothing after close()');
});

test('keep-alives from regular work push the timer back: no extra wake-ups', async () => {
  // A 1 s interval, explicit keep-alives every 200 ms for 2.6 s: a timer not pushed back would add
  // two. On a loaded machine a 200 ms sleep can last longer than the interval; only such a gap
  // may (and then should) let the timer send, so those are counted and allowed. (A timer starts
  // from libuv's cached loop time, which can be a little earlier than the call: hence 90 %.)
  process.env.WATCHDOG_USEC = '2000000';
  const n = systemdNotifier();
  const intervalMs = (n.watchdogMs! / 2) * 0.9;
  await drained();
  const before = count('WATCHDOG=1');
  let longGaps = 0;
  let last = performance.now();
  for (let i = 0; i < 14; i++) {
    n.keepAlive();
    const now = performance.now();
    if (i > 0) longGaps += Math.floor((now - last) / intervalMs);
    last = now;
    await sleep(200);
  }
  n.close();
  longGaps += Math.floor((performance.now() - last) / intervalMs);
  await drained();
  const extra = count('WATCHDOG=1') - before - 14;
  assert.ok(extra >= 0 && extra <= longGaps, `${extra} keep-alives beyond the 14 explicit ones, ${longGaps} intervals passed without one`);
});

test('WATCHDOG_PID of another process: no watchdog for this one', () => {
  process.env.WATCHDOG_USEC = '200000';
  process.env.WATCHDOG_PID = String(process.pid + 1);
  assert.is(systemdNotifier().watchdogMs, undefined);
});

test.run();
