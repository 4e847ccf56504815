/**
 * POSIX message queues for the bridge and its TypeScript greeters: libc's mq_* through koffi
 * (mq-libc.ts), with coded errors carrying the real errno, and readiness from the kernel. On Linux
 * a queue descriptor is a file descriptor that poll(2) reports readable while the queue holds a
 * message, so a listener is a libuv poll handle on it (koffi's uv_poll_t wrapper): the event loop
 * wakes when a message arrives and at no other time. No timer, no sweep, no signal.
 *
 * What replaced the posix-mq addon and why (README "Why not posix-mq"): it spun at 100% CPU with a
 * message unread, lost notifications, and freed its poll handle after the garbage collector had
 * deleted its object. Here: only "readable" is ever polled (level-triggered, and every listener
 * drains to empty, so no spin); a poll handle is kept reachable from a module-level set until it
 * is closed, and is always closed (uv_poll_stop + uv_close, which frees only libuv's own memory)
 * before the descriptor is: the callback can never run on a collected object or a reused fd.
 */
import { constants as fsConstants, fchmodSync, fchownSync, fstatSync } from 'node:fs';
import {
  QueueAccessError,
  QueueIoError,
  QueueNameError,
  QueueNotFoundError,
  QueueUnsupportedError,
} from './errors.ts';
import { explainRefusal, type KernelLimits, type QueueSize } from './limits.ts';
import { call, loadLibc, type KoffiPoll, type MqAttr } from './mq-libc.ts';

function queueError(errno: string, queue: string, what: string): Error {
  switch (errno) {
    case 'ENOENT':
      return new QueueNotFoundError(queue);
    case 'EACCES':
    case 'EPERM':
      return new QueueAccessError(queue, `${what}: permission denied (${errno}): the queue belongs to another user or group, or its mode does not allow it`, errno);
    case 'ENAMETOOLONG':
      return new QueueNameError(queue, 'is too long for the kernel');
    case 'ENOSYS':
      return new QueueUnsupportedError(`queue ${queue}: this kernel has no POSIX message queues (CONFIG_POSIX_MQUEUE)`);
    default:
      return new QueueIoError(queue, errno, what);
  }
}

/** `NAME` or `/NAME` becomes `/NAME`; anything mq_open(3) would refuse is a QueueNameError. */
export function queueName(name: string): string {
  const full = name.startsWith('/') ? name : `/${name}`;
  if (full.length < 2) throw new QueueNameError(name, 'is empty');
  if (full.includes('/', 1)) throw new QueueNameError(name, 'may contain "/" only as its first character');
  if (/[\x00-\x20\x7f]/.test(full)) throw new QueueNameError(name, 'contains white space or control characters');
  if (full === '/.' || full === '/..') throw new QueueNameError(name, 'is not a valid queue name');
  if (Buffer.byteLength(full) > 255) throw new QueueNameError(name, 'is longer than 255 bytes');
  return full;
}

/** O_RDWR | O_NONBLOCK: every call returns at once (EAGAIN when full or empty), never blocks the loop. */
const OPEN_FLAGS = fsConstants.O_RDWR | fsConstants.O_NONBLOCK;
const CREATE_FLAGS = OPEN_FLAGS | fsConstants.O_CREAT | fsConstants.O_EXCL;

/** Poll handles in use: reachable from here until closed, so the GC never finalizes a live one. */
const activePolls = new Set<KoffiPoll>();

/** One open queue descriptor (non-blocking). Close it: descriptors are not garbage collected. */
export class MessageQueue {
  private descriptor: number;
  private poll: KoffiPoll | undefined;
  private polling = false;
  private readonly listeners: Array<() => void> = [];

  private constructor(
    readonly name: string,
    fd: number,
    readonly size: QueueSize,
  ) {
    this.descriptor = fd;
  }

  private static fromDescriptor(name: string, fd: number): MessageQueue {
    const attr: Partial<MqAttr> = {};
    const r = call(() => loadLibc().getattr(fd, attr));
    if (r.errno) {
      call(() => loadLibc().close(fd), false);
      throw queueError(r.errno, name, 'reading its attributes');
    }
    return new MessageQueue(name, fd, { maxMessages: Number(attr.mq_maxmsg), messageSize: Number(attr.mq_msgsize) });
  }

  /** Opens an existing queue (read and write, non-blocking). */
  static open(name: string): MessageQueue {
    const libc = loadLibc();
    const r = call(() => libc.open(name, OPEN_FLAGS));
    if (r.errno) throw queueError(r.errno, name, 'open');
    return MessageQueue.fromDescriptor(name, r.value);
  }

  /** Creates a queue that must not exist yet; a refusal for a kernel limit names the limit. */
  static create(name: string, size: QueueSize, mode: number, limits: KernelLimits): MessageQueue {
    const libc = loadLibc();
    const r = call(() => libc.open(name, CREATE_FLAGS, mode, { maxmsg: size.maxMessages, msgsize: size.messageSize }));
    if (r.errno) throw explainRefusal(name, r.errno, size, limits) ?? queueError(r.errno, name, 'create');
    return MessageQueue.fromDescriptor(name, r.value);
  }

  /** The descriptor, or EBADF once closed: a closed number may already name someone else's file. */
  fd(): number {
    if (this.descriptor < 0) throw new QueueIoError(this.name, 'EBADF', 'using it after close');
    return this.descriptor;
  }

  get length(): number {
    const attr: Partial<MqAttr> = {};
    const fd = this.fd();
    const r = call(() => loadLibc().getattr(fd, attr));
    if (r.errno) throw queueError(r.errno, this.name, 'reading its length');
    return Number(attr.mq_curmsgs);
  }

  /** False when the queue is full (never blocks). A message longer than messageSize is EMSGSIZE. */
  send(message: Buffer): boolean {
    const fd = this.fd();
    const r = call(() => loadLibc().send(fd, message));
    if (r.errno === 'EAGAIN') return false;
    if (r.errno) throw queueError(r.errno, this.name, 'send');
    return true;
  }

  /** The next message's length in `buf` (which must hold messageSize bytes), or undefined when empty. */
  receive(buf: Buffer): number | undefined {
    const fd = this.fd();
    const r = call(() => loadLibc().receive(fd, buf));
    if (r.errno === 'EAGAIN') return undefined;
    if (r.errno) throw queueError(r.errno, this.name, 'receive');
    return r.value;
  }

  /** Throws away every waiting message; returns how many. */
  drain(): number {
    const buf = Buffer.allocUnsafe(this.size.messageSize);
    let n = 0;
    while (this.receive(buf) !== undefined) n++;
    return n;
  }

  /**
   * Calls `listener` whenever the queue holds a message (the kernel says readable), from the event
   * loop. The listener must read the queue empty, or it is called again on the next loop turn.
   */
  onActivity(listener: () => void): void {
    this.listeners.push(listener);
    this.resumeActivity();
  }

  /** Stops the calls (a listener that cannot drain the queue would otherwise be called in a loop). */
  pauseActivity(): void {
    if (!this.polling) return;
    this.polling = false;
    this.poll?.stop();
  }

  resumeActivity(): void {
    if (this.polling || this.listeners.length === 0) return;
    const fd = this.fd();
    const onPoll = (status: number): void => {
      if (status < 0) this.polling = false; // libuv stopped the handle (an error on the descriptor)
      for (const l of [...this.listeners]) if (this.descriptor >= 0) l();
    };
    if (this.poll) {
      this.poll.start({ readable: true }, onPoll);
    } else {
      const poll = loadLibc().koffi.node.poll(fd, { readable: true }, onPoll);
      if (!poll) throw new QueueIoError(this.name, 'EIO', 'watching its descriptor');
      this.poll = poll;
      activePolls.add(poll);
    }
    this.polling = true;
  }

  /** True when the queue was removed (mq_unlink) since this descriptor opened it: nobody else can find it. */
  removed(): boolean {
    return fstatSync(this.fd()).nlink === 0;
  }

  unlink(): void {
    unlinkByName(this.name, true);
  }

  /** Stops watching, then closes the descriptor; safe to call twice. */
  close(): void {
    if (this.descriptor < 0) return;
    if (this.poll) {
      this.poll.close();
      activePolls.delete(this.poll);
      this.poll = undefined;
      this.polling = false;
    }
    const fd = this.descriptor;
    this.descriptor = -1;
    this.listeners.length = 0;
    call(() => loadLibc().close(fd), false);
  }

  owner(): { uid: number; gid: number; mode: number } {
    const st = fstatSync(this.fd());
    return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  }

  /** Sets mode and group exactly (mq_open's mode is cut by the umask). */
  setOwner(mode: number, gid: number | undefined): void {
    const fd = this.fd();
    try {
      if (gid !== undefined) fchownSync(fd, -1, gid);
      fchmodSync(fd, mode);
    } catch (err) {
      throw new QueueAccessError(this.name, `setting mode ${mode.toString(8)}${gid === undefined ? '' : ` and group ${gid}`}: ${(err as Error).message}`);
    }
  }
}

function unlinkByName(name: string, mustExist: boolean): boolean {
  const r = call(() => loadLibc().unlink(name));
  if (!r.errno) return true;
  if (r.errno === 'ENOENT' && !mustExist) return false;
  throw queueError(r.errno, name, 'unlink');
}

/** Opens `name`, runs `fn`, always closes: the shape every writer uses. */
export function withQueue<T>(name: string, fn: (q: MessageQueue) => T): T {
  const q = MessageQueue.open(name);
  try {
    return fn(q);
  } finally {
    q.close();
  }
}

/** Removes a queue by name; false when it did not exist. */
export function unlinkQueue(name: string): boolean {
  return unlinkByName(name, false);
}
