/**
 * Before a daemon binds a Unix socket path: a socket file left by a killed daemon is removed, while a
 * path where another daemon still answers, or a path that is not a socket, is refused rather than
 * clobbered (deleting a live daemon's socket would silently cut it off from its clients).
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { BalanceError, ConfigError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';

/** Another process already listens on the socket path. */
export class SocketInUseError extends BalanceError {
  constructor(path: string) {
    super('ERR_SOCKET_IN_USE', `another process already listens on ${path}`, { exitCode: EXIT.busy });
  }
}

/** Is something already answering on this path? */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** `option` names the setting that gave the path, for the error when it is not a socket. */
export async function clearStaleSocket(path: string, option: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new ConfigError(option, `${path} exists and is not a socket; not replacing it`);
  if (await answers(path)) throw new SocketInUseError(path);
  unlinkSync(path);
}
