/**
 * The `ltsp-winbind-pool` command line: the daemon (`serve`), its clients (`auth`, the lookups,
 * `status`), `hash-password`, and the hidden `worker` the daemon forks. Built here rather than in
 * bin/ so that a testing entry point (testing/winbind-pool/test-daemon.ts) can build the same program
 * with a test backend added; the shipped bin adds none, so `--backend` offers winbind and local only.
 * Exit codes: shared/exit-codes.ts; the client commands' 7, 9, 10 and 4 are PAM's (winbind-pool/README.md).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readOnly, type ActionRunner } from '../shared/program.ts';
import { optionParser } from '../shared/options.ts';
import { WINBIND_POOL as W } from '../shared/option-table.ts';
import { setLogLevel } from '../shared/log.ts';
import type { BackendLoader } from './backends/backend.ts';
import type { BackendSpec } from './settings.ts';

const DEFAULT_SOCKET = '/run/ltsp-winbind-pool.sock';

function octalMode(text: string): number {
  if (!/^0?[0-7]{3}$/.test(text)) throw new InvalidArgumentError('must be an octal mode such as 0660');
  return parseInt(text, 8);
}

/** A backend a testing entry point adds: its name for --backend, its own options, and how to load it. */
export interface ExtraBackend {
  name: string;
  options: Option[];
  spec(flags: Record<string, unknown>): BackendSpec;
  load: BackendLoader;
}

export interface PoolProgramOptions {
  /** How `serve` forks workers: this same program with the hidden `worker` subcommand. */
  self: { script: string; execArgv: string[] };
  extraBackends?: ExtraBackend[];
}

const socketOption = (): Option => new Option('--socket <path>', 'the daemon socket').default(DEFAULT_SOCKET);
const timeoutOption = (): Option =>
  new Option('--timeout-ms <time>', 'give up waiting for the daemon after this (ms; 2s, 500ms work too)').argParser(optionParser(W.clientTimeoutMs)).default(W.clientTimeoutMs.default);
const numeric = (spec: (typeof W)[keyof typeof W] & { flag: string }): Option =>
  new Option(`${spec.flag} <${spec.kind === 'duration' ? 'time' : 'n'}>`, `${spec.what} (default ${spec.default}${spec.kind === 'duration' ? ' ms' : ''})`).argParser(optionParser(spec));

export function buildPoolProgram(run: ActionRunner, options: PoolProgramOptions): Command {
  const extras = options.extraBackends ?? [];
  const loader: BackendLoader = async (spec) => {
    const extra = spec.kind === 'test' ? extras.find((e) => e.name === spec.name) : undefined;
    if (extra) return extra.load(spec);
    return (await import('./backends/backend.ts')).loadBackend(spec);
  };
  const program = new Command('ltsp-winbind-pool').description(
    'Authentication and user lookups through a pool of worker processes (winbind or a local user file)',
  );

  const serve = program
    .command('serve')
    .description('run the daemon (socket activation supported)')
    .addOption(socketOption())
    .addOption(new Option('--socket-mode <mode>', 'mode of a socket bound by the daemon').argParser(octalMode).default(0o660, '0660'))
    .option('--socket-group <group>', 'group owning a socket bound by the daemon (name or number)')
    .addOption(new Option('--backend <kind>', 'what workers call').choices(['local', 'winbind', ...extras.map((e) => e.name)]).default('local'))
    .option('--passwd-file <path>', 'local backend: users with scrypt hashes', '/etc/ltsp/winbind-pool/passwd')
    .option('--group-file <path>', 'local backend: groups (default: none)')
    .option('--wbclient-lib <path>', 'winbind backend: the library to load', 'libwbclient.so.0');
  for (const e of extras) for (const o of e.options) serve.addOption(o);
  for (const spec of [W.minWorkers, W.maxWorkers, W.minSpare, W.idleTimeoutMs, W.maxRequests, W.maxQueue, W.requestTimeoutMs, W.killGraceMs, W.startTimeoutMs, W.tickMs, W.spawnRateCap, W.backoffMinMs, W.backoffMaxMs]) {
    serve.addOption(numeric(spec));
  }
  serve
    .addOption(numeric(W.maxConnections).default(W.maxConnections.default))
    .addOption(numeric(W.maxConnectionsPerUid).default(W.maxConnectionsPerUid.default))
    .addOption(numeric(W.maxPendingPerConnection).default(W.maxPendingPerConnection.default))
    .addOption(numeric(W.connectionIdleMs).default(W.connectionIdleMs.default))
    .option('--metrics <addr:port>', 'serve Prometheus metrics on http://ADDR:PORT/metrics (PORT alone: loopback; off by default)')
    .option('--metrics-textfile <dir>', 'write ltsp_winbind_pool.prom into this node_exporter textfile directory every 15 s')
    .option('--summary-file <path>', 'write a world-readable summary (workers, busy, max, queue) for the advertise daemon every 5 s')
    .option('--verbose', 'log debug events')
    .action((o) =>
      run(async () => {
        if (o.verbose) setLogLevel('debug');
        const { parseMetricsAddress } = await import('../shared/metrics/publish.ts');
        const [{ serve: runServe }, { poolSettings, backendSpec, defaultMaxWorkers }] = await Promise.all([import('./daemon.ts'), import('./settings.ts')]);
        const extra = extras.find((e) => e.name === o.backend);
        return runServe({
          listen: { path: o.socket, mode: o.socketMode, group: o.socketGroup ?? null },
          backend: extra ? extra.spec(o) : backendSpec(o.backend, { library: o.wbclientLib, passwdFile: o.passwdFile, groupFile: o.groupFile }),
          pool: poolSettings({
            minWorkers: o.minWorkers,
            maxWorkers: o.maxWorkers ?? defaultMaxWorkers(o.backend, o.minWorkers),
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
          limits: {
            maxConnections: o.maxConnections,
            maxConnectionsPerUid: o.maxConnectionsPerUid,
            maxPendingPerConnection: o.maxPendingPerConnection,
            idleTimeoutMs: o.connectionIdleMs,
          },
          launch: { script: options.self.script, args: ['worker'], execArgv: options.self.execArgv },
          loadBackend: loader,
          metrics: o.metrics === undefined ? undefined : parseMetricsAddress(o.metrics),
          metricsTextfile: o.metricsTextfile,
          summaryFile: o.summaryFile,
        });
      }),
    );

  // Read-only like the lookups, but PAM calls it by its full name: no prefix, so no surprise.
  program
    .command('auth')
    .description('authenticate USER (or $PAM_USER) with the password read from stdin; for pam_exec expose_authtok')
    .argument('[user]')
    .addOption(socketOption())
    .addOption(timeoutOption())
    .action((user: string | undefined, o) => run(async () => (await import('./cli.ts')).authCommand(user, o)));

  const lookups = [
    ['getpwnam', '<name>', 'a user by name, as a passwd line'],
    ['getpwuid', '<uid>', 'a user by uid, as a passwd line'],
    ['getgrnam', '<name>', 'a group by name, as a group line'],
    ['getgrgid', '<gid>', 'a group by gid, as a group line'],
    ['groups', '<user>', "a user's group ids"],
    ['ping', '', 'check that the backend answers'],
  ] as const;
  for (const [op, arg, description] of lookups) {
    const cmd = readOnly(program.command(op).description(description));
    if (arg) cmd.argument(arg);
    cmd
      .addOption(socketOption())
      .addOption(timeoutOption())
      .action((...args: unknown[]) =>
        run(async () => {
          const key = arg ? (args[0] as string) : undefined;
          const o = args[arg ? 1 : 0] as { socket: string; timeoutMs: number };
          return (await import('./cli.ts')).lookupCommand(op, key, o);
        }),
      );
  }

  readOnly(program.command('status'))
    .description('workers idle, busy and total, queue, counters, and one line per worker')
    .addOption(socketOption())
    .addOption(timeoutOption())
    .option('--json', 'print JSON')
    .action((o) => run(async () => (await import('./cli.ts')).statusCommand({ ...o, json: Boolean(o.json) })));

  program
    .command('hash-password')
    .description('print the scrypt hash of the password read from stdin, for the local backend passwd file')
    .action(() => run(async () => (await import('./cli.ts')).hashPasswordCommand()));

  program
    .command('worker', { hidden: true })
    .description('a worker process (started by serve)')
    .action(() =>
      // No exit code: the worker lives on its IPC channel, and its handlers decide when it exits.
      run(async () => (await import('./worker.ts')).runWorker(loader)),
    );
  return program;
}
