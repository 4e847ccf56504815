/**
 * Reads the winbind pool's summary file (written by `ltsp-winbind-pool serve --summary-file`) for
 * the advertised document. Optional in every way: no file (no pool on this server) means no
 * `<pool>` element; a file older than MAX_AGE_MS (a pool that died without cleaning up) is ignored;
 * a malformed one is refused with a coded error the daemon logs once per streak.
 */
import { readFileCapped } from '../shared/fs/read-capped.ts';
import { BalanceError } from '../shared/errors.ts';
import { POOL_FIELDS, type PoolSummary } from '../shared/wire/advertisement.ts';

export const DEFAULT_POOL_SUMMARY = '/run/ltsp-winbind-pool/summary.json';
const MAX_BYTES = 4096;
/** Three of the pool's 5 s writes missed: the pool is gone or stuck. */
export const MAX_AGE_MS = 15_000;

export class PoolSummaryError extends BalanceError {
  constructor(path: string, why: string) {
    super('ERR_POOL_SUMMARY', `${path}: ${why}`);
  }
}

export function readPoolSummary(path: string, now = Date.now()): PoolSummary | undefined {
  let text: string;
  try {
    text = readFileCapped(path, MAX_BYTES).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PoolSummaryError(path, 'not JSON');
  }
  const o = raw as Record<string, unknown>;
  if (typeof o?.at !== 'number' || !Number.isFinite(o.at)) throw new PoolSummaryError(path, '"at" missing');
  if (now - o.at > MAX_AGE_MS) return undefined;
  const pool = {} as PoolSummary;
  for (const { key, max } of POOL_FIELDS) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new PoolSummaryError(path, `${key} must be a whole number 0..${max}`);
    pool[key] = v;
  }
  if (pool.busy > pool.workers) throw new PoolSummaryError(path, 'more busy workers than workers');
  return pool;
}
