/**
 * Publish-to-receive latency of one snapshot (30 servers, about 1.4 KB): the bridge's real publish
 * path (publishLatest: open, drain, send, close) into a POSIX queue read by a C greeter with a
 * blocking mq_receive, against the same bytes written to a Unix socket pair read by the same C
 * program. Interleaved blocks, same run; p50/p99 in microseconds. Target: queue p99 under 1 ms.
 * Usage: node --import tsx bench/greeter-bridge/latency.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile, watchdog } from './bundle.lib.ts';
import { compileReceiver, framed, payload, receiver as spawnReceiver, snapshot } from './receiver.lib.ts';
import type { Socket } from 'node:net';
import { ensureQueue } from '../../greeter-bridge/ensure.ts';
import { readKernelLimits } from '../../greeter-bridge/limits.ts';
import { unlinkQueue } from '../../greeter-bridge/mq.ts';
import { publishLatest } from '../../greeter-bridge/transport.ts';

const ROUNDS = 2000;
const BLOCK = 100;
const WARMUP = 100;
const stage = watchdog(90);
stage('compiling the receiver');
const dir = mkdtempSync(join(tmpdir(), 'gb-bench-'));
const receiverBin = compileReceiver(dir);

const limits = readKernelLimits();
const queue = `/gb-bench-${process.pid}`;
ensureQueue({ name: queue, size: { maxMessages: Math.min(10, limits.msgMax), messageSize: Math.min(8192, limits.msgsizeMax) }, mode: 0o600 }, limits);

const receiver = (args: string[], stdio: Array<'pipe' | 'ignore' | 'inherit'>) => spawnReceiver(receiverBin, args, stdio);
const mq = receiver(['mq', queue], ['ignore', 'pipe', 'inherit']);
// libuv makes 'pipe' stdio a Unix domain socket pair: fd 3 in the child is one end.
const sock = receiver(['fd'], ['ignore', 'pipe', 'inherit', 'pipe']);
const sockEnd = sock.child.stdio[3] as Socket;

const results = { queue: [] as number[], socket: [] as number[] };
async function round(kind: 'queue' | 'socket', keep: boolean): Promise<void> {
  const r = kind === 'queue' ? mq : sock;
  const got = r.next();
  if (kind === 'queue') publishLatest(queue, [framed()]);
  else sockEnd.write(framed());
  const ns = await got;
  if (keep) results[kind].push(ns / 1000);
}

stage('measuring');
const started = Date.now();
try {
  for (let i = 0; i < WARMUP; i++) {
    await round('queue', false);
    await round('socket', false);
  }
  for (let done = 0; done < ROUNDS && Date.now() - started < 45_000; done += BLOCK) {
    for (let i = 0; i < BLOCK; i++) await round('queue', true);
    for (let i = 0; i < BLOCK; i++) await round('socket', true);
  }
} finally {
  mq.child.kill();
  sock.child.kill();
  unlinkQueue(queue);
  rmSync(dir, { recursive: true, force: true });
}

const pct = percentile;
const row = (name: string, xs: number[]): string =>
  `${name.padEnd(44)} ${String(xs.length).padStart(6)} ${pct(xs, 50).toFixed(1).padStart(9)} ${pct(xs, 99).toFixed(1).padStart(9)} ${Math.max(...xs).toFixed(0).padStart(9)}`;
console.log(`snapshot of ${snapshot.servers.length} servers, ${payload.length} bytes; publish-to-receive in µs`);
console.log(`${'path'.padEnd(44)} ${'n'.padStart(6)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)}`);
console.log(row('POSIX queue (publishLatest -> mq_receive)', results.queue));
console.log(row('Unix socket pair (write -> read)', results.socket));
console.log(`ratio queue/socket: p50 ${(pct(results.queue, 50) / pct(results.socket, 50)).toFixed(2)}, p99 ${(pct(results.queue, 99) / pct(results.socket, 99)).toFixed(2)}`);
console.log(`target queue p99 < 1000 µs: ${pct(results.queue, 99) < 1000 ? 'met' : 'NOT met'}`);
process.exit(0);
