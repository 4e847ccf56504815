/** Small helpers the fleet benchmarks share: percentiles (bench/stats.lib.ts) and a plain-text table. */
export { percentile } from '../lib/stats.ts';
import { table as formatTable } from '../lib/table.ts';

/** The fleet benchmarks' tables: a header and string rows (bench/lib/table.ts), ending with a newline. */
export const table = (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string => `${formatTable([header, ...rows])}\n`;

export function requireRootOrExit(what: string): void {
  if (process.getuid?.() !== 0) {
    process.stderr.write(`${what} needs root (network namespaces); skipped\n`);
    process.exit(1);
  }
}
