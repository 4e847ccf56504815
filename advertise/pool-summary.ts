/**
 * Reads the winbind pool's summary file (written by `ltsp-winbind-pool serve --summary-file`) for
 * the advertised document. Optional in every way: no file (no pool on this server) means no
 * `<pool>` element; a file older than MAX_AGE_MS (a pool that died without cleaning up) is ignored;
 * a malformed one is refused with a coded error the daemon logs once per streak.
 *
 * PoolSummaryFile follows the file without reading it at every sample: it watches the directory
 * (the pool replaces the file by rename, which a watch on the file itself would miss) and re-reads
 * after a change, or when the summary it holds is older than two of the pool's writes (a missed
 * event, a directory removed and made again). Where no watch can be set up it reads at every sample.
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
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

/** The pool rewrites its file this often (winbind-pool/summary-file.ts). */
const POOL_WRITE_MS = 5_000;

/** The summary and its time stamp ("at", ms since the epoch); undefined when there is no file. */
function readStampedSummary(path: string): { at: number; pool: PoolSummary } | undefined {
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
  const pool = {} as PoolSummary;
  for (const { key, max } of POOL_FIELDS) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new PoolSummaryError(path, `${key} must be a whole number 0..${max}`);
    pool[key] = v;
  }
  if (pool.busy > pool.workers) throw new PoolSummaryError(path, 'more busy workers than workers');
  return { at: o.at, pool };
}

export class PoolSummaryFile {
  private readonly dir: string;
  private readonly name: string;
  private watcher: FSWatcher | undefined;
  /** The directory's inode when the watch was set up: a directory made again needs a new watch. */
  private watchedIno = 0;
  private changed = true;
  private held: { at: number; pool: PoolSummary } | undefined;
  private failure: unknown;

  constructor(private readonly path: string) {
    this.dir = dirname(path);
    this.name = basename(path);
  }

  /**
   * The summary to advertise now (undefined: none, or too old); throws a read or format error, every
   * call until the file changes. Meant to be called once per sample.
   */
  current(now = Date.now()): PoolSummary | undefined {
    this.ensureWatch();
    if (this.held !== undefined && now - this.held.at > 2 * POOL_WRITE_MS) this.rewatch();
    if (this.changed || this.watcher === undefined) this.reread();
    if (this.failure !== undefined) throw this.failure;
    return this.held === undefined || now - this.held.at > MAX_AGE_MS ? undefined : this.held.pool;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private reread(): void {
    this.changed = false; // first: a change during the read marks it again
    try {
      this.held = readStampedSummary(this.path);
      this.failure = undefined;
    } catch (err) {
      this.held = undefined;
      this.failure = err;
    }
    if (this.held === undefined && this.watcher !== undefined && !existsSync(this.dir)) this.close();
  }

  private ensureWatch(): void {
    if (this.watcher !== undefined) return;
    try {
      this.watchedIno = statSync(this.dir).ino;
      // Not persistent: the watch must not keep a stopping daemon alive.
      this.watcher = watch(this.dir, { persistent: false }, (_event, file) => {
        if (file === null || file === this.name) this.changed = true;
      });
      this.watcher.on('error', () => this.close());
      this.changed = true;
    } catch {
      this.watcher = undefined; // no directory (no pool here) or no inotify: read at every call
    }
  }

  /** What we hold is older than it should be: an event may have been lost; start over. */
  private rewatch(): void {
    const ino = this.watcher === undefined ? 0 : statInode(this.dir);
    if (ino !== this.watchedIno) {
      this.close();
      this.ensureWatch();
    }
    this.changed = true;
  }
}

function statInode(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return -1;
  }
}
