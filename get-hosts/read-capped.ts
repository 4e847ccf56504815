/**
 * Reads a local file that someone else writes (lts.conf from TFTP, the bridge's cache) without ever
 * holding more than `limit` + 1 bytes of it: a huge or endless file (a FIFO, /dev/zero) is refused
 * after one bounded read instead of being loaded.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export class FileTooLargeError extends Error {
  readonly code = 'EFBIG';
  constructor(readonly path: string, readonly limit: number) {
    super(`${path} is larger than ${limit} bytes`);
  }
}

export function readFileCapped(path: string, limit: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(limit + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > limit) throw new FileTooLargeError(path, limit);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
