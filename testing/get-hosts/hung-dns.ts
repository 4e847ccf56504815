/**
 * A hung DNS server and a private view of /etc for one command: the fault a thin client sees at 8 am
 * when its DNS server stops answering.
 *
 * - `startHungDns()` binds UDP port 53 on a loopback address picked per test run (127.32-63.x.y) and
 *   counts the queries it receives, answering none (a closed port would answer with ICMP and glibc
 *   would give up at once: only a socket that reads and stays silent makes the resolver wait).
 * - `inPrivateEtc()` runs a command in its own mount namespace (`unshare -m`, private propagation)
 *   with resolv.conf, nsswitch.conf and hosts bind-mounted from files written for this run, so
 *   nothing outside the command, and no other test, sees them. Needs root, as CI runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HungDns {
  address: string;
  /** Datagrams received so far (every one left unanswered). */
  readonly queries: number;
  close(): Promise<void>;
}

export async function startHungDns(): Promise<HungDns> {
  for (let attempt = 0; ; attempt++) {
    const address = `127.${32 + Math.floor(Math.random() * 32)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
    const socket: Socket = createSocket('udp4');
    let queries = 0;
    socket.on('message', () => void queries++);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(53, address, () => resolve());
      });
    } catch (err) {
      socket.close();
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 20) continue;
      throw err;
    }
    return {
      address,
      get queries() {
        return queries;
      },
      close: () => new Promise((resolve) => socket.close(() => resolve())),
    };
  }
}

export interface EtcFiles {
  /** resolv.conf text; `nameserver ADDRESS` with the hung server. */
  resolvConf: string;
  /** nsswitch.conf text (its `hosts:` line decides the order). */
  nsswitch: string;
  /** /etc/hosts text. */
  hosts: string;
  /** Paths to hide (bind-mount /dev/null over them), e.g. getent to exercise a fallback. */
  hide?: string[];
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the hung-DNS tests need root (unshare -m, bind mounts): run them as root, as CI does');
}

/**
 * Spawns `command args` with `files` bind-mounted over /etc's own, in a private mount namespace.
 * `tag` keeps the files of concurrent runs apart inside `dir`.
 */
export function inPrivateEtc(dir: string, tag: string, files: EtcFiles, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const paths = { resolv: join(dir, `${tag}.resolv.conf`), nsswitch: join(dir, `${tag}.nsswitch.conf`), hosts: join(dir, `${tag}.hosts`) };
  writeFileSync(paths.resolv, files.resolvConf);
  writeFileSync(paths.nsswitch, files.nsswitch);
  writeFileSync(paths.hosts, files.hosts);
  const hides = (files.hide ?? []).map((p) => `mount --bind /dev/null ${JSON.stringify(p)} && `).join('');
  const script = `mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/nsswitch.conf && mount --bind "$3" /etc/hosts && ${hides}shift 3 && exec "$@"`;
  return spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', paths.resolv, paths.nsswitch, paths.hosts, command, ...args], {
    cwd: new URL('../..', import.meta.url).pathname,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface TimedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From spawn to the first byte on stdout (the host list), ms; undefined when nothing was printed. */
  printedMs?: number;
  /** From spawn to the process's exit and the end of its stdout, ms. */
  exitMs: number;
}

/** Runs the child to its end (killed after `capMs`), timing the first stdout byte and the exit. */
export function timeRun(start: () => ChildProcess, capMs = 60_000): Promise<TimedRun> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = start();
    let stdout = '';
    let stderr = '';
    let printedMs: number | undefined;
    child.stdout!.on('data', (d: Buffer) => {
      printedMs ??= performance.now() - started;
      stdout += d;
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), capMs);
    // 'close': the process has exited AND its stdout reached EOF, which is what LDM's $(...) waits for.
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, printedMs, exitMs: performance.now() - started });
    });
  });
}
