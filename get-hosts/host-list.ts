/**
 * What LDM gets from a decision: host names, chosen first. The advertise port is ours, never LDM's,
 * so it is dropped (and duplicates with it); XDMCP takes one host.
 */
import type { Decision } from '../balance/decide/decide.ts';

export function hostList(decision: Decision, xdmcp: boolean): string[] {
  const hosts = [...new Set(decision.ordered.map((s) => s.host))];
  return xdmcp ? hosts.slice(0, 1) : hosts;
}
