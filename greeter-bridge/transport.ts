/**
 * Moving messages over the queues the way the bridge needs: the writer publishes "latest snapshot
 * only" and never blocks; a reader keeps one descriptor and reads when the kernel says the queue
 * holds a message (mq.ts), with no timer of its own.
 */
import { describeError } from '../shared/errors.ts';
import { logError } from '../shared/log.ts';
import { QueueIoError, QueueNotFoundError } from './errors.ts';
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
  /**
   * Reads whatever waits and makes sure the listener still reads the queue found under its name:
   * after the queue was removed (and maybe made again) it opens the name anew. Returns 'removed'
   * when the name has no queue now (the caller may create it and check again), else 'ok'.
   */
  check(): 'ok' | 'removed';
  close(): void;
}

export interface ListenOptions {
  /**
   * Also run check() this often (default: never). A greeter-side reader uses it to follow a bridge
   * that had to recreate its queue; the bridge calls check() on its own poll timer instead.
   */
  checkEveryMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Calls `onMessage` with a copy of every message on `name`, in order, from the event loop. One
 * descriptor stays open for the listener's life; the queue is read at once (it may already hold a
 * snapshot) and then whenever the kernel reports it readable. A read that fails (the queue removed
 * under us, a descriptor gone bad) pauses the watch so that it cannot spin; check() resumes it.
 */
export function listenQueue(name: string, onMessage: (message: Buffer) => void, opts: ListenOptions = {}): QueueListener {
  const report = opts.onError ?? ((e: unknown) => logError(`queue ${name}: ${describeError(e)}`));
  let queue = MessageQueue.open(name);
  const size = queue.size;
  let buf = Buffer.alloc(size.messageSize);
  let closed = false;
  let lastError = '';
  const drain = (): void => {
    try {
      while (!closed) {
        const n = queue.receive(buf);
        if (n === undefined) break;
        onMessage(Buffer.from(buf.subarray(0, n))); // may close the listener
      }
    } catch (err) {
      // Called from the poll callback: an exception there would end the process.
      queue.pauseActivity();
      if (describeError(err) !== lastError) report(err); // once, not on every check while it lasts
      lastError = describeError(err);
    }
  };
  const watch = (q: MessageQueue): void => {
    q.onActivity(drain);
    drain();
  };
  const check = (): 'ok' | 'removed' => {
    if (closed) return 'ok';
    try {
      if (queue.removed()) {
        const next = MessageQueue.open(name); // QueueNotFoundError: nothing under the name yet
        queue.close();
        queue = next;
        if (queue.size.messageSize > buf.length) buf = Buffer.alloc(queue.size.messageSize);
        watch(queue);
      } else {
        queue.resumeActivity();
        drain();
      }
      lastError = '';
      return 'ok';
    } catch (err) {
      if (err instanceof QueueNotFoundError) return 'removed';
      if (describeError(err) !== lastError) report(err);
      lastError = describeError(err);
      return 'ok';
    }
  };
  watch(queue);
  const timer = opts.checkEveryMs ? setInterval(check, opts.checkEveryMs) : undefined;
  timer?.unref();
  return {
    size,
    check,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      queue.close();
    },
  };
}
