/**
 * One bridge per queue, and the `status` endpoint, with one mechanism: the bridge listens on a Linux
 * abstract Unix socket named after each of its queues. Binding is atomic, and the kernel releases
 * the name the moment the process dies, so there is no stale lock file to judge and no pid that
 * may have been reused. A second bridge fails to bind, connects, and learns the first one's pid.
 * Limit: abstract names are per network namespace; two bridges in different network namespaces
 * that share one IPC namespace are not detected (README).
 */
import { createConnection, createServer, type Server } from 'node:net';
import { BridgeBusyError, QueueIoError } from './errors.ts';

export function controlSocketName(queue: string): string {
  return `\0ltsp-greeter-bridge${queue}`;
}

/** Largest status answer read back (it is a few hundred bytes of JSON). */
const MAX_STATUS_BYTES = 64 * 1024;

export interface BridgeLock {
  release(): Promise<void>;
}

/** Takes every queue's name or throws BridgeBusyError; `status()` is what a connecting client reads. */
export async function acquireBridgeLock(queues: string[], status: () => object): Promise<BridgeLock> {
  const servers: Server[] = [];
  const release = async (): Promise<void> => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
  try {
    for (const queue of new Set(queues)) servers.push(await listenOn(queue, status));
  } catch (err) {
    await release();
    throw err;
  }
  return { release };
}

function listenOn(queue: string, status: () => object): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined); // a client that hangs up early is not our problem
    socket.end(`${JSON.stringify({ pid: process.pid, queue, ...status() })}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') return reject(new QueueIoError(queue, err.code ?? 'EIO', 'binding the control socket', err));
      readBridgeStatus(queue).then(
        (s) => reject(new BridgeBusyError(queue, typeof s?.pid === 'number' ? s.pid : undefined)),
        () => reject(new BridgeBusyError(queue)),
      );
    });
    server.listen(controlSocketName(queue), () => resolve(server));
  });
}

/** The status of the bridge serving `queue`, or undefined when none does. */
export function readBridgeStatus(queue: string, timeoutMs = 2000): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(controlSocketName(queue));
    let text = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no status within ${timeoutMs} ms`)));
    socket.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      if (text.length > MAX_STATUS_BYTES) socket.destroy(new Error('status answer too large'));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(undefined);
      else reject(err);
    });
    socket.on('end', () => {
      try {
        resolve(JSON.parse(text) as Record<string, unknown>);
      } catch (err) {
        reject(err);
      }
    });
  });
}
