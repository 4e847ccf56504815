/**
 * The pool's summary for the advertise daemon on the same server, as a small world-readable file
 * (`--summary-file`, /run/ltsp-winbind-pool/summary.json in the unit): the advertise daemon runs as
 * another (dynamic) user and must not need the pool socket's group, so the summary travels through
 * a file nobody needs a privilege to read. Rewritten atomically every interval; gone with the
 * runtime directory when the pool stops, so a stale summary is never advertised.
 */
import { chmodSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { logWarning } from '../shared/log.ts';
import type { PoolStatus } from './pool-status.ts';

export const SUMMARY_INTERVAL_MS = 5_000;

export interface SummaryFile {
  stop(): void;
}

export function startSummaryFile(path: string, status: () => PoolStatus, intervalMs = SUMMARY_INTERVAL_MS): SummaryFile {
  let failing = false;
  const write = (): void => {
    const s = status();
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify({ at: Date.now(), workers: s.total, busy: s.busy, max: s.maxWorkers, queue: s.queueLength })}\n`);
      chmodSync(tmp, 0o644); // the unit's UMask=0077 would leave it unreadable to the advertise daemon
      renameSync(tmp, path);
      failing = false;
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {}
      if (!failing) logWarning(`--summary-file: cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      failing = true;
    }
  };
  write();
  const timer = setInterval(write, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      try {
        unlinkSync(path);
      } catch {}
    },
  };
}
