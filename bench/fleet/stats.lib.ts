/** Small helpers the fleet benchmarks share: percentiles (bench/stats.lib.ts) and a plain-text table. */
export { percentile } from '../lib/stats.ts';

export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function requireRootOrExit(what: string): void {
  if (process.getuid?.() !== 0) {
    process.stderr.write(`${what} needs root (network namespaces); skipped\n`);
    process.exit(1);
  }
}
