/**
 * The bridge's choice file (`LDM_BALANCE_BRIDGE_OUTPUT`, `/run/ltsp-balance/choice`: one host name
 * and a newline, greeter-bridge/choice-output.ts), read like network input. It counts only for the
 * greeter session that is running: the wrapper removes it when its greeter starts and ignores a
 * file older than that start, then consumes it when LDM asks for the host.
 *
 * Refused, with the reason: a symlink (opened O_NOFOLLOW, so it is never followed to another file),
 * a FIFO or socket (opened O_NONBLOCK: a plain open of a FIFO would block until a writer came, and
 * LDM would wait with it), anything but a regular file, more than MAX_CHOICE_BYTES, a file from
 * before this session, or content that is not one host name.
 */
import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { parseServerList } from '../balance/servers.ts';

export const MAX_CHOICE_BYTES = 512;

export type ChoiceRead = { host: string } | { none: string } | { refused: string };

export function readChoiceFile(path: string, sessionStartMs: number): ChoiceRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { none: 'no choice made' };
    if (code === 'ELOOP') return { refused: `${path} is a symlink` };
    return { refused: `${path}: ${(err as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { refused: `${path} is not a regular file` };
    if (st.size > MAX_CHOICE_BYTES) return { refused: `${path} is ${st.size} bytes, more than ${MAX_CHOICE_BYTES}` };
    if (st.mtimeMs < sessionStartMs) return { refused: `${path} was written before this greeter started (stale)` };
    const buf = Buffer.alloc(MAX_CHOICE_BYTES + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_CHOICE_BYTES) return { refused: `${path} grew past ${MAX_CHOICE_BYTES} bytes while read` };
    const text = buf.toString('latin1', 0, n).replace(/\n$/, '');
    if (!/^[A-Za-z0-9._:%-]{1,253}$/.test(text)) return { refused: `${path} does not hold one host name` };
    const [server] = parseServerList(text, path, () => undefined);
    if (!server || server.port !== 377 || text.includes(']')) return { refused: `${path} does not hold one host name` };
    return { host: server.host };
  } finally {
    closeSync(fd);
  }
}

/** Removes the file (a new session starts, or the choice was used); a missing file is fine. */
export function removeChoiceFile(path: string): string | undefined {
  try {
    unlinkSync(path);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? undefined : (err as Error).message;
  }
}
