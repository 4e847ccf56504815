/**
 * What systemd's socket unit plus `Restart=` do, for tests: own the listening sockets, pass them to
 * the daemon as LISTEN_FDS (fds 3, 4, ... with LISTEN_PID and LISTEN_FDNAMES), and start the daemon
 * again after `restartMs` whenever it dies. `systemd-socket-activate` execs the daemon once and
 * restarts nothing, so it cannot show that a restart loses nothing.
 *
 * The sockets are made with plain system calls through koffi, not with net.Server or dgram: those
 * would register the fds with this process's event loop, and this process would then accept the
 * connections (or read the datagrams) itself while the daemon is down. Here the kernel keeps what
 * arrives in the backlog or the receive queue until the next daemon takes it, as under systemd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmodSync } from 'node:fs';
import koffi from 'koffi';
import { eventually } from './helpers/wait.ts';

/** `port` 0: the kernel picks; -1: the port of the socket listed just before (TCP and UDP on one port). */
export type HeldSocket =
  | { kind: 'tcp'; host: string; port: number; name?: string }
  | { kind: 'udp'; host: string; port: number; name?: string }
  | { kind: 'unix'; path: string; mode?: number; name?: string };

const AF_UNIX = 1;
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000; // children get the fds only where spawn places them
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const BACKLOG = 1024; // systemd's default Backlog= is SOMAXCONN (4096 on current kernels)

const libc = koffi.load('libc.so.6');
const sys = {
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  setsockopt: libc.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)'),
  bind: libc.func('int bind(int fd, const void *addr, uint32_t length)'),
  listen: libc.func('int listen(int fd, int backlog)'),
  getsockname: libc.func('int getsockname(int fd, _Out_ uint8_t *addr, _Inout_ uint32_t *length)'),
  close: libc.func('int close(int fd)'),
};

function inet(host: string, port: number): Buffer {
  const a = Buffer.alloc(16);
  a.writeUInt16LE(AF_INET, 0);
  a.writeUInt16BE(port, 2);
  host.split('.').forEach((octet, i) => a.writeUInt8(Number(octet), 4 + i));
  return a;
}

function unix(path: string): Buffer {
  const a = Buffer.alloc(110);
  a.writeUInt16LE(AF_UNIX, 0);
  if (Buffer.byteLength(path) > 107) throw new Error(`socket path too long: ${path}`);
  a.write(path, 2);
  return a;
}

function check(result: number, what: string): number {
  if (result < 0) throw new Error(`socket holder: ${what} failed`);
  return result;
}

/** Opens one socket; returns its fd and, for TCP/UDP, the port the kernel gave. */
function open(spec: HeldSocket): { fd: number; port: number } {
  const stream = spec.kind !== 'udp';
  const fd = check(sys.socket(spec.kind === 'unix' ? AF_UNIX : AF_INET, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0) as number, 'socket');
  try {
    if (spec.kind === 'unix') {
      check(sys.bind(fd, unix(spec.path), 110) as number, `bind ${spec.path}`);
      chmodSync(spec.path, spec.mode ?? 0o666);
    } else {
      const one = Buffer.alloc(4);
      one.writeInt32LE(1);
      sys.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4);
      check(sys.bind(fd, inet(spec.host, spec.port), 16) as number, `bind ${spec.kind} ${spec.host}:${spec.port}`);
    }
    if (stream) check(sys.listen(fd, BACKLOG) as number, 'listen');
    let port = 0;
    if (spec.kind !== 'unix') {
      const addr = Buffer.alloc(16);
      check(sys.getsockname(fd, addr, [16]) as number, 'getsockname');
      port = addr.readUInt16BE(2);
    }
    return { fd, port };
  } catch (err) {
    sys.close(fd);
    throw err;
  }
}

export interface HolderOptions {
  sockets: HeldSocket[];
  /** The daemon: argv[0] and its arguments. */
  command: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Like systemd's RestartSec=. */
  restartMs?: number;
}

/**
 * Events: spawn(pid), exit({pid, code, signal}), log(text) for each chunk of the daemon's stderr.
 */
export class SocketHolder extends EventEmitter {
  readonly fds: number[] = [];
  /** The port each TCP/UDP socket got, in the order given (0 for Unix sockets). */
  readonly ports: number[] = [];
  child: ChildProcess | undefined;
  /** Everything every daemon instance wrote to stderr. */
  log = '';
  starts = 0;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: HolderOptions) {
    super();
    try {
      for (const given of opts.sockets) {
        const spec = given.kind !== 'unix' && given.port === -1 ? { ...given, port: this.ports.at(-1) ?? 0 } : given;
        const { fd, port } = open(spec);
        this.fds.push(fd);
        this.ports.push(port);
      }
    } catch (err) {
      this.closeFds();
      throw err;
    }
  }

  /** Starts the daemon (and again after every death, until stop). */
  start(): void {
    if (this.stopped) return;
    this.starts++;
    const names = this.opts.sockets.map((s, i) => s.name ?? `fd${i}`).join(':');
    // LISTEN_PID must be the daemon's own pid: the shell learns it and execs the daemon in place.
    const child = spawn('/bin/sh', ['-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', 'sh', ...this.opts.command], {
      cwd: this.opts.cwd,
      env: { ...(this.opts.env ?? process.env), LISTEN_FDS: String(this.fds.length), LISTEN_FDNAMES: names },
      stdio: ['ignore', 'ignore', 'pipe', ...this.fds],
    });
    this.child = child;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.log += d;
      this.emit('log', d);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.emit('exit', { pid: child.pid, code, signal });
      if (!this.stopped) this.restartTimer = setTimeout(() => this.start(), this.opts.restartMs ?? 100);
    });
    this.emit('spawn', child.pid);
  }

  /** Resolves when the daemon's log (all instances) has matched `pattern` `count` times. */
  waitForLog(pattern: RegExp, count = 1, timeoutMs = 30_000): Promise<void> {
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    const matched = (): boolean => (this.log.match(global)?.length ?? 0) >= count;
    if (matched()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('log', onLog);
        reject(new Error(`timed out waiting for ${pattern} x${count} in:\n${this.log}`));
      }, timeoutMs);
      const onLog = (): void => {
        if (!matched()) return;
        clearTimeout(timer);
        this.off('log', onLog);
        resolve();
      };
      this.on('log', onLog);
    });
  }

  /** Stops restarting, SIGTERMs the daemon (SIGKILL after `graceMs`), closes the sockets. */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    }
    this.closeFds();
  }

  private closeFds(): void {
    for (const fd of this.fds.splice(0)) sys.close(fd);
  }
}

/** One client request made during `restartUnderLoad`: when it began, and 'ok' or what went wrong. */
export interface Attempt {
  startedAt: number;
  outcome: string;
}

export interface RestartUnderLoad<T> {
  attempts: Attempt[];
  /** Requests begun after the killed daemon's exit was seen: none of them may be lost. */
  afterDeath: Attempt[];
  /** Requests begun before it that failed: only those the killed daemon had already taken. */
  lostBefore: Attempt[];
  /** From the kill's exit to the next daemon's ready line, in ms. */
  downMs: number;
  /** What `whileDown` returned. */
  duringDowntime: T;
}

/**
 * The restart tests' common run: starts the daemon under `holder`, waits for its `ready` log line,
 * keeps `parallel` client loops calling `ask` (one request each; a throw is a failed request),
 * SIGKILLs the daemon once every loop has been answered, calls `whileDown` as soon as the death is
 * seen, waits for the restarted daemon's ready line, and stops asking once 2 x `parallel` requests
 * begun after the death have finished. Each step waits for an event (with a generous cap, never a
 * fixed sleep), so a loaded machine only makes it slower.
 */
export async function restartUnderLoad<T>(
  holder: SocketHolder,
  opts: { ready: RegExp; parallel: number; ask: (loop: number) => Promise<unknown>; whileDown?: () => T; timeoutMs?: number },
): Promise<RestartUnderLoad<T>> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  holder.start();
  await holder.waitForLog(opts.ready, 1, timeoutMs);
  const attempts: Attempt[] = [];
  let stop = false;
  const loops = Promise.all(
    Array.from({ length: opts.parallel }, async (_, loop) => {
      while (!stop) {
        const a: Attempt = { startedAt: performance.now(), outcome: 'pending' };
        attempts.push(a);
        try {
          await opts.ask(loop);
          a.outcome = 'ok';
        } catch (err) {
          a.outcome = String((err as { code?: string }).code ?? (err as Error).message);
        }
      }
    }),
  );
  const finished = (since: number): number => attempts.filter((a) => a.startedAt > since && a.outcome !== 'pending').length;
  try {
    await eventually(() => attempts.filter((a) => a.outcome === 'ok').length >= opts.parallel, timeoutMs, 'the clients answered before the kill');
    const died = new Promise<number>((resolve) => holder.once('exit', () => resolve(performance.now())));
    holder.child!.kill('SIGKILL');
    const diedAt = await died;
    const duringDowntime = opts.whileDown?.() as T;
    await holder.waitForLog(opts.ready, 2, timeoutMs);
    const downMs = performance.now() - diedAt;
    await eventually(() => finished(diedAt) >= 2 * opts.parallel, timeoutMs, 'requests begun after the kill to finish');
    stop = true;
    await loops;
    return {
      attempts,
      afterDeath: attempts.filter((a) => a.startedAt > diedAt),
      lostBefore: attempts.filter((a) => a.startedAt <= diedAt && a.outcome !== 'ok'),
      downMs,
      duringDowntime,
    };
  } finally {
    stop = true;
  }
}
