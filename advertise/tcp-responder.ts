/**
 * TCP port 377: on connect, write the document and close (`nc server 377` works, as it did with the
 * original prototype). The server is created with pauseOnConnect, so nothing the client sends is read
 * before the document is on its way. After that the socket is drained ("lingering close", as Apache
 * does it): closing with unread bytes in the receive queue makes the kernel send a reset, which can
 * destroy the document before the client has read it. What is drained is dropped, never buffered,
 * and capped. Every connection has an absolute deadline (write_timeout_ms), so slow and idle clients
 * cannot pile up.
 *
 * The connection budget is shared per source (an IPv4 address, an IPv6 /64: the rate limiter's
 * identity). One source may hold at most max_connections_per_source; when all max_connections are
 * open, a newcomer closes the oldest answered connection of the source holding the most (FairShare).
 * So a source that keeps re-opening idle connections holds its own share and no more, and never
 * turns away another source's query.
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
  source: string;
  /** The whole document has been handed to the kernel: closing it now loses nothing. */
  answered: boolean;
}

export interface TcpResponder {
  server: Server;
  /** Connections still open (being written to or drained). */
  readonly open: ReadonlySet<Socket>;
}

export function createTcpResponder(deps: TcpResponderDeps): TcpResponder {
  const { counters, filter, throttled } = deps;
  const open = new Set<Socket>();
  const share = new FairShare<string, Open>(deps.limits().maxConnections, (o) => o.answered);
  const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
    if (filter && !filter.allows(socket.remoteAddress)) {
      counters.tcpRejected++;
      throttled.count('notice', 'closed TCP connections from outside the --interface subnets');
      socket.destroy();
      return;
    }
    const limits = deps.limits();
    share.capacity = limits.maxConnections;
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
      share.release(admission.evict.source, admission.evict); // now, not at its 'close': the slot is taken at once
    }
    const entry: Open = { socket, source, answered: false };
    share.add(source, entry);
    open.add(socket);
    let drained = 0;
    const deadline = setTimeout(() => {
      counters.tcpTimedOut++;
      throttled.count('notice', 'closed TCP connections whose client did not finish in time');
      socket.destroy();
    }, deps.writeTimeoutMs());
    socket.on('close', () => {
      clearTimeout(deadline);
      open.delete(socket);
      share.release(source, entry);
    });
    socket.on('error', (err) => {
      counters.tcpErrors++;
      throttled.count('info', `TCP connection error (${(err as NodeJS.ErrnoException).code ?? err.message})`);
    });
    socket.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > MAX_DRAINED_BYTES) {
        counters.tcpFlooded++;
        throttled.count('notice', `closed TCP connections that sent more than ${MAX_DRAINED_BYTES} bytes`);
        socket.destroy();
      }
    });
    socket.end(deps.document(), () => {
      counters.tcpServed++;
      entry.answered = true;
    });
    socket.resume();
  });
  return { server, open };
}
