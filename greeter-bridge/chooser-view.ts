/**
 * What the `choose` screen shows, as a pure function of the state (tested without a terminal):
 * one row per server with its status and load, the cursor row marked `>` and in reverse video,
 * the recommended server marked `*`. Only ASCII, so any console font draws it.
 */
import type { Snapshot, SnapshotServer } from './format.ts';

export interface ChooserState {
  snapshot: Snapshot | undefined;
  /** The server token under the cursor (kept across refreshes, even when rows move). */
  selected: string | undefined;
  /** One line of feedback ("app3 is Down: choose another"). */
  message: string;
  queue: string;
}

const CLEAR = '\x1b[H\x1b[2J';
const REVERSE = '\x1b[7m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const HEADER_ROWS = 3;
const FOOTER_ROWS = 2;

export function renderChooser(state: ChooserState, columns: number, rows: number): string {
  const width = Math.max(20, columns);
  const fit = (text: string): string => (text.length > width ? text.slice(0, width) : text.padEnd(width));
  const out: string[] = [];
  const snap = state.snapshot;
  const when = snap ? new Date(snap.time * 1000).toTimeString().slice(0, 8) : '--:--:--';
  out.push(fit(`LTSP server chooser   ${snap ? `${snap.servers.length} servers, updated ${when}` : `waiting for the server list on ${state.queue}`}`));
  out.push('');
  out.push(fit(`  ${'SERVER'.padEnd(nameWidth(snap))} STATUS    RATING LOAD/CPU  USERS  RTT ms`));
  const visible = Math.max(1, rows - HEADER_ROWS - FOOTER_ROWS);
  const servers = snap?.servers ?? [];
  const cursor = Math.max(0, servers.findIndex((s) => s.server === state.selected));
  const top = Math.min(Math.max(0, cursor - visible + 1), Math.max(0, servers.length - visible));
  for (const [i, s] of servers.slice(top, top + visible).entries()) {
    const isCursor = top + i === cursor;
    const row = fit(`${isCursor ? '>' : ' '} ${formatRow(s, nameWidth(snap))}`);
    out.push(isCursor ? `${REVERSE}${row}${RESET}` : s.status === 'Down' ? `${DIM}${row}${RESET}` : row);
  }
  while (out.length < rows - FOOTER_ROWS) out.push('');
  out.push(fit(state.message));
  out.push(fit('Up/Down move   Enter choose   q quit   (* = recommended)'));
  return CLEAR + out.slice(0, rows).join('\r\n');
}

function nameWidth(snap: Snapshot | undefined): number {
  return Math.min(40, Math.max(6, ...(snap?.servers ?? []).map((s) => s.server.length)));
}

function formatRow(s: SnapshotServer, width: number): string {
  const num = (v: number | null, digits: number): string => (v === null ? '-' : v.toFixed(digits));
  const name = s.server.length > width ? `${s.server.slice(0, width - 1)}~` : s.server.padEnd(width);
  return (
    `${name} ${s.status.padEnd(9)}${num(s.rating, 0).padStart(6)} ${num(s.loadPerCpu, 2).padStart(8)} ` +
    `${num(s.users, 0).padStart(6)} ${num(s.rttMs, 1).padStart(7)}${s.recommended ? '  *' : ''}`
  );
}

/** The row the cursor starts on: the recommended server, else the first one not Down, else the first. */
export function initialSelection(snap: Snapshot): string | undefined {
  const s = snap.servers.find((x) => x.recommended) ?? snap.servers.find((x) => x.status !== 'Down') ?? snap.servers[0];
  return s?.server;
}

/** The server `delta` rows away from `selected`, clamped to the list. */
export function moveSelection(snap: Snapshot, selected: string | undefined, delta: number): string | undefined {
  const list = snap.servers;
  if (list.length === 0) return undefined;
  const at = Math.max(0, list.findIndex((s) => s.server === selected));
  return list[Math.min(list.length - 1, Math.max(0, at + delta))]!.server;
}
