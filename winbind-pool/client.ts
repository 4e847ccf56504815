/**
 * A client of the daemon's socket: one connection, requests written as lines, replies matched by id.
 * Used by the CLI commands, the tests and the benchmarks.
 */
import { createConnection, type Socket } from 'node:net';
import { DaemonUnreachableError, errorFromWire, InternalError, isWireErrorCode, RequestTimeoutError, type PoolError } from './errors.ts';
import { LineSplitter } from './line-splitter.ts';
import type { Request } from './protocol.ts';

/** Status replies grow with the number of workers; anything larger than this is not ours. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class PoolClient {
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    const splitter = new LineSplitter(MAX_REPLY_BYTES);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const line of splitter.push(chunk)) this.onLine(line);
      } catch (err) {
        this.fail(new InternalError(`bad reply from the daemon: ${(err as Error).message}`));
      }
    });
    socket.on('error', (err) => this.fail(new DaemonUnreachableError(`connection to the daemon failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new DaemonUnreachableError('the daemon closed the connection')));
  }

  static connect(path: string): Promise<PoolClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(new PoolClient(socket));
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        reject(new DaemonUnreachableError(`cannot connect to ${path}: ${err.code ?? err.message}`, { cause: err }));
      });
    });
  }

  /** Sends one request; resolves with its result or rejects with the PoolError the daemon answered. */
  request(req: Request, timeoutMs = 30_000): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new RequestTimeoutError(`no answer from the daemon within ${timeoutMs} ms`, 'client_timeout'));
      }, timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
      this.socket.write(JSON.stringify({ id, ...req }) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onLine(line: string): void {
    const reply = JSON.parse(line) as { id?: unknown; ok?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown; reason?: unknown } };
    const waiter = typeof reply.id === 'number' ? this.waiters.get(reply.id) : undefined;
    if (!waiter) {
      // An error without our id (an oversized line) concerns every request in flight.
      if (reply.ok === false) this.fail(toError(reply.error));
      return;
    }
    this.waiters.delete(reply.id as number);
    clearTimeout(waiter.timer);
    if (reply.ok === true) waiter.resolve(reply.result);
    else waiter.reject(toError(reply.error));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const [id, w] of this.waiters) {
      clearTimeout(w.timer);
      this.waiters.delete(id);
      w.reject(err);
    }
  }
}

function toError(e: { code?: unknown; message?: unknown; reason?: unknown } | undefined): PoolError {
  if (!e || !isWireErrorCode(e.code)) return new InternalError('malformed error reply from the daemon');
  return errorFromWire(e.code, String(e.message ?? ''), typeof e.reason === 'string' ? e.reason : undefined);
}

/** One request on its own connection. */
export async function requestOnce(path: string, req: Request, timeoutMs?: number): Promise<unknown> {
  const client = await PoolClient.connect(path);
  try {
    return await client.request(req, timeoutMs);
  } finally {
    client.close();
  }
}
