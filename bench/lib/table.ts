/**
 * The plain-text table every benchmark prints: a header row, then one row per case; numbers right-
 * aligned (decimals to 2 places), text left-aligned, two spaces between columns. Rows are arrays
 * (the first is the header) or records (the keys of the first are the header).
 */
type Cell = string | number;

const show = (v: Cell): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);

export function table(rows: ReadonlyArray<ReadonlyArray<Cell>> | ReadonlyArray<Readonly<Record<string, Cell>>>, options: { rule?: boolean } = {}): string {
  if (rows.length === 0) return '';
  const grid: Cell[][] = Array.isArray(rows[0])
    ? (rows as ReadonlyArray<ReadonlyArray<Cell>>).map((r) => [...r])
    : ((): Cell[][] => {
        const records = rows as ReadonlyArray<Readonly<Record<string, Cell>>>;
        const cols = Object.keys(records[0]!);
        return [cols, ...records.map((r) => cols.map((c) => r[c]!))];
      })();
  const widths = grid[0]!.map((_, i) => Math.max(...grid.map((r) => show(r[i] ?? '').length)));
  const line = (r: Cell[]): string =>
    r.map((c, i) => (typeof c === 'number' ? show(c).padStart(widths[i]!) : show(c).padEnd(widths[i]!))).join('  ').trimEnd();
  const lines = grid.map(line);
  if (options.rule) lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}
