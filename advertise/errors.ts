/**
 * The advertise daemon's failures, one class per condition with a stable code (README "Error codes").
 * Reading errors carry the file they are about, so the once-per-interval log line can name it.
 */
import { BalanceError } from '../shared/errors.ts';

/** A /proc (or --procfs) file, or the utmp file, is absent or not a regular file. */
export class SourceMissingError extends BalanceError {
  constructor(readonly file: string, options: { cause?: unknown } = {}) {
    super('ERR_SOURCE_MISSING', `${file} is missing or not a regular file`, options);
  }
}

/** The file is larger than its reader's cap: never read past it. */
export class SourceTooLargeError extends BalanceError {
  constructor(readonly file: string, readonly limit: number) {
    super('ERR_SOURCE_TOO_LARGE', `${file} is larger than the ${limit}-byte cap`);
  }
}

/** The file is there but does not say what it must (a field absent, not a number, out of range). */
export class SourceMalformedError extends BalanceError {
  constructor(readonly file: string, readonly field: string, message: string) {
    super('ERR_SOURCE_MALFORMED', `${file}: ${field}: ${message}`);
  }
}

/** A socket passed by systemd (LISTEN_FDS) that is not a TCP listener or a UDP socket. */
export class ListenFdTypeError extends BalanceError {
  constructor(readonly fd: number, message: string, options: { cause?: unknown } = {}) {
    super('ERR_LISTEN_FD_TYPE', `fd ${fd}: ${message}`, options);
  }
}

/** The daemon could not bind its TCP or UDP port itself. */
export class BindError extends BalanceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_BIND', message, options);
  }
}
