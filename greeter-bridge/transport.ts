/**
 * Moving messages over the queues the way the bridge needs: the writer publishes "latest snapshot
 * only", never blocks and never keeps the queue open (an unread message in an open queue makes the
 * addon spin); a reader keeps one descriptor and reads on events plus a short sweep (mq.ts has the
 * measured addon defects behind both choices).
 */
import { describeError } from '../shared/errors.ts';
import { logError } from '../shared/log.ts';
import { QueueIoError } from './errors.ts';
import type { QueueSize } from './limits.ts';
import { MessageQueue, withQueue } from './mq.ts';

export interface PublishResult {
  /** Older messages (unread snapshot parts) replaced by this snapshot. */
  replaced: number;
}

/**
 * Puts `parts` on the queue as its only content: whatever is still unread is an older snapshot the
 * greeter no longer needs, so it is drained first. The queue therefore never holds more than one
 * snapshot, and a greeter that never reads costs one snapshot of kernel memory, nothing more.
 */
export function publishLatest(name: string, parts: Buffer[]): PublishResult {
  return withQueue(name, (q) => {
    if (parts.length > q.size.maxMessages) {
      throw new QueueIoError(name, 'EMSGSIZE', `publishing ${parts.length} parts into a queue of ${q.size.maxMessages}`);
    }
    let replaced = q.drain();
    for (const part of parts) {
      if (q.send(part)) continue;
      // Another writer filled the queue between our drain and send: drain again, once.
      replaced += q.drain();
      if (!q.send(part)) throw new QueueIoError(name, 'EAGAIN', 'publishing (the queue stays full)');
    }
    return { replaced };
  });
}

/** One message onto an existing queue; false when it is full. */
export function sendMessage(name: string, message: Buffer): boolean {
  return withQueue(name, (q) => q.send(message));
}

export interface QueueListener {
  /** The queue's size, read when the listener started. */
  readonly size: QueueSize;
  close(): void;
}

export interface ListenOptions {
  /** The safety sweep (default 50 ms): bounds the addon's lost-event cases (mq.ts, point 2). */
  sweepMs?: number;
  /**
   * Open the queue again after this long without a message (default: never): a reader of a queue
   * that a restarted bridge had to recreate would otherwise wait on the old, unlinked one forever.
   */
  reopenAfterMs?: number;
  onError?: (err: unknown) => void;
}

const DEFAULT_SWEEP_MS = 50;

/**
 * Calls `onMessage` with a copy of every message on `name`, in order. One descriptor stays open
 * for the listener's life (opening costs the addon ~170 bytes of native memory that are never
 * freed, so a reader must not reopen on every sweep). The queue is read at once (it may already
 * hold a snapshot), on every event of the addon (reading on 'drain' too ends its lost-'messages'
 * loop), and on a short timer for the cases where no event comes at all.
 */
export function listenQueue(name: string, onMessage: (message: Buffer) => void, opts: ListenOptions = {}): QueueListener {
  const report = opts.onError ?? ((e: unknown) => logError(`queue ${name}: ${describeError(e)}`));
  let queue = MessageQueue.open(name);
  const size = queue.size;
  let buf = Buffer.alloc(size.messageSize);
  let closed = false;
  let lastMessageAt = Date.now();
  let lastError = '';
  const drain = (): void => {
    try {
      while (!closed) {
        const n = queue.receive(buf);
        if (n === undefined) break;
        lastMessageAt = Date.now();
        onMessage(Buffer.from(buf.subarray(0, n))); // may close the listener
      }
    } catch (err) {
      // This may run from the addon's native callback: an exception there would kill the process.
      report(err);
    }
  };
  const reopen = (): void => {
    try {
      const next = MessageQueue.open(name);
      queue.close();
      queue = next;
      if (queue.size.messageSize > buf.length) buf = Buffer.alloc(queue.size.messageSize);
      queue.onActivity(drain);
      lastError = '';
    } catch (err) {
      if (describeError(err) !== lastError) report(err); // once, not every sweep while the bridge restarts
      lastError = describeError(err);
    }
    lastMessageAt = Date.now();
  };
  drain();
  queue.onActivity(drain);
  drain();
  const timer = setInterval(() => {
    drain();
    if (opts.reopenAfterMs && Date.now() - lastMessageAt > opts.reopenAfterMs) reopen();
  }, opts.sweepMs ?? DEFAULT_SWEEP_MS);
  return {
    size,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      queue.close();
    },
  };
}
