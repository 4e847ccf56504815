/**
 * /etc/ltsp/extraservers: the application servers besides this one whose ssh host keys the thin
 * clients must know. One or more `host[:port]` per line (port = sshd's, default 22; IPv6 as
 * `[addr]:port` or bare), `#` starts a comment, blank lines are ignored.
 *
 * A host name reaches ssh-keyscan's command line, so it is checked strictly: a name that starts
 * with "-" would be read as an option.
 */
import { BalanceError } from '../../shared/errors.ts';
import { oneLine } from '../../shared/log.ts';
import { isIP } from 'node:net';

export const MAX_EXTRASERVERS_BYTES = 64 * 1024;
export const MAX_EXTRASERVERS = 1024;
export const DEFAULT_SSH_PORT = 22;

export interface SshTarget {
  host: string;
  port: number;
}

export class ExtraServersError extends BalanceError {
  readonly source: string;
  readonly line: number;
  constructor(source: string, line: number, message: string) {
    super('ERR_EXTRASERVERS', `${source}${line > 0 ? `:${line}` : ''}: ${message}`, { exitCode: 2 });
    this.source = source;
    this.line = line;
  }
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/** One entry, or the reason it is not one. */
export function parseTarget(word: string): SshTarget | string {
  let host = word;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(word);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (isIP(host) !== 6) return `"${oneLine(word)}": only an IPv6 address goes in brackets`;
  } else if (isIP(word) !== 6) {
    const colon = word.lastIndexOf(':');
    if (colon !== -1) {
      host = word.slice(0, colon);
      portText = word.slice(colon + 1);
    }
  }
  if (!bracketed && isIP(word) !== 6 && host.includes(':')) return `"${oneLine(word)}": too many colons (an IPv6 address with a port is written [addr]:port)`;
  if (portText !== undefined && !/^\d{1,5}$/.test(portText)) return `"${oneLine(word)}": the port must be a number`;
  const port = portText === undefined ? DEFAULT_SSH_PORT : Number(portText);
  if (port < 1 || port > 65_535) return `"${oneLine(word)}": the port must be 1..65535`;
  if (isIP(host) === 0 && !HOSTNAME.test(host)) return `"${oneLine(word.slice(0, 80))}" is not a host name or IP address`;
  return { host, port };
}

/** Every target in the file's order, without duplicates; any bad entry is an error naming its line. */
export function parseExtraServers(text: string, source: string): SshTarget[] {
  if (Buffer.byteLength(text) > MAX_EXTRASERVERS_BYTES) {
    throw new ExtraServersError(source, 0, `larger than ${MAX_EXTRASERVERS_BYTES} bytes`);
  }
  const out: SshTarget[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    for (const word of line.split(/[\s,]+/).filter(Boolean)) {
      const t = parseTarget(word);
      if (typeof t === 'string') throw new ExtraServersError(source, i + 1, t);
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
