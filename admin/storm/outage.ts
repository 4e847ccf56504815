/**
 * What one server's death does to machash: how many clients change server (rendezvous hashing moves
 * only the dead server's own, about 1/n; `hash mod n` moves nearly all), and whether the bounded
 * load holds in sessions per capacity while 1,400 clients fill the fleet.
 */
import { decide } from '../../balance/decide/decide.ts';
import { hash01, seededRandom } from '../../balance/decide/random.ts';
import { DEFAULT_SETTINGS, type Settings } from '../../balance/settings.ts';
import type { ServerReport } from '../../balance/probe/survey.ts';
import type { Advertisement } from '../../shared/wire/advertisement.ts';
import { computeRating } from '../../shared/wire/rating.ts';
import { hostOf, macOf, type ServerSpec } from './simulate.ts';

function steadyAd(spec: ServerSpec, sessions: number): Advertisement {
  const ad: Advertisement = {
    version: 1, hostname: spec.name, state: 'accepting', weight: spec.weight, rating: 0, cpus: spec.cpus, mhz: 2400,
    loadavg1: spec.background + 0.15 * sessions, loadavg5: spec.background + 0.15 * sessions, loadavg15: spec.background + 0.15 * sessions,
    procsRunning: 1, procsBlocked: 0, memTotalKb: spec.memKb, memAvailableKb: Math.max(0, spec.memKb - sessions * 400 * 1024),
    swapTotalKb: 0, swapFreeKb: 0, swapInPerSec: 0, swapOutPerSec: 0, sessions, users: sessions, loginsLast60s: 0,
    uptimeSec: 86_400, daemonUptimeSec: 86_400,
  };
  ad.rating = computeRating(ad);
  return ad;
}

function reportsOf(fleet: readonly ServerSpec[], sessions: readonly number[], dead = -1): ServerReport[] {
  return fleet.map((spec, i) => {
    const server = { host: hostOf(i), port: 377 };
    return i === dead ? { server, reachable: false } : { server, reachable: true, ad: steadyAd(spec, sessions[i]!), rttMs: 1, address: server.host };
  });
}

export interface MachashOutage {
  clients: number;
  /** Clients whose server changed when server `dead` died (its own clients included). */
  moved: number;
  /** The same with hash mod n over the live servers, for reference. */
  movedModulo: number;
  /** Max over mean of sessions per capacity after the fleet filled client by client with machash. */
  fillMaxOverMean: number;
  /** (1 + LDM_BALANCE_LOAD_BOUND): what the bound promises for that figure, before rounding. */
  bound: number;
}

export function machashOutage(fleet: readonly ServerSpec[], clients: number, dead: number, settings: Settings = DEFAULT_SETTINGS): MachashOutage {
  const s: Settings = { ...settings, algorithm: 'machash', weights: new Map(settings.weights) };
  const capacity = fleet.map((f) => f.cpus * (f.weight / 100));
  // Fill the fleet one login at a time, each seeing the sessions so far: the bound at work.
  const sessions = fleet.map(() => 0);
  const first: number[] = [];
  for (let c = 0; c < clients; c++) {
    const chosen = decide(reportsOf(fleet, sessions), s, { mac: macOf(c), random: seededRandom(c + 1) }).chosen.host;
    const index = fleet.findIndex((_, i) => hostOf(i) === chosen);
    first.push(index);
    sessions[index]!++;
  }
  const fill = sessions.map((n, i) => n / capacity[i]!);
  const meanFill = fill.reduce((a, b) => a + b, 0) / fill.length;
  // Each client's server in the filled fleet (it asks again with its own session not counted), then
  // the same once the dead server and its sessions are gone: the difference is what the death moved.
  const ask = (counts: readonly number[], c: number, down: number): string =>
    decide(reportsOf(fleet, counts.map((n, i) => (i === first[c] ? n - 1 : n)), down), s, { mac: macOf(c), random: seededRandom(c + 1) }).chosen.host;
  const left = sessions.map((n, i) => (i === dead ? 0 : n));
  let moved = 0;
  let movedModulo = 0;
  const live = fleet.map((_, i) => i).filter((i) => i !== dead);
  for (let c = 0; c < clients; c++) {
    if (ask(sessions, c, -1) !== ask(left, c, dead)) moved++;
    const h = Math.floor(hash01(macOf(c)) * 2 ** 32);
    if (h % fleet.length !== live[h % live.length]) movedModulo++;
  }
  return { clients, moved, movedModulo, fillMaxOverMean: Math.max(...fill) / meanFill, bound: 1 + s.boundedLoadEpsilon };
}
