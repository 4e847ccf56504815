/**
 * The advertise daemon's counters as Prometheus metrics (`--metrics`, `--metrics-textfile`): queries
 * by protocol and outcome, open connections, how old the served document is, and what it says.
 */
import { formatExposition, type MetricFamily } from '../shared/metrics/exposition.ts';
import type { StatusReport } from './status.ts';

/** Counter field -> [protocol, outcome]. Fields not listed (added later) are simply not exported. */
const QUERY_OUTCOMES: Record<string, [string, string]> = {
  udpServed: ['udp', 'served'],
  udpRetryTcp: ['udp', 'retry_tcp'],
  udpTooShort: ['udp', 'too_short'],
  udpMalformed: ['udp', 'malformed'],
  udpOversized: ['udp', 'oversized'],
  udpRateLimited: ['udp', 'rate_limited'],
  udpRejected: ['udp', 'rejected'],
  udpSendErrors: ['udp', 'send_error'],
  tcpServed: ['tcp', 'served'],
  tcpRefused: ['tcp', 'refused'],
  tcpRejected: ['tcp', 'rejected'],
  tcpTimedOut: ['tcp', 'timed_out'],
  tcpFlooded: ['tcp', 'flooded'],
  tcpErrors: ['tcp', 'error'],
};

export function advertiseMetrics(r: StatusReport, documentAgeSec: number): string {
  const c = r.counters;
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'gauge', samples: [{ value }] });
  const counter = (name: string, help: string, value: number | undefined): MetricFamily => ({ name, help, type: 'counter', samples: [{ value: value ?? 0 }] });
  return formatExposition([
    {
      name: 'ltsp_advertise_queries_total',
      help: 'Queries since the daemon started, by protocol and outcome (served, refused, rate_limited, ...).',
      type: 'counter',
      samples: Object.entries(QUERY_OUTCOMES).map(([field, [protocol, outcome]]) => ({ labels: { protocol, outcome }, value: c[field] ?? 0 })),
    },
    gauge('ltsp_advertise_open_connections', 'TCP connections open now.', r.openTcpConnections),
    gauge('ltsp_advertise_tracked_sources', 'Sources the UDP rate limiter tracks now.', r.trackedSources),
    gauge('ltsp_advertise_document_age_seconds', 'Age of the document being served (sampling stalls show here).', Math.round(documentAgeSec * 1000) / 1000),
    gauge('ltsp_advertise_sessions', 'Login sessions the document advertises.', r.sessions),
    gauge('ltsp_advertise_users', 'Distinct users the document advertises.', r.users),
    gauge('ltsp_advertise_rating', 'The advertised rating, 0 to 100.', r.rating),
    gauge('ltsp_advertise_weight', 'The administrator weight advertised.', r.weight),
    gauge('ltsp_advertise_draining', '1 while the server is draining (no new sessions wanted).', r.state === 'draining' ? 1 : 0),
    gauge('ltsp_advertise_uptime_seconds', 'Seconds since the daemon started.', Math.round(r.daemonUptimeSec)),
    counter('ltsp_advertise_source_errors_total', 'Failed reads of /proc or utmp.', c.sourceErrors),
    counter('ltsp_advertise_config_reloads_total', 'Config file reloads that took effect.', c.configReloads),
    counter('ltsp_advertise_config_errors_total', 'Config file reloads refused (the previous settings kept).', c.configErrors),
  ]);
}
