/**
 * The generated known_hosts file (/etc/ltsp/ssh_known_hosts.ltsp-balance), which LTSP's chroot update
 * concatenates into each chroot's /etc/ssh/ssh_known_hosts. Written atomically: a chroot update
 * running at the same moment reads either the old file or the new one, never half of one.
 */
import { readFileCapped } from '../../shared/fs/read-capped.ts';
import { writeFileAtomic } from '../../shared/fs/atomic-write.ts';
import { BalanceError } from '../../shared/errors.ts';

export const MAX_KNOWN_HOSTS_BYTES = 4 * 1024 * 1024;

export class KnownHostsWriteError extends BalanceError {
  constructor(path: string, cause: unknown) {
    super('ERR_KNOWN_HOSTS_WRITE', `cannot write ${path}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * The earlier file's text, to keep the keys of a server that is down right now ("" when there is
 * none, or when it is too large to be ours). Its lines are checked again before any is kept.
 */
export function readPreviousFile(path: string): string {
  try {
    return readFileCapped(path, MAX_KNOWN_HOSTS_BYTES).toString('utf8');
  } catch {
    return '';
  }
}

/** Writes the whole file atomically (see ../atomic-write.ts). */
export function writeKnownHosts(path: string, text: string): void {
  try {
    writeFileAtomic(path, text, 0o644);
  } catch (err) {
    throw new KnownHostsWriteError(path, err);
  }
}
