/**
 * `ltsp-balance storm`: the 8 am login storm on this site's own fleet. The fleet (CPU counts,
 * weights, memory, background load) comes from one `get_hosts --json` survey; every algorithm runs
 * through the real decide() over many seeds, and the one that fills this fleet most evenly is named.
 */
import { readFileCapped } from '../../shared/fs/read-capped.ts';
import { bestFit, compareAlgorithms, formatTable, summaryRow } from './compare.ts';
import { fleetFromSurvey, identicalFleet, MAX_SURVEY_BYTES } from './fleets.ts';

export interface StormCommandOptions {
  /** A `get_hosts --json` output; none: the benchmark's identical 30 × 8-CPU fleet. */
  survey?: string;
  clients: number;
  stormSec: number;
  stalenessSec: number;
  seeds: number;
  write: (text: string) => void;
}

export function runStormCommand(opts: StormCommandOptions): number {
  let fleet = identicalFleet();
  let what = 'an example fleet of 30 identical 8-CPU servers (give --survey for yours)';
  if (opts.survey) {
    const parsed = fleetFromSurvey(readFileCapped(opts.survey, MAX_SURVEY_BYTES).toString('utf8'));
    fleet = parsed.fleet;
    what = `${fleet.length} servers from ${opts.survey}`;
    if (parsed.skipped.length > 0) what += ` (left out, no advertisement: ${parsed.skipped.join(', ')})`;
  }
  opts.write(`storm: ${opts.clients} logins over ${Math.round(opts.stormSec / 60)} min onto ${what}; survey data up to ${opts.stalenessSec} s old; ${opts.seeds} seeds\n`);
  const summaries = compareAlgorithms({ fleet, clients: opts.clients, stormSec: opts.stormSec, stalenessSec: opts.stalenessSec, seeds: opts.seeds });
  opts.write(`${formatTable(summaries.map(summaryRow))}\n`);
  const best = bestFit(summaries);
  opts.write(
    `fits best: ${best.algorithm} (max/mean sessions per capacity ${best.maxMeanAvg.toFixed(3)} on average, ${best.maxMeanP95.toFixed(3)} at the 95th percentile)\n` +
      `set it with LDM_BALANCE_ALGORITHM = ${best.algorithm} in lts.conf; machash keeps each client on its server but does not refill an emptied one\n`,
  );
  return 0;
}
