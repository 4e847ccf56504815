/**
 * Gets the TCP listener and the UDP socket on the air: adopted from systemd (LISTEN_FDS, see
 * shared/listen-fds.ts) or bound by the daemon itself (--address/--port).
 *
 * The udp6 trap: systemd's `ListenDatagram=377` passes an IPv6 dual-stack socket. Node must wrap it
 * as 'udp6', or every reply to an IPv4 peer (seen as ::ffff:a.b.c.d) fails to send. Node cannot ask a
 * raw fd for its family, so the socket's inode is looked up in /proc/self/net/udp6 and udp: that
 * answers both "is it UDP" and "which family" without trusting FileDescriptorName (one socket unit
 * gives all its fds the same name).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync, readlinkSync } from 'node:fs';
import { isIPv6, type AddressInfo, type Server } from 'node:net';
import type { ListenFd } from '../shared/listen-fds.ts';
import { BindError, ListenFdTypeError } from './errors.ts';

/**
 * Every reply goes to the address a datagram came from, always an IP literal: the UDP socket's
 * lookup hands it back as it is. (Node's default dns.lookup checks it with a regular expression
 * and answers on the next tick, for every reply.)
 */
const literalLookup = (address: string, family: unknown, callback: (err: null, address: string, family: number) => void): void =>
  callback(null, address, address.includes(':') ? 6 : 4);

export type FdKind = 'tcp' | 'udp4' | 'udp6';

/**
 * Receive buffer asked for when the daemon binds UDP itself: a herd of 1,400 padded queries is about
 * 1.7 MB on the wire and more in kernel accounting, far above the 208 KiB default. The kernel caps it
 * at net.core.rmem_max; socket activation sets it with ReceiveBuffer= in advertise.socket instead.
 */
export const UDP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** Which kind of socket an inherited fd is; `procRoot` is the real /proc (never --procfs). */
export function classifyFd(fd: number, procRoot = '/proc'): FdKind {
  let link: string;
  try {
    link = readlinkSync(`${procRoot}/self/fd/${fd}`);
  } catch (err) {
    throw new ListenFdTypeError(fd, 'not an open file descriptor', { cause: err });
  }
  const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
  if (inode === undefined) throw new ListenFdTypeError(fd, `not a socket (${link})`);
  for (const [table, kind] of [['udp6', 'udp6'], ['udp', 'udp4']] as const) {
    if (socketTableHas(`${procRoot}/self/net/${table}`, inode)) return kind;
  }
  return 'tcp'; // confirmed when net.Server adopts it: Node refuses anything but a stream socket
}

function socketTableHas(path: string, inode: string): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return false; // no IPv6 in this kernel: no udp6 table
  }
  // Columns: sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
  return text.split('\n').some((line) => line.trim().split(/\s+/)[9] === inode);
}

export interface Listeners {
  tcp: Server;
  udp: UdpSocket;
  /** "tcp 127.0.0.1:377, udp 127.0.0.1:377" for the start-up log line. */
  describe: string;
}

function listenTcp(server: Server, options: { fd: number } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function bindUdp(socket: UdpSocket, options: { fd: number } | { address: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once('error', onError);
    try {
      socket.bind(options, () => {
        socket.off('error', onError);
        resolve();
      });
    } catch (err) {
      reject(err);
    }
  });
}

function where(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') return String(address);
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

function describe(tcp: Server, udp: UdpSocket, how: string): string {
  return `tcp ${where(tcp.address())}, udp ${where(udp.address())} (${how})`;
}

/** Adopts exactly one TCP listener and one UDP socket from systemd. */
export async function adoptListeners(fds: readonly ListenFd[], tcp: Server, procRoot = '/proc'): Promise<Listeners> {
  const classified = fds.map((f) => ({ ...f, kind: classifyFd(f.fd, procRoot) }));
  const tcpFds = classified.filter((f) => f.kind === 'tcp');
  const udpFds = classified.filter((f) => f.kind !== 'tcp');
  if (tcpFds.length !== 1 || udpFds.length !== 1) {
    const got = classified.map((f) => `${f.fd}=${f.kind}(${f.name})`).join(' ');
    throw new ListenFdTypeError(fds[0]?.fd ?? 3, `expected one TCP and one UDP socket from systemd, got ${got || 'none'}`);
  }
  const t = tcpFds[0]!;
  const u = udpFds[0]!;
  try {
    await listenTcp(tcp, { fd: t.fd });
  } catch (err) {
    throw new ListenFdTypeError(t.fd, `cannot listen on it as TCP: ${(err as Error).message}`, { cause: err });
  }
  if (typeof tcp.address() === 'string') throw new ListenFdTypeError(t.fd, 'is a Unix socket, expected TCP');
  const udp = createSocket({ type: u.kind as 'udp4' | 'udp6', lookup: literalLookup });
  try {
    await bindUdp(udp, { fd: u.fd });
  } catch (err) {
    throw new ListenFdTypeError(u.fd, `cannot use it as UDP: ${(err as Error).message}`, { cause: err });
  }
  return { tcp, udp, describe: describe(tcp, udp, 'socket-activated') };
}

/**
 * Binds TCP and UDP on the same address and port. With port 0 (tests) the kernel picks the TCP port
 * and UDP takes the same number; if that one is taken for UDP, a few other ports are tried.
 */
export async function bindListeners(address: string, port: number, tcp: Server): Promise<Listeners> {
  const type = isIPv6(address) ? 'udp6' : 'udp4';
  for (let attempt = 0; ; attempt++) {
    try {
      await listenTcp(tcp, { host: address, port });
    } catch (err) {
      throw new BindError(`cannot listen on TCP ${address}:${port}: ${(err as Error).message}`, { cause: err });
    }
    const actual = (tcp.address() as AddressInfo).port;
    const udp = createSocket({ type, recvBufferSize: UDP_RECEIVE_BUFFER_BYTES, lookup: literalLookup });
    try {
      await bindUdp(udp, { address, port: actual });
      return { tcp, udp, describe: describe(tcp, udp, 'bound') };
    } catch (err) {
      try {
        udp.close();
      } catch {
        // never bound: nothing to close
      }
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      if (port !== 0 || attempt >= 4) {
        throw new BindError(`cannot bind UDP ${address}:${actual}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
}
