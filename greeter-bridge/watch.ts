/**
 * `watch`: every complete snapshot as one JSON line on stdout, for scripts and greeters written in
 * languages where a JSON parser is at hand. Like any greeter it consumes the queue: run it instead
 * of a greeter, not next to one.
 */
import type { Writable } from 'node:stream';
import { NoSnapshotError } from './errors.ts';
import type { Snapshot } from './format.ts';
import { receiveSnapshots, type SnapshotReceiver } from './receive.ts';

export interface WatchOptions {
  queue: string;
  choiceQueue: string;
  /** Stop after the first snapshot. */
  once: boolean;
  /** With `once`: give up after this many ms (0 = wait forever). */
  timeoutMs: number;
  out?: Writable;
}

function snapshotJson(snap: Snapshot): string {
  return JSON.stringify({ epoch: snap.epoch, seq: snap.seq, time: snap.time, servers: snap.servers });
}

export function runWatch(opts: WatchOptions): Promise<number> {
  const out = opts.out ?? process.stdout;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let receiver: SnapshotReceiver | undefined;
    let done = false;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      process.off('SIGTERM', stop).off('SIGINT', stop);
      out.off('error', onOutError);
      receiver?.close(); // undefined when a waiting snapshot was read during the start: closed below
      if (err) reject(err);
      else resolve(0);
    };
    const stop = (): void => finish();
    // `watch | head -1`: a closed pipe is the reader saying it has enough, not a failure.
    const onOutError = (err: NodeJS.ErrnoException): void => finish(err.code === 'EPIPE' ? undefined : err);
    receiver = receiveSnapshots(opts.queue, opts.choiceQueue, (snap) => {
      if (done) return;
      out.write(`${snapshotJson(snap)}\n`);
      if (opts.once) finish();
    });
    if (done) return receiver.close();
    out.on('error', onOutError);
    process.once('SIGTERM', stop).once('SIGINT', stop);
    if (opts.once && opts.timeoutMs > 0) timer = setTimeout(() => finish(new NoSnapshotError(opts.queue, opts.timeoutMs)), opts.timeoutMs);
  });
}
