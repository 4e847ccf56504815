/**
 * systemd socket activation (sd_listen_fds(3)) without libsystemd: the passed sockets start at fd 3,
 * in the order of the unit's Listen* lines, named by `FileDescriptorName=` in LISTEN_FDNAMES.
 * LISTEN_PID guards against inheriting a parent's variables: when it names another process the
 * fds are not ours.
 */
import { BalanceError } from './errors.ts';

export const SD_LISTEN_FDS_START = 3;

export interface ListenFd {
  fd: number;
  /** From LISTEN_FDNAMES, or "unknown" as systemd itself reports an unnamed fd. */
  name: string;
}

export class ListenFdsError extends BalanceError {
  constructor(message: string) {
    super('ERR_LISTEN_FDS', message);
  }
}

/**
 * The sockets systemd passed, or an empty list when the process was not socket-activated.
 * With `unset` the variables are removed so that child processes do not inherit them.
 */
export function listenFds(env: NodeJS.ProcessEnv = process.env, pid = process.pid, unset = true): ListenFd[] {
  const fdsText = env.LISTEN_FDS;
  if (fdsText === undefined || fdsText === '') return [];
  const pidText = env.LISTEN_PID;
  if (pidText !== undefined && pidText !== '' && Number(pidText) !== pid) return [];
  if (!/^\d{1,4}$/.test(fdsText)) throw new ListenFdsError(`LISTEN_FDS must be a small whole number, got ${JSON.stringify(fdsText)}`);
  const count = Number(fdsText);
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  if (unset) {
    delete env.LISTEN_FDS;
    delete env.LISTEN_PID;
    delete env.LISTEN_FDNAMES;
  }
  const out: ListenFd[] = [];
  for (let i = 0; i < count; i++) out.push({ fd: SD_LISTEN_FDS_START + i, name: names[i] || 'unknown' });
  return out;
}
