/**
 * The two server daemons report readiness the way their Type=notify units expect, to a real notify
 * socket: READY=1 once they answer, STOPPING=1 when SIGTERM starts the drain. (The bridge's own
 * readiness, watchdog included, is in test/greeter-bridge/unit.test.ts.)
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDaemon as startAdvertise, stopAll } from '../../testing/advertise/helpers.ts';
import { startDaemon as startPool } from '../../testing/winbind-pool/harness.ts';
import { notifySocket, type NotifySocket } from '../../testing/systemd/notify-socket.ts';

let sock: NotifySocket;
const dir = mkdtempSync(join(tmpdir(), 'readiness-'));
test.before(() => {
  sock = notifySocket();
});
test.after(async () => {
  await stopAll();
  sock.close();
  rmSync(dir, { recursive: true, force: true });
});

test('advertise: READY=1 with what it answers on, STOPPING=1 on SIGTERM, exit 0', async () => {
  const d = await startAdvertise({ env: { NOTIFY_SOCKET: sock.path } });
  assert.match(await sock.waitFor(/^READY=1/), new RegExp(`^READY=1\\nSTATUS=answering on tcp 127\\.0\\.0\\.1:${d.port}`));
  assert.is(await d.stop('SIGTERM'), 0);
  assert.match(await sock.waitFor(/^STOPPING=1/), /SIGTERM: finishing \d+ open TCP connection/);
});

test('winbind pool: READY=1 once the workers are up, STOPPING=1 when draining, exit 0', async () => {
  const before = sock.messages.length;
  const d = await startPool(['--socket', join(dir, 'pool.sock'), '--backend', 'blocking', '--block-ms', '1', '--min-workers', '1', '--max-workers', '1', '--min-spare', '0'],
    { env: { ...process.env, NOTIFY_SOCKET: sock.path } });
  const ready = await sock.waitFor(/^READY=1\nSTATUS=serving with the \w+ backend, 1 worker/);
  assert.ok(sock.messages.indexOf(ready) >= before);
  const r = await d.stop();
  assert.equal(r, { code: 0, signal: null });
  await sock.waitFor(/^STOPPING=1\nSTATUS=SIGTERM: draining$/);
});

test.run();
