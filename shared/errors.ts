/**
 * The base of every error this project throws on purpose.
 *
 * Each failure gets its own subclass with a stable `code` (documented in the README's error table),
 * so callers and tests branch on `err.code`, never on message text. `exitCode` is what a CLI exits
 * with when this error reaches the top level.
 */
export class BalanceError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A command-line argument or option value that cannot be used. Exit code 2, as getopt tools do. */
export class UsageError extends BalanceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_USAGE', message, { ...options, exitCode: 2 });
  }
}

/** A configuration value (file or environment) that is present but invalid. */
export class ConfigError extends BalanceError {
  readonly key: string;
  constructor(key: string, message: string, options: { cause?: unknown } = {}) {
    super('ERR_CONFIG', message, { ...options, exitCode: 2 });
    this.key = key;
  }
}

/** Narrow an unknown thrown value to something with a message, for logs. */
export function describeError(err: unknown): string {
  if (err instanceof BalanceError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
