/**
 * What every command-line entry point shares, without commander (get_hosts parses with node:util
 * and must not carry commander in its bundle; shared/program.ts adds commander for the others):
 * one place where an error reaches the user, printed once as `<3>message (CODE)` with its exit code
 * from shared/exit-codes.ts, and subcommand prefixes (`st` for `status`) for read-only subcommands.
 * Kept free of heavy imports: bin/ files load it before anything else.
 */
import { BalanceError, errorSummary, UsageError } from './errors.ts';
import { EXIT } from './exit-codes.ts';
import { logDebug, logError } from './log.ts';

/**
 * Rewrites the first non-option argument when it is an unambiguous prefix of exactly one of
 * `prefixable` (the read-only subcommands: a typo must never run one that writes, so `instal` is an
 * unknown command, not `install`). An exact name always wins; a prefix of several is a usage error
 * listing them. Anything else is left for the parser, which suggests "did you mean".
 * `argv` is the user's arguments (process.argv.slice(2)); a new array is returned.
 */
export function expandSubcommandPrefix(
  argv: readonly string[],
  prefixable: readonly string[],
  optionsWithValue: readonly string[] = [],
  all: readonly string[] = prefixable,
): string[] {
  let index = -1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return [...argv];
    if (!a.startsWith('-')) {
      index = i;
      break;
    }
    if (optionsWithValue.includes(a)) i++; // skip the option's value ("--socket PATH")
  }
  if (index === -1) return [...argv];
  const word = argv[index]!;
  if (all.includes(word)) return [...argv];
  const matches = prefixable.filter((name) => name.startsWith(word));
  if (matches.length > 1) {
    throw new UsageError(`subcommand "${word}" is ambiguous: it could be ${matches.join(', ')}`);
  }
  if (matches.length === 0) return [...argv];
  const out = [...argv];
  out[index] = matches[0]!;
  return out;
}

/** The error line of every command: `message (CODE)` at priority err, and its exit code. */
export function reportError(err: unknown): number {
  if (err instanceof BalanceError) {
    const reason = (err as { reason?: unknown }).reason;
    logError(`${err.message}${typeof reason === 'string' ? ` [${reason}]` : ''} (${err.code})`);
    return err.exitCode;
  }
  // Not one of ours: a bug. The stack goes to the debug log, the user gets one line.
  const { message } = errorSummary(err);
  logError(`internal error: ${message} (ERR_INTERNAL)`);
  if (err instanceof Error && err.stack) logDebug(err.stack);
  return EXIT.internal;
}

/**
 * Runs a command's main function; a thrown error is printed once on stderr and becomes the process
 * exit code (reportError). A returned number is the exit code.
 */
export async function runCli(main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    process.exitCode = reportError(err);
  }
}
