/**
 * The local choosers. Each gets the candidates (usable servers, in configured order, with scores)
 * and returns which one, with a sentence saying why. Randomness comes from the caller, so tests and
 * the storm simulator replay exact runs.
 */
import { pickIndex } from './random.ts';
import { boundedRendezvous } from './rendezvous.ts';
import { compareScores, type Score } from './score.ts';
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
      return { index: 0, reason: `fixed: ${candidates[0]!.name} is the first configured server that is usable` };
    case 'best':
      return chooseBest(candidates, ctx.random);
    case 'weighted':
      return chooseWeighted(candidates, ctx.random);
    case 'two-choices':
      return chooseTwo(candidates, ctx.random);
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

function chooseWeighted(candidates: readonly Candidate[], random: () => number): Choice {
  const total = candidates.reduce((sum, c) => sum + c.score.value, 0);
  if (total <= 0) {
    const index = pickIndex(candidates.length, random);
    return { index, reason: `weighted: every score is 0, so ${candidates[index]!.name} at random` };
  }
  let r = random() * total;
  let index = candidates.length - 1;
  for (let i = 0; i < candidates.length; i++) {
    r -= candidates[i]!.score.value;
    if (r < 0) {
      index = i;
      break;
    }
  }
  const p = ((candidates[index]!.score.value / total) * 100).toFixed(1);
  return { index, reason: `weighted: ${fmt(candidates[index]!)} drawn with probability ${p}%` };
}

function chooseTwo(candidates: readonly Candidate[], random: () => number): Choice {
  const a = pickIndex(candidates.length, random);
  let b = pickIndex(candidates.length - 1, random);
  if (b >= a) b++;
  const index = compareScores(candidates[b]!.score, candidates[a]!.score) < 0 ? b : a;
  const other = index === a ? b : a;
  return { index, reason: `two-choices: drew ${fmt(candidates[a]!)} and ${fmt(candidates[b]!)}; ${candidates[index]!.name} is better than ${candidates[other]!.name}` };
}

function chooseHash(candidates: readonly Candidate[], ctx: ChooseContext): Choice {
  const pick = boundedRendezvous(
    ctx.clientKey,
    candidates.map((c) => ({ key: c.key, weight: Math.max(1e-6, c.score.weight), capacity: Math.max(1e-6, c.score.weight * c.score.slowStart), sessions: c.sessions })),
    ctx.boundedLoadEpsilon,
  );
  const c = candidates[pick.index]!;
  const skipped = pick.skipped.length
    ? `; skipped ${pick.skipped.map((i) => candidates[i]!.name).join(', ')} (over their bound of (1+${ctx.boundedLoadEpsilon})×average sessions)`
    : '';
  return { index: pick.index, reason: `machash: ${c.name} is first in this client's rendezvous order with ${c.sessions} sessions ≤ bound ${pick.bound}${skipped}` };
}
