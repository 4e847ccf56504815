/**
 * net.isIP for the thin client's start-up: 4, 6 or 0. Node's isIP tries IPv4 and then IPv6 with a
 * large regular expression that V8 compiles on its first use, about 6.5 ms in a fresh process;
 * every host name and every `addr:port` entry (the usual LDM configurations) used to pay it. An IPv6
 * address has at least two colons (`::` is the shortest), so nothing else reaches that expression.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function ipFamily(text: string): 0 | 4 | 6 {
  if (isIPv4(text)) return 4;
  const colon = text.indexOf(':');
  return colon !== -1 && text.indexOf(':', colon + 1) !== -1 && isIPv6(text) ? 6 : 0;
}
