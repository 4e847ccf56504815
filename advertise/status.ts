/**
 * `ltsp-server-advertise status`: the running daemon answers on a Unix stream socket with one JSON
 * object and closes, like the TCP port does with the document. A Unix socket works without root and
 * under systemd's hardening (RuntimeDirectory= gives the daemon a writable /run/ltsp-advertise even
 * with DynamicUser=), and file permissions decide who may look. The same report is logged on SIGUSR1.
 */
import type { Server } from 'node:net';
import { join } from 'node:path';
import { NotRunningError } from '../shared/errors.ts';
import { clearStaleSocket } from '../shared/net/stale-socket.ts';
import { listenStatus, readStatus } from '../shared/net/status-socket.ts';

/** $RUNTIME_DIRECTORY (set by systemd's RuntimeDirectory=) or the unit's directory. */
export function defaultStatusSocket(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.RUNTIME_DIRECTORY?.split(':')[0] || '/run/ltsp-advertise';
  return join(dir, 'status.sock');
}

export interface StatusReport {
  pid: number;
  hostname: string;
  state: string;
  weight: number;
  rating: number;
  sessions: number;
  users: number;
  daemonUptimeSec: number;
  listening: string;
  settings: Record<string, unknown>;
  /** Sources the UDP rate limiter currently tracks (bounded). */
  trackedSources: number;
  openTcpConnections: number;
  counters: Record<string, number>;
}

/** Serves the report on `path`; a stale socket file left by a killed daemon is replaced. */
export async function serveStatus(path: string, report: () => StatusReport): Promise<Server> {
  await clearStaleSocket(path, 'status-socket');
  return listenStatus(path, report);
}

/** Asks the daemon on `path` for its report; ERR_NOT_RUNNING (exit 3) when none answers. */
export async function fetchStatus(path: string, timeoutMs = 3000): Promise<StatusReport> {
  let report: Record<string, unknown> | undefined;
  try {
    report = await readStatus(path, timeoutMs);
  } catch (err) {
    throw new NotRunningError(`no advertise daemon answers on ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!report) throw new NotRunningError(`no advertise daemon answers on ${path} (is it running? see --status-socket)`);
  return report as unknown as StatusReport;
}

/** The human-readable form: one "name value" line each, aligned. */
export function formatStatus(r: StatusReport): string {
  const rows: Array<[string, string | number]> = [
    ['pid', r.pid],
    ['hostname', r.hostname],
    ['listening', r.listening],
    ['state', r.state],
    ['weight', r.weight],
    ['rating', r.rating],
    ['sessions', r.sessions],
    ['users', r.users],
    ['uptime_s', Math.round(r.daemonUptimeSec)],
    ['open_tcp_connections', r.openTcpConnections],
    ['tracked_sources', r.trackedSources],
    ...Object.entries(r.counters).map(([k, v]): [string, number] => [snake(k), v]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
