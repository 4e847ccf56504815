/**
 * The optional login-path check: a server can answer on port 377 while its sshd is dead, and LDM
 * has no failover (a dead "best" host loops the user through the greeter forever). A TCP connect to
 * the ssh port, within what is left of the deadline, tells the two apart. Only the connect is
 * made; nothing is sent, so sshd logs at most an early disconnect.
 */
import { connect } from 'node:net';
import { errorSummary, LoginPathError } from '../errors.ts';
import type { LoginPathResult } from './survey.ts';

export function checkLoginPath(address: string, port: number, signal: AbortSignal): Promise<LoginPathResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const finish = (result: LoginPathResult): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const failed = (why: string): LoginPathResult => ({ ok: false, port, error: errorSummary(new LoginPathError(port, why)) });
    const onAbort = (): void => finish(failed('did not accept a connection before the deadline'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ ok: true, port }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(failed(`refused the connection (${err.code ?? err.message})`)));
  });
}
