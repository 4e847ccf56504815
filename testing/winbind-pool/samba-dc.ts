/**
 * Test fixture: a real Samba AD DC, provisioned in a private network namespace and a private mount
 * namespace (../shared/notes/samba-dc-for-tests.md), with the DC's winbindd socket directory mounted
 * on the compiled-in /run/samba/winbindd inside the namespace only. Every client of the DC (wbinfo,
 * the pool daemon and its workers) runs inside through `prefix`.
 *
 * It refuses loudly (throws) when not root or when Samba is missing: a skipped domain test would
 * look like a passing one. Everything it starts is stopped by stop(), and by a process 'exit' hook
 * if the test file dies first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.ts';
import { eventually, GENEROUS_MS } from '../helpers/wait.ts';

export const REALM = 'LTSP.TEST';
export const DOMAIN = 'LTSP';
const ADMIN_PASSWORD = 'Adm1n-Passw0rd!';
const REQUIRED = ['samba', 'samba-tool', 'wbinfo', 'unshare', 'nsenter', 'ip'];

export interface SambaDc {
  dir: string;
  /** Command prefix that runs a program inside the DC's namespaces, in the repository directory. */
  prefix: string[];
  /** Runs a command inside; rejects with its output when it fails. */
  run(cmd: string, args: string[]): Promise<string>;
  addUser(name: string, password: string, uid: number, gid: number): Promise<void>;
  addGroup(name: string, gid: number, members: string[]): Promise<void>;
  /** Pids of winbindd's domain child for our domain (the process that talks to the DC). */
  domainChildPids(): number[];
  stopDc(): Promise<void>;
  startDc(): Promise<void>;
  stop(): Promise<void>;
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function exec(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} failed (${code}):\n${out}`))));
  });
}

function ppid(pid: number): number {
  try {
    // The command name in /proc/PID/stat is parenthesised and may contain spaces: parse after it.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p = pid, i = 0; p > 1 && i < 64; p = ppid(p), i++) if (p === ancestor) return true;
  return false;
}

export async function startSambaDc(): Promise<SambaDc> {
  if (process.getuid?.() !== 0) throw new Error('the Samba AD DC tests must run as root (namespaces, mounts, xattrs): run them as root, as CI does');
  const missing = REQUIRED.filter((c) => !which(c));
  if (missing.length > 0) {
    throw new Error(`the Samba AD DC tests need ${missing.join(', ')}: apt-get install samba samba-ad-dc samba-ad-provision winbind libwbclient0 iproute2`);
  }
  const dir = mkdtempSync('/tmp/wbp-dc-');
  mkdirSync(join(dir, 'run', 'winbindd'), { recursive: true });
  const holder = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sleep', 'infinity'], { stdio: 'ignore' });
  let samba: ChildProcess | null = null;
  let stopped = false;

  const cleanupSync = (): void => {
    if (stopped) return;
    stopped = true;
    samba?.kill('SIGKILL');
    holder.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    cleanupSync();
    process.exit(1);
  };
  process.on('exit', cleanupSync);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const ns = ['nsenter', '-t', String(holder.pid), '-n', '-m', `--wd=${ROOT}`];
  const inside = (cmd: string, args: string[]): Promise<string> => exec([...ns, cmd, ...args]);
  const smbConf = join(dir, 'dc', 'etc', 'smb.conf');
  const ldb = ['-s', smbConf, '-H', join(dir, 'dc', 'private', 'sam.ldb')];

  const startDc = async (): Promise<void> => {
    const log = join(dir, 'samba.out');
    samba = spawn('sh', ['-c', `exec "$@" >>${log} 2>&1`, 'sh', ...ns, 'samba', '-s', smbConf, '-i', '-M', 'single'], { stdio: 'ignore' });
    const proc = samba;
    let exited = false;
    proc.on('exit', () => (exited = true));
    // Samba's own test suite polls wbinfo -P; the DC answers after a few seconds.
    await eventually(async () => {
      if (exited) throw new Error(`samba exited at start:\n${readFileSync(log, 'utf8').slice(-2000)}`);
      return inside('wbinfo', ['-P']).then(
        () => true,
        () => false,
      );
    }, 60_000, 'the DC to answer wbinfo -P');
  };

  const dc: SambaDc = {
    dir,
    prefix: ns,
    run: inside,
    async addUser(name, password, uid, gid) {
      await inside('samba-tool', ['user', 'create', name, password, ...ldb, `--uid-number=${uid}`, `--gid-number=${gid}`, '--login-shell=/bin/bash', `--given-name=${name}`]);
    },
    async addGroup(name, gid, members) {
      await inside('samba-tool', ['group', 'add', name, ...ldb, `--gid-number=${gid}`, '--nis-domain=ltsp']);
      if (members.length > 0) await inside('samba-tool', ['group', 'addmembers', name, members.join(','), ...ldb]);
    },
    domainChildPids() {
      if (!samba?.pid) return [];
      const out: number[] = [];
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        let cmd: string;
        try {
          cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        } catch {
          continue;
        }
        if (cmd.startsWith(`winbindd: domain child [${DOMAIN}]`) && descendsFrom(Number(entry), samba.pid)) out.push(Number(entry));
      }
      return out;
    },
    async stopDc() {
      const proc = samba;
      if (!proc || proc.exitCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
      samba = null;
      // samba's children (winbindd and its own children) follow their parent.
      await eventually(async () => (await inside('wbinfo', ['-p']).then(() => false, () => true)), 20_000, 'the DC socket to go');
    },
    startDc,
    async stop() {
      await dc.stopDc().catch(() => {});
      cleanupSync();
      process.off('exit', cleanupSync);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };

  try {
    if (!existsSync('/run/samba')) mkdirSync('/run/samba', { recursive: true });
    // nsenter must not join before the holder has unshared (it would join our own namespaces).
    const ours = readlinkSync('/proc/self/ns/mnt');
    await eventually(() => {
      try {
        return readlinkSync(`/proc/${holder.pid}/ns/mnt`) !== ours;
      } catch {
        return false;
      }
    }, GENEROUS_MS, 'the namespace holder');
    await inside('ip', ['link', 'set', 'lo', 'up']);
    // Only inside our mount namespace: a tmpfs over /run/samba and the DC's socket directory on top.
    await inside('sh', ['-c', `mount -t tmpfs tmpfs /run/samba && mkdir /run/samba/winbindd && mount --bind ${dir}/run/winbindd /run/samba/winbindd`]);
    await inside('samba-tool', [
      'domain', 'provision', `--targetdir=${dir}/dc`, '--server-role=dc', '--use-rfc2307', '--dns-backend=SAMBA_INTERNAL',
      `--realm=${REALM}`, `--domain=${DOMAIN}`, '--host-name=dc1', '--host-ip=127.0.0.1', `--adminpass=${ADMIN_PASSWORD}`,
      '--option=interfaces=lo', '--option=bind interfaces only=yes',
      `--option=pid directory=${dir}/run`, `--option=ncalrpc dir=${dir}/run/ncalrpc`,
      `--option=winbindd socket directory=${dir}/run/winbindd`, `--option=ntp signd socket directory=${dir}/run/ntp_signd`,
      `--option=log file=${dir}/log/log.%m`, '--option=dns forwarder=127.0.0.1',
    ]);
    await startDc();
    return dc;
  } catch (err) {
    await dc.stop();
    throw err;
  }
}
