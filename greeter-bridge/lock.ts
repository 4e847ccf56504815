/**
 * One bridge per queue, and the `status` endpoint, with one mechanism: the bridge listens on a Linux
 * abstract Unix socket named after each of its queues. Binding is atomic, and the kernel releases
 * the name the moment the process dies, so there is no stale lock file to judge and no pid that
 * may have been reused. A second bridge fails to bind, connects, and learns the first one's pid.
 * Limit: abstract names are per network namespace; two bridges in different network namespaces
 * that share one IPC namespace are not detected (README).
 * Node before 20.11 (Debian 12's 18 among them) cuts an abstract name at its leading NUL, so every
 * name is the same one: the second queue's bind then meets this very process, which is not a rival.
 * There one bridge per machine (network namespace) is detected, whatever its queue names.
 */
import type { Server } from 'node:net';
import { listenStatus, readStatus } from '../shared/net/status-socket.ts';
import { BridgeBusyError, QueueIoError } from './errors.ts';

export function controlSocketName(queue: string): string {
  return `\0ltsp-greeter-bridge${queue}`;
}

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
    for (const queue of new Set(queues)) {
      const server = await listenOn(queue, status);
      if (server) servers.push(server);
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { release };
}

/** The control socket for `queue`, or undefined when this process already holds its name (old Node, above). */
async function listenOn(queue: string, status: () => object): Promise<Server | undefined> {
  try {
    return await listenStatus(controlSocketName(queue), () => ({ pid: process.pid, queue, ...status() }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE') throw new QueueIoError(queue, code ?? 'EIO', 'binding the control socket', err);
    const other = await readBridgeStatus(queue).catch(() => undefined);
    if (other?.pid === process.pid) return undefined;
    throw new BridgeBusyError(queue, typeof other?.pid === 'number' ? other.pid : undefined);
  }
}

/** The status of the bridge serving `queue`, or undefined when none does. */
export function readBridgeStatus(queue: string, timeoutMs = 2000): Promise<Record<string, unknown> | undefined> {
  return readStatus(controlSocketName(queue), timeoutMs);
}
