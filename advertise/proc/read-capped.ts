/**
 * Reads a small file that the daemon does not trust to stay small or to be a file at all: /proc
 * entries (size 0 in stat, generated on read), --procfs fixtures, utmp, the config file.
 * O_NONBLOCK plus the regular-file check means a FIFO or device put in their place fails at once
 * instead of hanging a sample; the cap means a huge file costs at most `maxBytes + 1` bytes read.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { SourceMissingError, SourceTooLargeError } from '../errors.ts';

const CHUNK = 64 * 1024;

export async function readCapped(path: string, maxBytes: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new SourceMissingError(path, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new SourceMissingError(path);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new SourceTooLargeError(path, maxBytes);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
