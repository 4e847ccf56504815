/**
 * What the daemon counts since it started, shown by `ltsp-server-advertise status` and logged on
 * SIGUSR1. Plain numbers in one object: the hot paths only increment fields.
 */
export interface Counters {
  udpServed: number;
  /** Queries too short for the document that got the "retry over TCP" answer. */
  udpRetryTcp: number;
  /** Queries too short even for the retry answer: no reply at all. */
  udpTooShort: number;
  udpMalformed: number;
  udpOversized: number;
  udpRateLimited: number;
  /** Source outside the subnets of the --interface list. */
  udpRejected: number;
  udpSendErrors: number;
  tcpServed: number;
  /** Closed at once: the source held max_connections_per_source, or max_connections were open. */
  tcpRefused: number;
  /** Answered connections of the biggest holder closed to admit another source. */
  tcpEvicted: number;
  tcpRejected: number;
  /** Closed because the client had not taken the document within write_timeout_ms. */
  tcpTimedOut: number;
  /** Closed because the client sent more than the daemon is willing to read and drop. */
  tcpFlooded: number;
  tcpErrors: number;
  sourceErrors: number;
  configReloads: number;
  configErrors: number;
}

export function newCounters(): Counters {
  return {
    udpServed: 0,
    udpRetryTcp: 0,
    udpTooShort: 0,
    udpMalformed: 0,
    udpOversized: 0,
    udpRateLimited: 0,
    udpRejected: 0,
    udpSendErrors: 0,
    tcpServed: 0,
    tcpRefused: 0,
    tcpEvicted: 0,
    tcpRejected: 0,
    tcpTimedOut: 0,
    tcpFlooded: 0,
    tcpErrors: 0,
    sourceErrors: 0,
    configReloads: 0,
    configErrors: 0,
  };
}
