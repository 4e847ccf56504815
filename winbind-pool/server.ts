/**
 * The socket side of the daemon: connections, request lines in, replies out (protocol.ts), with the
 * limits that keep a hostile or broken client from costing more than a bounded share:
 * a line cap, a cap on requests in flight per connection, a cap on connections, an idle timeout,
 * and no further reading while a client does not read its replies.
 */
import type { RequestStats } from './request-stats.ts';
import type { Server, Socket } from 'node:net';
import { logDebug } from '../shared/log.ts';
import { BusyError, InternalError, PoolError, ShuttingDownError, TooLargeError } from './errors.ts';
import { LineSplitter, LineTooLongError } from './line-splitter.ts';
import type { Pool } from './pool.ts';
import { encodeReply, errorReply, MAX_LINE_BYTES, parseRequest, salvageId, type Reply, type RequestId } from './protocol.ts';

export interface ServerLimits {
  maxConnections: number;
  maxPendingPerConnection: number;
  idleTimeoutMs: number;
}

export const SERVER_DEFAULTS: Readonly<ServerLimits> = Object.freeze({
  maxConnections: 256,
  maxPendingPerConnection: 16,
  idleTimeoutMs: 30_000,
});

/** Replies buffered for a client that does not read before we stop reading from it. */
const MAX_UNREAD_REPLY_BYTES = 256 * 1024;

interface Conn {
  pending: number;
  /** The client has shut down its sending side. */
  ended: boolean;
}

export class PoolServer {
  private readonly sockets = new Map<Socket, Conn>();
  private draining = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly server: Server,
    private readonly pool: Pool,
    private readonly limits: ServerLimits = SERVER_DEFAULTS,
    /** Requests by type and outcome, and their duration (for --metrics); none: not counted. */
    private readonly stats?: RequestStats,
  ) {
    server.maxConnections = limits.maxConnections;
    server.on('connection', (socket) => this.accept(socket));
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Stops accepting; open connections get their pending answers, then are closed. */
  async close(): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const [socket, conn] of this.sockets) if (conn.pending === 0) socket.destroy();
    if (this.sockets.size > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    await closed;
  }

  private accept(socket: Socket): void {
    const conn: Conn = { pending: 0, ended: false };
    this.sockets.set(socket, conn);
    const splitter = new LineSplitter(MAX_LINE_BYTES);
    socket.setTimeout(this.limits.idleTimeoutMs, () => {
      if (conn.pending === 0) socket.destroy();
    });
    socket.on('error', (err) => logDebug(`client connection: ${err.message}`));
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (this.sockets.size === 0) for (const w of this.drainWaiters.splice(0)) w();
    });
    socket.on('drain', () => socket.resume());
    socket.on('end', () => {
      conn.ended = true;
      if (conn.pending === 0) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch (err) {
        if (!(err instanceof LineTooLongError)) throw err;
        // Framing is lost: answer once and close.
        this.write(socket, errorReply(null, new TooLargeError(`request line longer than ${MAX_LINE_BYTES} bytes`)));
        socket.pause();
        socket.end(() => socket.destroy());
        return;
      }
      for (const line of lines) if (line.trim() !== '') this.handle(socket, conn, line);
    });
    if (this.draining) socket.destroy();
  }

  private write(socket: Socket, reply: Reply): void {
    if (socket.destroyed || !socket.writable) return;
    socket.write(encodeReply(reply));
    if (socket.writableLength > MAX_UNREAD_REPLY_BYTES) socket.pause();
  }

  private handle(socket: Socket, conn: Conn, line: string): void {
    let id: RequestId = null;
    try {
      const parsed = parseRequest(line);
      id = parsed.id;
      const req = parsed.request;
      if (req.op === 'status') {
        this.write(socket, { id, ok: true, result: { ...this.pool.status(), connections: this.sockets.size } });
        return;
      }
      if (this.draining) throw new ShuttingDownError('the daemon is shutting down');
      if (conn.pending >= this.limits.maxPendingPerConnection) {
        throw new BusyError(`at most ${this.limits.maxPendingPerConnection} requests may be in flight on one connection`, 'connection_limit');
      }
      conn.pending++;
      const started = performance.now();
      const seen = (outcome: string): void => this.stats?.observe(req.op, outcome, (performance.now() - started) / 1000);
      this.pool.submit(req).then(
        (result) => {
          seen('ok');
          this.finish(socket, conn, { id, ok: true, result });
        },
        (err: unknown) => {
          const e = asPoolError(err);
          seen(e.code);
          this.finish(socket, conn, errorReply(id, e));
        },
      );
    } catch (err) {
      this.write(socket, errorReply(id ?? salvageId(line), asPoolError(err)));
    }
  }

  private finish(socket: Socket, conn: Conn, reply: Reply): void {
    conn.pending--;
    this.write(socket, reply);
    if (conn.pending > 0) return;
    if (this.draining) socket.end(() => socket.destroy());
    else if (conn.ended) socket.end();
  }
}

function asPoolError(err: unknown): PoolError {
  return err instanceof PoolError ? err : new InternalError(`unexpected failure: ${(err as Error)?.message ?? String(err)}`);
}
