/**
 * The login-storm simulator: a school's 8 am rush, decided by the REAL decision code
 * (balance/decide/decide.ts), against servers whose load behaves like Linux's.
 *
 * What it models, and why each part is there (each one flattered the old default when left out):
 * - logins follow a peaked curve (Beta(2,5) over the storm: ~6 logins/s at the peak), not an even
 *   spread;
 * - a chosen session reaches utmp, and so the advertised session count, 1 to 5 s after the choice;
 * - each client decides from its own survey, as old as the bridge's poll or the cache allows
 *   (uniform in [0, staleness]): not one snapshot shared by every client;
 * - a session's CPU (log-normal around 0.15 runnable) and memory (200 to 600 MiB) vary per user, and
 *   a login adds one runnable process for its first 20 s;
 * - the load average is the kernel's: updated every 5 s, 1- and 5-minute exponential decay, of a
 *   run queue with noise and background load;
 * - fleets are identical or mixed (CPU counts, weights, background).
 * The figure of merit is sessions per unit of capacity (CPUs × weight/100) at the end: max/mean and
 * coefficient of variation.
 */
import { decide } from '../../balance/decide/decide.ts';
import { errorSummary, SurveyTimeoutError } from '../../balance/errors.ts';
import { seededRandom } from '../../balance/decide/random.ts';
import { DEFAULT_SETTINGS, type LocalAlgorithm, type Settings } from '../../balance/settings.ts';
import type { ServerReport } from '../../balance/probe/survey.ts';
import type { Advertisement } from '../../shared/wire/advertisement.ts';
import { computeRating } from '../../shared/wire/rating.ts';

export interface ServerSpec {
  name: string;
  cpus: number;
  weight: number;
  memKb: number;
  /** Runnable processes that are not sessions (cron, services, a backup). */
  background: number;
}

export interface Outage {
  /** Index into the fleet. */
  server: number;
  downAt: number;
  upAt: number;
}

export interface StormOptions {
  fleet: readonly ServerSpec[];
  clients: number;
  stormSec: number;
  /** How old a client's survey can be, in s (0: the advertise daemon's own 1 s sampling). */
  stalenessSec: number;
  seed: number;
  outage?: Outage;
}

/** Chooses a server index for one login from the reports; the product's policy wraps decide(). */
export type Policy = (reports: readonly ServerReport[], ctx: { mac: string; random: () => number }) => number;

export interface StormResult {
  /** Final sessions per server. */
  sessions: number[];
  /** Sessions per unit of capacity, per server that is up at the end. */
  perCapacity: number[];
  maxOverMean: number;
  cv: number;
  /** Seconds from the outage's end until the returned server held 90 % of the fleet's mean fill; null: never. */
  refillSec: number | null;
}

const SESSION_CPU_MEDIAN = 0.12;
const SESSION_CPU_SIGMA = 0.7; // log-normal: mean ~0.15, a few users at 0.5+
const LOGIN_RUNNABLE = 1.0;
const LOGIN_BURST_SEC = 20;
const UTMP_DELAY_SEC: [number, number] = [1, 5];
const KERNEL_TICK_SEC = 5;
const E1 = Math.exp(-KERNEL_TICK_SEC / 60);
const E5 = Math.exp(-KERNEL_TICK_SEC / 300);
const BASE_MEM_FRACTION = 0.08;
/** Sessions of a dead server log in again this many seconds later (users rebooting their clients). */
const RELOGIN_SEC: [number, number] = [10, 30];
/** Logins still arriving after the storm, so that the last ones reach utmp before the count. */
const TAIL_SEC = 10;

interface Session {
  cpu: number;
  memKb: number;
  startedAt: number;
  inUtmpAt: number;
}

interface ServerState {
  spec: ServerSpec;
  up: boolean;
  daemonStartedAt: number;
  sessions: Session[];
  load1: number;
  load5: number;
  snapshots: Map<number, Advertisement>;
}

const capacityOf = (s: ServerSpec): number => s.cpus * (s.weight / 100);

export function macOf(i: number): string {
  return `02:00:00:${[(i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

export const hostOf = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) + 1}`;

/** Beta(2,5) as the 2nd smallest of 6 uniforms: a peak at a fifth of the storm, a long tail. */
function loginTimes(n: number, stormSec: number, random: () => number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = Array.from({ length: 6 }, random).sort((a, b) => a - b);
    times.push(u[1]! * stormSec);
  }
  return times.sort((a, b) => a - b);
}

function gaussian(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function advertisement(s: ServerState, index: number, now: number): Advertisement {
  const visible = s.sessions.filter((x) => x.inUtmpAt <= now);
  const memUsed = s.spec.memKb * BASE_MEM_FRACTION + s.sessions.reduce((sum, x) => sum + x.memKb, 0);
  const ad: Advertisement = {
    version: 1,
    hostname: s.spec.name || `app${index}`,
    state: 'accepting',
    weight: s.spec.weight,
    rating: 0,
    cpus: s.spec.cpus,
    mhz: 2400,
    loadavg1: Math.round(s.load1 * 100) / 100,
    loadavg5: Math.round(s.load5 * 100) / 100,
    loadavg15: Math.round(s.load5 * 100) / 100,
    procsRunning: 1,
    procsBlocked: 0,
    memTotalKb: s.spec.memKb,
    memAvailableKb: Math.max(0, Math.round(s.spec.memKb - memUsed)),
    swapTotalKb: 0,
    swapFreeKb: 0,
    swapInPerSec: 0,
    swapOutPerSec: 0,
    sessions: visible.length,
    users: visible.length,
    loginsLast60s: visible.filter((x) => x.inUtmpAt > now - 60).length,
    uptimeSec: 86_400,
    daemonUptimeSec: Math.max(0, now - s.daemonStartedAt),
  };
  ad.rating = computeRating(ad);
  return ad;
}

/** The advertisement as it was at second `at` (the daemon samples once a second). */
function snapshotAt(s: ServerState, index: number, at: number, current: number): Advertisement {
  const second = Math.max(0, Math.floor(at));
  const found = s.snapshots.get(second);
  if (found) return found;
  // Not recorded (before the server's first second): what it shows now is the closest we have.
  return s.snapshots.get(Math.floor(current)) ?? advertisement(s, index, current);
}

export function simulateStorm(opts: StormOptions, policy: Policy): StormResult {
  const world = seededRandom(opts.seed);
  const choices = seededRandom(opts.seed ^ 0x5eed);
  const servers: ServerState[] = opts.fleet.map((spec) => ({ spec, up: true, daemonStartedAt: -86_400, sessions: [], load1: spec.background, load5: spec.background, snapshots: new Map() }));
  const queue = loginTimes(opts.clients, opts.stormSec, world).map((t, client) => ({ t, client }));
  const end = opts.stormSec + TAIL_SEC;
  const outage = opts.outage;
  let refillSec: number | null = null;
  let next = 0;
  for (let second = 0; second <= end; second++) {
    // Outage events at the start of the second.
    if (outage && second === outage.downAt) {
      const dead = servers[outage.server]!;
      dead.up = false;
      for (const _ of dead.sessions) queue.push({ t: second + RELOGIN_SEC[0] + world() * (RELOGIN_SEC[1] - RELOGIN_SEC[0]), client: queue.length });
      queue.sort((a, b) => a.t - b.t);
      dead.sessions = [];
      dead.snapshots.clear();
    }
    if (outage && second === outage.upAt) {
      const back = servers[outage.server]!;
      back.up = true;
      back.daemonStartedAt = second;
      back.load1 = back.spec.background;
      back.load5 = back.spec.background;
    }
    // The kernel's load average, every 5 s.
    if (second % KERNEL_TICK_SEC === 0) {
      for (const s of servers) {
        if (!s.up) continue;
        const burst = s.sessions.filter((x) => second - x.startedAt < LOGIN_BURST_SEC).length * LOGIN_RUNNABLE;
        const mean = s.spec.background + s.sessions.reduce((sum, x) => sum + x.cpu, 0) + burst;
        const runnable = Math.max(0, mean + Math.sqrt(mean) * gaussian(world));
        s.load1 = s.load1 * E1 + runnable * (1 - E1);
        s.load5 = s.load5 * E5 + runnable * (1 - E5);
      }
    }
    servers.forEach((s, i) => {
      if (s.up) s.snapshots.set(second, advertisement(s, i, second));
      s.snapshots.delete(second - Math.ceil(opts.stalenessSec) - 2);
    });
    // Logins during this second, each from its own survey.
    while (next < queue.length && queue[next]!.t < second + 1) {
      const { t, client } = queue[next++]!;
      if (t > end) break;
      const age = opts.stalenessSec > 0 ? world() * opts.stalenessSec : world();
      const reports: ServerReport[] = servers.map((s, i) => {
        const server = { host: hostOf(i), port: 377 };
        return s.up ? { server, reachable: true, ad: snapshotAt(s, i, t - age, second), rttMs: 1, address: server.host } : { server, reachable: false, error: errorSummary(new SurveyTimeoutError('down')) };
      });
      const index = policy(reports, { mac: macOf(client), random: choices });
      const s = servers[index];
      if (!s || !s.up) continue; // a client sent to a dead server retries later: lost for this count
      const cpu = SESSION_CPU_MEDIAN * Math.exp(SESSION_CPU_SIGMA * gaussian(world));
      const memKb = (200 + world() * 400) * 1024;
      s.sessions.push({ cpu, memKb, startedAt: t, inUtmpAt: t + UTMP_DELAY_SEC[0] + world() * (UTMP_DELAY_SEC[1] - UTMP_DELAY_SEC[0]) });
    }
    if (outage && refillSec === null && second > outage.upAt) {
      const fills = servers.filter((s) => s.up).map((s) => s.sessions.length / capacityOf(s.spec));
      const mean = fills.reduce((a, b) => a + b, 0) / fills.length;
      const back = servers[outage.server]!;
      if (back.sessions.length / capacityOf(back.spec) >= 0.9 * mean) refillSec = second - outage.upAt;
    }
  }
  const up = servers.filter((s) => s.up);
  const perCapacity = up.map((s) => s.sessions.length / capacityOf(s.spec));
  const mean = perCapacity.reduce((a, b) => a + b, 0) / perCapacity.length;
  const sd = Math.sqrt(perCapacity.reduce((a, b) => a + (b - mean) ** 2, 0) / perCapacity.length);
  return { sessions: servers.map((s) => s.sessions.length), perCapacity, maxOverMean: Math.max(...perCapacity) / mean, cv: sd / mean, refillSec };
}

/** The product's own decision as a policy: decide() with these settings, the chosen server's index. */
export function decidePolicy(algorithm: LocalAlgorithm, base: Settings = DEFAULT_SETTINGS): Policy {
  const settings: Settings = { ...base, algorithm, weights: new Map(base.weights) };
  return (reports, ctx) => {
    const decision = decide(reports, settings, ctx);
    return reports.findIndex((r) => r.server.host === decision.chosen.host && r.server.port === decision.chosen.port);
  };
}
