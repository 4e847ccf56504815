/**
 * The C greeter side of the latency benchmarks (receiver.c), and the message it times: a snapshot
 * of 30 servers (about 1.3 KB) behind a "T <send-ns> <length>" line. Shared by latency.ts and
 * transport-compare.ts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { encodeSnapshot, type Snapshot } from '../../greeter-bridge/format.ts';
import { ROOT } from './bundle.lib.ts';

/** Compiles receiver.c into `dir`; returns the binary's path. */
export function compileReceiver(dir: string): string {
  const bin = join(dir, 'receiver');
  execFileSync('gcc', ['-O2', '-o', bin, join(ROOT, 'bench/greeter-bridge/receiver.c'), '-lrt']);
  return bin;
}

export const snapshot: Snapshot = {
  epoch: '0badcafe',
  seq: 1,
  time: Math.floor(Date.now() / 1000),
  servers: Array.from({ length: 30 }, (_, i) => ({
    server: `app${i}.school.example`, status: 'Idle' as const, recommended: i === 0, rating: 90, loadPerCpu: 0.25, users: 12, rttMs: 0.4,
  })),
};
export const payload = encodeSnapshot(snapshot, 8192, 10)[0]!;
/** The payload stamped with the time of sending (CLOCK_MONOTONIC, as receiver.c reads it). */
export const framed = (): Buffer => Buffer.concat([Buffer.from(`T ${process.hrtime.bigint()} ${payload.length}\n`), payload]);

/** One receiver process; `next()` resolves with the latency (ns) of the next message it reports. */
export function receiver(bin: string, args: string[], stdio: Array<'pipe' | 'ignore' | 'inherit'>): { child: ChildProcess; next(): Promise<number> } {
  const child = spawn(bin, args, { stdio });
  const waiting: Array<(ns: number) => void> = [];
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const ns = Number(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      waiting.shift()?.(ns);
    }
  });
  return { child, next: () => new Promise((resolve) => waiting.push(resolve)) };
}
