/**
 * The pool's status as Prometheus metrics (`--metrics`, `--metrics-textfile`): workers by state,
 * the queue, how often the pool hit max workers, requests by type and outcome with their duration,
 * and why workers were replaced. Names only ops and outcomes, never users.
 */
import { formatExposition, type MetricFamily } from '../shared/metrics/exposition.ts';
import type { PoolStatus } from './pool-status.ts';
import type { RequestStats } from './request-stats.ts';

export function poolMetrics(s: PoolStatus, stats: RequestStats, connections: number): string {
  const c = s.counters;
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'gauge', samples: [{ value }] });
  const counter = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'counter', samples: [{ value }] });
  return formatExposition([
    {
      name: 'ltsp_winbind_pool_workers',
      help: 'Worker processes by state.',
      type: 'gauge',
      samples: (['idle', 'busy', 'starting', 'stopping'] as const).map((state) => ({ labels: { state }, value: s[state] })),
    },
    gauge('ltsp_winbind_pool_workers_max', 'The most workers the pool may run.', s.maxWorkers),
    gauge('ltsp_winbind_pool_queue_length', 'Requests waiting for a worker now.', s.queueLength),
    gauge('ltsp_winbind_pool_queue_capacity', 'Requests the queue may hold.', s.queueCapacity),
    gauge('ltsp_winbind_pool_connections', 'Client connections open now.', connections),
    counter('ltsp_winbind_pool_max_workers_reached_total', 'Times more workers were wanted while max workers were running.', c.maxChildrenReached),
    {
      name: 'ltsp_winbind_pool_requests_total',
      help: 'Requests answered, by type (auth, getpwnam, ...) and outcome (ok or the error code).',
      type: 'counter',
      samples: stats.requests().map((r) => ({ labels: { op: r.op, outcome: r.outcome }, value: r.count })),
    },
    { name: 'ltsp_winbind_pool_request_duration_seconds', help: 'Time from a request read to its answer written, by type.', type: 'histogram', samples: stats.durationSamples('ltsp_winbind_pool_request_duration_seconds') },
    {
      name: 'ltsp_winbind_pool_worker_restarts_total',
      help: 'Workers replaced, by reason: crashed, killed at the deadline, recycled after max requests, failed to start.',
      type: 'counter',
      samples: [
        { labels: { reason: 'crashed' }, value: c.workerDeaths },
        { labels: { reason: 'deadline' }, value: c.timeouts },
        { labels: { reason: 'recycled' }, value: c.recycled },
        { labels: { reason: 'start_failed' }, value: c.startFailures },
      ],
    },
    counter('ltsp_winbind_pool_workers_reaped_total', 'Idle workers stopped because more than the spare minimum were idle.', c.reaped),
    counter('ltsp_winbind_pool_rejected_busy_total', 'Requests answered busy because the queue was full.', c.rejectedBusy),
    gauge('ltsp_winbind_pool_uptime_seconds', 'Seconds since the pool started.', Math.round(s.uptimeMs / 1000)),
  ]);
}
