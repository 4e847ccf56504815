/**
 * Server names to addresses without ever starting a lookup that cannot be abandoned.
 *
 * Why not dns.lookup: it runs glibc's getaddrinfo on a libuv thread-pool thread, which nothing can
 * cancel, and process.exit() waits for that thread. With a hung DNS server get_hosts printed its host
 * list on time and then exited only after glibc gave up (timeout x attempts per nameserver: 4-15 s
 * measured), and LDM's `LDM_SERVER=$(get_hosts)` waits for the exit. The bridge, for its part, could
 * not stop on SIGTERM, and four hung lookups filled the pool its file operations share.
 *
 * So, in order:
 * 1. an IP address is itself;
 * 2. when nsswitch.conf consults `files` first for hosts (every LTSP client: `hosts: files ...`, and
 *    LTSP writes `server` into the chroot's /etc/hosts), the name is looked up in /etc/hosts here, in
 *    process: no thread, no child, no DNS;
 * 3. otherwise `getent ahosts NAME` in a child process: the same getaddrinfo with the same nsswitch
 *    order and modules (dns, mdns, myhostname, ldap, ...), and a child is killed at the deadline
 *    (SIGKILL; its pipes are ours, never LDM's stdout). getent is part of libc-bin, which every
 *    Debian and Ubuntu system has; it starts in about 2 ms.
 * 4. only if getent cannot be started at all: c-ares (dns.Resolver, Node >= 8.3), which uses no
 *    thread-pool slot and whose cancel() ends a query at once. It knows DNS only (no nsswitch).
 *
 * What this gives up against dns.lookup: the /etc/hosts fast path takes the first line naming the
 * host in file order (glibc may sort several addresses of one name by RFC 6724), and names that only
 * an NSS module knows cost a fork and an exec of getent (a few ms) instead of a thread.
 */
import { spawn } from 'node:child_process';
import { ipFamily } from '../../shared/net/ip-family.ts';
import { canonicalIPv6 } from '../../shared/net/ipv6.ts';
import { readFileCapped } from '../../shared/fs/read-capped.ts';
import { SurveyResolveError } from '../errors.ts';

export interface ResolverFiles {
  nsswitch: string;
  hosts: string;
  /** The getent binary (tests point it at a missing path to exercise the c-ares fallback). */
  getent: string;
}

const SYSTEM_FILES: ResolverFiles = { nsswitch: '/etc/nsswitch.conf', hosts: '/etc/hosts', getent: 'getent' };
/** Site hosts files are small; an ad-blocking one of many MB is left to getent rather than read here. */
const MAX_HOSTS_FILE_BYTES = 1024 * 1024;
const MAX_NSSWITCH_BYTES = 64 * 1024;
/** getent's answer for one name is a few lines; anything longer is cut. */
const MAX_GETENT_OUTPUT = 64 * 1024;

/**
 * The address to talk to for `host`, or a SurveyResolveError. When `signal` aborts, the lookup is
 * abandoned at once (its child killed, its c-ares query cancelled) and the promise rejects.
 */
export async function resolveHost(host: string, signal: AbortSignal, files: ResolverFiles = SYSTEM_FILES): Promise<string> {
  if (ipFamily(host)) return canonicalIPv6(host);
  if (signal.aborted) throw new SurveyResolveError(host, new Error('abandoned at the deadline'));
  if (filesFirst(files.nsswitch)) {
    const found = lookupHostsFile(files.hosts, host);
    if (found) return found;
  }
  try {
    return await lookupWithGetent(host, signal, files.getent);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
  }
  return lookupWithCares(host, signal);
}

/** Whether getaddrinfo would consult /etc/hosts before anything else. */
export function filesFirst(nsswitchPath: string): boolean {
  let text: string;
  try {
    text = readFileCapped(nsswitchPath, MAX_NSSWITCH_BYTES).toString('latin1');
  } catch {
    // No nsswitch.conf: glibc's built-in order is "dns [!UNAVAIL=return] files".
    return false;
  }
  const line = /^[ \t]*hosts[ \t]*:([^\n#]*)/m.exec(text);
  if (!line) return false;
  const first = line[1]!.replace(/\[[^\]]*\]/g, ' ').trim().split(/\s+/)[0];
  return first === 'files';
}

/** The first address in `path` for `host` (case-insensitive, as glibc compares), else undefined. */
export function lookupHostsFile(path: string, host: string): string | undefined {
  let text: string;
  try {
    text = readFileCapped(path, MAX_HOSTS_FILE_BYTES).toString('latin1');
  } catch {
    return undefined;
  }
  const wanted = host.toLowerCase().replace(/\.$/, '');
  for (const raw of text.split('\n')) {
    const fields = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (fields.length < 2 || !ipFamily(fields[0]!)) continue;
    for (let i = 1; i < fields.length; i++) {
      if (fields[i]!.toLowerCase() === wanted) return canonicalIPv6(fields[0]!);
    }
  }
  return undefined;
}

function lookupWithGetent(host: string, signal: AbortSignal, getent: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(getent, ['ahosts', host], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    let done = false;
    const finish = (err: Error | undefined, address?: string): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (err) reject(err);
      else resolve(address!);
    };
    const onAbort = (): void => finish(new SurveyResolveError(host, new Error('abandoned at the deadline')));
    signal.addEventListener('abort', onAbort);
    child.once('error', (err) => finish(err)); // ENOENT: no getent here
    child.stdout!.setEncoding('latin1').on('data', (chunk: string) => {
      if (out.length < MAX_GETENT_OUTPUT) out += chunk;
    });
    child.once('close', (code) => {
      const address = out.split(/\s+/)[0] ?? '';
      if (code === 0 && ipFamily(address)) return finish(undefined, canonicalIPv6(address));
      // getent's exit 2 is "not found" (for a name: NXDOMAIN or no data in every source).
      finish(new SurveyResolveError(host, new Error(code === 2 ? 'no such host' : `getent ahosts failed (exit ${code})`)));
    });
  });
}

/** DNS only, through c-ares: IPv4 first, then IPv6. Never blocks a thread-pool slot. */
async function lookupWithCares(host: string, signal: AbortSignal): Promise<string> {
  const { Resolver } = await import('node:dns');
  // Node >= 16 takes { timeout, tries }; older versions ignore the argument. cancel() is what
  // bounds the wait on every version.
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  const onAbort = (): void => resolver.cancel();
  signal.addEventListener('abort', onAbort);
  const query = (rrtype: 'resolve4' | 'resolve6'): Promise<string | undefined> =>
    new Promise((resolve) => resolver[rrtype](host, (err: Error | null, addresses: string[]) => resolve(err ? undefined : addresses[0])));
  try {
    const address = (await query('resolve4')) ?? (signal.aborted ? undefined : await query('resolve6'));
    if (address === undefined) throw new SurveyResolveError(host, new Error(signal.aborted ? 'abandoned at the deadline' : 'no such host (DNS)'));
    return canonicalIPv6(address);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
