/**
 * Why a server counts as Down, or why get_hosts itself could not do its job. Each failure has its
 * own class with a stable code: `--explain` and `--json` show the code per server, tests branch on it.
 * Wire-format refusals (ERR_WIRE_*) come from shared/wire/errors.ts and are shown as they are.
 */
import { BalanceError } from '../shared/errors.ts';
import { EXIT } from '../shared/exit-codes.ts';

/**
 * A `host[:port]` entry that cannot be a server address, or (`pastCap`) entries past MAX_SERVERS:
 * those are never fatal, from any source, because the first ones still make a usable list.
 */
export class ServerListError extends BalanceError {
  constructor(readonly entry: string, readonly source: string, readonly reason: string, readonly pastCap = false) {
    super('ERR_SERVER_LIST', `${source}: server entry ${JSON.stringify(entry.slice(0, 80))} ${reason}`, { exitCode: EXIT.usage });
  }
}

/**
 * No valid answer before the overall deadline (UDP silent, TCP not finished, no discovery answer).
 * For TCP, `connected` and `received` say how far a slow server got.
 */
export class SurveyTimeoutError extends BalanceError {
  constructor(message: string, readonly connected?: boolean, readonly received?: number) {
    super('ERR_SURVEY_TIMEOUT', message);
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
    super('ERR_NO_SERVERS', 'no server configured (LDM_BALANCE_SERVERS) and none discovered', { exitCode: EXIT.notFound });
  }
}

/** The survey cache file is missing, too large, stale or not what the bridge writes. */
export class CacheError extends BalanceError {
  constructor(message: string, cause?: unknown) {
    super('ERR_CACHE', message, { cause });
  }
}

/** Kept here for the probes that import it with the errors they summarise. */
export { errorSummary } from '../shared/errors.ts';
