/**
 * How good a candidate is for the next login, as one comparable value. The base is the shared
 * rating (per CPU, memory, swapping: shared/wire/rating.ts), recomputed with the logins of the last
 * 60 s added to the load average: a login storm's new sessions have barely reached the 1-minute
 * average, and counting them is what RDS does with pending logins. Then the administrator weight
 * and slow start scale it.
 *
 * Capacity (CPUs × weight/100 × slow start) is what the capacity-aware algorithms (two-choices,
 * deficit, weighted, machash) fill evenly: sessions per unit of capacity, not the rating, which
 * carries the noise of the load average and of memory use (bench/get-hosts/storm.ts shows why).
 */
import { computeRating, loadPerCpu } from '../../shared/wire/rating.ts';
import type { Advertisement } from '../../shared/wire/advertisement.ts';
import type { Settings } from '../settings.ts';
import { effectiveWeight } from './status.ts';
import type { ServerReport } from '../probe/survey.ts';

/** Runnable processes one login adds before the load average shows it (a session start is CPU-heavy). */
export const IN_FLIGHT_LOAD_PER_LOGIN = 0.5;
/** The smallest share slow start gives a server that has just come back: it still gets some logins. */
export const SLOW_START_FLOOR = 0.1;

/** A server with weight × slow start near 0 still divides by something finite. */
export const MIN_CAPACITY = 1e-6;

export interface Score {
  /** 0..100: the rating with logins in flight counted. */
  rating: number;
  /** Load per CPU with logins in flight counted; breaks ties between equal ratings. */
  loadPerCpu: number;
  /** Effective weight / 100. */
  weight: number;
  /** 1, or less while the advertise daemon is younger than LDM_BALANCE_SLOW_START_S. */
  slowStart: number;
  /** rating × weight × slowStart: higher is better. */
  value: number;
  /** CPUs × weight/100 × slow start: the share of the sessions this server should hold. */
  capacity: number;
  /** Sessions per unit of capacity (what the capacity-aware algorithms compare: lower is emptier). */
  sessionsPerCapacity: number;
}

export type ScoreSettings = Pick<Settings, 'weights' | 'slowStartSec'>;

export function scoreServer(report: ServerReport & { ad: Advertisement }, settings: ScoreSettings): Score {
  const ad = report.ad;
  const inFlight = IN_FLIGHT_LOAD_PER_LOGIN * ad.loginsLast60s;
  const loaded = { ...ad, loadavg1: ad.loadavg1 + inFlight, loadavg5: ad.loadavg5 + inFlight };
  const rating = computeRating(loaded);
  const weight = effectiveWeight(report, settings) / 100;
  const slowStart = slowStartFactor(ad.daemonUptimeSec, settings.slowStartSec);
  const capacity = ad.cpus * weight * slowStart;
  return {
    rating,
    loadPerCpu: loadPerCpu(loaded),
    weight,
    slowStart,
    value: rating * weight * slowStart,
    capacity,
    sessionsPerCapacity: ad.sessions / Math.max(MIN_CAPACITY, capacity),
  };
}

export function slowStartFactor(daemonUptimeSec: number, windowSec: number): number {
  if (windowSec <= 0 || daemonUptimeSec >= windowSec) return 1;
  return Math.max(SLOW_START_FLOOR, daemonUptimeSec / windowSec);
}

/** Negative when `a` is the better candidate. Equal ratings fall to the finer per-capacity load. */
export function compareScores(a: Score, b: Score): number {
  if (a.value !== b.value) return b.value - a.value;
  const capacity = (s: Score): number => Math.max(1e-9, s.weight * s.slowStart);
  return a.loadPerCpu / capacity(a) - b.loadPerCpu / capacity(b);
}

/** What went into the score, for --explain: only the parts that changed it. */
export function describeScore(score: Score, ad: Advertisement, settings: ScoreSettings): string {
  const parts = [`rating ${score.rating}`];
  if (ad.loginsLast60s > 0) parts.push(`${ad.loginsLast60s} logins in flight counted (load ${score.loadPerCpu.toFixed(2)} per CPU)`);
  if (score.weight !== 1) parts.push(`weight ${Math.round(score.weight * 100)}`);
  if (score.slowStart < 1) parts.push(`slow start ${Math.round(score.slowStart * 100)}% (daemon up ${Math.round(ad.daemonUptimeSec)} s of ${settings.slowStartSec})`);
  return parts.join(', ');
}
