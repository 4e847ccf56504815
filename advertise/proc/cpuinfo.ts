/**
 * /proc/cpuinfo: the number of online CPUs (one "processor" line each) and their clock. The clock is
 * the mean of the "cpu MHz" lines (x86 reports the current, scaled frequency per core); kernels that
 * do not print it (most ARM) give 0, which the wire format documents as "unknown".
 */
import { SourceMalformedError } from '../errors.ts';
import { decimalNumber, type ProcSource } from './source.ts';

export interface CpuInfo {
  cpus: number;
  mhz: number;
}

const MAX_CPUS = 65_536;
const MHZ_MAX = 1_000_000;

export function parseCpuinfo(text: string): CpuInfo {
  let cpus = 0;
  let mhzSum = 0;
  let mhzLines = 0;
  for (const m of text.matchAll(/^(processor|cpu MHz)\s*:\s*(.*)$/gm)) {
    if (m[1] === 'processor') {
      if (++cpus > MAX_CPUS) throw new SourceMalformedError('cpuinfo', 'processor', `more than ${MAX_CPUS} entries`);
    } else {
      mhzSum += decimalNumber('cpuinfo', 'cpu MHz', m[2]!.trim(), MHZ_MAX);
      mhzLines++;
    }
  }
  if (cpus === 0) throw new SourceMalformedError('cpuinfo', 'processor', 'no "processor" lines');
  return { cpus, mhz: mhzLines === 0 ? 0 : Math.round((mhzSum / mhzLines) * 100) / 100 };
}

export const cpuinfoSource: ProcSource<CpuInfo> = { file: 'cpuinfo', maxBytes: 4 * 1024 * 1024, parse: parseCpuinfo };
