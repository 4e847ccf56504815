/**
 * Asks every server at once and collects what each reported, under ONE overall deadline: the padded
 * UDP query to all of them, the same query again to the silent ones, then TCP for those still
 * silent (or told to retry over TCP). The promise resolves as soon as every server is settled or the
 * deadline passes, whichever is first; a server without a valid answer by then is unreachable, with
 * the reason.
 *
 * Sockets: up to CONNECTED_SOCKETS_MAX servers, each server gets its own CONNECTED UDP socket (Node
 * 12+). A connected socket hears the ICMP port-unreachable of a server that is up without a daemon
 * on the port (ECONNREFUSED within one round trip), and TCP is tried at once to confirm: the server is
 * Down in a few ms instead of at the TCP timer (2/5 of the deadline). Larger lists, Node < 12 (no
 * dgram connect()) and a socket that cannot be opened (EMFILE) use one unconnected socket per address
 * family, which ignores ICMP errors: one descriptor each, whatever the list's length. dgram-as-promised
 * does not fit here: it drops datagrams that arrive while no recv() is pending, and 30 answers arrive
 * at once.
 */
import { createSocket, Socket, type RemoteInfo } from 'node:dgram';
import { unmapIPv4 } from '../../shared/net/address.ts';
import { ipFamily } from '../../shared/net/ip-family.ts';
import { canonicalIPv6 } from '../../shared/net/ipv6.ts';
import type { Advertisement } from '../../shared/wire/advertisement.ts';
import { WireSyntaxError } from '../../shared/wire/errors.ts';
import { parseAdvertisement, parseReply } from '../../shared/wire/parse.ts';
import { buildQuery, QUERY_PADDED_BYTES } from '../../shared/wire/udp-query.ts';
import { errorSummary, SurveyNetworkError, SurveyResolveError, SurveyTimeoutError } from '../errors.ts';
import type { ServerAddress } from '../servers.ts';
import { resolveHost } from './resolve.ts';
import { fetchOverTcp } from './tcp-fetch.ts';

export interface LoginPathResult {
  ok: boolean;
  port: number;
  error?: { code: string; message: string };
}

export interface ServerReport {
  server: ServerAddress;
  reachable: boolean;
  ad?: Advertisement;
  /** UDP: from the (last) query sent to the answer; TCP: the handshake. */
  rttMs?: number;
  via?: 'udp' | 'tcp';
  error?: { code: string; message: string };
  /** The IP address the server's name resolved to. */
  address?: string;
  /** Set when the login-path check ran (login-check.ts). */
  login?: LoginPathResult;
}

export interface SurveyOptions {
  /** The one overall deadline in ms, from the call. */
  timeoutMs: number;
  /** When to repeat the UDP query to servers still silent (default: a fifth of the deadline). */
  retryAfterMs?: number;
  /** When to try TCP for servers still silent (default: two fifths of the deadline). */
  tcpAfterMs?: number;
  /** Padding of the query (default 1200 bytes, what the server needs to answer with the document). */
  querySize?: number;
  /** Called once per server as soon as it is settled (the login-path check starts from here). */
  onReport?: (report: ServerReport) => void;
  /** Stops the survey early: everything still open is settled as a timeout. */
  signal?: AbortSignal;
  /** Lists up to this long get one connected socket per server (default CONNECTED_SOCKETS_MAX; 0: never). */
  connectedSocketsMax?: number;
}

/**
 * One descriptor per server up to here; beyond it, one per address family. 64 keeps a survey within
 * 64 + 2 UDP descriptors (plus TCP fallbacks) under a thin client's `ulimit -n` of 256 or more,
 * and covers every real LTSP site's list (the 256-server cap is for broadcast-sized lists).
 */
export const CONNECTED_SOCKETS_MAX = 64;

/** TCP fallbacks open at the same time: with the UDP sockets, a survey stays far under 256 descriptors. */
export const TCP_CONNECTIONS_MAX = 64;

/** dgram's connect() exists from Node 12; the hook also runs on 8.10 and 10 (unconnected there). */
const CAN_CONNECT = typeof (Socket.prototype as { connect?: unknown }).connect === 'function';

interface Target {
  report: ServerReport;
  settled: boolean;
  udpSentAt?: number;
  tcp?: AbortController;
  /** Its own connected socket (see the header); undefined on the shared-socket path. */
  socket?: Socket;
  /** The connected socket is not usable (could not be opened): the shared socket carries its queries. */
  shared?: boolean;
  /** The server's kernel answered the UDP query with port unreachable (connected sockets only). */
  udpRefused?: boolean;
  /** Its TCP connection was opened (else, with `tcp` set, it waits for a free one). */
  tcpOpened?: boolean;
}

export async function surveyServers(servers: ServerAddress[], opts: SurveyOptions): Promise<ServerReport[]> {
  const started = performance.now();
  const { timeoutMs } = opts;
  const targets: Target[] = servers.map((server) => ({ report: { server, reachable: false }, settled: false }));
  if (targets.length === 0) return [];
  const byPeer = new Map<string, Target[]>();
  const sockets: Partial<Record<'udp4' | 'udp6', Socket>> = {};
  const query = buildQuery(opts.querySize ?? QUERY_PADDED_BYTES);
  const timers: NodeJS.Timeout[] = [];
  let open = targets.length;
  const connected = CAN_CONNECT && targets.length <= (opts.connectedSocketsMax ?? CONNECTED_SOCKETS_MAX);
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));

  const settle = (t: Target, fields: Partial<ServerReport>): void => {
    if (t.settled) return;
    t.settled = true;
    t.tcp?.abort();
    closeOwnSocket(t);
    Object.assign(t.report, fields);
    opts.onReport?.(t.report);
    if (--open === 0) done();
  };
  const fail = (t: Target, err: unknown): void => settle(t, { reachable: false, error: errorSummary(err) });
  const elapsed = (): number => performance.now() - started;

  const onAnswer = (t: Target, msg: Buffer): void => {
    if (t.settled) return;
    const rtt = t.udpSentAt === undefined ? undefined : performance.now() - t.udpSentAt;
    let reply;
    try {
      // An honest server never answers with more bytes than the query carried (udp-query.ts):
      // anything larger is refused before the parser spends a moment on it.
      reply = parseReply(msg, query.length);
    } catch (err) {
      return fail(t, err);
    }
    if (reply.kind === 'retry-tcp') startTcp(t);
    else settle(t, { reachable: true, ad: reply.ad, rttMs: round(rtt), via: 'udp' });
  };

  const onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    // Only the server's own address and port can answer for it: anything else is ignored.
    for (const t of byPeer.get(peerKey(rinfo.address, rinfo.port)) ?? []) onAnswer(t, msg);
  };

  const socketFor = (address: string): Socket => {
    const family = ipFamily(address) === 6 ? 'udp6' : 'udp4';
    let socket = sockets[family];
    if (!socket) {
      socket = createSocket({ type: family });
      socket.on('message', onMessage);
      // Unconnected UDP sockets report no per-peer errors; a socket-wide one leaves TCP to decide.
      socket.on('error', () => undefined);
      sockets[family] = socket;
    }
    return socket;
  };

  const sendUdp = (t: Target): void => {
    const address = t.report.address;
    if (t.settled || t.tcp || address === undefined) return;
    t.udpSentAt = performance.now();
    if (!connected || t.shared) {
      socketFor(address).send(query, t.report.server.port, address, (err) => {
        if (err) startTcp(t);
      });
    } else if (t.socket) {
      t.socket.send(query, (err) => err && onUdpError(t, err));
    } else {
      const socket = createSocket({ type: ipFamily(address) === 6 ? 'udp6' : 'udp4' });
      t.socket = socket;
      socket.on('message', (msg: Buffer) => onAnswer(t, msg));
      socket.on('error', (err: NodeJS.ErrnoException) => onUdpError(t, err));
      // The kernel now drops datagrams from anyone else, and reports the peer's ICMP errors here.
      socket.connect(t.report.server.port, address, () => socket.send(query, (err) => err && onUdpError(t, err)));
    }
  };

  /** A connected socket's error: refused is an answer (confirmed over TCP at once); else the shared socket takes over. */
  const onUdpError = (t: Target, err: NodeJS.ErrnoException): void => {
    if (t.settled || t.tcp) return;
    if (err.code === 'ECONNREFUSED') {
      // Nothing will come on it now: its descriptor goes back before TCP takes one.
      closeOwnSocket(t);
      t.udpRefused = true;
      return startTcp(t);
    }
    // Could not open, bind or connect (EMFILE, ...): that server's queries go out unconnected.
    closeOwnSocket(t);
    t.shared = true;
    sendUdp(t);
  };

  // TCP fallbacks at once, at most TCP_CONNECTIONS_MAX; the others wait for one to finish.
  const tcpWaiting: Target[] = [];
  let tcpOpen = 0;
  const startTcp = (t: Target): void => {
    if (t.settled || t.tcp || t.report.address === undefined) return;
    t.tcp = new AbortController();
    if (tcpOpen < TCP_CONNECTIONS_MAX) openTcp(t);
    else tcpWaiting.push(t);
  };
  const tcpFinished = (): void => {
    tcpOpen--;
    for (let next = tcpWaiting.shift(); next; next = tcpWaiting.shift()) {
      if (!next.settled) return openTcp(next);
    }
  };

  const openTcp = (t: Target): void => {
    const address = t.report.address!;
    tcpOpen++;
    t.tcpOpened = true;
    fetchOverTcp(address, t.report.server.port, t.tcp!.signal)
      .then(
        ({ bytes, connectMs }) => {
          try {
            if (bytes.length === 0) throw new WireSyntaxError('the server closed the connection without sending a document');
            settle(t, { reachable: true, ad: parseAdvertisement(bytes), rttMs: round(connectMs), via: 'tcp' });
          } catch (err) {
            fail(t, err);
          }
        },
        (err: unknown) => {
          if (err instanceof SurveyTimeoutError) return;
          if (t.udpRefused && err instanceof SurveyNetworkError && err.errno === 'ECONNREFUSED') {
            return fail(t, new SurveyNetworkError('ECONNREFUSED', `${address} port ${t.report.server.port}: UDP port unreachable and TCP connection refused (no advertise daemon listening)`, err));
          }
          fail(t, err);
        },
      )
      .then(tcpFinished);
  };

  // Lookups still running when the survey ends are abandoned (resolve.ts: never dns.lookup, whose
  // thread-pool thread would hold up the process's exit until a hung DNS server times out).
  const lookups = new AbortController();
  const resolveAndSend = async (t: Target): Promise<void> => {
    const { host } = t.report.server;
    try {
      t.report.address = await resolveHost(host, lookups.signal);
    } catch (err) {
      return fail(t, err instanceof SurveyResolveError ? err : new SurveyResolveError(host, err));
    }
    if (t.settled) return;
    const key = peerKey(t.report.address, t.report.server.port);
    byPeer.set(key, [...(byPeer.get(key) ?? []), t]);
    sendUdp(t);
  };

  const onDeadline = (): void => {
    for (const t of targets) {
      if (t.settled) continue;
      const what =
        t.report.address === undefined ? 'name not resolved'
        : t.tcpOpened ? 'no complete answer (UDP silent, TCP unfinished)'
        : t.tcp ? `no answer (UDP silent, TCP waiting behind ${TCP_CONNECTIONS_MAX} open connections)`
        : 'no answer';
      fail(t, new SurveyTimeoutError(`${what} within the ${timeoutMs} ms deadline`));
    }
  };

  const retryAfter = opts.retryAfterMs ?? Math.max(10, timeoutMs / 5);
  const tcpAfter = opts.tcpAfterMs ?? Math.max(20, (timeoutMs * 2) / 5);
  timers.push(setTimeout(() => targets.forEach(sendUdp), retryAfter));
  timers.push(setTimeout(() => targets.forEach(startTcp), tcpAfter));
  // The deadline runs after one more I/O poll: on a busy client the timer can fire late, with answers
  // that arrived in time still queued in the socket; the poll phase reads them before we give up.
  let deadlineImmediate: NodeJS.Immediate | undefined;
  timers.push(setTimeout(() => (deadlineImmediate = setImmediate(onDeadline)), Math.max(0, timeoutMs - elapsed())));
  const onAbort = (): void => onDeadline();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onDeadline();

  try {
    for (const t of targets) void resolveAndSend(t);
    await finished;
  } finally {
    timers.forEach(clearTimeout);
    if (deadlineImmediate) clearImmediate(deadlineImmediate);
    opts.signal?.removeEventListener('abort', onAbort);
    lookups.abort();
    for (const t of targets) t.tcp?.abort();
    for (const socket of Object.values(sockets)) socket.close();
    targets.forEach(closeOwnSocket);
  }
  return targets.map((t) => t.report);
}

/** Its descriptor goes back as soon as the server is settled (a long list's TCP fallbacks need them). */
function closeOwnSocket(t: Target): void {
  const socket = t.socket;
  t.socket = undefined;
  try {
    socket?.close();
  } catch {
    // already closed by a failed bind: nothing to give back
  }
}

/** IPv4-mapped IPv6 (`::ffff:10.0.0.5`) and plain IPv4 are the same peer; IPv6 has one spelling. */
function peerKey(address: string, port: number): string {
  return `${unmapIPv4(canonicalIPv6(address))}|${port}`;
}

function round(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 100) / 100;
}
