/**
 * Server lists as the administrator writes them: `host[:port]` entries (shared/net/address.ts)
 * separated by spaces or commas. The port defaults to the advertise port, 377.
 */
import { isIP } from 'node:net';
import { parseHostPort, type HostPort } from '../shared/net/address.ts';
import { ADVERTISE_PORT } from '../shared/wire/advertisement.ts';
import { ServerListError } from './errors.ts';

/** A server: host and advertise port (shared/net/address.ts parses the entries). */
export type ServerAddress = HostPort;

/** More servers than any site runs behind one greeter; a longer list is a mistake or an attack. */
export const MAX_SERVERS = 256;
const MAX_LIST_CHARS = 64 * 1024;

export type InvalidEntryHandler = (error: ServerListError) => void;

/**
 * The servers in `text`, in order, duplicates dropped. An invalid entry throws a ServerListError
 * naming it and `source`, unless `onInvalid` is given: then it is reported there and skipped, so
 * one typo in lts.conf does not cost the other servers.
 */
export function parseServerList(text: string, source: string, onInvalid?: InvalidEntryHandler): ServerAddress[] {
  const reject = (entry: string, reason: string): void => {
    const error = new ServerListError(entry, source, reason);
    if (!onInvalid) throw error;
    onInvalid(error);
  };
  if (text.length > MAX_LIST_CHARS) {
    reject(text.slice(0, 40), `list is longer than ${MAX_LIST_CHARS} characters`);
    return [];
  }
  const out: ServerAddress[] = [];
  const seen = new Set<string>();
  for (const entry of text.split(/[\s,]+/)) {
    if (entry === '') continue;
    const parsed = parseHostPort(entry, ADVERTISE_PORT);
    if (typeof parsed === 'string') {
      reject(entry, parsed);
      continue;
    }
    const key = serverKey(parsed);
    if (seen.has(key)) continue;
    if (out.length === MAX_SERVERS) {
      reject(entry, `is past the limit of ${MAX_SERVERS} servers`);
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
  return isIP(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

/** Identity of a server for de-duplication, hashing and cache matching. */
export function serverKey(s: ServerAddress): string {
  return `${s.host.toLowerCase()}|${s.port}`;
}
