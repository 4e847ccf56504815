/**
 * Reads every source once per interval and keeps the latest good values. A source that fails keeps
 * its last good values (utmp that vanished counts as no sessions); the failure is reported to the
 * caller, which logs a transition once and counts repeats. Samples never overlap: the next one is
 * scheduled when the previous one has finished.
 */
import { FileTypeError } from '../shared/fs/read-capped.ts';
import { cpuinfoSource, type CpuInfo } from './proc/cpuinfo.ts';
import { loadavgSource, type LoadAvg } from './proc/loadavg.ts';
import { meminfoSource, type MemInfo } from './proc/meminfo.ts';
import { readProcSource } from './proc/source.ts';
import { statSource, type RunQueue } from './proc/stat.ts';
import { uptimeSource } from './proc/uptime.ts';
import { swapRates, vmstatSource, type SwapCounters, type SwapRates } from './proc/vmstat.ts';
import { NO_SESSIONS, readUtmp, type Sessions } from './utmp.ts';

/** A source that is not there (absent, or something else in its place): utmp then means no sessions. */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || err instanceof FileTypeError;
}

export interface Measurements extends LoadAvg, MemInfo, CpuInfo, RunQueue, SwapRates, Sessions {
  uptimeSec: number;
}

/**
 * Values for a source that has never been read: they make the server look full (no memory
 * available) rather than idle, so a broken /proc never attracts logins.
 */
export const UNREAD: Readonly<Measurements> = Object.freeze({
  loadavg1: 0,
  loadavg5: 0,
  loadavg15: 0,
  memTotalKb: 1,
  memAvailableKb: 0,
  swapTotalKb: 0,
  swapFreeKb: 0,
  cpus: 1,
  mhz: 0,
  procsRunning: 0,
  procsBlocked: 0,
  swapInPerSec: 0,
  swapOutPerSec: 0,
  uptimeSec: 0,
  ...NO_SESSIONS,
});

export interface SamplerOptions {
  procfs: string;
  utmpPath: string;
  /** Called on every failed read of a source ("loadavg", ..., "utmp"); `repeated` after the first in a row. */
  onError(source: string, err: unknown, repeated: boolean): void;
  /** Called when a source that had failed reads fine again. */
  onRecovered(source: string): void;
  now?: () => number;
}

export class Sampler {
  measurements: Measurements = { ...UNREAD };
  private prevSwap: { counters: SwapCounters; atMs: number } | undefined;
  private readonly failing = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: SamplerOptions) {
    this.now = options.now ?? Date.now;
  }

  async sample(): Promise<void> {
    const { procfs, utmpPath } = this.options;
    const nowMs = this.now();
    const next = { ...this.measurements };
    await Promise.all([
      this.take('loadavg', () => readProcSource(procfs, loadavgSource), (v) => Object.assign(next, v)),
      this.take('meminfo', () => readProcSource(procfs, meminfoSource), (v) => Object.assign(next, v)),
      this.take('cpuinfo', () => readProcSource(procfs, cpuinfoSource), (v) => Object.assign(next, v)),
      this.take('stat', () => readProcSource(procfs, statSource), (v) => Object.assign(next, v)),
      this.take('uptime', () => readProcSource(procfs, uptimeSource), (v) => (next.uptimeSec = v)),
      this.take('vmstat', () => readProcSource(procfs, vmstatSource), (counters) => {
        Object.assign(next, swapRates(this.prevSwap?.counters, counters, nowMs - (this.prevSwap?.atMs ?? nowMs)));
        this.prevSwap = { counters, atMs: nowMs };
      }),
      this.take(
        'utmp',
        () => readUtmp(utmpPath, Math.floor(nowMs / 1000)),
        (v) => Object.assign(next, v),
        () => Object.assign(next, NO_SESSIONS),
      ),
    ]);
    this.measurements = next;
  }

  private async take<T>(source: string, read: () => Promise<T>, apply: (v: T) => void, onMissing?: () => void): Promise<void> {
    try {
      apply(await read());
      if (this.failing.delete(source)) this.options.onRecovered(source);
    } catch (err) {
      if (onMissing && isMissing(err)) onMissing();
      const repeated = this.failing.has(source);
      this.failing.add(source);
      this.options.onError(source, err, repeated);
    }
  }

  /** Samples every `intervalMs()` ms (read each time, so a reload applies) and calls `onSample`. */
  start(intervalMs: () => number, onSample: () => void): void {
    const tick = () => {
      this.timer = undefined;
      void this.sample().then(() => {
        if (this.stopped) return;
        onSample();
        this.timer = setTimeout(tick, intervalMs());
      });
    };
    this.timer = setTimeout(tick, intervalMs());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
