/**
 * The local choosers. Each gets the candidates (usable servers, in configured order, with scores)
 * and returns which one, with a sentence saying why. Randomness comes from the caller, so tests and
 * the storm simulator replay exact runs.
 */
import { pickIndex } from './random.ts';
import { boundedRendezvous } from './rendezvous.ts';
import { compareScores, MIN_CAPACITY, type Score } from './score.ts';
import type { LocalAlgorithm } from '../settings.ts';

export interface Candidate {
  name: string;
  key: string;
  score: Score;
  sessions: number;
}

export interface ChooseContext {
  random: () => number;
  /** The client's identity for machash (its MAC). */
  clientKey: string;
  boundedLoadEpsilon: number;
  /** LDM_BALANCE_MAX_LOAD: the ceiling `weighted` measures headroom against. */
  maxLoadPerCpu: number;
}

export interface Choice {
  index: number;
  reason: string;
}

const fmt = (c: Candidate): string => `${c.name} (score ${c.score.value.toFixed(1)})`;

export function choose(algorithm: LocalAlgorithm, candidates: readonly Candidate[], ctx: ChooseContext): Choice {
  if (candidates.length === 0) throw new RangeError('choose() needs at least one candidate');
  if (candidates.length === 1) return { index: 0, reason: `${candidates[0]!.name} is the only usable server` };
  switch (algorithm) {
    case 'random': {
      const index = pickIndex(candidates.length, ctx.random);
      return { index, reason: `random: ${candidates[index]!.name}, drawn from ${candidates.length} usable servers` };
    }
    case 'fixed':
      return { index: 0, reason: `fixed: ${candidates[0]!.name} is the first configured server that is neither Down nor draining (balancing off)` };
    case 'best':
      return chooseBest(candidates, ctx.random);
    case 'weighted':
      return chooseWeighted(candidates, ctx);
    case 'two-choices':
      return chooseTwo(candidates, ctx.random);
    case 'deficit':
      return chooseDeficit(candidates, ctx.random);
    case 'machash':
      return chooseHash(candidates, ctx);
  }
}

function chooseBest(candidates: readonly Candidate[], random: () => number): Choice {
  let best: number[] = [0];
  for (let i = 1; i < candidates.length; i++) {
    const cmp = compareScores(candidates[i]!.score, candidates[best[0]!]!.score);
    if (cmp < 0) best = [i];
    else if (cmp === 0) best.push(i);
  }
  const index = best[pickIndex(best.length, random)]!;
  const ties = best.length > 1 ? ` (random among ${best.length} equal)` : '';
  return { index, reason: `best: ${fmt(candidates[index]!)} has the highest score${ties}` };
}

/** Draws an index with probability proportional to weights[i] (all >= 0, some > 0). */
function drawProportional(weights: readonly number[], random: () => number): number {
  const total = weights.reduce((sum, w) => sum + w, 0);
  let r = random() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  // Rounding left r at or just above 0: the last index with any weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
  return weights.length - 1;
}

/** A floor on every draw weight, so a full or ramping server is unlikely, never impossible, and all-zero cannot happen. */
const MIN_DRAW_SHARE = 0.01;

/**
 * weighted: in proportion to capacity-adjusted headroom, capacity × (1 − load per CPU / ceiling),
 * so a 20-CPU server at half load draws 2.5× an 8-CPU one at the same load. The raw rating (which
 * ignores the CPU count once normalised, and carries memory noise) is not used.
 */
function chooseWeighted(candidates: readonly Candidate[], ctx: ChooseContext): Choice {
  const ceiling = ctx.maxLoadPerCpu > 0 ? ctx.maxLoadPerCpu : DEFAULT_HEADROOM_CEILING;
  const weights = candidates.map((c) => c.score.capacity * Math.max(MIN_DRAW_SHARE, 1 - c.score.loadPerCpu / ceiling));
  const index = drawProportional(weights, ctx.random);
  const p = ((weights[index]! / weights.reduce((a, b) => a + b, 0)) * 100).toFixed(1);
  return { index, reason: `weighted: ${candidates[index]!.name} (capacity ${cap(candidates[index]!)}, load ${candidates[index]!.score.loadPerCpu.toFixed(2)} per CPU) drawn with probability ${p}%` };
}

/** The headroom ceiling when LDM_BALANCE_MAX_LOAD is 0 (no load filter): 2 runnable per CPU. */
const DEFAULT_HEADROOM_CEILING = 2;

/**
 * two-choices (the default): two different candidates drawn in proportion to capacity, the one with
 * fewer sessions per unit of capacity wins, ties to the lower load per CPU. Drawing by capacity lets
 * a 20-CPU server take its share (uniform draws cap any server near 2/n of the logins); comparing
 * sessions per capacity instead of the rating makes weights mean shares; two draws instead of "the
 * emptiest" keeps 1,400 clients with the same stale snapshot from herding onto one server.
 */
function chooseTwo(candidates: readonly Candidate[], random: () => number): Choice {
  const weights = candidates.map((c) => Math.max(MIN_CAPACITY, c.score.capacity));
  const a = drawProportional(weights, random);
  const rest = weights.map((w, i) => (i === a ? 0 : w));
  const b = drawProportional(rest, random);
  const index = compareFill(candidates[b]!, candidates[a]!) < 0 ? b : a;
  const other = index === a ? b : a;
  return {
    index,
    reason: `two-choices: drew ${fill(candidates[a]!)} and ${fill(candidates[b]!)} in proportion to capacity; ${candidates[index]!.name} is emptier than ${candidates[other]!.name}`,
  };
}

/** Negative when `a` is emptier: sessions per capacity, then load per CPU. */
function compareFill(a: Candidate, b: Candidate): number {
  // After this login: (sessions + 1) / capacity. Equal fill now, the bigger server stays emptier after.
  const d = (a.sessions + 1) / Math.max(MIN_CAPACITY, a.score.capacity) - (b.sessions + 1) / Math.max(MIN_CAPACITY, b.score.capacity);
  return d !== 0 ? d : a.score.loadPerCpu - b.score.loadPerCpu;
}

/**
 * deficit: each candidate's shortfall against its capacity share of the sessions (this login
 * included), drawn at random in proportion to it. Random, so a stale snapshot spreads the herd; by
 * shortfall, so an emptied or returning server refills first. Nobody short: by capacity.
 */
function chooseDeficit(candidates: readonly Candidate[], random: () => number): Choice {
  const totalCapacity = candidates.reduce((sum, c) => sum + c.score.capacity, 0);
  const totalSessions = candidates.reduce((sum, c) => sum + c.sessions, 0) + 1;
  const shortfalls = candidates.map((c) => Math.max(0, (totalSessions * c.score.capacity) / Math.max(MIN_CAPACITY, totalCapacity) - c.sessions));
  const anyShort = shortfalls.some((s) => s > 0);
  const weights = anyShort ? shortfalls : candidates.map((c) => Math.max(MIN_CAPACITY, c.score.capacity));
  const index = drawProportional(weights, random);
  const c = candidates[index]!;
  return {
    index,
    reason: anyShort
      ? `deficit: ${c.name} is ${shortfalls[index]!.toFixed(1)} sessions short of its capacity share (${cap(c)} of ${totalCapacity.toFixed(1)}), drawn in proportion to shortfall`
      : `deficit: no server is short of its share, so ${c.name} drawn in proportion to capacity`,
  };
}

const cap = (c: Candidate): string => c.score.capacity.toFixed(1);
const fill = (c: Candidate): string => `${c.name} (${c.sessions} sessions / capacity ${cap(c)})`;

function chooseHash(candidates: readonly Candidate[], ctx: ChooseContext): Choice {
  const pick = boundedRendezvous(
    ctx.clientKey,
    // The hash order by CPUs × weight (slow start left out: a ramping server must not move clients);
    // the bound by capacity, slow start included, so a returning server fills as it ramps.
    candidates.map((c) => ({
      key: c.key,
      weight: Math.max(MIN_CAPACITY, c.score.capacity / Math.max(MIN_CAPACITY, c.score.slowStart)),
      capacity: Math.max(MIN_CAPACITY, c.score.capacity),
      sessions: c.sessions,
    })),
    ctx.boundedLoadEpsilon,
  );
  const c = candidates[pick.index]!;
  const skipped = pick.skipped.length
    ? `; skipped ${pick.skipped.map((i) => candidates[i]!.name).join(', ')} (over their bound of (1+${ctx.boundedLoadEpsilon})× their capacity share)`
    : '';
  return { index: pick.index, reason: `machash: ${c.name} is first in this client's rendezvous order with ${c.sessions} sessions ≤ bound ${pick.bound}${skipped}` };
}
