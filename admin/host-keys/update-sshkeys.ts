/**
 * `ltsp-balance update-sshkeys`: the ssh host keys of every server a thin client may be sent to, into
 * /etc/ltsp/ssh_known_hosts.ltsp-balance. Upstream's `ltsp-update-sshkeys` owns ssh_known_hosts.auto
 * and concatenates every /etc/ltsp/ssh_known_hosts.* into each chroot's /etc/ssh/ssh_known_hosts, so
 * this file of our own reaches the clients without the two tools overwriting each other.
 *
 * The servers: LDM_BALANCE_SERVERS of every lts.conf section (the one list the administrator keeps),
 * /etc/ltsp/extraservers, and, when the clients discover servers by broadcast, whoever answers the
 * same broadcast from here (get_hosts prints those by address). Each key is recorded under the host's
 * name and its addresses (`app1,10.0.0.1 ssh-ed25519 ...`): ssh finds it whichever LDM is given.
 *
 * A server that does not answer is reported and is not fatal: its keys from the previous file are
 * kept (a server rebooting during the update must not lock every user out of it).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { readFileCapped } from '../../shared/fs/read-capped.ts';
import { BalanceError } from '../../shared/errors.ts';
import { EXIT } from '../../shared/exit-codes.ts';
import { logInfo, logWarning } from '../../shared/log.ts';
import { discoverServers } from '../../balance/probe/discover.ts';
import { DEFAULT_SSH_PORT, ExtraServersError, knownHostsName, MAX_EXTRASERVERS_BYTES, parseExtraServers, type SshTarget } from './extraservers.ts';
import { keyLines, scanAll, type ScanResult } from './keyscan.ts';
import { readPreviousFile, writeKnownHosts } from './known-hosts-file.ts';
import { ltsConfServers } from './lts-conf-servers.ts';

/** How long a name may take to resolve before it is recorded without its addresses. */
const LOOKUP_TIMEOUT_MS = 5_000;

export class SshPortError extends BalanceError {
  constructor(message: string) {
    super('ERR_SSH_PORT', message, { exitCode: EXIT.usage });
  }
}

export interface UpdateSshKeysOptions {
  extraservers: string;
  /** lts.conf files to read LDM_BALANCE_SERVERS and SSH_OVERRIDE_PORT from. */
  ltsConf: readonly string[];
  output: string;
  timeoutSec: number;
  /** The port LDM's ssh uses (default: SSH_OVERRIDE_PORT from lts.conf, else 22). */
  sshPort?: number;
  /** Ask the advertise daemons by broadcast (default: when the clients do). */
  discover?: boolean;
  /** The advertise port discovery asks (tests). */
  advertisePort?: number;
  concurrency?: number;
  keyscan?: string;
}

export interface UpdateSshKeysReport {
  targets: SshTarget[];
  results: ScanResult[];
  unreachable: ScanResult[];
  /** Names whose keys came from the previous file because they did not answer now. */
  kept: string[];
  lineCount: number;
}

function readExtraServers(path: string): string {
  try {
    return readFileCapped(path, MAX_EXTRASERVERS_BYTES).toString('utf8');
  } catch (err) {
    throw new ExtraServersError(path, 0, `cannot read: ${(err as Error).message}`);
  }
}

/** The one ssh port LDM uses for every server (ssh.c: SSH_OVERRIDE_PORT). */
function sshPortOf(options: UpdateSshKeysOptions, fromLtsConf: Array<{ port: number; where: string }>): number {
  if (options.sshPort !== undefined) return options.sshPort;
  const ports = [...new Set(fromLtsConf.map((p) => p.port))];
  if (ports.length > 1) {
    throw new SshPortError(`SSH_OVERRIDE_PORT differs between sections (${fromLtsConf.map((p) => `${p.port} in ${p.where}`).join(', ')}): give the port to scan with --ssh-port`);
  }
  return ports[0] ?? DEFAULT_SSH_PORT;
}

/** Every address of a host name (none for an address, or when the lookup fails or hangs). */
async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      lookup(host, { all: true }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${LOOKUP_TIMEOUT_MS} ms`)), LOOKUP_TIMEOUT_MS))),
    ]);
    return [...new Set(found.map((a) => a.address))];
  } catch (err) {
    logWarning(`${host}: no address found (${(err as Error).message}): its keys are recorded under its name only`);
    return [];
  } finally {
    clearTimeout(timer);
  }
}

/** `app1 ssh-ed25519 KEY` -> `app1,10.0.0.1 ssh-ed25519 KEY` (with [..]:port forms off port 22). */
function withAddresses(line: string, target: SshTarget, addresses: readonly string[]): string {
  const names = [knownHostsName(target), ...addresses.map((a) => knownHostsName({ host: a, port: target.port }))];
  return `${names.join(',')} ${line.split(' ').slice(1).join(' ')}`;
}

export async function updateSshKeys(options: UpdateSshKeysOptions): Promise<UpdateSshKeysReport> {
  const lts = ltsConfServers(options.ltsConf);
  for (const w of lts.warnings) logWarning(w);
  const sshPort = sshPortOf(options, lts.sshPorts);
  const targets: SshTarget[] = [];
  const add = (t: SshTarget): void => {
    if (!targets.some((x) => knownHostsName(x) === knownHostsName(t))) targets.push(t);
  };
  for (const host of lts.hosts) add({ host, port: sshPort });
  for (const t of parseExtraServers(readExtraServers(options.extraservers), options.extraservers, sshPort)) add(t);
  if (options.discover ?? lts.discovers) {
    // get_hosts prints discovered servers by address: record them by address too.
    const found = await discoverServers({ timeoutMs: 1_000, port: options.advertisePort });
    const answered = found.filter((r) => r.reachable && r.address).map((r) => r.address!.replace(/^::ffff:/, ''));
    logInfo(`discovery: ${answered.length} server(s) answered the broadcast${answered.length > 0 ? `: ${answered.join(' ')}` : ''}`);
    for (const a of answered) add({ host: a, port: sshPort });
  }
  const previous = readPreviousFile(options.output);
  const results = await scanAll(targets, { timeoutSec: options.timeoutSec, concurrency: options.concurrency, keyscan: options.keyscan });
  const lines: string[] = [];
  const kept: string[] = [];
  const unreachable: ScanResult[] = [];
  for (const r of results) {
    const name = knownHostsName(r.target);
    if (r.lines.length > 0) {
      const addresses = await addressesOf(r.target.host);
      lines.push(...r.lines.map((l) => withAddresses(l, r.target, addresses)));
      continue;
    }
    unreachable.push(r);
    const old = keyLines(previous, r.target);
    if (old.length > 0) kept.push(name);
    lines.push(...old);
    logWarning(`${name}: no host key (${r.error ?? 'no answer'}); ${old.length > 0 ? `kept its ${old.length} key(s) from ${options.output}` : 'nothing written for it'}`);
  }
  const sources = [...options.ltsConf.map((f) => `${f} (LDM_BALANCE_SERVERS)`), options.extraservers];
  const header = [
    `# Written by "ltsp-balance update-sshkeys" from ${sources.join(', ')}; edits are overwritten.`,
    '# ltsp-update-sshkeys adds /etc/ltsp/ssh_known_hosts.* to each chroot\'s /etc/ssh/ssh_known_hosts.',
  ];
  writeKnownHosts(options.output, [...header, ...lines].join('\n') + '\n');
  logInfo(`wrote ${lines.length} key(s) of ${results.length - unreachable.length + kept.length} of ${results.length} server(s) to ${options.output}`);
  logInfo('next: "ltsp-update-sshkeys -u" puts them into every chroot\'s /etc/ssh/ssh_known_hosts, then "ltsp-update-image" (NBD images) so the thin clients get them');
  return { targets, results, unreachable, kept, lineCount: lines.length };
}
