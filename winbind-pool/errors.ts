/**
 * The outcomes a request can fail with, one class per outcome, each with the stable `code` that
 * travels on the wire and the exit code the client commands end with.
 *
 * Exit codes are rows of the shared table (shared/exit-codes.ts), which took them from the Linux-PAM
 * return values of the same meaning (PAM_AUTH_ERR 7, PAM_AUTHINFO_UNAVAIL 9, PAM_USER_UNKNOWN 10,
 * PAM_SYSTEM_ERR 4), so a wrapper script, or FreeBSD's pam_exec with return_prog_exit_status, can
 * hand them to PAM unchanged. "Unavailable" covers everything where trying again later (or another
 * method) makes sense; it is never "denied".
 */
import { BalanceError } from '../shared/errors.ts';
import { EXIT } from '../shared/exit-codes.ts';

export const WIRE_ERROR_CODES = [
  'ERR_DENIED',
  'ERR_NOT_FOUND',
  'ERR_UNAVAILABLE',
  'ERR_TIMEOUT',
  'ERR_BUSY',
  'ERR_WORKER_DIED',
  'ERR_SHUTTING_DOWN',
  'ERR_BAD_REQUEST',
  'ERR_TOO_LARGE',
  'ERR_INTERNAL',
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

/** A request that did not succeed. `reason` refines the code (e.g. `wrong_password`, `account_locked`). */
export class PoolError extends BalanceError {
  declare readonly code: WireErrorCode;
  readonly reason: string | undefined;
  constructor(code: WireErrorCode, message: string, exitCode: number, reason?: string, options: { cause?: unknown } = {}) {
    // No stack trace: these are answers, not faults, and under a flood the daemon makes thousands
    // of them at once (capturing a stack was half of its CPU per refused request).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(code, message, { ...options, exitCode });
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.reason = reason;
  }
}

/** Wrong password, unknown user, or an account that may not log in (locked, disabled, expired). */
export class DeniedError extends PoolError {
  constructor(message: string, reason?: string) {
    super('ERR_DENIED', message, EXIT.denied, reason);
  }
}
/** A lookup found no such user or group. */
export class NotFoundError extends PoolError {
  constructor(message: string, reason?: string) {
    super('ERR_NOT_FOUND', message, EXIT.notFound, reason);
  }
}
/** The backend (winbindd, the domain, the user file) or the daemon itself cannot answer now. */
export class UnavailableError extends PoolError {
  constructor(message: string, reason?: string, options: { cause?: unknown } = {}) {
    super('ERR_UNAVAILABLE', message, EXIT.unavailable, reason, options);
  }
}
/** The per-request deadline passed; the worker that held the request has been killed. */
export class RequestTimeoutError extends PoolError {
  constructor(message: string, reason?: string) {
    super('ERR_TIMEOUT', message, EXIT.unavailable, reason);
  }
}
/** Every worker is busy and the queue is full: answered at once instead of waiting. */
export class BusyError extends PoolError {
  constructor(message: string, reason?: string) {
    super('ERR_BUSY', message, EXIT.unavailable, reason);
  }
}
/** The worker died while holding the request (authentications are never retried). */
export class WorkerDiedError extends PoolError {
  constructor(message: string, reason?: string) {
    super('ERR_WORKER_DIED', message, EXIT.unavailable, reason);
  }
}
/** The daemon is draining after SIGTERM and takes no new requests. */
export class ShuttingDownError extends PoolError {
  constructor(message: string, reason?: string) {
    super('ERR_SHUTTING_DOWN', message, EXIT.unavailable, reason);
  }
}
/** The request line is not valid JSON or not a valid request. */
export class BadRequestError extends PoolError {
  constructor(message: string, reason?: string) {
    super('ERR_BAD_REQUEST', message, EXIT.internal, reason);
  }
}
/** A request line longer than the cap; the connection is closed after this answer. */
export class TooLargeError extends PoolError {
  constructor(message: string, reason?: string) {
    super('ERR_TOO_LARGE', message, EXIT.internal, reason);
  }
}
/** A fault of the pool or the backend that retrying will not fix. */
export class InternalError extends PoolError {
  constructor(message: string, reason?: string, options: { cause?: unknown } = {}) {
    super('ERR_INTERNAL', message, EXIT.internal, reason, options);
  }
}

const byCode: Record<WireErrorCode, new (message: string, reason?: string) => PoolError> = {
  ERR_DENIED: DeniedError,
  ERR_NOT_FOUND: NotFoundError,
  ERR_UNAVAILABLE: UnavailableError,
  ERR_TIMEOUT: RequestTimeoutError,
  ERR_BUSY: BusyError,
  ERR_WORKER_DIED: WorkerDiedError,
  ERR_SHUTTING_DOWN: ShuttingDownError,
  ERR_BAD_REQUEST: BadRequestError,
  ERR_TOO_LARGE: TooLargeError,
  ERR_INTERNAL: InternalError,
};

export function isWireErrorCode(code: unknown): code is WireErrorCode {
  return typeof code === 'string' && Object.hasOwn(byCode, code);
}

/** Rebuild the error a peer sent (worker to pool, daemon to client). */
export function errorFromWire(code: WireErrorCode, message: string, reason?: string): PoolError {
  return new byCode[code](message, reason);
}

/** The daemon's socket cannot be reached: not running, wrong path, or no permission. */
export class DaemonUnreachableError extends BalanceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_DAEMON_UNREACHABLE', message, { ...options, exitCode: EXIT.unavailable });
  }
}

/** Another daemon already answers on the socket path (shared with the advertise status socket). */
export { SocketInUseError } from '../shared/net/stale-socket.ts';
