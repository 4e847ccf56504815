/**
 * Reader side of format.ts: one queue message becomes a checked SnapshotPart, or a
 * SnapshotFormatError naming the rule it broke. Anything on the queue may come from a buggy or
 * hostile local writer: bytes are capped, only printable ASCII lines are accepted, every number is
 * range-checked. Extra tokens at the end of a line are ignored so that version 1 can grow.
 */
import { SnapshotFormatError } from './errors.ts';
import {
  FIELD_MAX,
  MAX_PARTS,
  MAX_SNAPSHOT_SERVERS,
  SERVER_TOKEN,
  SNAPSHOT_MAGIC,
  SNAPSHOT_STATUSES,
  SNAPSHOT_VERSION,
  type SnapshotPart,
  type SnapshotServer,
  type SnapshotStatus,
} from './format.ts';

/** The largest message any queue can carry (the kernel's hard msgsize maximum is 16 MiB; we stop far below). */
export const MAX_SNAPSHOT_MESSAGE_BYTES = 1024 * 1024;

const HEADER = /^(\S+) (\d{1,3}) ([0-9a-f]{8}) (\d{1,10}) (\d{1,3}) (\d{1,3}) (\d{1,4}) (\d{1,4}) (\d{1,4}) (\d{1,12})(?: .*)?$/;
const LINE = /^([*-]) (\S+) (\S+) (-1|\d{1,3}) (-1|\d{1,7}\.\d{2}) (-1|\d{1,8}) (-1|\d{1,7}\.\d)(?: .*)?$/;
const SEQ_MAX = 2 ** 32 - 1;

export function decodePart(message: Uint8Array, limit = MAX_SNAPSHOT_MESSAGE_BYTES): SnapshotPart {
  if (message.byteLength > limit) throw new SnapshotFormatError(`${message.byteLength} bytes is over the ${limit}-byte limit`);
  const text = Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('latin1');
  if (/[^\x20-\x7e\n]/.test(text)) throw new SnapshotFormatError('contains bytes other than printable ASCII and newlines');
  if (!text.endsWith('\n')) throw new SnapshotFormatError('does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const m = HEADER.exec(lines[0]!);
  if (!m) throw new SnapshotFormatError('header line is malformed');
  if (m[1] !== SNAPSHOT_MAGIC) throw new SnapshotFormatError(`not a snapshot (starts with ${JSON.stringify(m[1]!.slice(0, 20))})`);
  if (Number(m[2]) !== SNAPSHOT_VERSION) throw new SnapshotFormatError(`unsupported version ${m[2]}`);
  const [seq, part, parts, first, count, total, time] = m.slice(4, 11).map(Number) as [number, number, number, number, number, number, number];
  if (seq > SEQ_MAX) throw new SnapshotFormatError(`seq ${seq} is out of range`);
  if (parts < 1 || parts > MAX_PARTS || part < 1 || part > parts) throw new SnapshotFormatError(`part ${part} of ${parts} is out of range`);
  if (total > MAX_SNAPSHOT_SERVERS) throw new SnapshotFormatError(`total ${total} is over ${MAX_SNAPSHOT_SERVERS}`);
  if (first + count > total) throw new SnapshotFormatError(`lines ${first}+${count} go past total ${total}`);
  if (lines.length - 1 !== count) throw new SnapshotFormatError(`header says ${count} server lines, message has ${lines.length - 1}`);
  const servers = lines.slice(1).map((line, i) => decodeLine(line, first + i));
  return { epoch: m[3]!, seq, part, parts, first, total, time, servers };
}

function decodeLine(line: string, index: number): SnapshotServer {
  const m = LINE.exec(line);
  if (!m) throw new SnapshotFormatError(`server line ${index} is malformed`);
  const [, mark, server, status] = m as unknown as [string, string, string, string];
  if (!SERVER_TOKEN.test(server)) throw new SnapshotFormatError(`server line ${index}: invalid server name`);
  if (!(SNAPSHOT_STATUSES as readonly string[]).includes(status)) throw new SnapshotFormatError(`server line ${index}: unknown status`);
  const num = (text: string, key: keyof typeof FIELD_MAX): number | null => {
    if (text === '-1') return null;
    const v = Number(text);
    if (v > FIELD_MAX[key]) throw new SnapshotFormatError(`server line ${index}: ${key} ${text} is over ${FIELD_MAX[key]}`);
    return v;
  };
  return {
    server,
    status: status as SnapshotStatus,
    recommended: mark === '*',
    rating: num(m[4]!, 'rating'),
    loadPerCpu: num(m[5]!, 'loadPerCpu'),
    users: num(m[6]!, 'users'),
    rttMs: num(m[7]!, 'rttMs'),
  };
}
