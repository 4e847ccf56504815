/**
 * The advertise document, version 1: what an application server reports about itself on port 377.
 * Both sides import this module (render on the server, parse on the thin client), so the field list,
 * the limits and the element names exist exactly once. The README's "Wire format" section documents it.
 */

export const WIRE_VERSION = 1;
export const ADVERTISE_PORT = 377;

/** The parser never looks at more than this (a TCP document with a long user list stays far below). */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
/** Deepest element nesting a valid document has is 3 (advertise/users/user). */
export const MAX_NESTING = 4;
export const MAX_USER_NAMES = 2048;

export type ServerState = 'accepting' | 'draining';

export interface Advertisement {
  version: typeof WIRE_VERSION;
  hostname: string;
  /** `draining`: the administrator wants no new sessions here; running ones continue. */
  state: ServerState;
  /** Administrator weight, relative between servers (default 100), as ThinLinc and RDS use it. */
  weight: number;
  /** ldminfod-compatible 0..100, normalised per CPU and lowered by active swapping (see rating.ts). */
  rating: number;
  cpus: number;
  /** CPU clock in MHz; 0 when the kernel does not say. */
  mhz: number;
  loadavg1: number;
  loadavg5: number;
  loadavg15: number;
  procsRunning: number;
  procsBlocked: number;
  memTotalKb: number;
  memAvailableKb: number;
  swapTotalKb: number;
  swapFreeKb: number;
  /** Pages swapped in / out per second over the last sampling interval: "is it swapping now". */
  swapInPerSec: number;
  swapOutPerSec: number;
  /** utmp USER_PROCESS records, and the number of distinct users among them. */
  sessions: number;
  users: number;
  /** Sessions that started in the last 60 s: logins in flight during a storm. */
  loginsLast60s: number;
  uptimeSec: number;
  /** Since the advertise daemon started: lets clients apply slow start to a server that just came back. */
  daemonUptimeSec: number;
  /** Only in the TCP document; never sent over UDP. */
  userNames?: string[];
  /** The winbind pool's summary when the server runs one (optional: older servers do not send it). */
  pool?: PoolSummary;
}

/**
 * `<pool><workers>3</workers><busy>1</busy><max>16</max><queue>0</queue></pool>`: enough to see a
 * saturated pool from the fleet view. Optional; a version-1 reader that predates it ignores it.
 */
export interface PoolSummary {
  workers: number;
  busy: number;
  max: number;
  queue: number;
}

export const POOL_FIELDS: ReadonlyArray<{ key: keyof PoolSummary; max: number }> = [
  { key: 'workers', max: 100_000 },
  { key: 'busy', max: 100_000 },
  { key: 'max', max: 100_000 },
  { key: 'queue', max: 10_000_000 },
];

type NumericField = {
  [K in keyof Advertisement]-?: Advertisement[K] extends number ? K : never;
}[keyof Advertisement];

export interface NumericSpec {
  key: Exclude<NumericField, 'version'>;
  element: string;
  integer: boolean;
  min: number;
  max: number;
}

const KB_MAX = 2 ** 50; // a petabyte of memory in KiB: any real machine is far below
const COUNT_MAX = 10_000_000;
const RATE_MAX = 1e9;
const LOAD_MAX = 1e6;
const SECONDS_MAX = 1e10; // 300 years

/** Element order is the document order. Every numeric field is required. */
export const NUMERIC_FIELDS: readonly NumericSpec[] = [
  { key: 'weight', element: 'weight', integer: true, min: 0, max: 10_000 },
  { key: 'rating', element: 'rating', integer: true, min: 0, max: 100 },
  { key: 'cpus', element: 'cpus', integer: true, min: 1, max: 65_536 },
  { key: 'mhz', element: 'mhz', integer: false, min: 0, max: 1_000_000 },
  { key: 'loadavg1', element: 'loadavg1', integer: false, min: 0, max: LOAD_MAX },
  { key: 'loadavg5', element: 'loadavg5', integer: false, min: 0, max: LOAD_MAX },
  { key: 'loadavg15', element: 'loadavg15', integer: false, min: 0, max: LOAD_MAX },
  { key: 'procsRunning', element: 'procs_running', integer: true, min: 0, max: COUNT_MAX },
  { key: 'procsBlocked', element: 'procs_blocked', integer: true, min: 0, max: COUNT_MAX },
  { key: 'memTotalKb', element: 'mem_total_kb', integer: true, min: 1, max: KB_MAX },
  { key: 'memAvailableKb', element: 'mem_available_kb', integer: true, min: 0, max: KB_MAX },
  { key: 'swapTotalKb', element: 'swap_total_kb', integer: true, min: 0, max: KB_MAX },
  { key: 'swapFreeKb', element: 'swap_free_kb', integer: true, min: 0, max: KB_MAX },
  { key: 'swapInPerSec', element: 'swap_in_per_s', integer: false, min: 0, max: RATE_MAX },
  { key: 'swapOutPerSec', element: 'swap_out_per_s', integer: false, min: 0, max: RATE_MAX },
  { key: 'sessions', element: 'sessions', integer: true, min: 0, max: COUNT_MAX },
  { key: 'users', element: 'users', integer: true, min: 0, max: COUNT_MAX },
  { key: 'loginsLast60s', element: 'logins_60s', integer: true, min: 0, max: COUNT_MAX },
  { key: 'uptimeSec', element: 'uptime_s', integer: false, min: 0, max: SECONDS_MAX },
  { key: 'daemonUptimeSec', element: 'daemon_uptime_s', integer: false, min: 0, max: SECONDS_MAX },
];

/** Hostnames as RFC 1123 allows them (plus `_`, which real sites use); displayed, never resolved. */
export const HOSTNAME_PATTERN = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,252})$/;
/** User names: no control characters, no white space (they are shown in lists, one per line). */
export const USER_NAME_PATTERN = /^[^\x00-\x20\x7f]{1,256}$/u;
