/**
 * The base of every error this project throws on purpose.
 *
 * Each failure gets its own subclass with a stable `code` (documented in a README's error table; a
 * test checks both ways), so callers and tests branch on `err.code`, never on message text.
 * `exitCode` is what a CLI exits with when this error reaches the top level (shared/exit-codes.ts).
 */
import { EXIT } from './exit-codes.ts';

export class BalanceError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? EXIT.failure;
  }
}

/** A command-line argument or option value that cannot be used. Exit code 2, as getopt tools do. */
export class UsageError extends BalanceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_USAGE', message, { ...options, exitCode: EXIT.usage });
  }
}

/** A configuration value (file or environment) that is present but invalid. */
export class ConfigError extends BalanceError {
  readonly key: string;
  constructor(key: string, message: string, options: { cause?: unknown } = {}) {
    super('ERR_CONFIG', message, { ...options, exitCode: EXIT.usage });
    this.key = key;
  }
}

/** `status`: no daemon answers on its socket (exit 3 in every command, LSB's "not running"). */
export class NotRunningError extends BalanceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_NOT_RUNNING', message, { ...options, exitCode: EXIT.notRunning });
  }
}

/** The code and message of any thrown value: ours as they are, a Node errno error by its code, anything else ERR_INTERNAL. */
export function errorSummary(err: unknown): { code: string; message: string } {
  if (err instanceof BalanceError) return { code: err.code, message: err.message };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return { code: typeof code === 'string' ? code : 'ERR_INTERNAL', message };
}

/** The one way an error is shown on a line: `message (CODE)`, the format of every command's error line. */
export function describeError(err: unknown): string {
  const { code, message } = errorSummary(err);
  return `${message} (${code})`;
}
