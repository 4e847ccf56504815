/**
 * The advertise daemon's failures, one class per condition with a stable code (README "Error codes").
 * Reading a source fails with shared/fs/read-capped.ts's errors (ENOENT, ERR_FILE_TYPE,
 * ERR_FILE_TOO_LARGE); what is read and found wrong is SourceMalformedError, naming the file.
 */
import { BalanceError } from '../shared/errors.ts';

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
