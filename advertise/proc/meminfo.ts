/**
 * /proc/meminfo: memory and swap in KiB. MemAvailable (Linux >= 3.14) is the kernel's own estimate
 * of what new work can use without swapping; older kernels get the classic free+buffers+cached.
 */
import { SourceMalformedError } from '../errors.ts';
import { lineValue, wholeNumber, type ProcSource } from './source.ts';

export interface MemInfo {
  memTotalKb: number;
  memAvailableKb: number;
  swapTotalKb: number;
  swapFreeKb: number;
}

const KB_MAX = 2 ** 50;

function kb(text: string, key: string): number | undefined {
  const raw = lineValue(text, key, ':');
  if (raw === undefined) return undefined;
  const m = /^(\d+) kB$/.exec(raw);
  if (!m) throw new SourceMalformedError('meminfo', key, `${JSON.stringify(raw.slice(0, 40))} is not "N kB"`);
  return wholeNumber('meminfo', key, m[1], KB_MAX);
}

function required(text: string, key: string): number {
  const v = kb(text, key);
  if (v === undefined) throw new SourceMalformedError('meminfo', key, 'missing');
  return v;
}

export function parseMeminfo(text: string): MemInfo {
  const memTotalKb = required(text, 'MemTotal');
  if (memTotalKb < 1) throw new SourceMalformedError('meminfo', 'MemTotal', 'is 0');
  const memAvailableKb =
    kb(text, 'MemAvailable') ?? required(text, 'MemFree') + (kb(text, 'Buffers') ?? 0) + (kb(text, 'Cached') ?? 0);
  const swapTotalKb = required(text, 'SwapTotal');
  const swapFreeKb = required(text, 'SwapFree');
  // The kernel's estimate can overshoot by a little; the wire format forbids available > total.
  return { memTotalKb, memAvailableKb: Math.min(memAvailableKb, memTotalKb), swapTotalKb, swapFreeKb: Math.min(swapFreeKb, swapTotalKb) };
}

export const meminfoSource: ProcSource<MemInfo> = { file: 'meminfo', maxBytes: 64 * 1024, parse: parseMeminfo };
