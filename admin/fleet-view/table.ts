/**
 * The fleet as a table for a terminal: one row per server, columns chosen by priority to fit the
 * width (80 columns shows the essentials; wider terminals get the rest), a status that reads
 * without colour, and a sort key the viewer cycles with `s`.
 */
import type { FleetRow, FleetSnapshot } from './collect.ts';

interface Column {
  title: string;
  /** Lower shows first when the width is short. */
  priority: number;
  align: 'left' | 'right';
  value: (r: FleetRow) => string;
}

const dash = '-';
const num = (v: number | null, digits = 0): string => (v === null ? dash : v.toFixed(digits));

export function formatAge(sec: number | null): string {
  if (sec === null) return dash;
  if (sec < 120) return `${sec}s`;
  if (sec < 7200) return `${Math.floor(sec / 60)}m`;
  if (sec < 172_800) return `${Math.floor(sec / 3600)}h`;
  return `${Math.floor(sec / 86_400)}d`;
}

/** The status as text that says what to look at, colour or not. */
export function statusText(r: FleetRow): string {
  if (r.status === 'Down') return 'DOWN';
  if (r.status === 'Swapped') return 'SWAPPING';
  if (r.status === 'Draining') return 'DRAINING';
  return r.status;
}

const ABBREV: Record<string, string> = { 'two-choices': '2c', deficit: 'def', best: 'best', weighted: 'wt', machash: 'hash', random: 'rnd', fixed: 'fix' };

const COLUMNS: Column[] = [
  { title: 'SERVER', priority: 0, align: 'left', value: (r) => r.server },
  { title: 'STATUS', priority: 0, align: 'left', value: statusText },
  { title: 'SESS', priority: 1, align: 'right', value: (r) => num(r.sessions) },
  { title: 'USERS', priority: 4, align: 'right', value: (r) => num(r.users) },
  { title: 'LOAD/CPU', priority: 1, align: 'right', value: (r) => num(r.loadPerCpu, 2) },
  { title: 'MEM%', priority: 2, align: 'right', value: (r) => num(r.memUsedPct) },
  { title: 'SWAP/S', priority: 2, align: 'right', value: (r) => num(r.swapPagesPerSec) },
  { title: 'LOGIN/M', priority: 3, align: 'right', value: (r) => num(r.logins60s) },
  { title: 'W', priority: 3, align: 'right', value: (r) => num(r.weight) },
  { title: 'CPUS', priority: 5, align: 'right', value: (r) => num(r.cpus) },
  { title: 'UP', priority: 4, align: 'right', value: (r) => formatAge(r.daemonUptimeSec) },
  { title: 'RTT', priority: 3, align: 'right', value: (r) => num(r.rttMs, 1) },
  { title: 'POOL', priority: 4, align: 'right', value: (r) => (r.pool ? `${r.pool.busy}/${r.pool.workers}/${r.pool.max}${r.pool.queue ? ` q${r.pool.queue}` : ''}` : dash) },
  { title: 'PICKED BY', priority: 2, align: 'left', value: (r) => (r.pickedBy.length ? r.pickedBy.map((a) => ABBREV[a] ?? a).join(',') : dash) },
  { title: 'WHY', priority: 6, align: 'left', value: (r) => r.detail },
];

export const SORT_KEYS = ['server', 'status', 'sessions', 'load'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const STATUS_ORDER: Record<string, number> = { Down: 0, Swapped: 1, Busy: 2, Loaded: 3, Draining: 4, Idle: 5 };

export function sortRows(rows: readonly FleetRow[], key: SortKey): FleetRow[] {
  const out = [...rows];
  const cmpNum = (a: number | null, b: number | null): number => (b ?? -1) - (a ?? -1);
  if (key === 'status') out.sort((a, b) => (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9));
  else if (key === 'sessions') out.sort((a, b) => cmpNum(a.sessions, b.sessions));
  else if (key === 'load') out.sort((a, b) => cmpNum(a.loadPerCpu, b.loadPerCpu));
  return out; // 'server': configured order
}

/** Cuts a cell that cannot fit, marking the cut. */
function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}~`;
}

/** The table's lines, none wider than `width` (at least 40). Control characters never reach the terminal. */
export function renderTable(snapshot: FleetSnapshot, width: number, sort: SortKey = 'server'): string[] {
  const w = Math.max(40, width);
  const rows = sortRows(snapshot.rows, sort);
  const cells = (c: Column): string[] => rows.map((r) => c.value(r).replace(/[\x00-\x1f\x7f-\x9f]/g, '?'));
  const data = COLUMNS.map((c) => ({ c, cells: cells(c), width: Math.max(c.title.length, ...cells(c).map((s) => s.length)) }));
  // Add columns by priority while they fit (two spaces between columns); the server name may shrink to 12.
  const chosen = new Set<number>();
  let used = 0;
  const order = data.map((_, i) => i).sort((a, b) => data[a]!.c.priority - data[b]!.c.priority || a - b);
  for (const i of order) {
    const d = data[i]!;
    // SERVER is capped at 24 (longer names are cut with ~); WHY, the last column, takes what is left.
    const own = d.c.title === 'SERVER' ? Math.min(d.width, 24) : d.c.title === 'WHY' ? Math.min(d.width, 20) : d.width;
    const need = (chosen.size ? 2 : 0) + own;
    if (used + need <= w || d.c.priority === 0) {
      chosen.add(i);
      used += need;
    }
  }
  const shown = data.filter((_, i) => chosen.has(i)).map((d) => ({ ...d, width: d.c.title === 'SERVER' ? Math.min(d.width, 24) : d.width }));
  // The last column takes what is left (WHY is long): never past the width.
  const fixed = shown.slice(0, -1).reduce((sum, d) => sum + d.width + 2, 0);
  const last = shown[shown.length - 1]!;
  last.width = Math.max(last.c.title.length, Math.min(last.width, w - fixed));
  const line = (get: (d: (typeof shown)[number], i: number) => string): string =>
    shown.map((d, i) => {
      const text = fit(get(d, i), d.width);
      return d.c.align === 'right' ? text.padStart(d.width) : i === shown.length - 1 ? text : text.padEnd(d.width);
    }).join('  ').slice(0, w).trimEnd();
  const counts = new Map<string, number>();
  for (const r of snapshot.rows) counts.set(statusText(r), (counts.get(statusText(r)) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  const head = fit(`ltsp-balance fleet  ${new Date(snapshot.at).toISOString().slice(11, 19)}  ${snapshot.rows.length} servers: ${summary}`, w);
  const how = snapshot.fallback ? `${snapshot.algorithm}, fallback: ${snapshot.fallback}` : snapshot.algorithm;
  const next = fit(`next login (${how}): ${snapshot.hosts[0] ?? 'none usable'}   sort: ${sort}   keys: s sort, q quit`, w);
  return [head, next, '', line((d) => d.c.title), ...rows.map((_, r) => line((d) => d.cells[r]!))];
}
