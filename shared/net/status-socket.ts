/**
 * A daemon's `status` over a Unix stream socket: the daemon answers each connection with one JSON
 * object and closes, like the advertise TCP port does with its document; the client reads at most
 * MAX_STATUS_BYTES. Used by the advertise daemon (a socket file under /run) and the greeter bridge
 * (an abstract socket named after its queue, which doubles as its single-instance lock).
 */
import { connect, createServer, type Server } from 'node:net';
import { BalanceError } from '../errors.ts';

export const MAX_STATUS_BYTES = 64 * 1024;

/** Listens on `path` and answers every connection with `report()`; listen errors reject as they are. */
export function listenStatus(path: string, report: () => object): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => {}); // a client that hangs up early is not our problem
    socket.end(`${JSON.stringify(report())}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * The report of the daemon on `path`; undefined when nobody listens there (ENOENT, ECONNREFUSED).
 * Rejects on a timeout, an oversized or non-JSON answer, or another socket error.
 */
export function readStatus(path: string, timeoutMs = 3000): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const chunks: Buffer[] = [];
    let size = 0;
    socket.setTimeout(timeoutMs, () => socket.destroy(new StatusReadError(`no status within ${timeoutMs} ms`)));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_STATUS_BYTES) socket.destroy(new StatusReadError(`status answer larger than ${MAX_STATUS_BYTES} bytes`));
      else chunks.push(chunk);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(undefined);
      else reject(err);
    });
    socket.on('end', () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StatusReadError('status answer is not a JSON object');
        resolve(value as Record<string, unknown>);
      } catch (err) {
        reject(err instanceof StatusReadError ? err : new StatusReadError(`status answer is not JSON: ${(err as Error).message}`));
      }
    });
  });
}

/** A status answer that cannot be read: too slow, too large, not a JSON object. */
export class StatusReadError extends BalanceError {
  constructor(message: string) {
    super('ERR_STATUS_READ', message);
  }
}
