/**
 * Delay and loss on one end of a veth link, with `tc`.
 *
 * The first choice is `tc qdisc ... netem`. Kernels built without sch_netem (this project's CI
 * machines among them) still have cls_bpf, clsact and act_mirred, which is enough for random loss:
 * a classic-BPF filter reads the kernel's per-packet random number (the SKF_AD_RANDOM ancillary
 * load) and sends the chosen fraction of packets to a veth whose link is down, where the kernel
 * drops them. Delay has no such substitute: asking for it there throws NetemUnavailableError.
 */
import { FleetArgumentError } from './errors.ts';

export interface LinkFault {
  /** Added to every packet leaving this end (netem only). */
  delayMs?: number;
  /** Percent of packets leaving this end that are dropped, 0..100. */
  lossPercent?: number;
}

/** Name of the veth (link down) that receives the packets chosen for loss, in every namespace. */
export const BLACKHOLE_DEV = 'lbf-drop0';
export const BLACKHOLE_PEER = 'lbf-drop1';

export function checkFault(fault: LinkFault): { delayMs: number; lossPercent: number } {
  const delayMs = fault.delayMs ?? 0;
  const lossPercent = fault.lossPercent ?? 0;
  if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > 60_000) {
    throw new FleetArgumentError(`delayMs must be between 0 and 60000, got ${String(fault.delayMs)}`);
  }
  if (!Number.isFinite(lossPercent) || lossPercent < 0 || lossPercent > 100) {
    throw new FleetArgumentError(`lossPercent must be between 0 and 100, got ${String(fault.lossPercent)}`);
  }
  return { delayMs, lossPercent };
}

/** tc arguments (after `tc -n NS`) that put a netem qdisc with this fault on `dev`. */
export function netemArgs(dev: string, fault: { delayMs: number; lossPercent: number }): string[] {
  return ['qdisc', 'replace', 'dev', dev, 'root', 'netem', 'delay', `${fault.delayMs}ms`, 'loss', `${fault.lossPercent}%`];
}

/**
 * Classic BPF, in tc's "bytecode" notation (count, then "code jt jf k" per instruction):
 *   ld  #rand            A = random u32
 *   jge #threshold, 1, 0 A >= threshold: keep (skip to "ret 0")
 *   ret #-1              match: run the filter's action (the drop)
 *   ret #0               no match: the packet goes on
 */
export function randomDropBytecode(lossPercent: number): string {
  const SKF_AD_RANDOM = 0xfffff000 + 56; // SKF_AD_OFF + SKF_AD_RANDOM, as an unsigned 32-bit k
  const threshold = Math.min(0xffffffff, Math.round((lossPercent / 100) * 2 ** 32));
  return `4,32 0 0 ${SKF_AD_RANDOM},53 1 0 ${threshold},6 0 0 ${0xffffffff},6 0 0 0`;
}

/** tc argument lists (each after `tc -n NS`) that drop `lossPercent` of the packets leaving `dev`. */
export function bpfLossCommands(dev: string, lossPercent: number): string[][] {
  return [
    ['qdisc', 'replace', 'dev', dev, 'clsact'],
    ['filter', 'replace', 'dev', dev, 'egress', 'pref', '10', 'handle', '1', 'bpf', 'bytecode', randomDropBytecode(lossPercent),
      'action', 'mirred', 'egress', 'redirect', 'dev', BLACKHOLE_DEV],
  ];
}
