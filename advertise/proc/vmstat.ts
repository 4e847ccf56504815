/**
 * /proc/vmstat: cumulative pages swapped in and out since boot. A rate needs two samples:
 * `swapRates` turns consecutive counters into pages per second, the "is it swapping now" signal.
 */
import { lineValue, wholeNumber, type ProcSource } from './source.ts';

export interface SwapCounters {
  pswpin: number;
  pswpout: number;
}

export function parseVmstat(text: string): SwapCounters {
  return {
    pswpin: wholeNumber('vmstat', 'pswpin', lineValue(text, 'pswpin', ' ')),
    pswpout: wholeNumber('vmstat', 'pswpout', lineValue(text, 'pswpout', ' ')),
  };
}

export const vmstatSource: ProcSource<SwapCounters> = { file: 'vmstat', maxBytes: 64 * 1024, parse: parseVmstat };

export interface SwapRates {
  swapInPerSec: number;
  swapOutPerSec: number;
}

/**
 * Pages per second between two samples taken `elapsedMs` apart. No previous sample, no elapsed time
 * or a counter that went backwards (a fixture rewritten, a counter reset) gives 0, never a negative
 * or infinite rate.
 */
export function swapRates(prev: SwapCounters | undefined, next: SwapCounters, elapsedMs: number): SwapRates {
  if (!prev || elapsedMs <= 0) return { swapInPerSec: 0, swapOutPerSec: 0 };
  const rate = (a: number, b: number) => (b >= a ? Math.round(((b - a) * 1000 * 100) / elapsedMs) / 100 : 0);
  return { swapInPerSec: rate(prev.pswpin, next.pswpin), swapOutPerSec: rate(prev.pswpout, next.pswpout) };
}
