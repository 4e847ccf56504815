/**
 * A minimal Debian bookworm system for package tests, built with debootstrap from the mirror apt
 * uses here, as a thin-client chroot or an application server is. The first run builds it (~45 s)
 * and keeps a tarball outside the repository (/var/cache/ltsp-balance-test/debian/, override with
 * LTSP_BALANCE_TEST_CACHE); later runs unpack it (a few seconds). The tarball holds apt's package
 * lists and the .deb files of nodejs, libwbclient0, systemd and procps, so installing our packages with apt resolves
 * their dependencies from Debian's own packages without fetching anything.
 *
 * Commands run inside with chroot(8), in a private mount namespace with /proc mounted (Node and the
 * advertise daemon read it): the mount disappears with the process, nothing to clean up.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { hostArch } from '../../packaging/arch.ts';

export const SUITE = 'bookworm';
export const CACHE_DIR = join(process.env.LTSP_BALANCE_TEST_CACHE ?? '/var/cache/ltsp-balance-test', 'debian');
/** Debian packages whose .deb files the cached chroot carries (dependencies of ours). */
const PRELOADED = ['nodejs', 'libwbclient0', 'systemd', 'procps'];

/** The Debian mirror apt uses on this machine (deb.debian.org when none is found). */
export function aptMirror(): string {
  if (process.env.LTSP_BALANCE_TEST_MIRROR) return process.env.LTSP_BALANCE_TEST_MIRROR;
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').map((f) => `/etc/apt/sources.list.d/${f}`) : [])];
  for (const f of files.filter((p) => /\.(list|sources)$/.test(p) || p.endsWith('sources.list'))) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const m = /^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(https?:\/\/\S+\/debian)\/?\s*$/m.exec(text);
    if (m) return m[1]!;
  }
  return 'http://deb.debian.org/debian';
}

function run(argv: string[], what: string, timeoutMs = 600_000): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status}`}): ${`${r.stderr}`.trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

/**
 * The cached tarball for `arch` (another architecture than the machine's must be one its kernel
 * runs, e.g. i386 on amd64), built when missing. Parallel first runs both build; the last rename wins.
 */
export function chrootTarball(arch = hostArch()): string {
  const tarball = join(CACHE_DIR, `${SUITE}-minbase-${arch}.tar`);
  if (existsSync(tarball)) return tarball;
  mkdirSync(CACHE_DIR, { recursive: true });
  const dir = mkdtempSync(join(CACHE_DIR, 'build-'));
  try {
    run(['debootstrap', '--variant=minbase', `--arch=${arch}`, SUITE, dir, aptMirror()], 'debootstrap');
    run(['chroot', dir, 'apt-get', 'update', '-qq'], 'apt-get update in the chroot');
    run(['chroot', dir, 'apt-get', 'install', '-y', '-qq', '--download-only', '--no-install-recommends', ...PRELOADED], 'downloading nodejs');
    run(['tar', '-C', dir, '-cf', `${tarball}.tmp-${process.pid}`, '.'], 'tar');
    renameSync(`${tarball}.tmp-${process.pid}`, tarball);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${tarball}.tmp-${process.pid}`, { force: true });
  }
  return tarball;
}

export class Chroot {
  private constructor(readonly root: string) {}

  /** A fresh copy of the cached system in a new temporary directory under `parent`. */
  static create(parent: string, arch?: string): Chroot {
    const tarball = chrootTarball(arch);
    const root = mkdtempSync(join(parent, 'chroot-'));
    run(['tar', '-C', root, '-xf', tarball], 'unpacking the chroot');
    return new Chroot(root);
  }

  /**
   * argv prefix that runs a command inside: private mount namespace, /proc mounted, chroot. With
   * `ipc`, a private IPC namespace too (POSIX message queues that vanish with the command).
   */
  prefix(opts: { ipc?: boolean } = {}): string[] {
    return ['unshare', '--mount', '--propagation', 'private', ...(opts.ipc ? ['--ipc'] : []), 'sh', '-c', 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"', this.root];
  }

  exec(argv: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; ipc?: boolean } = {}): SpawnSyncReturns<string> {
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive', ...opts.env };
    const prefix = this.prefix({ ipc: opts.ipc });
    return spawnSync(prefix[0]!, [...prefix.slice(1), ...argv], { encoding: 'utf8', input: opts.input, env, timeout: opts.timeoutMs ?? 300_000 });
  }

  /** Like exec, but a failure throws with the command's last lines. */
  mustExec(argv: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): string {
    const r = this.exec(argv, opts);
    if (r.status !== 0) throw new Error(`${argv.join(' ')} in the chroot: exit ${r.status ?? r.signal}: ${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-4).join(' | ')}`);
    return r.stdout;
  }

  path(p: string): string {
    return join(this.root, p);
  }

  /**
   * Every path in the system with its type, mode and (files) size and modification time, except what
   * changes by itself or by any package operation: dpkg's and apt's own databases, logs, caches, /tmp.
   * Without `mtimes`, a file rewritten with the same size and mode counts as unchanged.
   */
  snapshot({ mtimes = true } = {}): string[] {
    const skip = new Set(['proc', 'tmp', 'var/lib/dpkg', 'var/lib/apt', 'var/log', 'var/cache', 'dev', 'run']);
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        const rel = relative(this.root, p);
        if (skip.has(rel)) continue;
        const st = lstatSync(p);
        const mode = (st.mode & 0o7777).toString(8);
        if (st.isDirectory()) {
          out.push(`${rel}/ ${mode}`);
          walk(p);
        } else if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(p)}`);
        else out.push(`${rel} ${mode} ${st.size} ${st.isFile() ? (mtimes ? st.mtimeMs : '') : 'special'}`);
      }
    };
    walk(this.root);
    return out;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
