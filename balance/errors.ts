/**
 * Why a server counts as Down, or why get_hosts itself could not do its job. Each failure has its
 * own class with a stable code: `--explain` and `--json` show the code per server, tests branch on it.
 * Wire-format refusals (ERR_WIRE_*) come from shared/wire/errors.ts and are shown as they are.
 */
import { BalanceError } from '../shared/errors.ts';

/**
 * A `host[:port]` entry that cannot be a server address, or (`pastCap`) entries past MAX_SERVERS:
 * those are never fatal, from any source, because the first ones still make a usable list.
 */
export class ServerListError extends BalanceError {
  constructor(readonly entry: string, readonly source: string, readonly reason: string, readonly pastCap = false) {
    super('ERR_SERVER_LIST', `${source}: server entry ${JSON.stringify(entry.slice(0, 80))} ${reason}`, { exitCode: 2 });
  }
}

/** No valid answer before the overall deadline (UDP silent, TCP not finished). */
export class SurveyTimeoutError extends BalanceError {
  constructor(deadlineMs: number, what = 'no answer') {
    super('ERR_SURVEY_TIMEOUT', `${what} within the ${deadlineMs} ms deadline`);
  }
}

/** The host name did not resolve (or resolved to nothing usable). */
export class SurveyResolveError extends BalanceError {
  constructor(host: string, cause?: unknown) {
    super('ERR_SURVEY_RESOLVE', `cannot resolve ${JSON.stringify(host)}${cause ? `: ${(cause as Error).message}` : ''}`, { cause });
  }
}

/** A socket-level failure talking to the server: refused, reset, unreachable. `errno` is the system code. */
export class SurveyNetworkError extends BalanceError {
  constructor(readonly errno: string, message: string, cause?: unknown) {
    super('ERR_SURVEY_NETWORK', `${errno}: ${message}`, { cause });
  }
}

/** The server answered, but its ssh port (the login path) did not accept a connection in time. */
export class LoginPathError extends BalanceError {
  constructor(port: number, why: string) {
    super('ERR_LOGIN_PATH', `login port ${port} ${why}`);
  }
}

/** The central load balancer did not give a usable answer; get_hosts falls back to its own choice. */
export class LoadBalancerError extends BalanceError {
  constructor(message: string, cause?: unknown) {
    super('ERR_LOADBALANCER', message, { cause });
  }
}

/** Nothing to choose from: no server configured, none discovered. */
export class NoServersError extends BalanceError {
  constructor() {
    super('ERR_NO_SERVERS', 'no server configured (LDM_BALANCE_SERVERS) and none discovered', { exitCode: 4 });
  }
}

/** The survey cache file is missing, too large, stale or not what the bridge writes. */
export class CacheError extends BalanceError {
  constructor(message: string, cause?: unknown) {
    super('ERR_CACHE', message, { cause });
  }
}

/** The code and message of any thrown value, for a ServerReport or a log line. */
export function errorSummary(err: unknown): { code: string; message: string } {
  if (err instanceof BalanceError) return { code: err.code, message: err.message };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return { code: typeof code === 'string' ? code : 'ERR_INTERNAL', message };
}
