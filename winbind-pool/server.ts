/**
 * The socket side of the daemon: connections, request lines in, replies out (protocol.ts), with the
 * limits that keep a hostile or broken client from costing more than a bounded share:
 * a line cap, a cap on requests in flight per connection, a cap on connections per peer uid
 * (SO_PEERCRED) inside a total shared fairly between uids, a short idle timeout, and no further
 * reading while a client does not read its replies.
 *
 * Any member of the socket's group can connect, so one uid must never lock out another, PAM least
 * of all: a uid may hold at most `maxConnectionsPerUid` connections, and when all `maxConnections`
 * are open a newcomer closes the oldest idle connection of the uid holding the most (FairShare).
 * Root (PAM, via pam_exec) has no per-uid cap: a login storm is many root clients at once.
 */
import type { RequestStats } from './request-stats.ts';
import type { Server, Socket } from 'node:net';
import { FairShare } from '../shared/net/fair-share.ts';
import { logDebug, ThrottledLog } from '../shared/log.ts';
import { BusyError, InternalError, PoolError, ShuttingDownError, TooLargeError } from './errors.ts';
import { LineSplitter, LineTooLongError } from './line-splitter.ts';
import { peerCred } from './peer-cred.ts';
import type { Pool } from './pool.ts';
import { encodeReply, errorReply, MAX_LINE_BYTES, parseRequest, salvageId, type Reply, type RequestId } from './protocol.ts';

export interface ServerLimits {
  /** Connections at most, every uid together. */
  maxConnections: number;
  /** Connections at most for one peer uid other than root. */
  maxConnectionsPerUid: number;
  maxPendingPerConnection: number;
  /** A connection with nothing in flight is closed after this long without a request. */
  idleTimeoutMs: number;
}

export const SERVER_DEFAULTS: Readonly<ServerLimits> = Object.freeze({
  maxConnections: 256,
  maxConnectionsPerUid: 32,
  maxPendingPerConnection: 16,
  // A PAM or NSS client sends its request right after connecting; an idle connection is a leak or
  // an attempt to hold a slot.
  idleTimeoutMs: 5_000,
});

/** How often refused and evicted connections are summarised in the log. */
const CONNECTION_LOG_INTERVAL_MS = 10_000;

/** Replies buffered for a client that does not read before we stop reading from it. */
const MAX_UNREAD_REPLY_BYTES = 256 * 1024;

/**
 * Request lines handled in one go. Under a flood (thousands of lines in one poll of the sockets)
 * the connections with lines left wait in an inbox and are served this many lines at a time, with
 * the event loop turning in between: a worker's answer is then taken (and the worker handed its next
 * request) within one slice, instead of after the whole burst; the workers stay busy while the
 * daemon reads the flood. The lines stay unparsed bytes in the connection's LineSplitter until then.
 */
const LINES_PER_SLICE = 64;
/** Lines of one connection per turn of the inbox (round robin: one burst cannot hold up the others). */
const LINES_PER_TURN = 16;

interface Conn {
  socket: Socket;
  /** The peer's uid, or -1 when SO_PEERCRED could not be read (those share one budget). */
  uid: number;
  /** Requests handed to the pool and not answered yet. */
  pending: number;
  /** What was read and not handled yet, as bytes (lines are cut when their turn comes). */
  splitter: LineSplitter;
  /** In the inbox: complete lines read and not handled yet (the socket is paused meanwhile). */
  waiting: boolean;
  /** Sent a line over the cap: answered ERR_TOO_LARGE, closing; nothing more is read. */
  broken: boolean;
  /** The sweep epoch of the last request read or answer written (see sweepIdle). */
  activeEpoch: number;
  /** The client has shut down its sending side. */
  ended: boolean;
}

/** Nothing read and unanswered: the connection may be closed for idleness, eviction or a drain. */
function quiet(conn: Conn): boolean {
  return conn.pending === 0 && !conn.waiting;
}

export class PoolServer {
  private readonly sockets = new Map<Socket, Conn>();
  /** Connections with lines waiting to be handled, in turn (see LINES_PER_SLICE). */
  private inbox: Conn[] = [];
  private inboxHead = 0;
  private inboxScheduled = false;
  private readonly share: FairShare<number, Conn>;
  private readonly refusals: ThrottledLog;
  private readonly summaryTimer: NodeJS.Timeout;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly sweepMs: number;
  private epoch = 0;
  private draining = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly server: Server,
    private readonly pool: Pool,
    private readonly limits: ServerLimits = SERVER_DEFAULTS,
    /** Requests by type and outcome, and their duration (for --metrics); none: not counted. */
    private readonly stats?: RequestStats,
  ) {
    this.share = new FairShare(limits.maxConnections, quiet);
    this.refusals = new ThrottledLog(CONNECTION_LOG_INTERVAL_MS);
    // Checked more often than the interval, on the log's own clock: the summary comes at most one
    // second late, and never twice in one interval.
    this.summaryTimer = setInterval(() => this.refusals.flushIfDue(), 1000).unref();
    this.sweepMs = Math.max(50, Math.min(1000, Math.floor(limits.idleTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweepIdle(), this.sweepMs).unref();
    server.on('connection', (socket) => this.accept(socket));
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Stops accepting; open connections get their pending answers, then are closed. */
  async close(): Promise<void> {
    this.draining = true;
    clearInterval(this.summaryTimer);
    clearInterval(this.sweepTimer);
    this.refusals.flush();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const [socket, conn] of this.sockets) if (quiet(conn)) socket.destroy();
    if (this.sockets.size > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    await closed;
  }

  private accept(socket: Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    const uid = peerCred(socket)?.uid ?? -1;
    const admission = this.share.admit(uid, uid === 0 ? Infinity : this.limits.maxConnectionsPerUid);
    if (!admission.ok) {
      const why = admission.why === 'peer_cap' ? `uid ${uid} already holds ${this.limits.maxConnectionsPerUid}` : `all ${this.limits.maxConnections} in use`;
      this.refusals.count('warning', `refused connections (${why})`);
      this.refuse(socket, new BusyError(`too many connections (${why})`, 'connection_limit'));
      return;
    }
    if (admission.evict) {
      this.refusals.count('notice', `closed idle connections of the uid holding the most to admit uid ${uid}`);
      admission.evict.socket.destroy();
      this.release(admission.evict);
    }
    const conn: Conn = { socket, uid, pending: 0, splitter: new LineSplitter(MAX_LINE_BYTES), waiting: false, broken: false, activeEpoch: this.epoch, ended: false };
    this.sockets.set(socket, conn);
    this.share.add(uid, conn);
    socket.on('error', (err) => logDebug(`client connection: ${err.message}`));
    socket.on('close', () => this.release(conn));
    socket.on('drain', () => {
      if (!conn.waiting && !conn.broken) socket.resume();
    });
    socket.on('end', () => {
      conn.ended = true;
      if (quiet(conn)) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      conn.activeEpoch = this.epoch;
      if (conn.broken) return;
      try {
        conn.splitter.append(chunk);
      } catch (err) {
        this.tooLarge(conn, err);
        return;
      }
      // Nothing waiting anywhere: handled at once, the usual case. Otherwise the connection waits
      // for its turn, not read further meanwhile (what it holds is at most one read of bytes).
      if (!conn.waiting) {
        const left = this.inboxHead < this.inbox.length ? conn.splitter.hasLine : this.handleLines(conn, LINES_PER_SLICE);
        if (left) this.enqueue(conn);
      }
      conn.splitter.keep();
    });
  }

  /** Lines handled by the last handleLines(). */
  private handled = 0;

  /**
   * Handles up to `max` lines of `conn` (blank ones count, and are skipped), with one write for the
   * answers given at once (busy, bad request, status) rather than a system call per line. Returns
   * whether a complete line is left; `handled` says how many were taken.
   */
  private handleLines(conn: Conn, max: number): boolean {
    const socket = conn.socket;
    const corked = !socket.writableCorked;
    if (corked) socket.cork();
    this.handled = 0;
    try {
      while (this.handled < max) {
        const line = conn.splitter.next();
        if (line === null) return false;
        this.handled++;
        if (line.trim() !== '') this.handle(socket, conn, line);
        if (conn.broken || socket.destroyed) return false;
      }
      return conn.splitter.hasLine;
    } catch (err) {
      this.tooLarge(conn, err);
      return false;
    } finally {
      if (corked) socket.uncork();
    }
  }

  /** A line over the cap: framing is lost, so answer once and close. */
  private tooLarge(conn: Conn, err: unknown): void {
    if (!(err instanceof LineTooLongError)) throw err;
    conn.broken = true;
    this.write(conn.socket, errorReply(null, new TooLargeError(`request line longer than ${MAX_LINE_BYTES} bytes`)));
    conn.socket.pause();
    conn.socket.end(() => conn.socket.destroy());
  }

  private enqueue(conn: Conn): void {
    conn.waiting = true;
    conn.socket.pause();
    this.inbox.push(conn);
    this.scheduleInbox();
  }

  private scheduleInbox(): void {
    if (this.inboxScheduled || this.inboxHead === this.inbox.length) return;
    this.inboxScheduled = true;
    setImmediate(() => this.handleSlice());
  }

  /** Handles LINES_PER_SLICE waiting lines, LINES_PER_TURN per connection in turn, then lets the event loop turn. */
  private handleSlice(): void {
    this.inboxScheduled = false;
    for (let budget = LINES_PER_SLICE; budget > 0 && this.inboxHead < this.inbox.length; ) {
      const conn = this.inbox[this.inboxHead]!;
      this.inbox[this.inboxHead++] = undefined as unknown as Conn; // let it be collected
      const socket = conn.socket;
      this.handled = 0;
      const left = !conn.broken && !socket.destroyed && this.handleLines(conn, Math.min(budget, LINES_PER_TURN));
      budget -= Math.max(1, this.handled);
      if (left) {
        this.inbox.push(conn);
        continue;
      }
      conn.waiting = false;
      if (conn.broken || socket.destroyed) continue;
      if (socket.writableLength <= MAX_UNREAD_REPLY_BYTES) socket.resume();
      this.closeIfDone(socket, conn);
    }
    if (this.inboxHead === this.inbox.length) {
      this.inbox = [];
      this.inboxHead = 0;
    } else if (this.inboxHead > 4096) {
      this.inbox = this.inbox.slice(this.inboxHead);
      this.inboxHead = 0;
    }
    this.scheduleInbox();
  }

  /**
   * Closes connections with nothing in flight and no request for idleTimeoutMs. A sweep every
   * sweepMs rather than socket.setTimeout: that re-arms a timer on every read and every write, two
   * timer-list operations per request on the hot path. A connection active in epoch e is cut at the
   * first sweep at least idleTimeoutMs after the end of e: never early, at most sweepMs late.
   */
  private sweepIdle(): void {
    this.epoch++;
    for (const [socket, conn] of this.sockets) {
      if (quiet(conn) && (this.epoch - conn.activeEpoch - 1) * this.sweepMs >= this.limits.idleTimeoutMs) socket.destroy();
    }
  }

  private release(conn: Conn): void {
    this.share.release(conn.uid, conn);
    if (!this.sockets.delete(conn.socket)) return;
    if (this.sockets.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  /**
   * Answers once with no id (the client fails everything it has in flight with it) and closes. What
   * the client sent is read and dropped: closing with unread bytes would reset the connection and
   * could destroy the answer before the client reads it.
   */
  private refuse(socket: Socket, err: PoolError): void {
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.setTimeout(this.limits.idleTimeoutMs, () => socket.destroy());
    socket.end(encodeReply(errorReply(null, err)));
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
      const stats = this.stats;
      const started = stats ? performance.now() : 0;
      this.pool.run(req, (err, result) => {
        stats?.observe(req.op, err ? err.code : 'ok', (performance.now() - started) / 1000);
        this.finish(socket, conn, err ? errorReply(id, err) : { id, ok: true, result });
      });
    } catch (err) {
      this.write(socket, errorReply(id ?? salvageId(line), asPoolError(err)));
    }
  }

  private finish(socket: Socket, conn: Conn, reply: Reply): void {
    conn.pending--;
    conn.activeEpoch = this.epoch;
    this.write(socket, reply);
    this.closeIfDone(socket, conn);
  }

  /** A connection with everything answered is closed when the daemon drains or the client has finished sending. */
  private closeIfDone(socket: Socket, conn: Conn): void {
    if (!quiet(conn)) return;
    if (this.draining) socket.end(() => socket.destroy());
    else if (conn.ended) socket.end();
  }
}

function asPoolError(err: unknown): PoolError {
  return err instanceof PoolError ? err : new InternalError(`unexpected failure: ${(err as Error)?.message ?? String(err)}`);
}
