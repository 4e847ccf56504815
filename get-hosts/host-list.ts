/**
 * What LDM gets from a decision: host names, chosen first. The advertise port is ours, never LDM's,
 * so it is dropped (and duplicates with it); XDMCP takes one host. Configured servers are printed as
 * the administrator wrote them, discovered ones by address, and the boot server, when it was not
 * configured, as `server`.
 */
import type { Decision } from '../balance/decide/decide.ts';
import type { Settings } from '../balance/settings.ts';

/**
 * LTSP's name for the boot server: ltsp-update-sshkeys writes its ssh host key under this name and
 * LTSP's /etc/hosts has it, so ssh to `server` passes host-key checking where SERVER's address fails.
 */
export const BOOT_SERVER_NAME = 'server';

export function hostList(decision: Decision, settings: Pick<Settings, 'servers' | 'bootServer' | 'xdmcp'>): string[] {
  const configured = settings.servers.length > 0;
  const name = (host: string): string => (!configured && host === settings.bootServer ? BOOT_SERVER_NAME : host);
  const hosts = [...new Set(decision.ordered.map((s) => name(s.host)))];
  return settings.xdmcp ? hosts.slice(0, 1) : hosts;
}
