/**
 * `ltsp-balance update-sshkeys`: the ssh host keys of every server in /etc/ltsp/extraservers,
 * into /etc/ltsp/ssh_known_hosts.auto. A server that does not answer is reported and is not fatal:
 * its keys from the previous file are kept (a server rebooting during the update must not lock
 * every user out of it), and the rest of the file is written as usual.
 */
import { readFileCapped } from '../../shared/fs/read-capped.ts';
import { logInfo, logWarning } from '../../shared/log.ts';
import { ExtraServersError, knownHostsName, MAX_EXTRASERVERS_BYTES, parseExtraServers } from './extraservers.ts';
import { keyLines, scanAll, type ScanResult } from './keyscan.ts';
import { readPreviousFile, writeKnownHosts } from './known-hosts-file.ts';

export interface UpdateSshKeysOptions {
  extraservers: string;
  output: string;
  timeoutSec: number;
  concurrency?: number;
  keyscan?: string;
}

export interface UpdateSshKeysReport {
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

export async function updateSshKeys(options: UpdateSshKeysOptions): Promise<UpdateSshKeysReport> {
  const targets = parseExtraServers(readExtraServers(options.extraservers), options.extraservers);
  const previous = readPreviousFile(options.output);
  const results = await scanAll(targets, { timeoutSec: options.timeoutSec, concurrency: options.concurrency, keyscan: options.keyscan });
  const lines: string[] = [];
  const kept: string[] = [];
  const unreachable: ScanResult[] = [];
  for (const r of results) {
    const name = knownHostsName(r.target);
    if (r.lines.length > 0) {
      lines.push(...r.lines);
      continue;
    }
    unreachable.push(r);
    const old = keyLines(previous, r.target);
    if (old.length > 0) kept.push(name);
    lines.push(...old);
    logWarning(`${name}: no host key (${r.error ?? 'no answer'}); ${old.length > 0 ? `kept its ${old.length} key(s) from ${options.output}` : 'nothing written for it'}`);
  }
  const header = [
    `# Written by "ltsp-balance update-sshkeys" from ${options.extraservers}; edits are overwritten.`,
    '# ltsp-update-sshkeys adds /etc/ltsp/ssh_known_hosts.* to each chroot\'s /etc/ssh/ssh_known_hosts.',
  ];
  writeKnownHosts(options.output, [...header, ...lines].join('\n') + '\n');
  logInfo(`wrote ${lines.length} key(s) of ${results.length - unreachable.length + kept.length} of ${results.length} server(s) to ${options.output}`);
  return { results, unreachable, kept, lineCount: lines.length };
}
