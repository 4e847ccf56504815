/** /proc/uptime: "400.57 723.83" (seconds since boot, idle seconds summed over CPUs). */
import { SourceMalformedError } from '../errors.ts';
import { decimalNumber, type ProcSource } from './source.ts';

const SECONDS_MAX = 1e10;

export function parseUptime(text: string): number {
  const m = /^(\S+) \S+\n?$/.exec(text);
  if (!m) throw new SourceMalformedError('uptime', 'line', 'expected "UPTIME IDLE"');
  return decimalNumber('uptime', 'uptime', m[1], SECONDS_MAX);
}

export const uptimeSource: ProcSource<number> = { file: 'uptime', maxBytes: 4096, parse: parseUptime };
