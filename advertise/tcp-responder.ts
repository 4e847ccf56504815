/**
 * TCP port 377: on connect, write the document and close (`nc server 377` works, as it did with the
 * original prototype). The document is written from the connection handler itself, before the event
 * loop can read anything the client sent. After that the socket is drained ("lingering close", as Apache
 * does it): closing with unread bytes in the receive queue makes the kernel send a reset, which can
 * destroy the document before the client has read it. What is drained is dropped, never buffered,
 * and capped. Every connection has an absolute deadline (write_timeout_ms after it was accepted), so
 * slow and idle clients cannot pile up.
 *
 * The hot path is one accepted connection: no timer per connection (one timer serves them all, armed
 * for the oldest open connection's deadline; connections are kept in accept order, so the expired
 * ones are always at the front), no TCP_NODELAY (one write then FIN: Nagle never holds it, and the
 * setsockopt was a system call per connection), and no logging (the throttled summary counts).
 *
 * The connection budget is shared per source (an IPv4 address, an IPv6 /64: the rate limiter's
 * identity). One source may hold at most max_connections_per_source; when all max_connections are
 * open, a newcomer closes the oldest answered connection of the source holding the most (FairShare).
 * So a source that keeps re-opening idle connections holds its own share and no more, and never
 * turns away another source's query.
 *
 * The source is only looked up when it can matter. Learning it costs a getpeername(2) and an object
 * per connection (a tenth of the CPU of an answer), and while fewer connections are open than both
 * max_connections_per_source and max_connections, no source can reach its cap and nobody needs to
 * be evicted, whoever connects. So connections admitted then wait unattributed (`pending`); the
 * moment the open count reaches the smaller limit, every pending one is attributed to its source
 * and the accounting is exact again, before the newcomer is judged.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { ThrottledLog } from '../shared/log.ts';
import { FairShare } from '../shared/net/fair-share.ts';
import type { Counters } from './counters.ts';
import { sourceKey } from './rate-limit.ts';
import type { SourceFilter } from './source-filter.ts';

/** Bytes read and dropped per connection before the daemon gives up on a chatty client. */
export const MAX_DRAINED_BYTES = 64 * 1024;

export interface TcpResponderDeps {
  document: () => Buffer;
  counters: Counters;
  filter: SourceFilter | undefined;
  throttled: ThrottledLog;
  writeTimeoutMs: () => number;
  /** Read at every connection, so a reload applies at once. */
  limits: () => { maxConnections: number; maxConnectionsPerSource: number };
}

interface Open {
  socket: Socket;
  /** Undefined while pending: admitted when no source could be at its cap (above). */
  source: string | undefined;
  /** The whole document has been handed to the kernel: closing it now loses nothing. */
  answered: boolean;
  /** performance.now() at accept. */
  acceptedAt: number;
  /** Bytes the client sent, read and dropped. */
  drained: number;
  /** Destroyed at its deadline; stays in `open` until its 'close'. */
  timedOut: boolean;
}

export interface TcpResponder {
  server: Server;
  /** Connections still open (being written to or drained), oldest first. */
  readonly open: ReadonlyMap<Socket, unknown>;
}

/** A deadline timer fires no more often than this: connections expiring together close together. */
const DEADLINE_BATCH_MS = 5;

export function createTcpResponder(deps: TcpResponderDeps): TcpResponder {
  const { counters, filter, throttled } = deps;
  /** Insertion order is accept order, so the connection with the earliest deadline comes first. */
  const open = new Map<Socket, Open>();
  const share = new FairShare<string, Open>(deps.limits().maxConnections, (o) => o.answered);
  /** Open connections not yet attributed to a source (they are not in `share`). */
  const pending = new Set<Open>();
  const attribute = (o: Open): void => {
    // A socket destroyed meanwhile has no peer any more: its '' share is released at its 'close'.
    o.source = sourceKey(o.socket.remoteAddress ?? '');
    share.add(o.source, o);
  };

  // One timer for every deadline, armed for the oldest open connection. The timeout in force is read
  // when it fires, so a reload that shortens write_timeout_ms applies to open connections too (at
  // the latest when the timer armed before the reload fires).
  let deadlineTimer: NodeJS.Timeout | undefined;
  const expire = (): void => {
    deadlineTimer = undefined;
    const timeout = deps.writeTimeoutMs();
    const now = performance.now();
    for (const o of open.values()) {
      if (o.timedOut) continue;
      const left = o.acceptedAt + timeout - now;
      if (left > 0) {
        deadlineTimer = setTimeout(expire, Math.max(left, DEADLINE_BATCH_MS)).unref();
        return;
      }
      counters.tcpTimedOut++;
      throttled.count('notice', 'closed TCP connections whose client did not finish in time');
      o.timedOut = true;
      o.socket.destroy(); // its 'close' (later) releases it
    }
  };

  // The socket events, one function each for every connection (`this` is the socket): no closures
  // to allocate per connection.
  function onClose(this: Socket): void {
    const o = open.get(this);
    if (o === undefined) return;
    open.delete(this);
    if (o.source === undefined) pending.delete(o);
    else share.release(o.source, o);
  }
  function onError(err: Error): void {
    counters.tcpErrors++;
    throttled.count('info', `TCP connection error (${(err as NodeJS.ErrnoException).code ?? err.message})`);
  }
  // Flowing mode: what the client sends is read and dropped as it comes.
  function onData(this: Socket, chunk: Buffer): void {
    const o = open.get(this);
    if (o === undefined) return;
    o.drained += chunk.length;
    if (o.drained > MAX_DRAINED_BYTES) {
      counters.tcpFlooded++;
      throttled.count('notice', `closed TCP connections that sent more than ${MAX_DRAINED_BYTES} bytes`);
      this.destroy();
    }
  }
  // The whole document is with the kernel.
  function onFinish(this: Socket): void {
    counters.tcpServed++;
    const o = open.get(this);
    if (o !== undefined) o.answered = true;
  }

  const server = createServer((socket) => {
    if (filter && !filter.allows(socket.remoteAddress)) {
      counters.tcpRejected++;
      throttled.count('notice', 'closed TCP connections from outside the --interface subnets');
      socket.destroy();
      return;
    }
    const limits = deps.limits();
    share.capacity = limits.maxConnections;
    const entry: Open = { socket, source: undefined, answered: false, acceptedAt: performance.now(), drained: 0, timedOut: false };
    if (share.size + pending.size < Math.min(limits.maxConnectionsPerSource, limits.maxConnections)) {
      pending.add(entry);
    } else {
      for (const o of pending) attribute(o);
      pending.clear();
      const source = sourceKey(socket.remoteAddress ?? '');
      const admission = share.admit(source, limits.maxConnectionsPerSource);
      if (!admission.ok) {
        counters.tcpRefused++;
        throttled.count(
          'warning',
          admission.why === 'peer_cap'
            ? 'refused TCP connections from a source holding max_connections_per_source'
            : 'refused TCP connections: max_connections open, none to take from a bigger holder',
        );
        socket.destroy();
        return;
      }
      if (admission.evict) {
        counters.tcpEvicted++;
        throttled.count('notice', 'closed answered TCP connections of the source holding the most, to admit another');
        admission.evict.socket.destroy();
        share.release(admission.evict.source!, admission.evict); // now, not at its 'close': the slot is taken at once
      }
      entry.source = source;
      share.add(source, entry);
    }
    open.set(socket, entry);
    // Unref'd: the open sockets keep the daemon alive, a deadline alone must not (SIGTERM drains).
    deadlineTimer ??= setTimeout(expire, deps.writeTimeoutMs()).unref();
    socket.on('close', onClose).on('error', onError).on('data', onData).on('finish', onFinish);
    socket.end(deps.document());
  });
  return { server, open };
}
