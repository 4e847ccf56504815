/**
 * A real sd_notify socket for tests, as systemd makes it: a Unix datagram socket bound to a path
 * that is passed as NOTIFY_SOCKET. Node cannot open one, so it is made with libc through koffi and
 * read when libuv says it is readable. Every datagram is kept as one string ("READY=1\nSTATUS=...").
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Koffi {
  load(path: string): { func(proto: string): (...args: unknown[]) => number };
  node: { poll(fd: number, opts: { readable: boolean }, cb: () => void): { close(): void } };
}
const koffi = createRequire(import.meta.url)('koffi') as Koffi;
const libc = koffi.load('libc.so.6');
const socket = libc.func('int socket(int domain, int type, int protocol)');
const bind = libc.func('int bind(int fd, const void *addr, uint32_t len)');
const recv = libc.func('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)');
const close = libc.func('int close(int fd)');
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;

export interface NotifySocket {
  path: string;
  messages: string[];
  /** Resolves with the first datagram (from the start) that matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

export function notifySocket(): NotifySocket {
  const dir = mkdtempSync(join(tmpdir(), 'notify-'));
  const path = join(dir, 'notify.sock');
  const fd = Number(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd < 0) throw new Error('socket(AF_UNIX, SOCK_DGRAM) failed');
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  addr.write(path, 2);
  if (bind(fd, addr, 2 + Buffer.byteLength(path) + 1) !== 0) throw new Error(`bind(${path}) failed`);
  const messages: string[] = [];
  const waiters = new Set<() => void>();
  const buf = Buffer.alloc(4096);
  const poll = koffi.node.poll(fd, { readable: true }, () => {
    for (;;) {
      const n = Number(recv(fd, buf, buf.length, 0));
      if (n < 0) break;
      messages.push(buf.subarray(0, n).toString('utf8'));
    }
    for (const w of [...waiters]) w();
  });
  return {
    path,
    messages,
    waitFor: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = messages.find((x) => pattern.test(x));
          if (m === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no notify message matching ${pattern} within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close() {
      poll.close();
      close(fd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
