/**
 * One side of the two-process stress test: for DURATION ms, over and over, open queue A, send,
 * receive, close; start a listener on queue B, send to it, let the event loop deliver, close it;
 * every 50 cycles create and remove a queue of its own. Another process does the same on the same
 * two queues, so each steals the other's messages and opens what the other is closing.
 * Prints "churning" once loaded, then at the end "cycles N messages M", and exits 0.
 *   node --expose-gc --import tsx testing/greeter-bridge/queue-churn.ts DURATION_MS QUEUE_A QUEUE_B TAG
 */
import { readKernelLimits } from '../../greeter-bridge/limits.ts';
import { MessageQueue, unlinkQueue } from '../../greeter-bridge/mq.ts';
import { listenQueue, sendMessage } from '../../greeter-bridge/transport.ts';

const [durationMs, queueA, queueB, tag] = [Number(process.argv[2]), process.argv[3]!, process.argv[4]!, process.argv[5]!];
const limits = readKernelLimits();
const end = Date.now() + durationMs;
const payload = Buffer.from(`churn ${tag} `.padEnd(200, 'x'));
let cycles = 0;
let messages = 0;
console.log('churning'); // the parent's clock for its samples starts here, after loading
while (Date.now() < end) {
  const a = MessageQueue.open(queueA);
  try {
    if (!a.send(payload)) messages += a.drain();
    const buf = Buffer.alloc(a.size.messageSize);
    if (a.receive(buf) !== undefined) messages++;
  } finally {
    a.close();
  }
  const listener = listenQueue(queueB, () => messages++);
  sendMessage(queueB, payload);
  await new Promise((r) => setImmediate(r)); // the poll callback runs in this turn or the next
  listener.close();
  if (cycles % 50 === 0) {
    const own = `${queueA}-${tag}-own`;
    MessageQueue.create(own, { maxMessages: 2, messageSize: 128 }, 0o600, limits).close();
    unlinkQueue(own);
  }
  cycles++;
  // With --expose-gc: a full collection now and then, so that RSS shows what is alive, not where
  // V8's heap sawtooth happens to be when the parent samples it.
  if (cycles % 1000 === 0) (globalThis as { gc?: () => void }).gc?.();
}
console.log(`cycles ${cycles} messages ${messages}`);
