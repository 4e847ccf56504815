/**
 * The pool's summary for the advertise daemon on the same server, as a small world-readable file
 * (`--summary-file`, /run/ltsp-winbind-pool/summary.json in the unit): the advertise daemon runs as
 * another (dynamic) user and must not need the pool socket's group, so the summary travels through
 * a file nobody needs a privilege to read. Rewritten atomically every interval; gone with the
 * runtime directory when the pool stops, so a stale summary is never advertised.
 */
import { unlinkSync } from 'node:fs';
import { writeFileAtomic } from '../shared/fs/atomic-write.ts';
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
    try {
      // Mode 0644 whatever the unit's UMask=0077: the advertise daemon runs as another user.
      writeFileAtomic(path, `${JSON.stringify({ at: Date.now(), workers: s.total, busy: s.busy, max: s.maxWorkers, queue: s.queueLength })}\n`, 0o644);
      failing = false;
    } catch (err) {
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
