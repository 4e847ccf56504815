/**
 * Reads a local file that someone else writes (lts.conf from TFTP, the bridge's cache, the install
 * manifest, ssh host key lists) without ever holding more than `limit` + 1 bytes of it. Synchronous on
 * purpose: get_hosts reads lts.conf once on its start-up path, where a promise round trip buys nothing.
 * A FIFO or socket put in the file's place is refused at once (opened O_NONBLOCK: a plain open of a
 * FIFO blocks until a writer appears, which would leave LDM with no host). Devices stay readable, so
 * `--config /dev/null` still means "no settings", and /dev/zero stops at the cap.
 * (advertise/proc/read-capped.ts is the daemon's asynchronous twin with its own source errors.)
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { BalanceError } from '../errors.ts';

export class FileTooLargeError extends BalanceError {
  constructor(readonly path: string, readonly limit: number) {
    super('ERR_FILE_TOO_LARGE', `${path} is larger than ${limit} bytes`);
  }
}

export class FileTypeError extends BalanceError {
  constructor(readonly path: string) {
    super('ERR_FILE_TYPE', `${path} is a FIFO or a socket, not a file`);
  }
}

export function readFileCapped(path: string, limit: number): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isFIFO() || st.isSocket()) throw new FileTypeError(path);
    const buf = Buffer.alloc(limit + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > limit) throw new FileTooLargeError(path, limit);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
