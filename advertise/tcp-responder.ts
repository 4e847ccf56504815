/**
 * TCP port 377: on connect, write the document and close (`nc server 377` works, as it did with the
 * original prototype). The server is created with pauseOnConnect, so nothing the client sends is read
 * before the document is on its way. After that the socket is drained ("lingering close", as Apache
 * does it): closing with unread bytes in the receive queue makes the kernel send a reset, which can
 * destroy the document before the client has read it. What is drained is dropped, never buffered,
 * and capped. Every connection has an absolute deadline (write_timeout_ms), so slow and idle clients
 * cannot pile up; beyond max_connections, Node closes new connections at once ('drop' event).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { ThrottledLog } from '../shared/log.ts';
import type { Counters } from './counters.ts';
import type { SourceFilter } from './source-filter.ts';

/** Bytes read and dropped per connection before the daemon gives up on a chatty client. */
export const MAX_DRAINED_BYTES = 64 * 1024;

export interface TcpResponderDeps {
  document: () => Buffer;
  counters: Counters;
  filter: SourceFilter | undefined;
  throttled: ThrottledLog;
  writeTimeoutMs: () => number;
}

export interface TcpResponder {
  server: Server;
  /** Connections still open (being written to or drained). */
  readonly open: ReadonlySet<Socket>;
}

export function createTcpResponder(deps: TcpResponderDeps): TcpResponder {
  const { counters, filter, throttled } = deps;
  const open = new Set<Socket>();
  const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
    if (filter && !filter.allows(socket.remoteAddress)) {
      counters.tcpRejected++;
      throttled.count('notice', 'closed TCP connections from outside the --interface subnets');
      socket.destroy();
      return;
    }
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
    socket.end(deps.document(), () => counters.tcpServed++);
    socket.resume();
  });
  server.on('drop', () => {
    counters.tcpRefused++;
    throttled.count('warning', 'refused TCP connections beyond max_connections');
  });
  return { server, open };
}
