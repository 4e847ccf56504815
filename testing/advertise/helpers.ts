/**
 * Starts the real daemon as a child process (`node --import tsx bin/ltsp-server-advertise.ts`) on a
 * loopback address and an ephemeral port, and talks to it over real sockets. Every daemon started
 * here is killed when the test process exits, also after a failed assertion.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery } from '../../shared/wire/udp-query.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/ltsp-server-advertise.ts');
export const FIXTURES = join(ROOT, 'testing/fixtures/proc');

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** For `test.after`: kills daemons a failed test left running, so the test process can exit. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...children].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    })),
  );
}

export function tempDir(prefix = 'ltsp-adv-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export interface Daemon {
  child: ChildProcess;
  port: number;
  host: string;
  statusSocket: string;
  /** Everything the daemon logged so far. */
  log(): string;
  /** Waits until the log matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface StartOptions {
  host?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Run through this wrapper (systemd-socket-activate ...); the daemon's own arguments are appended. */
  wrapper?: string[];
  /** Under systemd-socket-activate the port is fixed in advance and the daemon starts on first traffic. */
  port?: number;
  procfs?: string;
}

export async function startDaemon(options: StartOptions = {}): Promise<Daemon> {
  const host = options.host ?? '127.0.0.1';
  const statusSocket = join(tempDir(), 'status.sock');
  const args = [
    '--address', host, '--port', String(options.port ?? 0), '--status-socket', statusSocket,
    '--procfs', options.procfs ?? join(FIXTURES, 'idle'), '--utmp', join(tempDir(), 'no-utmp'),
    ...(options.args ?? []),
  ];
  const command = [...(options.wrapper ?? []), process.execPath, '--import', 'tsx', BIN, ...args];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      for (const w of waiters.splice(0)) w();
      resolve(code);
    }),
  );
  const waitForLog = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in daemon log:\n${stderr}`)), timeoutMs);
      const check = () => {
        const m = pattern.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`daemon exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${stderr}`));
        } else waiters.push(check);
      };
      check();
    });
  const daemon: Daemon = {
    child,
    host,
    port: options.port ?? 0,
    statusSocket,
    log: () => stderr,
    waitForLog,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return within(exited, 20_000, 'daemon stop');
    },
  };
  if (options.wrapper?.[0] === 'systemd-socket-activate') {
    await waitForLog(/Listening on \S+ as \d+/); // the activator is ready for the first packet
  } else {
    const m = await waitForLog(/listening on tcp \S+?:(\d+)/);
    daemon.port = Number(m[1]);
  }
  return daemon;
}

/** The TCP answer: everything the daemon writes before closing; fails after `idleMs` without a byte. */
export function fetchTcp(port: number, host = '127.0.0.1', send?: Buffer, idleMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    const chunks: Buffer[] = [];
    socket.on('connect', () => {
      if (send) socket.write(send);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.setTimeout(idleMs, () => {
      socket.destroy();
      reject(new Error('TCP fetch timed out'));
    });
  });
}

/**
 * Sends one datagram and collects the replies. It waits for the event, not for a time: it resolves
 * once `expect` replies (default 1) have arrived, plus a 50 ms grace to catch a duplicate, or after
 * `waitMs` (default 10 s, a cap for a loaded machine). `expect: 0` checks for silence: it waits
 * `waitMs` (default 500 ms), which on a slow machine can only let a late reply escape, never fail.
 */
export function queryUdp(
  port: number,
  payload: Buffer = buildQuery(),
  options: { host?: string; bindAddress?: string; waitMs?: number; expect?: number } = {},
): Promise<Buffer[]> {
  const host = options.host ?? '127.0.0.1';
  const expect = options.expect ?? 1;
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const replies: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      socket.close();
      resolve(replies);
    };
    socket.on('message', (m) => {
      replies.push(m);
      if (expect > 0 && replies.length === expect) {
        clearTimeout(timer);
        timer = setTimeout(finish, 50);
      }
    });
    socket.on('error', reject);
    socket.bind({ address: options.bindAddress, port: 0 }, () => {
      socket.send(payload, port, host, (err) => {
        if (err) reject(err);
      });
      timer = setTimeout(finish, options.waitMs ?? (expect > 0 ? 10_000 : 500));
    });
  });
}

/** Resident memory of a process, in KiB, from /proc/PID/status. */
export function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return Number(m?.[1] ?? NaN);
}

export { sleep } from '../helpers/wait.ts';

/** Rejects when `promise` has not settled within `ms`: a test waiting on a process must not hang. */
export function within<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}
