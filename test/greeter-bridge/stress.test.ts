/**
 * Two processes churning the same two queues for a bounded time (testing/greeter-bridge/queue-churn.ts:
 * open/send/receive/close, listen/close, create/remove), under the unit's Node flags: no signal, and
 * each one's resident memory and count of open descriptors stay flat from the warm-up to the end
 * (each forces a full GC every 1,000 cycles, so RSS shows what is alive).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureQueue } from '../../greeter-bridge/ensure.ts';
import { readKernelLimits } from '../../greeter-bridge/limits.ts';
import { cleanup, start, trackQueue, type Proc } from '../../testing/greeter-bridge/helpers.ts';
import { bridgeExecStart } from '../../testing/systemd/unit-file.ts';

const DURATION_MS = 10_000;
test.after(cleanup);

interface Sample {
  at: number;
  rssKb: number;
  fds: number;
}
function sample(pid: number, at: number): Sample | undefined {
  try {
    const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1]);
    return { at, rssKb, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined; // exited
  }
}

test('two processes churning the same queues: no signal, RSS and open descriptors flat', async () => {
  const limits = readKernelLimits();
  const base = `/gbt-${process.pid}-churn`;
  for (const name of [`${base}-a`, `${base}-b`]) ensureQueue({ name: trackQueue(name), size: { maxMessages: 4, messageSize: 256 }, mode: 0o600 }, limits);
  for (const tag of ['1', '2']) trackQueue(`${base}-a-${tag}-own`);
  const { nodeFlags } = bridgeExecStart();
  const procs: Proc[] = ['1', '2'].map((tag) =>
    start(process.execPath, [...nodeFlags, '--expose-gc', '--import', 'tsx', 'testing/greeter-bridge/queue-churn.ts', String(DURATION_MS), `${base}-a`, `${base}-b`, tag]));
  const samples = new Map<Proc, Sample[]>(procs.map((p) => [p, []]));
  // Times count from each process's own start of churning (its "churning" line), not from the
  // spawn: loading takes seconds on a loaded machine, and would otherwise fall in the windows below.
  const churningSince = new Map<Proc, number>();
  while (procs.some((p) => p.child.exitCode === null && p.child.signalCode === null)) {
    await new Promise((r) => setTimeout(r, 200));
    for (const p of procs) {
      if (!churningSince.has(p) && /^churning$/m.test(p.stdout())) churningSince.set(p, Date.now());
      const since = churningSince.get(p);
      const s = since === undefined ? undefined : sample(p.child.pid!, Date.now() - since);
      if (s) samples.get(p)!.push(s);
    }
  }
  for (const p of procs) {
    await p.exited;
    assert.is(p.child.signalCode, null, `killed by ${p.child.signalCode}:\n${p.stderr()}`);
    assert.is(p.child.exitCode, 0, p.stderr());
    const [, cycles] = /^cycles (\d+) messages \d+$/m.exec(p.stdout()) ?? [];
    assert.ok(Number(cycles) > 500, `only ${cycles} cycles: ${p.stdout()}`);
    // Warm-up is the first quarter (module loading, first GCs); compare its second quarter with the last.
    const s = samples.get(p)!;
    const window = (from: number, to: number): Sample[] => s.filter((x) => x.at >= from * DURATION_MS && x.at < to * DURATION_MS);
    const early = window(0.25, 0.5);
    const late = window(0.75, 0.98);
    assert.ok(early.length >= 3 && late.length >= 3, `too few samples: ${early.length}, ${late.length}`);
    const min = (xs: Sample[], k: 'rssKb' | 'fds'): number => Math.min(...xs.map((x) => x[k]));
    const growthKb = min(late, 'rssKb') - min(early, 'rssKb');
    console.log(`# churn ${cycles} cycles: RSS ${min(early, 'rssKb')} -> ${min(late, 'rssKb')} kB, descriptors ${min(early, 'fds')} -> ${min(late, 'fds')}`);
    assert.ok(growthKb < 3 * 1024, `RSS grew ${growthKb} kB over ${cycles} cycles`);
    // Flat, not equal: Node opens a descriptor or two lazily (a late libuv or signal handle); a leak
    // of even one per open/close cycle would add tens of thousands here.
    assert.ok(min(late, 'fds') <= min(early, 'fds') + 2, `descriptors ${min(early, 'fds')} -> ${min(late, 'fds')} over ${cycles} cycles`);
  }
});

test.run();
