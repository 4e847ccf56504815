/**
 * What the bridge benchmarks share: the commands bundled as they ship (testing/helpers/bundles.ts),
 * percentiles, and a watchdog.
 */
export { percentile } from '../lib/stats.ts';
export { bundleCommands, ROOT } from '../../testing/helpers/bundles.ts';

export { watchdog } from '../lib/watchdog.ts';
