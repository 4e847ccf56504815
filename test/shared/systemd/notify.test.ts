/**
 * sd_notify through libsystemd, against a real notify socket (a Unix datagram socket bound to a
 * path, as systemd makes it): every message arrives as systemd would read it. libsystemd reads the
 * process environment, so each test sets NOTIFY_SOCKET (and WATCHDOG_*) on this test process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { systemdNotifier } from '../../../shared/systemd/notify.ts';
import { notifySocket, type NotifySocket } from '../../../testing/systemd/notify-socket.ts';

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
const until = async (check: () => boolean, ms = 10_000): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
};

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
  await new Promise((r) => setTimeout(r, 100));
  assert.is(sock.messages.length, before);
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
  assert.ok(await until(() => count('WATCHDOG=1') >= before + 4), `keep-alives: ${count('WATCHDOG=1') - before}`);
  n.close();
  await new Promise((r) => setTimeout(r, 50)); // one in flight
  const after = count('WATCHDOG=1');
  await new Promise((r) => setTimeout(r, 400));
  assert.is(count('WATCHDOG=1'), after, 'nothing after close()');
});

test('keep-alives from regular work push the timer back: no extra wake-ups', async () => {
  process.env.WATCHDOG_USEC = '400000';
  const n = systemdNotifier();
  const before = count('WATCHDOG=1');
  for (let i = 0; i < 10; i++) {
    n.keepAlive();
    await new Promise((r) => setTimeout(r, 50));
  }
  n.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.is(count('WATCHDOG=1') - before, 10, 'only the ten explicit ones');
});

test('WATCHDOG_PID of another process: no watchdog for this one', () => {
  process.env.WATCHDOG_USEC = '200000';
  process.env.WATCHDOG_PID = String(process.pid + 1);
  assert.is(systemdNotifier().watchdogMs, undefined);
});

test.run();
