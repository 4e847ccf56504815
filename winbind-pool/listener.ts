/**
 * The daemon's Unix stream socket: the one systemd passed (socket activation, so connections made
 * while the daemon restarts wait in the kernel's backlog), or one bound here at a path with a mode
 * and a group.
 *
 * A socket file left by a crashed daemon is replaced; a path where another daemon still answers, or
 * a path that is not a socket, is refused rather than clobbered.
 */
import { chmodSync, chownSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { ConfigError } from '../shared/errors.ts';
import { listenFds } from '../shared/listen-fds.ts';
import { clearStaleSocket } from '../shared/net/stale-socket.ts';

export interface ListenOptions {
  path: string;
  /** File mode of a socket bound here (systemd sets its own with SocketMode=). */
  mode: number;
  /** Group name or number owning a socket bound here; null keeps the daemon's group. */
  group: string | null;
}

export interface Listening {
  server: Server;
  activated: boolean;
  /** Removes the socket file if this process created it and it is still the same file. */
  cleanup(): void;
}

/** A group name or number to a gid, from /etc/group (NSS is not consulted: winbind may be what is down). */
export function resolveGroup(group: string, groupFile = '/etc/group'): number {
  if (/^\d{1,10}$/.test(group)) return Number(group);
  for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new ConfigError('socketGroup', `no group ${JSON.stringify(group)} in ${groupFile}`);
}


function listen(server: Server, target: { fd: number } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

// allowHalfOpen: a client may send its requests and shut down its side (as `nc -U` does at the
// end of its input) and still receive every answer.
export async function openListener(opts: ListenOptions, server: Server = createServer({ allowHalfOpen: true })): Promise<Listening> {
  const fds = listenFds();
  if (fds.length > 0) {
    if (fds.length > 1) throw new ConfigError('socket', `expected one socket from systemd, got ${fds.length}`);
    await listen(server, { fd: fds[0]!.fd });
    return { server, activated: true, cleanup: () => {} };
  }
  const gid = opts.group === null ? null : resolveGroup(opts.group);
  await clearStaleSocket(opts.path, 'socket');
  // The umask closes the window between bind() and chmod() in which the socket has default permissions.
  const oldMask = process.umask(0o177);
  try {
    await listen(server, { path: opts.path });
  } finally {
    process.umask(oldMask);
  }
  if (gid !== null) chownSync(opts.path, -1, gid);
  chmodSync(opts.path, opts.mode);
  const ino = lstatSync(opts.path).ino;
  return {
    server,
    activated: false,
    cleanup() {
      try {
        if (lstatSync(opts.path).ino === ino) unlinkSync(opts.path);
      } catch {
        // already gone
      }
    },
  };
}
