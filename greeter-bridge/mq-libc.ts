/**
 * The C library's POSIX message queue calls, bound with koffi (no compiled addon, nothing to build
 * at install). Only this file and mq.ts know about koffi. Every call returns the C result and the
 * errno it left, read at once: a later call (or V8) may overwrite errno. EINTR is retried here, so
 * no caller ever sees it: the calls are non-blocking (O_NONBLOCK), so a retry never waits.
 *
 * On Linux an mqd_t is an int and a file descriptor; mq_close(3) is close(2) on it.
 */
import { constants as osConstants } from 'node:os';
import { createRequire } from 'node:module';
import { QueueUnsupportedError } from './errors.ts';

/** The subset of koffi used here (its own typings lag behind its poll API). */
interface Koffi {
  load(path: string): { func(proto: string): (...args: unknown[]) => unknown };
  struct(name: string, fields: Record<string, unknown>): unknown;
  array(type: string, n: number): unknown;
  errno(): number;
  node: { poll(fd: number, opts: { readable: boolean }, cb: (status: number, ev: { readable: boolean }) => void): KoffiPoll | null };
}
export interface KoffiPoll {
  start(opts: { readable: boolean }, cb: (status: number, ev: { readable: boolean }) => void): void;
  stop(): void;
  close(): void;
}

export interface MqAttr {
  mq_flags: number;
  mq_maxmsg: number;
  mq_msgsize: number;
  mq_curmsgs: number;
}

export interface Libc {
  koffi: Koffi;
  /** mq_open(name, oflag, mode, attr): returns the descriptor or -1. */
  open(name: string, oflag: number, mode?: number, attr?: { maxmsg: number; msgsize: number }): number;
  close(fd: number): number;
  unlink(name: string): number;
  getattr(fd: number, out: Partial<MqAttr>): number;
  send(fd: number, msg: Buffer): number;
  /** mq_timedreceive with no timeout (the descriptor is non-blocking): the length or -1. */
  receive(fd: number, buf: Buffer): number;
}

/** errno names by number, from Node's own table for this platform (EAGAIN before its alias EWOULDBLOCK). */
const ERRNO_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(osConstants.errno)) if (!ERRNO_NAMES.has(n)) ERRNO_NAMES.set(n, name);
export function errnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `errno ${n}`;
}

/** Bounds the EINTR retries: an endless stream of signals is not a reason to spin forever. */
const MAX_EINTR_RETRIES = 100;
const EINTR = osConstants.errno.EINTR;

export interface CallResult {
  value: number;
  /** The errno name when `value` is -1. */
  errno?: string;
}

let libc: Libc | undefined;

/** Loaded on first use: `--help` and the format code need no FFI. */
export function loadLibc(): Libc {
  if (libc) return libc;
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (err) {
    throw new QueueUnsupportedError(`koffi did not load: ${(err as Error).message}`, err);
  }
  // glibc 2.34+ has mq_* in libc.so.6 (librt.so.1 is kept as a stub); older ones only in librt.
  let lib: ReturnType<Koffi['load']> | undefined;
  let fn: ((proto: string) => (...args: unknown[]) => unknown) | undefined;
  const failures: string[] = [];
  for (const path of ['libc.so.6', 'librt.so.1']) {
    try {
      lib = koffi.load(path);
      lib.func('int mq_unlink(const char *name)');
      fn = (proto) => lib!.func(proto);
      break;
    } catch (err) {
      failures.push(`${path}: ${(err as Error).message}`);
    }
  }
  if (!fn) throw new QueueUnsupportedError(`no POSIX message queue functions in the C library (${failures.join('; ')})`);
  koffi.struct('ltsp_mq_attr', {
    mq_flags: 'long',
    mq_maxmsg: 'long',
    mq_msgsize: 'long',
    mq_curmsgs: 'long',
    __reserved: koffi.array('long', 4),
  });
  const mqOpen = fn('int mq_open(const char *name, int oflag, ...)');
  const mqClose = fn('int mq_close(int mqdes)');
  const mqUnlink = fn('int mq_unlink(const char *name)');
  const mqGetattr = fn('int mq_getattr(int mqdes, _Out_ ltsp_mq_attr *attr)');
  const mqSend = fn('int mq_send(int mqdes, const void *msg, size_t len, unsigned int prio)');
  const mqTimedreceive = fn('intptr_t mq_timedreceive(int mqdes, _Out_ void *msg, size_t len, _Out_ unsigned int *prio, const void *timeout)');
  libc = {
    koffi,
    open: (name, oflag, mode, attr) =>
      attr
        ? (mqOpen(name, oflag, 'unsigned int', mode ?? 0o600, 'ltsp_mq_attr *', {
            mq_flags: 0, mq_maxmsg: attr.maxmsg, mq_msgsize: attr.msgsize, mq_curmsgs: 0, __reserved: [0, 0, 0, 0],
          }) as number)
        : (mqOpen(name, oflag) as number),
    close: (fd) => mqClose(fd) as number,
    unlink: (name) => mqUnlink(name) as number,
    getattr: (fd, out) => mqGetattr(fd, out) as number,
    send: (fd, msg) => mqSend(fd, msg, msg.length, 0) as number,
    receive: (fd, buf) => Number(mqTimedreceive(fd, buf, buf.length, null, null)),
  };
  return libc;
}

/**
 * Runs one C call and reads errno right after it; EINTR is retried (bounded). `close` is the one
 * call never retried: on Linux the descriptor is released even when close(2) says EINTR.
 */
export function call(fn: () => number, retryEintr = true): CallResult {
  const { koffi } = loadLibc();
  for (let attempt = 0; ; attempt++) {
    const value = fn();
    if (value !== -1) return { value };
    const errno = koffi.errno();
    if (errno === EINTR && retryEintr && attempt < MAX_EINTR_RETRIES) continue;
    return { value, errno: errnoName(errno) };
  }
}
