/** /proc/loadavg: "0.17 0.17 0.08 2/99 7065" (1, 5, 15 minute averages, runnable/total, last pid). */
import { SourceMalformedError } from '../errors.ts';
import { decimalNumber, type ProcSource } from './source.ts';

export interface LoadAvg {
  loadavg1: number;
  loadavg5: number;
  loadavg15: number;
}

const LOAD_MAX = 1e6;
const SHAPE = /^(\S+) (\S+) (\S+) \d+\/\d+ \d+\n?$/;

export function parseLoadavg(text: string): LoadAvg {
  const m = SHAPE.exec(text);
  if (!m) throw new SourceMalformedError('loadavg', 'line', 'expected "L1 L5 L15 R/T PID"');
  return {
    loadavg1: decimalNumber('loadavg', 'loadavg1', m[1], LOAD_MAX),
    loadavg5: decimalNumber('loadavg', 'loadavg5', m[2], LOAD_MAX),
    loadavg15: decimalNumber('loadavg', 'loadavg15', m[3], LOAD_MAX),
  };
}

export const loadavgSource: ProcSource<LoadAvg> = { file: 'loadavg', maxBytes: 4096, parse: parseLoadavg };
