/**
 * The one way to read a local file someone else writes, never holding more than `limit` + 1 bytes of
 * it: lts.conf from TFTP, the bridge's cache, the install manifest, ssh host key lists (synchronous:
 * get_hosts reads lts.conf once on its start-up path, where a promise round trip buys nothing), and
 * the advertise daemon's /proc files, utmp and config file (asynchronous: the daemon keeps serving).
 *
 * A FIFO or socket put in the file's place is refused at once: files are opened O_NONBLOCK, since a
 * plain open of a FIFO blocks until a writer appears, which would leave LDM with no host or hang a
 * sample. The synchronous reader keeps devices readable, so `--config /dev/null` still means "no
 * settings" and /dev/zero stops at the cap; the asynchronous one takes regular files only.
 *
 * One error set for both: FileTypeError, FileTooLargeError, or the system's own error as it is (its
 * `code` names it: ENOENT for a missing file, EACCES, EMFILE when out of descriptors).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { BalanceError } from '../errors.ts';

export class FileTooLargeError extends BalanceError {
  constructor(readonly path: string, readonly limit: number) {
    super('ERR_FILE_TOO_LARGE', `${path} is larger than ${limit} bytes`);
  }
}

export class FileTypeError extends BalanceError {
  constructor(readonly path: string, what = 'a FIFO or a socket') {
    super('ERR_FILE_TYPE', `${path} is ${what}, not a file`);
  }
}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const CHUNK = 64 * 1024;

export function readFileCapped(path: string, limit: number): Buffer {
  const fd = openSync(path, FLAGS);
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

/** The asynchronous reader: regular files only (a directory, device or FIFO is a FileTypeError). */
export async function readRegularFileCapped(path: string, limit: number): Promise<Buffer> {
  const handle = await open(path, FLAGS);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new FileTypeError(path, st.isDirectory() ? 'a directory' : 'a device, FIFO or socket');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) throw new FileTooLargeError(path, limit);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
