/**
 * The ldminfod-compatible rating, 0 (unusable) to 100 (idle), fixed where ldminfod is wrong:
 * ldminfod uses `100 - 50*(loadavg15/8) - 50*(ram_used/ram_total)`, which ignores the CPU count,
 * lags fifteen minutes behind a login storm and ignores swapping. Here load is per CPU and takes the
 * larger of the 1- and 5-minute averages (reacts to a storm at once, does not jump back after a short
 * lull), and a server that is swapping right now is capped near the bottom.
 */

/** Pages per second (in + out) above which a server counts as swapping now. 32 pages = 128 KiB/s. */
export const SWAPPING_PAGES_PER_SEC = 32;
/** The most a swapping server can rate, so any non-swapping server with spare capacity beats it. */
export const SWAPPING_RATING_CAP = 10;

export interface RatingInput {
  cpus: number;
  loadavg1: number;
  loadavg5: number;
  memTotalKb: number;
  memAvailableKb: number;
  swapInPerSec: number;
  swapOutPerSec: number;
}

export function loadPerCpu(s: Pick<RatingInput, 'cpus' | 'loadavg1' | 'loadavg5'>): number {
  return Math.max(s.loadavg1, s.loadavg5) / Math.max(1, s.cpus);
}

export function isSwapping(s: Pick<RatingInput, 'swapInPerSec' | 'swapOutPerSec'>): boolean {
  return s.swapInPerSec + s.swapOutPerSec >= SWAPPING_PAGES_PER_SEC;
}

export function computeRating(s: RatingInput): number {
  const memUsed = s.memTotalKb > 0 ? 1 - Math.min(s.memAvailableKb, s.memTotalKb) / s.memTotalKb : 1;
  let rating = 100 - 50 * Math.min(1, loadPerCpu(s)) - 50 * Math.min(1, Math.max(0, memUsed));
  if (isSwapping(s)) rating = Math.min(rating, SWAPPING_RATING_CAP);
  return Math.max(0, Math.min(100, Math.round(rating)));
}
