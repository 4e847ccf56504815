/**
 * The commander side of shared/cli.ts, for every command but get_hosts: one runner that expands
 * prefixes of read-only subcommands only, adds `--version`, and turns commander's own errors into
 * one `<3>message (ERR_USAGE)` line with exit 2.
 */
import { CommanderError, type Command } from 'commander';
import { expandSubcommandPrefix, runCli } from './cli.ts';
import { UsageError } from './errors.ts';
import { EXIT } from './exit-codes.ts';
import { packageVersion } from './version.ts';

const readOnlyCommands = new WeakSet<Command>();

/** Marks a subcommand that only reads (status, watch, lookups): only these may be abbreviated. */
export function readOnly(cmd: Command): Command {
  readOnlyCommands.add(cmd);
  return cmd;
}

/** expandSubcommandPrefix for a commander program: its read-only subcommands, and its options that take a value. */
export function expandCommandPrefix(argv: readonly string[], program: Command): string[] {
  const valued = program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]);
  return expandSubcommandPrefix(
    argv,
    program.commands.filter((c) => readOnlyCommands.has(c)).map((c) => c.name()),
    valued.filter((f): f is string => typeof f === 'string'),
    program.commands.map((c) => c.name()),
  );
}

/** Registers a subcommand's work; the work runs after parsing, inside runCli's error handling. */
export type ActionRunner = (action: () => Promise<number | void>) => void;

/**
 * Parses a commander program built by `build`, then runs the chosen action. The program gets
 * `--version`, exitOverride and a silent error output here, so commander's errors come back as one
 * UsageError (exit 2); `--help` and `--version` exit 0; a missing subcommand prints the help, exit 2.
 */
export async function runProgram(build: (run: ActionRunner) => Command, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  await runCli(async () => {
    let action: (() => Promise<number | void>) | undefined;
    const program = build((a) => (action = a));
    program
      .version(`${program.name()} ${packageVersion()}`, '-V, --version', 'print the version and exit')
      .exitOverride()
      .configureOutput({ outputError: () => {} })
      .showSuggestionAfterError(true);
    for (const sub of program.commands) sub.exitOverride().configureOutput({ outputError: () => {} });
    try {
      await program.parseAsync(expandCommandPrefix(argv, program), { from: 'user' });
    } catch (err) {
      if (err instanceof CommanderError) {
        if (err.exitCode === 0) return EXIT.ok; // --help, --version
        if (err.code === 'commander.help') return EXIT.usage; // a subcommand was needed: commander printed the help
        // One event per line: commander puts its "Did you mean" on a second line.
        throw new UsageError(err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '));
      }
      throw err;
    }
    return action ? action() : EXIT.ok;
  });
}
