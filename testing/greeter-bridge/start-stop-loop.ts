/**
 * The bridge started and stopped COUNT times in this process, as fast as it goes: both queues made,
 * the choice queue listened to, the first snapshot published, a choice and a refresh received, a
 * reader's watch opened, closed and dropped, then stop() with the queues removed, and a full garbage
 * collection after every cycle (run with --expose-gc). The posix-mq addon crashed on exactly this
 * (a poll handle freed after its object was collected). Prints "cycles N" and exits 0.
 *   node --expose-gc --import tsx testing/greeter-bridge/start-stop-loop.ts COUNT PREFIX
 */
import { encodeChoice, encodeRefresh } from '../../greeter-bridge/choice.ts';
import { readKernelLimits } from '../../greeter-bridge/limits.ts';
import { MessageQueue } from '../../greeter-bridge/mq.ts';
import { Bridge, type PollResult } from '../../greeter-bridge/serve.ts';
import { sendMessage } from '../../greeter-bridge/transport.ts';
import { setLogSink } from '../../shared/log.ts';

const [count, prefix] = [Number(process.argv[2]), process.argv[3]!];
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || !(count > 0) || !prefix) throw new Error('usage: node --expose-gc ... start-stop-loop.ts COUNT PREFIX');
setLogSink(() => undefined); // 200 cycles of "queue created" lines are not the point
const limits = readKernelLimits();
const poll = async (): Promise<PollResult> => ({
  servers: [{ server: 'app1', status: 'Idle', recommended: true, rating: 90, loadPerCpu: 0.1, users: 1, rttMs: 0.5 }],
  reports: [],
});

for (let i = 0; i < count; i++) {
  let chosen: (server: string) => void = () => undefined;
  const choice = new Promise<string>((resolve) => (chosen = resolve));
  const bridge = new Bridge({
    snapshotQueue: { name: `${prefix}-${i}-s`, size: { maxMessages: 4, messageSize: 1024 }, mode: 0o600 },
    choiceQueue: { name: `${prefix}-${i}-c`, size: { maxMessages: 4, messageSize: 512 }, mode: 0o600 },
    limits,
    intervalMs: 60_000,
    poll,
    output: (server) => chosen(server),
    removeQueues: true,
  });
  bridge.start();
  await bridge.firstPublish;
  // A reader that watches the snapshot queue, closes it and drops it at once (the addon's SIGSEGV).
  const reader = MessageQueue.open(`${prefix}-${i}-s`);
  reader.onActivity(() => reader.drain());
  reader.close();
  sendMessage(`${prefix}-${i}-c`, encodeRefresh());
  sendMessage(`${prefix}-${i}-c`, encodeChoice('app1'));
  if ((await choice) !== 'app1') throw new Error(`cycle ${i}: wrong choice`);
  await bridge.stop();
  gc();
  await new Promise((r) => setImmediate(r)); // libuv's close callbacks run here
  gc();
}
console.log(`cycles ${count}`);
