/**
 * Who is on the other end of a Unix stream connection: the kernel's SO_PEERCRED (pid, uid, gid as
 * they were at connect()), read with getsockopt(2) through koffi. Node has no API for it.
 *
 * Why this and not /proc/net/unix: the kernel hands the credentials to the socket itself, in one
 * system call, with no race against the peer exiting or reusing its pid, and no scan of /proc. koffi
 * is loaded once, lazily, so a client command never pays for it.
 */
import type { Socket } from 'node:net';

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17; // Linux, every architecture Node runs on
const UCRED_BYTES = 12; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }

type GetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: number[]) => number;
let getsockopt: GetSockOpt | null | undefined;

/** Loads koffi and libc once; null when that is impossible (not glibc), so callers treat peers as unknown. */
export async function loadPeerCred(): Promise<boolean> {
  if (getsockopt !== undefined) return getsockopt !== null;
  try {
    const koffi = (await import('koffi')).default;
    getsockopt = koffi
      .load('libc.so.6')
      .func('int getsockopt(int fd, int level, int optname, _Out_ uint8_t *optval, _Inout_ uint32_t *optlen)') as GetSockOpt;
  } catch {
    getsockopt = null;
  }
  return getsockopt !== null;
}

/** The peer's credentials, or null when they cannot be read (koffi missing, socket already closed). */
export function peerCred(socket: Socket): PeerCred | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!getsockopt || typeof fd !== 'number' || fd < 0) return null;
  const buf = Buffer.alloc(UCRED_BYTES);
  const len = [UCRED_BYTES];
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, buf, len) !== 0 || len[0] !== UCRED_BYTES) return null;
  return { pid: buf.readInt32LE(0), uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8) };
}
