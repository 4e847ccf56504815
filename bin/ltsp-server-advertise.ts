/**
 * ltsp-server-advertise: reports this application server's load on TCP and UDP port 377.
 *   ltsp-server-advertise [flags]   run the daemon in the foreground until SIGTERM
 *   ltsp-server-advertise status    print a running daemon's counters
 * Arguments are parsed and checked here; the daemon is imported only when it is going to run.
 * Exit codes (shared/exit-codes.ts): 0 ok, 1 runtime failure (cannot bind, bad LISTEN_FDS), 2 usage
 * or config error, 3 status: no daemon answers, 4 internal error.
 */
import { Command, Option } from 'commander';
import { readOnly, runProgram, type ActionRunner } from '../shared/program.ts';
import { flagValue } from '../shared/options.ts';
import { ADVERTISE } from '../shared/option-table.ts';
import { setLogLevel } from '../shared/log.ts';
import { ADVERTISE_PORT } from '../shared/wire/advertisement.ts';
import { SETTING_SPECS, settingHelp, settingsFromFlags } from '../advertise/settings.ts';
import { defaultStatusSocket } from '../advertise/status.ts';
import { parseMetricsAddress } from '../shared/metrics/publish.ts';
import { DEFAULT_POOL_SUMMARY } from '../advertise/pool-summary.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

function buildProgram(run: ActionRunner): Command {
  const program = new Command('ltsp-server-advertise')
    .description('Advertise this LTSP application server\'s load on TCP and UDP port 377 (runs in the foreground).')
    .enablePositionalOptions()
    .option('--address <addr>', 'address to bind when not socket-activated', '0.0.0.0')
    .option('--port <n>', 'TCP and UDP port to bind when not socket-activated', String(ADVERTISE_PORT))
    .option('--procfs <dir>', 'read this directory instead of /proc', '/proc')
    .option('--utmp <file>', 'utmp file with the login sessions', '/var/run/utmp')
    .option('--config <file>', 'config file (key=value), re-read on SIGHUP')
    .option('--hostname <name>', 'host name to advertise (default: the system host name)')
    .option('--interface <name>', 'answer only clients in this interface\'s subnets (repeatable)', collect, [] as string[])
    .option('--status-socket <path>', 'Unix socket for `status`', defaultStatusSocket())
    .option('--metrics <addr:port>', 'serve Prometheus metrics on http://ADDR:PORT/metrics (PORT alone: loopback; off by default)')
    .option('--metrics-textfile <dir>', 'write ltsp_advertise.prom into this node_exporter textfile directory every 15 s')
    .option('--pool-summary <file>', 'the winbind pool\'s summary file, advertised when present and fresh', DEFAULT_POOL_SUMMARY)
    .option('--verbose', 'log debug events too');
  for (const spec of SETTING_SPECS) {
    program.addOption(new Option(spec.kind === 'boolean' ? spec.flag : `${spec.flag} <${spec.kind === 'duration' ? 'time' : 'n'}>`, settingHelp(spec)));
  }
  program.action((opts: Record<string, unknown>) =>
    run(async () => {
      const port = flagValue(ADVERTISE.port, String(opts.port));
      const flagSettings = settingsFromFlags(opts);
      if (opts.verbose) setLogLevel('debug');
      const { runDaemon } = await import('../advertise/daemon.ts');
      return runDaemon({
        address: String(opts.address),
        port,
        procfs: String(opts.procfs),
        utmp: String(opts.utmp),
        configPath: opts.config as string | undefined,
        flagSettings,
        hostname: opts.hostname as string | undefined,
        interfaces: opts.interface as string[],
        statusSocket: String(opts.statusSocket),
        metrics: opts.metrics === undefined ? undefined : parseMetricsAddress(String(opts.metrics)),
        metricsTextfile: opts.metricsTextfile as string | undefined,
        poolSummary: String(opts.poolSummary),
      });
    }),
  );
  readOnly(program.command('status'))
    .description('print the counters of the daemon running on this machine')
    .option('--status-socket <path>', 'the daemon\'s status socket', defaultStatusSocket())
    .option('--json', 'print the raw JSON report')
    .action((opts: { statusSocket: string; json?: boolean }) =>
      run(async () => {
        const { fetchStatus, formatStatus } = await import('../advertise/status.ts');
        const report = await fetchStatus(opts.statusSocket);
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
        return 0;
      }),
    );
  return program;
}

await runProgram(buildProgram);
