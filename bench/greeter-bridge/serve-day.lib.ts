/**
 * A day of the `serve` daemon (2,880 polls of 30 s), simulated quickly: the bundled bridge polls a
 * loopback fleet every 10 ms, publishes every snapshot (nobody reads, so each replaces the last) and
 * writes the get_hosts cache each time. Resident memory is sampled from /proc as the polls go.
 * Shared by serve-rss.ts and transport-compare.ts.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBridgeStatus } from '../../greeter-bridge/lock.ts';
import { unlinkQueue } from '../../greeter-bridge/mq.ts';

export const DAY_OF_POLLS = 2880;

/** The V8 flags the systemd unit starts the daemon with (its ExecStart line), so the figure is the shipped one. */
export function unitNodeFlags(): string[] {
  const unit = readFileSync(new URL('../../greeter-bridge/systemd/ltsp-greeter-bridge.service', import.meta.url), 'utf8');
  return /^ExecStart=\S*node((?: --[\w-]+(?:=\S+)?)*) /m.exec(unit)?.[1]?.trim().split(' ') ?? [];
}

export interface DaySample {
  polls: number;
  rss: number;
  heap: number;
  seconds: number;
}

export interface DayRun {
  samples: DaySample[];
  /** Lines serve logged at <3>. */
  errors: string[];
  /** The signal that killed serve before the day was over (the posix-mq addon's crashes). */
  signal?: string;
}

/**
 * Runs `bundleDir`/ltsp-greeter-bridge.js serve (native modules found through `nodePath`) until it
 * has polled a day or `limitMs` passed, then stops it with SIGTERM.
 */
export async function simulateDay(opts: { bundleDir: string; nodePath: string; nodeFlags: string[]; servers: string; limitMs: number; tag: string }): Promise<DayRun> {
  const queue = `/gb-bench-day-${process.pid}-${opts.tag}`;
  const child = spawn(
    process.execPath,
    [...opts.nodeFlags, join(opts.bundleDir, 'ltsp-greeter-bridge.js'), 'serve', '--queue', queue, '--choice-queue', `${queue}-choice`,
      '--servers', opts.servers, '--interval', '0.01', '--cache', join(opts.bundleDir, `survey-${opts.tag}.json`), '--remove-queues',
      // Small messages (3 servers fit easily): root's RLIMIT_MSGQUEUE is shared with everything else here.
      '--msgsize', '2048'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_PATH: opts.nodePath } },
  );
  // Also on a watchdog's exit: a daemon polling every 10 ms must not outlive the bench.
  const kill = (): void => {
    child.kill('SIGKILL');
    for (const name of [queue, `${queue}-choice`]) unlinkQueue(name);
  };
  process.on('exit', kill);
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  const closed = new Promise((r) => child.once('close', r));
  let signal: string | undefined;
  const rssMb = (): number => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'latin1'))?.[1]) / 1024;
  const samples: DaySample[] = [];
  const started = Date.now();
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      if (child.signalCode !== null) {
        signal = child.signalCode;
        break;
      }
      if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}:\n${log}`);
      const overtime = Date.now() - started > opts.limitMs;
      if (overtime && samples.length === 0) throw new Error(`serve never answered status:\n${log}`);
      const status = await readBridgeStatus(queue).catch(() => undefined);
      if (!status) {
        if (overtime) break;
        continue;
      }
      const polls = Number(status.polls);
      let rss: number;
      try {
        rss = rssMb();
      } catch {
        continue; // ended since it answered: the next turn sees how
      }
      samples.push({ polls, rss, heap: Number(status.heapUsedBytes) / 1048576, seconds: (Date.now() - started) / 1000 });
      if (polls >= DAY_OF_POLLS || overtime) break;
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await closed;
      clearTimeout(killer);
    }
    process.off('exit', kill);
    kill();
  }
  return { samples, errors: log.split('\n').filter((l) => l.startsWith('<3>') || /free\(\)|corruption|Assertion/.test(l)), signal };
}

/** Start (first sample), peak and growth from a quarter of the day to its end, in MB. */
export function daySummary(run: DayRun): { start: number; peak: number; end: number; growth: number; polls: number } {
  const s = run.samples.length ? run.samples : [{ polls: 0, rss: NaN, heap: NaN, seconds: 0 }];
  const last = s.at(-1)!;
  const early = s.find((x) => x.polls >= last.polls / 4) ?? s[0]!;
  return { start: s[0]!.rss, peak: Math.max(...s.map((x) => x.rss)), end: last.rss, growth: last.rss - early.rss, polls: last.polls };
}
