/**
 * /etc/ltsp/extraservers: application servers whose ssh host keys the thin clients must know, besides
 * those in lts.conf's LDM_BALANCE_SERVERS. One or more `host[:port]` per line (port = sshd's; IPv6 as
 * `[addr]:port` or bare), `#` starts a comment, blank lines are ignored. LDM connects to every server
 * on one port (SSH_OVERRIDE_PORT, default 22: ssh.c), so a port other than that one is refused: the
 * login could never use it.
 *
 * A host name reaches ssh-keyscan's command line, so it is checked strictly: a name that starts
 * with "-" would be read as an option.
 */
import { BalanceError } from '../../shared/errors.ts';
import { EXIT } from '../../shared/exit-codes.ts';
import { oneLine } from '../../shared/log.ts';
import { parseHostPort, type HostPort } from '../../shared/net/address.ts';

export const MAX_EXTRASERVERS_BYTES = 64 * 1024;
export const MAX_EXTRASERVERS = 1024;
export const DEFAULT_SSH_PORT = 22;

/** A server and its sshd port. */
export type SshTarget = HostPort;

export class ExtraServersError extends BalanceError {
  readonly source: string;
  readonly line: number;
  constructor(source: string, line: number, message: string) {
    super('ERR_EXTRASERVERS', `${source}${line > 0 ? `:${line}` : ''}: ${message}`, { exitCode: EXIT.usage });
    this.source = source;
    this.line = line;
  }
}

/** One entry, or the reason it is not one. */
export function parseTarget(word: string): SshTarget | string {
  const parsed = parseHostPort(word, DEFAULT_SSH_PORT);
  return typeof parsed === 'string' ? `"${oneLine(word.slice(0, 80))}" ${parsed}` : parsed;
}

/** Every target in the file's order, without duplicates; any bad entry is an error naming its line. */
export function parseExtraServers(text: string, source: string, sshPort = DEFAULT_SSH_PORT): SshTarget[] {
  if (Buffer.byteLength(text) > MAX_EXTRASERVERS_BYTES) {
    throw new ExtraServersError(source, 0, `larger than ${MAX_EXTRASERVERS_BYTES} bytes`);
  }
  const out: SshTarget[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    for (const word of line.split(/[\s,]+/).filter(Boolean)) {
      const parsed = parseTarget(word);
      if (typeof parsed === 'string') throw new ExtraServersError(source, i + 1, parsed);
      const explicitPort = parsed.port !== DEFAULT_SSH_PORT || /\]:\d+$|^[^:\[]+:\d+$/.test(word);
      if (explicitPort && parsed.port !== sshPort) {
        throw new ExtraServersError(source, i + 1, `"${oneLine(word)}": LDM logs into every server on one ssh port (SSH_OVERRIDE_PORT, here ${sshPort}), so a per-host port cannot be used; write the host alone, or set SSH_OVERRIDE_PORT = ${parsed.port} in lts.conf if every server listens there`);
      }
      const t = { host: parsed.host, port: sshPort };
      const key = knownHostsName(t);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(t);
      if (out.length > MAX_EXTRASERVERS) throw new ExtraServersError(source, i + 1, `more than ${MAX_EXTRASERVERS} servers`);
    }
  }
  return out;
}

/** How known_hosts (and ssh-keyscan) names a target: the bare host on port 22, else `[host]:port`. */
export function knownHostsName(t: SshTarget): string {
  return t.port === DEFAULT_SSH_PORT ? t.host : `[${t.host}]:${t.port}`;
}
