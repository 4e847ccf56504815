/**
 * `--interface NAME`: answer only clients whose address lies in a subnet of one of these interfaces
 * (the LTSP network, not the uplink). The subnets come from os.networkInterfaces() and are refreshed
 * on every sample, so an address that DHCP changes is followed without a restart.
 */
import { BlockList } from 'node:net';
import { unmapIPv4 } from '../shared/net/address.ts';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export class SourceFilter {
  private list = new BlockList();
  private subnets: string[] = [];

  constructor(
    private readonly interfaces: readonly string[],
    private readonly lookup: () => NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces,
  ) {
    this.refresh();
  }

  /** The subnets now allowed, as CIDR strings (for logs and status). */
  get allowed(): readonly string[] {
    return this.subnets;
  }

  /** Re-reads the interfaces; returns the names that currently have no address. */
  refresh(): string[] {
    const all = this.lookup();
    const list = new BlockList();
    const subnets: string[] = [];
    const missing: string[] = [];
    for (const name of this.interfaces) {
      const infos = all[name] ?? [];
      if (infos.length === 0) missing.push(name);
      for (const info of infos) {
        if (!info.cidr) continue;
        const prefix = Number(info.cidr.split('/')[1]);
        list.addSubnet(info.address, prefix, info.family === 'IPv4' ? 'ipv4' : 'ipv6');
        subnets.push(info.cidr);
      }
    }
    this.list = list;
    this.subnets = subnets;
    return missing;
  }

  allows(address: string | undefined): boolean {
    if (address === undefined) return false;
    // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; the subnets are plain IPv4.
    const v4 = unmapIPv4(address);
    if (v4 !== address) return this.list.check(v4, 'ipv4');
    return this.list.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
  }
}
