/** /proc/stat: the run queue right now (procs_running, procs_blocked), not averaged like loadavg. */
import { lineValue, wholeNumber, type ProcSource } from './source.ts';

export interface RunQueue {
  procsRunning: number;
  procsBlocked: number;
}

const COUNT_MAX = 10_000_000;

export function parseStat(text: string): RunQueue {
  return {
    procsRunning: wholeNumber('stat', 'procs_running', lineValue(text, 'procs_running', ' '), COUNT_MAX),
    procsBlocked: wholeNumber('stat', 'procs_blocked', lineValue(text, 'procs_blocked', ' '), COUNT_MAX),
  };
}

// The "intr" line alone is a few KiB per CPU-and-IRQ on large machines.
export const statSource: ProcSource<RunQueue> = { file: 'stat', maxBytes: 1024 * 1024, parse: parseStat };
