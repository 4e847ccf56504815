/**
 * Server lists as the administrator writes them: `host[:port]` entries (shared/net/address.ts)
 * separated by spaces or commas. The port defaults to the advertise port, 377.
 */
import { ipFamily } from '../shared/net/ip-family.ts';
import { parseHostPort, type HostPort } from '../shared/net/address.ts';
import { canonicalIPv6 } from '../shared/net/ipv6.ts';
import { ADVERTISE_PORT } from '../shared/wire/advertisement.ts';
import { logWarning } from '../shared/log.ts';
import { ServerListError } from './errors.ts';

/** A server: host and advertise port (shared/net/address.ts parses the entries). */
export type ServerAddress = HostPort;

/** More servers than any site runs behind one greeter; a longer list is a mistake or an attack. */
export const MAX_SERVERS = 256;
/** Room for MAX_SERVERS of the longest entries (`[v6]:port`, a 253-character name with a port). */
export const MAX_LIST_CHARS = 128 * 1024;

export type InvalidEntryHandler = (error: ServerListError) => void;

/**
 * The servers in `text`, in order, duplicates dropped. An invalid entry throws a ServerListError
 * naming it and `source`, unless `onInvalid` is given: then it is reported there and skipped, so
 * one typo in lts.conf does not cost the other servers.
 *
 * Past the caps (MAX_SERVERS entries, MAX_LIST_CHARS characters) the rule is the same for every
 * source (lts.conf, environment, --servers): the first entries are used and the rest is reported
 * once, naming the cap, as a ServerListError with `pastCap` (to `onInvalid`, else logged). Never
 * fatal: get_hosts must print a host, and a list that is only too long still has good entries.
 */
export function parseServerList(text: string, source: string, onInvalid?: InvalidEntryHandler): ServerAddress[] {
  const reject = (entry: string, reason: string): void => {
    const error = new ServerListError(entry, source, reason);
    if (!onInvalid) throw error;
    onInvalid(error);
  };
  const pastCap = (entry: string, ignored: number, cap: string): void => {
    const error = new ServerListError(entry, source, `and ${ignored - 1} more ${ignored === 2 ? 'entry' : 'entries'} after it are past the limit of ${cap}: ignored; the first ${MAX_SERVERS} servers at most are used`, true);
    if (onInvalid) onInvalid(error);
    else logWarning(error.message);
  };
  let words = text.split(/[\s,]+/);
  if (text.length > MAX_LIST_CHARS) {
    // Cut at the last separator before the cap: no entry is read half.
    const kept = text.slice(0, MAX_LIST_CHARS + 1).replace(/[^\s,]*$/, '').split(/[\s,]+/);
    const ignored = words.filter(Boolean).length - kept.filter(Boolean).length;
    if (ignored > 0) pastCap(words.filter(Boolean)[kept.filter(Boolean).length]!, ignored, `${MAX_LIST_CHARS} characters`);
    words = kept;
  }
  const out: ServerAddress[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of words.entries()) {
    if (entry === '') continue;
    const parsed = parseHostPort(entry, ADVERTISE_PORT);
    if (typeof parsed === 'string') {
      reject(entry, parsed);
      continue;
    }
    const key = serverKey(parsed);
    if (seen.has(key)) continue;
    if (out.length === MAX_SERVERS) {
      pastCap(entry, words.slice(i).filter(Boolean).length, `${MAX_SERVERS} servers`);
      break;
    }
    seen.add(key);
    out.push(parsed);
  }
  return out;
}

/** How the server is printed for LDM and in explanations: `host` for the default port, else `host:port`. */
export function formatServer(s: ServerAddress): string {
  if (s.port === ADVERTISE_PORT) return s.host;
  return ipFamily(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

/** Identity of a server for de-duplication, hashing and cache matching. */
export function serverKey(s: ServerAddress): string {
  return `${canonicalIPv6(s.host).toLowerCase()}|${s.port}`;
}
