/**
 * Who this thin client is, for lts.conf sections and machash: its hostname, and the IPv4 address and
 * MAC of the first non-loopback interface that has an IPv4 address, which is what getltscfg uses
 * (getltscfg.c GetAddrs, 282-367: SIOCGIFCONF lists IPv4 interfaces in kernel order; the MAC is that
 * interface's). An interface with only IPv6 is skipped, as getltscfg skips it. Without any IPv4
 * interface getltscfg has no IP and no MAC; we keep the first interface's MAC for machash only
 * (an LTSP 5 client boots over IPv4, so this does not happen on a real one).
 * Differences left: Node lists only interfaces that are up and running (libuv), getltscfg up ones.
 */
import { hostname, networkInterfaces } from 'node:os';

export interface LocalIdentity {
  hostname: string;
  mac?: string;
  ip?: string;
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

export function localIdentity(): LocalIdentity {
  const out: LocalIdentity = { hostname: hostname() };
  const external = Object.values(networkInterfaces()).map((list) => (list ?? []).filter((a) => !a.internal));
  const v4 = external.map((list) => list.find((a) => a.family === 'IPv4')).find((a) => a !== undefined);
  if (v4) {
    out.ip = v4.address;
    out.mac = v4.mac.toLowerCase();
  } else {
    // concat, not flat(): the hook runs on Node 8.10 and 10, which lack Array.prototype.flat.
    const any = ([] as typeof external[number]).concat(...external).find((a) => a.mac !== '00:00:00:00:00:00');
    if (any) out.mac = any.mac.toLowerCase();
  }
  return out;
}

/** `--mac` as LTSP writes MACs in lts.conf: lowercase, colon separated. Dashes and upper case are accepted. */
export function normalizeMac(text: string): string | undefined {
  const mac = text.trim().toLowerCase().replace(/-/g, ':');
  return MAC.test(mac) ? mac : undefined;
}

/** IPv4 broadcast address of every non-internal interface (address | ~netmask), for discovery. */
export function broadcastAddresses(): string[] {
  const out = new Set<string>();
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.internal || a.family !== 'IPv4') continue;
      const ip = a.address.split('.').map(Number);
      const mask = a.netmask.split('.').map(Number);
      out.add(ip.map((octet, i) => (octet | (~mask[i]! & 255)) >>> 0).join('.'));
    }
  }
  return [...out];
}
