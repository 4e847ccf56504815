/**
 * Who this thin client is, for lts.conf sections and machash: its hostname, and the MAC and IPv4
 * address of its first non-internal interface (the one it booted from on a thin client, which
 * normally has just one).
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
  for (const addresses of Object.values(networkInterfaces())) {
    const usable = (addresses ?? []).filter((a) => !a.internal && a.mac !== '00:00:00:00:00:00');
    if (usable.length === 0) continue;
    out.mac = usable[0]!.mac.toLowerCase();
    const v4 = usable.find((a) => a.family === 'IPv4');
    if (v4) out.ip = v4.address;
    break;
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
