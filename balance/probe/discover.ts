/**
 * Discovery (no server list configured): the padded query is broadcast on every local network and
 * whoever answers before the deadline is a server. Unlike a survey there is no list to tick off, so
 * the collection ends at the deadline or once the network has been quiet for `quietMs` after the
 * last answer (servers on one LAN answer within a few ms of each other).
 *
 * node:dgram, not dgram-as-promised: one socket receives from unknown many peers, and that library
 * drops datagrams arriving while no recv() is pending; it also has no setBroadcast.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { ADVERTISE_PORT } from '../../shared/wire/advertisement.ts';
import { parseAdvertisement, parseReply } from '../../shared/wire/parse.ts';
import { buildQuery, QUERY_PADDED_BYTES } from '../../shared/wire/udp-query.ts';
import { errorSummary } from '../errors.ts';
import { broadcastAddresses } from '../../ltsp/identity.ts';
import { MAX_SERVERS } from '../servers.ts';
import type { ServerReport } from './survey.ts';
import { fetchOverTcp } from './tcp-fetch.ts';

export interface DiscoverOptions {
  timeoutMs: number;
  /** Where to send the query: default every interface's broadcast address (255.255.255.255 if none). */
  addresses?: string[];
  port?: number;
  /** Stop this long after the last answer (default 50 ms). */
  quietMs?: number;
  signal?: AbortSignal;
}

/** Servers that answered, in order of answer; a server whose document was refused is reported Down. */
export async function discoverServers(opts: DiscoverOptions): Promise<ServerReport[]> {
  const started = performance.now();
  const port = opts.port ?? ADVERTISE_PORT;
  const quietMs = opts.quietMs ?? 50;
  const targets = opts.addresses ?? broadcastAddresses();
  if (targets.length === 0) targets.push('255.255.255.255');
  const reports = new Map<string, ServerReport>();
  const tcp = new AbortController();
  const pendingTcp = new Set<Promise<void>>();
  const socket = createSocket({ type: 'udp4' });
  let timer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const remaining = (): number => Math.max(0, opts.timeoutMs - (performance.now() - started));
  const arm = (ms: number): void => {
    clearTimeout(timer);
    timer = setTimeout(finish, Math.min(ms, remaining()));
  };

  const onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (rinfo.port !== port || reports.has(rinfo.address) || reports.size >= MAX_SERVERS) return;
    const report: ServerReport = { server: { host: rinfo.address, port }, reachable: false, address: rinfo.address };
    reports.set(rinfo.address, report);
    const rttMs = Math.round((performance.now() - started) * 100) / 100;
    try {
      // No honest answer is larger than the query (udp-query.ts): refused before parsing.
      const reply = parseReply(msg, QUERY_PADDED_BYTES);
      if (reply.kind === 'document') Object.assign(report, { reachable: true, ad: reply.ad, rttMs, via: 'udp' });
      else pendingTcp.add(fetchTcp(report));
    } catch (err) {
      report.error = errorSummary(err);
    }
    arm(quietMs);
  };

  const fetchTcp = (report: ServerReport): Promise<void> => {
    const p = fetchOverTcp(report.address!, port, tcp.signal).then(
      ({ bytes, connectMs }) => {
        Object.assign(report, { reachable: true, ad: parseAdvertisement(bytes), rttMs: Math.round(connectMs * 100) / 100, via: 'tcp' });
      },
    ).catch((err: unknown) => {
      report.error = errorSummary(err);
    }).finally(() => pendingTcp.delete(p));
    return p;
  };

  const onAbort = (): void => finish();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  socket.on('message', onMessage);
  socket.on('error', () => finish());
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.setBroadcast(true);
    const query = buildQuery(QUERY_PADDED_BYTES);
    for (const address of targets) socket.send(query, port, address, () => undefined);
    arm(remaining());
    await finished;
    // Answers that asked for TCP get what is left of the deadline, not more.
    if (pendingTcp.size > 0) {
      const deadline = setTimeout(() => tcp.abort(), remaining());
      await Promise.all([...pendingTcp]);
      clearTimeout(deadline);
    }
  } catch (err) {
    if (reports.size === 0) throw err;
  } finally {
    clearTimeout(timer);
    tcp.abort();
    opts.signal?.removeEventListener('abort', onAbort);
    socket.close();
  }
  return [...reports.values()];
}
