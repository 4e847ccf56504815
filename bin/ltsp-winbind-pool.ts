/**
 * ltsp-winbind-pool: the winbind worker pool daemon (`serve`) and its clients (`auth`, the lookups,
 * `status`). Arguments are parsed here; the component is imported only once they are valid.
 * Exit codes: winbind-pool/README.md.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { expandCommandPrefix } from '../shared/cli.ts';
import { BalanceError, describeError } from '../shared/errors.ts';
import { logError, setLogLevel } from '../shared/log.ts';

const DEFAULT_SOCKET = '/run/ltsp-winbind-pool.sock';
const EXIT_USAGE = 2;
const EXIT_INTERNAL = 4;

function integer(min: number, max: number) {
  return (text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    }
    return Number(text);
  };
}

function octalMode(text: string): number {
  if (!/^0?[0-7]{3}$/.test(text)) throw new InvalidArgumentError('must be an octal mode such as 0660');
  return parseInt(text, 8);
}

const socketOption = (): Option => new Option('--socket <path>', 'the daemon socket').default(DEFAULT_SOCKET);
const timeoutOption = (): Option => new Option('--timeout-ms <ms>', 'give up waiting for the daemon after this').argParser(integer(1, 3_600_000)).default(30_000);

async function run(action: () => Promise<number | void>): Promise<void> {
  try {
    const code = await action();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    const reason = (err as { reason?: unknown }).reason;
    logError(typeof reason === 'string' ? `${describeError(err)} (${reason})` : describeError(err));
    process.exitCode = err instanceof BalanceError ? err.exitCode : EXIT_INTERNAL;
  }
}

const program = new Command('ltsp-winbind-pool')
  .description('Authentication and user lookups through a pool of worker processes (winbind or a local user file)')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE));

program
  .command('serve')
  .description('run the daemon (socket activation supported)')
  .addOption(socketOption())
  .addOption(new Option('--socket-mode <mode>', 'mode of a socket bound by the daemon').argParser(octalMode).default(0o660, '0660'))
  .option('--socket-group <group>', 'group owning a socket bound by the daemon (name or number)')
  .addOption(new Option('--backend <kind>', 'what workers call').choices(['local', 'winbind', 'blocking']).default('local'))
  .option('--passwd-file <path>', 'local backend: users with scrypt hashes', '/etc/ltsp/winbind-pool/passwd')
  .option('--group-file <path>', 'local backend: groups (default: none)')
  .option('--wbclient-lib <path>', 'winbind backend: the library to load', 'libwbclient.so.0')
  .addOption(new Option('--block-ms <ms>', 'blocking (test) backend: time each call blocks').argParser(integer(0, 600_000)))
  .addOption(new Option('--min-workers <n>').argParser(integer(1, 1024)))
  .addOption(new Option('--max-workers <n>').argParser(integer(1, 1024)))
  .addOption(new Option('--min-spare <n>').argParser(integer(0, 1024)))
  .addOption(new Option('--idle-timeout-ms <ms>').argParser(integer(0, 86_400_000)))
  .addOption(new Option('--max-requests <n>', 'recycle a worker after n requests (0: never)').argParser(integer(0, 1e9)))
  .addOption(new Option('--max-queue <n>').argParser(integer(0, 100_000)))
  .addOption(new Option('--request-timeout-ms <ms>').argParser(integer(1, 3_600_000)))
  .addOption(new Option('--kill-grace-ms <ms>').argParser(integer(0, 600_000)))
  .addOption(new Option('--start-timeout-ms <ms>').argParser(integer(1, 600_000)))
  .addOption(new Option('--tick-ms <ms>').argParser(integer(10, 60_000)))
  .addOption(new Option('--spawn-rate-cap <n>').argParser(integer(1, 1024)))
  .addOption(new Option('--backoff-min-ms <ms>').argParser(integer(0, 3_600_000)))
  .addOption(new Option('--backoff-max-ms <ms>').argParser(integer(0, 3_600_000)))
  .addOption(new Option('--max-connections <n>').argParser(integer(1, 100_000)).default(256))
  .addOption(new Option('--max-pending-per-connection <n>').argParser(integer(1, 10_000)).default(16))
  .addOption(new Option('--connection-idle-ms <ms>').argParser(integer(1, 86_400_000)).default(30_000))
  .option('--metrics <addr:port>', 'serve Prometheus metrics on http://ADDR:PORT/metrics (PORT alone: loopback; off by default)')
  .option('--metrics-textfile <dir>', 'write ltsp_winbind_pool.prom into this node_exporter textfile directory every 15 s')
  .option('--summary-file <path>', 'write a world-readable summary (workers, busy, max, queue) for the advertise daemon every 5 s')
  .option('--verbose', 'log debug events')
  .action((o) =>
    run(async () => {
      if (o.verbose) setLogLevel('debug');
      const { parseMetricsAddress } = await import('../shared/metrics/publish.ts');
      const [{ serve }, { poolSettings, backendSpec }] = await Promise.all([import('../winbind-pool/daemon.ts'), import('../winbind-pool/settings.ts')]);
      await serve({
        listen: { path: o.socket, mode: o.socketMode, group: o.socketGroup ?? null },
        backend: backendSpec(o.backend, { library: o.wbclientLib, passwdFile: o.passwdFile, groupFile: o.groupFile, blockMs: o.blockMs }),
        pool: poolSettings({
          minWorkers: o.minWorkers,
          maxWorkers: o.maxWorkers,
          minSpare: o.minSpare,
          idleTimeoutMs: o.idleTimeoutMs,
          maxRequests: o.maxRequests,
          maxQueue: o.maxQueue,
          requestTimeoutMs: o.requestTimeoutMs,
          killGraceMs: o.killGraceMs,
          startTimeoutMs: o.startTimeoutMs,
          tickMs: o.tickMs,
          spawnRateCap: o.spawnRateCap,
          backoffMinMs: o.backoffMinMs,
          backoffMaxMs: o.backoffMaxMs,
        }),
        limits: { maxConnections: o.maxConnections, maxPendingPerConnection: o.maxPendingPerConnection, idleTimeoutMs: o.connectionIdleMs },
        // Workers are this same program (source under tsx, or the bundle) with the hidden subcommand.
        launch: { script: process.argv[1]!, args: ['worker'], execArgv: process.execArgv },
        metrics: o.metrics === undefined ? undefined : parseMetricsAddress(o.metrics),
        metricsTextfile: o.metricsTextfile,
        summaryFile: o.summaryFile,
      });
    }),
  );

program
  .command('auth')
  .description('authenticate USER (or $PAM_USER) with the password read from stdin; for pam_exec expose_authtok')
  .argument('[user]')
  .addOption(socketOption())
  .addOption(timeoutOption())
  .action((user: string | undefined, o) => run(async () => (await import('../winbind-pool/cli.ts')).authCommand(user, o)));

const lookups = [
  ['getpwnam', '<name>', 'a user by name, as a passwd line'],
  ['getpwuid', '<uid>', 'a user by uid, as a passwd line'],
  ['getgrnam', '<name>', 'a group by name, as a group line'],
  ['getgrgid', '<gid>', 'a group by gid, as a group line'],
  ['groups', '<user>', "a user's group ids"],
  ['ping', '', 'check that the backend answers'],
] as const;
for (const [op, arg, description] of lookups) {
  const cmd = program.command(op).description(description);
  if (arg) cmd.argument(arg);
  cmd
    .addOption(socketOption())
    .addOption(timeoutOption())
    .action((...args: unknown[]) =>
      run(async () => {
        const key = arg ? (args[0] as string) : undefined;
        const o = args[arg ? 1 : 0] as { socket: string; timeoutMs: number };
        return (await import('../winbind-pool/cli.ts')).lookupCommand(op, key, o);
      }),
    );
}

program
  .command('status')
  .description('workers idle, busy and total, queue, counters, and one line per worker')
  .addOption(socketOption())
  .addOption(timeoutOption())
  .option('--json', 'print JSON')
  .action((o) => run(async () => (await import('../winbind-pool/cli.ts')).statusCommand({ ...o, json: Boolean(o.json) })));

program
  .command('hash-password')
  .description('print the scrypt hash of the password read from stdin, for the local backend passwd file')
  .action(() => run(async () => (await import('../winbind-pool/cli.ts')).hashPasswordCommand()));

program
  .command('worker', { hidden: true })
  .description('a worker process (started by serve)')
  .action(() => run(async () => (await import('../winbind-pool/worker.ts')).runWorker()));

// Commander's own errors become one journald line ("Did you mean" folded in); prefixes expand (`st`).
program.configureOutput({ outputError: (text) => logError(text.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim()) });
let argv: string[];
try {
  argv = expandCommandPrefix(process.argv.slice(2), program);
} catch (err) {
  logError(describeError(err));
  process.exit(EXIT_USAGE);
}
await program.parseAsync(argv, { from: 'user' });
