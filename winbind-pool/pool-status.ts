/**
 * The pool's status snapshot, in the spirit of PHP-FPM's status page: pool-wide gauges and counters,
 * then one row per worker. Names only ops, never users or passwords: status is readable by anyone
 * who may use the socket.
 */
import type { PoolSettings } from './settings.ts';
import type { WorkerHandle, WorkerState } from './worker-handle.ts';

export interface PoolCounters {
  /** Requests accepted by submit (PHP-FPM "accepted conn"). */
  accepted: number;
  served: number;
  failed: number;
  rejectedBusy: number;
  /** Answered ERR_BUSY (overloaded) at once: the queue ahead of them would outlast their deadline. */
  rejectedOverload: number;
  timeouts: number;
  /** Answered ERR_TIMEOUT (queued) from the queue: too little time left for a call; no worker killed. */
  shed: number;
  /** Workers killed because they held a request past its deadline. */
  deadlineKills: number;
  retries: number;
  /** Workers that died unexpectedly after they were ready. */
  workerDeaths: number;
  startFailures: number;
  spawned: number;
  reaped: number;
  recycled: number;
  /** Ticks at which more workers were wanted but maxWorkers were running. */
  maxChildrenReached: number;
  /** PHP-FPM "max listen queue". */
  maxQueueSeen: number;
  /** PHP-FPM "max active processes". */
  maxActive: number;
}

export function newCounters(): PoolCounters {
  return {
    accepted: 0,
    served: 0,
    failed: 0,
    rejectedBusy: 0,
    rejectedOverload: 0,
    timeouts: 0,
    shed: 0,
    deadlineKills: 0,
    retries: 0,
    workerDeaths: 0,
    startFailures: 0,
    spawned: 0,
    reaped: 0,
    recycled: 0,
    maxChildrenReached: 0,
    maxQueueSeen: 0,
    maxActive: 0,
  };
}

export interface WorkerStatus {
  pid: number;
  state: WorkerState;
  startedAt: string;
  uptimeMs: number;
  requests: number;
  lastDurationMs: number | null;
  lastOp: string | null;
  /** How long the request in flight has been running. */
  busyForMs: number | null;
}

export interface PoolStatus {
  state: string;
  backend: string;
  startedAt: string;
  uptimeMs: number;
  idle: number;
  busy: number;
  starting: number;
  stopping: number;
  total: number;
  queueLength: number;
  queueCapacity: number;
  minWorkers: number;
  maxWorkers: number;
  minSpare: number;
  spawnRate: number;
  backoffMs: number;
  lastStartError: string;
  counters: PoolCounters;
  workers: WorkerStatus[];
}

export function poolStatus(p: {
  now: number;
  state: string;
  backend: string;
  startedAt: number;
  settings: PoolSettings;
  counters: PoolCounters;
  queueLength: number;
  spawnRate: number;
  backoffMs: number;
  lastStartError: string;
  workers: WorkerHandle[];
}): PoolStatus {
  const by = (states: WorkerState[]): number => p.workers.filter((w) => states.includes(w.state)).length;
  return {
    state: p.state,
    backend: p.backend,
    startedAt: new Date(p.startedAt).toISOString(),
    uptimeMs: p.now - p.startedAt,
    idle: by(['idle']),
    busy: by(['busy']),
    starting: by(['starting']),
    stopping: by(['stopping', 'killing']),
    total: p.workers.length,
    queueLength: p.queueLength,
    queueCapacity: p.settings.maxQueue,
    minWorkers: p.settings.minWorkers,
    maxWorkers: p.settings.maxWorkers,
    minSpare: p.settings.minSpare,
    spawnRate: p.spawnRate,
    backoffMs: p.backoffMs,
    lastStartError: p.lastStartError,
    counters: { ...p.counters },
    workers: p.workers
      .map((w) => ({
        pid: w.pid,
        state: w.state,
        startedAt: new Date(w.startedAt).toISOString(),
        uptimeMs: p.now - w.startedAt,
        requests: w.requests,
        lastDurationMs: w.lastDurationMs,
        lastOp: w.lastOp,
        busyForMs: w.state === 'busy' ? p.now - w.busySince : null,
      }))
      .sort((a, b) => a.pid - b.pid),
  };
}

function ms(v: number | null): string {
  return v === null ? '-' : `${v} ms`;
}

/** The status as text, one `key: value` per line then a worker table, like PHP-FPM's plain output. */
export function formatStatus(s: PoolStatus & { connections?: number }): string {
  const c = s.counters;
  const lines = [
    `state:                ${s.state}`,
    `backend:              ${s.backend}`,
    `start time:           ${s.startedAt}`,
    `start since:          ${Math.round(s.uptimeMs / 1000)} s`,
    `accepted requests:    ${c.accepted}`,
    `served:               ${c.served}`,
    `failed:               ${c.failed}`,
    `queue length:         ${s.queueLength}`,
    `max queue length:     ${c.maxQueueSeen}`,
    `queue capacity:       ${s.queueCapacity}`,
    `idle workers:         ${s.idle}`,
    `busy workers:         ${s.busy}`,
    `starting workers:     ${s.starting}`,
    `stopping workers:     ${s.stopping}`,
    `total workers:        ${s.total}`,
    `max busy workers:     ${c.maxActive}`,
    `max children reached: ${c.maxChildrenReached}`,
    `rejected busy:        ${c.rejectedBusy}`,
    `rejected overload:    ${c.rejectedOverload}`,
    `timeouts:             ${c.timeouts}`,
    `shed from queue:      ${c.shed}`,
    `killed at deadline:   ${c.deadlineKills}`,
    `retried lookups:      ${c.retries}`,
    `worker deaths:        ${c.workerDeaths}`,
    `start failures:       ${c.startFailures}`,
    `spawned:              ${c.spawned}`,
    `reaped:               ${c.reaped}`,
    `recycled:             ${c.recycled}`,
    `spawn rate:           ${s.spawnRate}`,
    `backoff:              ${ms(s.backoffMs)}`,
  ];
  if (s.connections !== undefined) lines.push(`client connections:   ${s.connections}`);
  if (s.lastStartError) lines.push(`last start error:     ${s.lastStartError}`);
  lines.push('', 'pid      state     requests  last duration  last op   busy for');
  for (const w of s.workers) {
    lines.push(
      [String(w.pid).padEnd(8), w.state.padEnd(9), String(w.requests).padStart(8), ms(w.lastDurationMs).padStart(14), (w.lastOp ?? '-').padEnd(9), ms(w.busyForMs)].join(' '),
    );
  }
  return lines.join('\n') + '\n';
}
