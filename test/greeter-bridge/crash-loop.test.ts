/**
 * No native crash, ever (the posix-mq addon died in 1 to 5 of 25 starts): the bridge started,
 * publishing and stopped 200 times in one process under the unit's Node flags with a forced full
 * GC after every cycle, then 25 real bridge processes (the bundle) started and stopped the way
 * systemd does it (READY=1, then SIGTERM). Zero signals, zero queues left behind.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QueueNotFoundError } from '../../greeter-bridge/errors.ts';
import { MessageQueue } from '../../greeter-bridge/mq.ts';
import { IDLE, startFleetServer, stopFleet } from '../../testing/greeter-bridge/fleet.ts';
import { bundledBridge, cleanup, start, trackQueue, uniqueQueues } from '../../testing/greeter-bridge/helpers.ts';
import { eventually, GENEROUS_MS } from '../../testing/helpers/wait.ts';
import { notifySocket } from '../../testing/systemd/notify-socket.ts';
import { bridgeExecStart } from '../../testing/systemd/unit-file.ts';

const { nodeFlags } = bridgeExecStart();
test.after(async () => {
  await stopFleet();
  await cleanup();
});

function assertGone(name: string): void {
  try {
    MessageQueue.open(name).close();
  } catch (err) {
    if (err instanceof QueueNotFoundError) return;
    throw err;
  }
  assert.unreachable(`queue ${name} was left behind`);
}

test('200 start/publish/stop cycles in one process, a full GC after each: no signal, no queue left', async () => {
  const prefix = `/gbt-${process.pid}-loop`;
  const names = Array.from({ length: 200 }, (_, i) => [`${prefix}-${i}-s`, `${prefix}-${i}-c`]).flat();
  for (const n of names) trackQueue(n);
  const p = start(process.execPath, [...nodeFlags, '--expose-gc', '--import', 'tsx', 'testing/greeter-bridge/start-stop-loop.ts', '200', prefix]);
  const code = await p.exited;
  assert.is(p.child.signalCode, null, `killed by ${p.child.signalCode}:\n${p.stderr()}`);
  assert.is(code, 0, p.stderr());
  assert.is(p.stdout(), 'cycles 200\n');
  assert.not.match(p.stderr(), /free\(\)|corruption|Assertion|Segmentation/);
  for (const n of names) assertGone(n);
});

test('25 bridge processes (bundle, unit flags) started to READY=1 and stopped with SIGTERM: all exit 0', async () => {
  const bridge = await bundledBridge();
  const server = await startFleetServer('127.0.0.2', IDLE);
  const sock = notifySocket();
  try {
    for (let i = 0; i < 25; i++) {
      const q = uniqueQueues('proc');
      const readyBefore = sock.messages.filter((m) => m.startsWith('READY=1')).length;
      const p = start(process.execPath, [...nodeFlags, bridge.script, 'serve', '--queue', q.queue, '--choice-queue', q.choiceQueue,
        '--servers', server.name, '--interval', '30', '--no-cache', '--remove-queues', '--msgsize', '1024'],
      { env: { ...bridge.env, NOTIFY_SOCKET: sock.path, LDM_BALANCE_TIMEOUT_MS: '1500' } });
      await eventually(() => sock.messages.filter((m) => m.startsWith('READY=1')).length > readyBefore || p.child.exitCode !== null || p.child.signalCode !== null,
        GENEROUS_MS, `start ${i + 1}: READY=1 or an exit`);
      const code = await p.stop('SIGTERM');
      assert.is(p.child.signalCode, null, `start ${i + 1}: killed by ${p.child.signalCode}:\n${p.stderr()}`);
      assert.is(code, 0, `start ${i + 1}: ${p.stderr()}`);
      assert.ok(sock.messages.filter((m) => m.startsWith('READY=1')).length > readyBefore, `start ${i + 1}: no READY=1`);
      assertGone(q.queue);
      assertGone(q.choiceQueue);
    }
  } finally {
    sock.close();
  }
});

test.run();
