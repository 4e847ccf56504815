/**
 * Addresses as people write them and as sockets report them, in one place: `host[:port]` entries
 * (the server lists, /etc/ltsp/extraservers), the one host-name rule, and IPv4-mapped IPv6.
 *
 * `host[:port]`: IPv6 in brackets when a port follows (`[fd00::5]:377`); a bare `fd00::5` is the
 * address alone. A host name is checked strictly: it may reach a command line (ssh-keyscan), where a
 * name starting with "-" would be read as an option.
 */
import { ipFamily } from './ip-family.ts';
import { canonicalIPv6 } from './ipv6.ts';
import { HOSTNAME_PATTERN } from '../wire/advertisement.ts';

export interface HostPort {
  host: string;
  port: number;
}

/** RFC 1123 names (and `_`, as some sites use): labels of 1..63 characters, no leading or trailing `-`; one trailing dot allowed. */
export function isHostname(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (!HOSTNAME_PATTERN.test(name) || name.includes('..')) return false;
  return name.split('.').every((label) => label.length >= 1 && label.length <= 63 && !label.startsWith('-') && !label.endsWith('-'));
}

/** The entry with `defaultPort` when it names none, or a phrase saying why it is not an address. */
export function parseHostPort(entry: string, defaultPort: number): HostPort | string {
  let host = entry;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (ipFamily(host) !== 6) return 'has brackets around something that is not an IPv6 address';
  } else if (ipFamily(entry) === 6) {
    return { host: canonicalIPv6(entry), port: defaultPort };
  } else {
    const colon = entry.lastIndexOf(':');
    if (colon !== -1) {
      host = entry.slice(0, colon);
      portText = entry.slice(colon + 1);
    }
    if (host.includes(':')) return 'has too many colons (an IPv6 address with a port is written [addr]:port)';
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65_535) {
      return `has an invalid port ${JSON.stringify(portText.slice(0, 20))} (1..65535)`;
    }
    port = Number(portText);
  }
  if (ipFamily(host) === 0 && !isHostname(host)) return 'is not a host name or IP address';
  return { host: canonicalIPv6(host), port };
}

/** `::ffff:10.0.0.5` (how a dual-stack socket reports an IPv4 peer) as `10.0.0.5`; anything else unchanged. */
export function unmapIPv4(address: string): string {
  return /^::ffff:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(address) ? address.slice(7) : address;
}

/**
 * A listening address for a flag: `ADDR:PORT` or `[v6]:PORT`, and a bare `PORT` when `bareHost` is
 * given (meaning that host). Port 0 asks the kernel for a free one. The address itself is left to
 * listen() to judge; undefined when the text is not of this shape.
 */
export function parseListenSpec(text: string, bareHost?: string): HostPort | undefined {
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):)?(\d{1,5})$/.exec(text);
  if (!m || Number(m[3]) > 65_535) return undefined;
  const host = m[1] ?? m[2] ?? bareHost;
  return host === undefined ? undefined : { host, port: Number(m[3]) };
}
