/**
 * Pool and backend settings: one defaults object, every field checked with a message that names the
 * field and echoes the value.
 */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../shared/errors.ts';
import { WINBIND_POOL as W } from '../shared/option-table.ts';

export interface PoolSettings {
  /** Workers started up front and never reaped below (at least 1). */
  minWorkers: number;
  maxWorkers: number;
  /** Idle workers wanted at all times; more are spawned when fewer are idle. */
  minSpare: number;
  /** A spare above the minimum idle this long is reaped (one per tick, oldest first). */
  idleTimeoutMs: number;
  /** A worker retires after this many requests (0: never). */
  maxRequests: number;
  /** Requests waiting for a worker; one more is answered ERR_BUSY at once. */
  maxQueue: number;
  /** From acceptance to answer; after it the caller gets ERR_TIMEOUT and the worker is killed. */
  requestTimeoutMs: number;
  /** Between SIGTERM and SIGKILL of a worker that must go. */
  killGraceMs: number;
  /** A worker that does not report ready within this is killed and counts as a start failure. */
  startTimeoutMs: number;
  /** Maintenance period: spawn rate doubling, reaping, backoff checks. */
  tickMs: number;
  /** The most workers spawned in one tick (the rate doubles 1, 2, 4 ... up to this). */
  spawnRateCap: number;
  /** Crash-loop guard: after N start failures in a row, wait min(backoffMinMs * 2^(N-1), backoffMaxMs). */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Overload (queue full, max workers reached) is logged at most once per interval. */
  overloadLogIntervalMs: number;
}

const KEYS: readonly (keyof PoolSettings)[] = [
  'minWorkers', 'maxWorkers', 'minSpare', 'idleTimeoutMs', 'maxRequests', 'maxQueue', 'requestTimeoutMs', 'killGraceMs',
  'startTimeoutMs', 'tickMs', 'spawnRateCap', 'backoffMinMs', 'backoffMaxMs', 'overloadLogIntervalMs',
];

/** Defaults and ranges are the option table's rows (shared/option-table.ts), whichever way a value arrives. */
export const POOL_DEFAULTS: Readonly<PoolSettings> = Object.freeze(Object.fromEntries(KEYS.map((k) => [k, W[k].default])) as unknown as PoolSettings);

const LIMITS = Object.fromEntries(KEYS.map((k) => [k, [W[k].min, W[k].max]])) as Record<keyof PoolSettings, [min: number, max: number]>;

/**
 * The default maxWorkers for a backend. The local backend's scrypt is CPU-bound: more workers than
 * cores only share the same cores, and starve the daemon that dispatches and answers (16 scrypt
 * workers on 2 cores served a flood 2 to 3 times slower than 2). winbind workers mostly wait on
 * winbindd, so their count is not tied to the cores. Never below minWorkers.
 */
export function defaultMaxWorkers(kind: string, minWorkers = POOL_DEFAULTS.minWorkers, cores = availableParallelism()): number {
  return Math.max(minWorkers, kind === 'local' ? cores : POOL_DEFAULTS.maxWorkers);
}

export function poolSettings(partial: Partial<PoolSettings> = {}): PoolSettings {
  const s: PoolSettings = { ...POOL_DEFAULTS };
  for (const [key, value] of Object.entries(partial) as [keyof PoolSettings, unknown][]) {
    if (!Object.hasOwn(LIMITS, key)) throw new ConfigError(key, `unknown pool setting ${JSON.stringify(key)}`);
    if (value === undefined) continue;
    const [min, max] = LIMITS[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(key, `${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    s[key] = value;
  }
  if (s.maxWorkers < s.minWorkers) throw new ConfigError('maxWorkers', `maxWorkers (${s.maxWorkers}) must be at least minWorkers (${s.minWorkers})`);
  if (s.minSpare > s.maxWorkers) throw new ConfigError('minSpare', `minSpare (${s.minSpare}) must be at most maxWorkers (${s.maxWorkers})`);
  if (s.backoffMaxMs < s.backoffMinMs) throw new ConfigError('backoffMaxMs', `backoffMaxMs (${s.backoffMaxMs}) must be at least backoffMinMs (${s.backoffMinMs})`);
  return s;
}

/** Which backend the workers load, and its options. Sent to each worker when it starts. */
export type ProductBackendSpec = { kind: 'winbind'; library: string } | { kind: 'local'; passwdFile: string; groupFile: string | null };

/**
 * A backend only a testing entry point knows (testing/winbind-pool/: the blocking backend). The
 * shipped daemon and its workers refuse it: it is never one flag away from production.
 */
export type TestBackendSpec = { kind: 'test'; name: string; [option: string]: unknown };

export type BackendSpec = ProductBackendSpec | TestBackendSpec;

export const BACKEND_KINDS = ['winbind', 'local'] as const;

export function backendSpec(kind: string, options: { library?: string; passwdFile?: string; groupFile?: string } = {}): ProductBackendSpec {
  switch (kind) {
    case 'winbind':
      return { kind, library: options.library ?? 'libwbclient.so.0' };
    case 'local':
      if (!options.passwdFile) throw new ConfigError('passwdFile', 'the local backend needs a passwd file (--passwd-file)');
      return { kind, passwdFile: options.passwdFile, groupFile: options.groupFile ?? null };
    default:
      throw new ConfigError('backend', `backend must be one of ${BACKEND_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
}
