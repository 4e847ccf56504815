/**
 * What every /proc reader shares: a file name under the procfs root, a size cap, a parser that
 * throws SourceMalformedError naming the field, and strict number conversion (the kernel writes
 * plain decimal; anything else in these files means the file is not what we think it is).
 */
import { join } from 'node:path';
import { SourceMalformedError } from '../errors.ts';
import { readRegularFileCapped } from '../../shared/fs/read-capped.ts';

export interface ProcSource<T> {
  /** Name under the procfs root: "loadavg", "meminfo", ... */
  readonly file: string;
  readonly maxBytes: number;
  parse(text: string): T;
}

export async function readProcSource<T>(procfs: string, source: ProcSource<T>): Promise<T> {
  const bytes = await readRegularFileCapped(join(procfs, source.file), source.maxBytes);
  return source.parse(bytes.toString('latin1'));
}

const WHOLE = /^\d{1,16}$/;
const DECIMAL = /^\d{1,16}(?:\.\d{1,9})?$/;

/** A whole number in 0..max, or a coded error naming file and field. */
export function wholeNumber(file: string, field: string, raw: string | undefined, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) throw new SourceMalformedError(file, field, 'missing');
  if (!WHOLE.test(raw)) throw new SourceMalformedError(file, field, `${JSON.stringify(raw.slice(0, 40))} is not a whole number`);
  const n = Number(raw);
  if (n > max) throw new SourceMalformedError(file, field, `${raw} is larger than ${max}`);
  return n;
}

/** A non-negative decimal number up to max (as the kernel prints loads, uptimes and clock rates). */
export function decimalNumber(file: string, field: string, raw: string | undefined, max: number): number {
  if (raw === undefined) throw new SourceMalformedError(file, field, 'missing');
  if (!DECIMAL.test(raw)) throw new SourceMalformedError(file, field, `${JSON.stringify(raw.slice(0, 40))} is not a decimal number`);
  const n = Number(raw);
  if (n > max) throw new SourceMalformedError(file, field, `${raw} is larger than ${max}`);
  return n;
}

/** The value of a `key<separator>value` line (meminfo, vmstat, stat), or undefined. */
export function lineValue(text: string, key: string, separator: ':' | ' '): string | undefined {
  const needle = separator === ':' ? `${key}:` : `${key} `;
  let start = 0;
  if (!text.startsWith(needle)) {
    const i = text.indexOf(`\n${needle}`);
    if (i === -1) return undefined;
    start = i + 1;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start + needle.length, end === -1 ? undefined : end).trim();
}
