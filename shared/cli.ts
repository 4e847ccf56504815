/**
 * What every command-line entry point shares: unambiguous subcommand prefixes (`st` for `status`),
 * and one place where an error reaches the user, printed once, with its documented exit code.
 * Kept free of heavy imports: bin/ files load it before anything else.
 */
import { CommanderError, type Command } from 'commander';
import { BalanceError, UsageError } from './errors.ts';
import { logError } from './log.ts';

/**
 * Rewrites the first non-option argument when it is an unambiguous prefix of exactly one subcommand.
 * An exact name always wins; an ambiguous prefix is a usage error that lists the candidates. Anything
 * else is left for commander, which suggests "did you mean" for typos.
 * `argv` is the user's arguments (process.argv.slice(2)); a new array is returned.
 */
export function expandSubcommandPrefix(
  argv: readonly string[],
  subcommands: readonly string[],
  optionsWithValue: readonly string[] = [],
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
  if (subcommands.includes(word)) return [...argv];
  const matches = subcommands.filter((name) => name.startsWith(word));
  if (matches.length > 1) {
    throw new UsageError(`subcommand "${word}" is ambiguous: it could be ${matches.join(', ')}`);
  }
  if (matches.length === 0) return [...argv];
  const out = [...argv];
  out[index] = matches[0]!;
  return out;
}

/** The same for a commander program: its subcommands, and its own options that take a value. */
export function expandCommandPrefix(argv: readonly string[], program: Command): string[] {
  const valued = program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]);
  return expandSubcommandPrefix(
    argv,
    program.commands.map((c) => c.name()),
    valued.filter((f): f is string => typeof f === 'string'),
  );
}

/** Exit codes shared by every command (each command's README adds its own). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Runs a command's main function; a thrown error is printed once on stderr (journald prefix `<3>`)
 * and becomes the process exit code: the error's own `exitCode` for our errors, 1 for anything else.
 */
export async function runCli(main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    if (err instanceof BalanceError) {
      logError(`${err.message} (${err.code})`);
      process.exitCode = err.exitCode;
    } else {
      logError(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = EXIT_FAILURE;
    }
  }
}

/** Registers a subcommand's work; the work runs after parsing, inside runCli's error handling. */
export type ActionRunner = (action: () => Promise<number>) => void;

/**
 * Parses a commander program built by `build` (which must call `exitOverride()` and silence
 * `outputError`, so that commander's own errors come here), expanding subcommand prefixes, then runs
 * the chosen action. A commander error becomes a UsageError (exit 2) printed once; --help exits 0.
 */
export async function runProgram(build: (run: ActionRunner) => Command, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  await runCli(async () => {
    let action: (() => Promise<number>) | undefined;
    const program = build((a) => (action = a));
    try {
      await program.parseAsync(expandCommandPrefix(argv, program), { from: 'user' });
    } catch (err) {
      if (err instanceof CommanderError) {
        if (err.exitCode === 0) return 0; // --help, --version
        if (err.code === 'commander.help') return EXIT_USAGE; // a subcommand was needed: commander printed the help
        // One event per line: commander puts its "Did you mean" on a second line.
        throw new UsageError(err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '));
      }
      throw err;
    }
    return action ? action() : 0;
  });
}
