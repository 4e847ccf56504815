/**
 * The previous default, kept only so the storm benchmark can print it next to the new one in the
 * same run: two candidates drawn uniformly, the higher rating × weight × slow start wins. Filters
 * and scores are the product's own (classify, scoreServer); only the choosing rule is the old one.
 */
import { classify } from '../../balance/decide/status.ts';
import { compareScores, scoreServer } from '../../balance/decide/score.ts';
import { pickIndex } from '../../balance/decide/random.ts';
import { DEFAULT_SETTINGS } from '../../balance/settings.ts';
import type { Policy } from '../../admin/storm/simulate.ts';
import type { ServerReport } from '../../balance/probe/survey.ts';
import type { Advertisement } from '../../shared/wire/advertisement.ts';

export const oldTwoChoices: Policy = (reports, { random }) => {
  const usable = reports
    .map((r, index) => ({ index, r }))
    .filter(({ r }) => classify(r, DEFAULT_SETTINGS).status === 'Idle')
    .map(({ index, r }) => ({ index, score: scoreServer(r as ServerReport & { ad: Advertisement }, DEFAULT_SETTINGS) }));
  if (usable.length === 0) return pickIndex(reports.length, random);
  if (usable.length === 1) return usable[0]!.index;
  const a = pickIndex(usable.length, random);
  let b = pickIndex(usable.length - 1, random);
  if (b >= a) b++;
  return compareScores(usable[b]!.score, usable[a]!.score) < 0 ? usable[b]!.index : usable[a]!.index;
};
