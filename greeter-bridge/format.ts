/**
 * The snapshot message, version 1: what the bridge puts on the greeter queue. Plain ASCII lines so
 * that a C greeter reads it with mq_receive + sscanf (README "Message format" is the byte-exact spec,
 * examples/greeter.c the proof). One header line, then one line per server:
 *
 *   LTSP-GREETER 1 <epoch> <seq> <part> <parts> <first> <count> <total> <time>\n
 *   <mark> <server> <status> <rating> <load> <users> <rtt>\n
 *
 * A fleet too large for one queue message is split into numbered parts (never cut): each part
 * repeats the header and carries whole lines `first`..`first+count-1` of `total`.
 */
import { SnapshotFormatError, SnapshotTooLargeError } from './errors.ts';

export const SNAPSHOT_MAGIC = 'LTSP-GREETER';
export const SNAPSHOT_VERSION = 1;
/** The display statuses of balance/decide/status.ts (Loaded: a candidate working hard). */
export const SNAPSHOT_STATUSES = ['Down', 'Idle', 'Loaded', 'Busy', 'Swapped', 'Draining'] as const;
export type SnapshotStatus = (typeof SNAPSHOT_STATUSES)[number];

/** More servers than get_hosts accepts (256) with room to grow; bounds every reader's memory. */
export const MAX_SNAPSHOT_SERVERS = 1024;
export const MAX_PARTS = 999;
/** `host`, `host:port` or `[v6]:port` as get_hosts prints it for LDM; the choice names it again. */
export const SERVER_TOKEN = /^[A-Za-z0-9._:%[\]-]{1,262}$/;
/** The longest header and server line version 1 can produce; a queue message must hold both. */
export const MAX_HEADER_BYTES = 96;
export const MAX_LINE_BYTES = 320;
export const MIN_MESSAGE_SIZE = MAX_HEADER_BYTES + MAX_LINE_BYTES;
/** Upper bounds of the numeric fields (larger values are written as the bound): keeps lines short. */
export const FIELD_MAX = { rating: 100, loadPerCpu: 1_000_000, users: 10_000_000, rttMs: 1_000_000 } as const;

export interface SnapshotServer {
  /** As get_hosts prints it for LDM (`formatServer`): the token the greeter sends back. */
  server: string;
  status: SnapshotStatus;
  recommended: boolean;
  /** null when unknown (Down): written as -1. */
  rating: number | null;
  loadPerCpu: number | null;
  users: number | null;
  rttMs: number | null;
}

export interface Snapshot {
  /** 8 hex digits chosen at bridge start: parts of two bridge runs never mix. */
  epoch: string;
  seq: number;
  /** Unix seconds of the poll. */
  time: number;
  servers: SnapshotServer[];
}

/** One decoded queue message. */
export interface SnapshotPart {
  epoch: string;
  seq: number;
  part: number;
  parts: number;
  first: number;
  total: number;
  time: number;
  servers: SnapshotServer[];
}

function formatHeader(p: Omit<SnapshotPart, 'servers'>, count: number): string {
  return `${SNAPSHOT_MAGIC} ${SNAPSHOT_VERSION} ${p.epoch} ${p.seq} ${p.part} ${p.parts} ${p.first} ${count} ${p.total} ${p.time}\n`;
}

function formatServerLine(s: SnapshotServer): string {
  if (!SERVER_TOKEN.test(s.server)) throw new SnapshotFormatError(`server ${JSON.stringify(s.server.slice(0, 40))} cannot be written`);
  const n = (key: keyof typeof FIELD_MAX, digits: number): string => {
    const v = s[key];
    if (v === null || !Number.isFinite(v)) return '-1';
    const clamped = Math.min(Math.max(v, 0), FIELD_MAX[key]);
    return digits === 0 ? String(Math.round(clamped)) : clamped.toFixed(digits);
  };
  return `${s.recommended ? '*' : '-'} ${s.server} ${s.status} ${n('rating', 0)} ${n('loadPerCpu', 2)} ${n('users', 0)} ${n('rttMs', 1)}\n`;
}

/**
 * The queue messages for one snapshot, in part order. Lines are packed greedily; a part is never
 * larger than `messageSize`; more parts than `maxMessages` (what the queue can hold at once) throws.
 */
export function encodeSnapshot(snap: Snapshot, messageSize: number, maxMessages: number): Buffer[] {
  if (messageSize < MIN_MESSAGE_SIZE) throw new RangeError(`messageSize must be at least ${MIN_MESSAGE_SIZE}, got ${messageSize}`);
  if (!/^[0-9a-f]{8}$/.test(snap.epoch)) throw new RangeError(`epoch must be 8 hex digits, got ${JSON.stringify(snap.epoch)}`);
  if (snap.servers.length > MAX_SNAPSHOT_SERVERS) {
    throw new SnapshotFormatError(`${snap.servers.length} servers is more than ${MAX_SNAPSHOT_SERVERS}`);
  }
  const lines = snap.servers.map(formatServerLine);
  const budget = messageSize - MAX_HEADER_BYTES;
  const groups: Array<{ first: number; lines: string[] }> = [{ first: 0, lines: [] }];
  let used = 0;
  lines.forEach((line, i) => {
    if (used + line.length > budget) {
      groups.push({ first: i, lines: [] });
      used = 0;
    }
    groups.at(-1)!.lines.push(line);
    used += line.length;
  });
  if (groups.length > Math.min(maxMessages, MAX_PARTS)) {
    throw new SnapshotTooLargeError(lines.length, groups.length, maxMessages, messageSize);
  }
  return groups.map((g, i) => {
    const header = formatHeader(
      { epoch: snap.epoch, seq: snap.seq, part: i + 1, parts: groups.length, first: g.first, total: lines.length, time: snap.time },
      g.lines.length,
    );
    return Buffer.from(header + g.lines.join(''), 'ascii');
  });
}
