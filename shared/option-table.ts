/**
 * Every numeric, duration and boolean value a command takes, one row each: its flag, environment
 * variable, lts.conf key and config-file key, default, range and unit. Checked by shared/options.ts;
 * pure data, so any command (get_hosts included) imports it for free. A value that has several names
 * has one row, so a range cannot differ between its flag and its key.
 *
 * Durations are milliseconds here; their flags accept units (`300ms`, `2s`), and a bare number is
 * read in `bareUnit`, the unit the flag has always had (its help says which).
 */
import type { ValueSpec } from './options.ts';

type Row = ValueSpec & { default?: number | boolean };
type NumericRow = Row & { kind: 'integer' | 'duration' | 'port' };

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

export const GET_HOSTS = {
  timeout: { kind: 'duration', what: 'the overall deadline', flag: '--timeout', ltsConf: 'LDM_BALANCE_TIMEOUT_MS', min: 10, max: 10 * S, default: 300, bareUnit: 'ms' },
  seed: { kind: 'integer', what: 'the seed of the random choices', flag: '--seed', min: 0, max: 0xffff_ffff },
} as const satisfies Record<string, NumericRow>;

export const ADVERTISE = {
  port: { kind: 'port', what: 'the TCP and UDP port bound when not socket-activated', flag: '--port', min: 0, max: 65_535, default: 377 },
  drain: { kind: 'boolean', what: 'advertise state "draining": no new sessions wanted', flag: '--drain', configKey: 'drain', default: false },
  weight: { kind: 'integer', what: 'administrator weight, relative between servers', flag: '--weight', configKey: 'weight', min: 0, max: 10_000, default: 100 },
  rateLimit: { kind: 'integer', what: 'UDP queries/s per source, 0 = no limit', flag: '--rate-limit', configKey: 'rate_limit', min: 0, max: 1_000_000, default: 5, unit: 'queries/s' },
  rateBurst: { kind: 'integer', what: 'UDP burst per source', flag: '--rate-burst', configKey: 'rate_burst', min: 1, max: 1_000_000, default: 20, unit: 'queries' },
  sampleIntervalMs: { kind: 'duration', what: 'time between /proc samples', flag: '--sample-interval', configKey: 'sample_interval_ms', min: 100, max: MIN, default: 1000, bareUnit: 'ms' },
  maxConnections: { kind: 'integer', what: 'open TCP connections at most, every source together', flag: '--max-connections', configKey: 'max_connections', min: 1, max: 100_000, default: 1024, unit: 'connections' },
  maxConnectionsPerSource: { kind: 'integer', what: 'open TCP connections of one source (IPv4 address, IPv6 /64) at most', flag: '--max-connections-per-source', configKey: 'max_connections_per_source', min: 1, max: 100_000, default: 32, unit: 'connections' },
  writeTimeoutMs: { kind: 'duration', what: 'time a TCP client gets to read the document', flag: '--write-timeout', configKey: 'write_timeout_ms', min: 100, max: 10 * MIN, default: 5000, bareUnit: 'ms' },
} as const satisfies Record<string, Row>;

export const BRIDGE = {
  interval: { kind: 'duration', what: 'time between polls', flag: '--interval', env: 'LDM_BALANCE_BRIDGE_INTERVAL_S', ltsConf: 'LDM_BALANCE_BRIDGE_INTERVAL_S', min: 10, max: 24 * H, default: 10 * S, bareUnit: 's' }, // with get_hosts' 15 s cache max age: the cache is used between polls
  timeout: { kind: 'duration', what: 'how long to wait for a snapshot (0: forever)', flag: '--timeout', min: 0, max: 24 * H, default: 0, bareUnit: 's' },
  msgsize: { kind: 'integer', what: 'snapshot queue message size', flag: '--msgsize', min: 1, max: 999_999_999, unit: 'bytes' },
  maxmsgs: { kind: 'integer', what: 'snapshot queue capacity', flag: '--maxmsgs', min: 1, max: 999_999_999, unit: 'messages' },
} as const satisfies Record<string, NumericRow>;

/** The pool's settings (winbind-pool/settings.ts checks them again, whichever way they arrive). */
export const WINBIND_POOL = {
  minWorkers: { kind: 'integer', what: 'workers started up front', flag: '--min-workers', min: 1, max: 1024, default: 1, unit: 'workers' },
  maxWorkers: { kind: 'integer', what: 'workers at most; local backend: the core count (scrypt is CPU-bound), winbind: this', flag: '--max-workers', min: 1, max: 1024, default: 16, unit: 'workers' },
  minSpare: { kind: 'integer', what: 'idle workers wanted', flag: '--min-spare', min: 0, max: 1024, default: 1, unit: 'workers' },
  idleTimeoutMs: { kind: 'duration', what: 'idle time before a spare worker is reaped', flag: '--idle-timeout-ms', min: 0, max: 24 * H, default: 10 * S, bareUnit: 'ms' },
  maxRequests: { kind: 'integer', what: 'requests before a worker retires (0: never)', flag: '--max-requests', min: 0, max: 1e9, default: 100_000, unit: 'requests' },
  maxQueue: { kind: 'integer', what: 'requests waiting for a worker', flag: '--max-queue', min: 0, max: 100_000, default: 128, unit: 'requests' },
  requestTimeoutMs: { kind: 'duration', what: 'deadline of a request', flag: '--request-timeout-ms', min: 1, max: H, default: 10 * S, bareUnit: 'ms' },
  killGraceMs: { kind: 'duration', what: 'time between SIGTERM and SIGKILL of a worker', flag: '--kill-grace-ms', min: 0, max: 10 * MIN, default: 2 * S, bareUnit: 'ms' },
  startTimeoutMs: { kind: 'duration', what: 'time a worker has to become ready', flag: '--start-timeout-ms', min: 1, max: 10 * MIN, default: 10 * S, bareUnit: 'ms' },
  tickMs: { kind: 'duration', what: 'maintenance period', flag: '--tick-ms', min: 10, max: MIN, default: S, bareUnit: 'ms' },
  spawnRateCap: { kind: 'integer', what: 'workers spawned per tick at most', flag: '--spawn-rate-cap', min: 1, max: 1024, default: 32, unit: 'workers' },
  backoffMinMs: { kind: 'duration', what: 'first wait after a worker start failure', flag: '--backoff-min-ms', min: 0, max: H, default: S, bareUnit: 'ms' },
  backoffMaxMs: { kind: 'duration', what: 'longest wait after start failures', flag: '--backoff-max-ms', min: 0, max: H, default: 30 * S, bareUnit: 'ms' },
  overloadLogIntervalMs: { kind: 'duration', what: 'time between two overload log lines', min: 0, max: 24 * H, default: 10 * S, bareUnit: 'ms' },
  maxConnections: { kind: 'integer', what: 'client connections at most, every uid together', flag: '--max-connections', min: 1, max: 100_000, default: 256, unit: 'connections' },
  maxConnectionsPerUid: { kind: 'integer', what: 'client connections at most for one uid other than root', flag: '--max-connections-per-uid', min: 1, max: 100_000, default: 32, unit: 'connections' },
  maxPendingPerConnection: { kind: 'integer', what: 'requests in flight per connection', flag: '--max-pending-per-connection', min: 1, max: 10_000, default: 16, unit: 'requests' },
  connectionIdleMs: { kind: 'duration', what: 'idle time before a client connection is closed', flag: '--connection-idle-ms', min: 1, max: 24 * H, default: 5 * S, bareUnit: 'ms' },
  clientTimeoutMs: { kind: 'duration', what: 'how long a client command waits for the daemon', flag: '--timeout-ms', min: 1, max: H, default: 30 * S, bareUnit: 'ms' },
} as const satisfies Record<string, NumericRow>;

export const UPDATE_SSHKEYS = {
  timeout: { kind: 'duration', what: 'time ssh-keyscan waits per server', flag: '--timeout', min: S, max: 10 * MIN, default: 5 * S, bareUnit: 's' },
  sshPort: { kind: 'port', what: 'the ssh port LDM uses for every server (SSH_OVERRIDE_PORT)', flag: '--ssh-port', min: 1, max: 65_535, default: 22 },
} as const satisfies Record<string, NumericRow>;

export const FLEET = {
  interval: { kind: 'duration', what: 'time between surveys', flag: '--interval', min: S, max: H, default: 5 * S, bareUnit: 's' },
  deadline: { kind: 'duration', what: 'how long one survey waits', flag: '--deadline', min: 10, max: 60 * S, default: 1000, bareUnit: 'ms' },
  count: { kind: 'integer', what: 'surveys before stopping (0: until quit)', flag: '--count', min: 0, max: 1_000_000, default: 0, unit: 'surveys' },
} as const satisfies Record<string, NumericRow>;

export const STORM = {
  clients: { kind: 'integer', what: 'thin clients logging in', flag: '--clients', min: 1, max: 100_000, default: 1400, unit: 'clients' },
  minutes: { kind: 'integer', what: 'length of the storm', flag: '--minutes', min: 1, max: 600, default: 10, unit: 'minutes' },
  staleness: { kind: 'duration', what: "how old a client's survey may be", flag: '--staleness', min: S, max: H, default: 15 * S, bareUnit: 's' },
  seeds: { kind: 'integer', what: 'runs per algorithm', flag: '--seeds', min: 1, max: 1000, default: 20, unit: 'runs' },
} as const satisfies Record<string, NumericRow>;
