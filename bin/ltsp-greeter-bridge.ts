/**
 * ltsp-greeter-bridge: the server list reaches the greeter over POSIX message queues, live.
 *   serve    poll the servers, publish snapshots, forward the greeter's choice to LDM
 *   watch    print each snapshot as one JSON line
 *   choose   text-mode chooser (the reference greeter)
 *   status   print the running bridge's counters
 * Arguments are parsed here; the component is imported only once a subcommand runs.
 * Exit codes (shared/exit-codes.ts, greeter-bridge/README.md): 0 ok, 1 failure, 2 usage/config,
 * 3 status: no bridge running, 4 internal error, 6 another bridge serves the queue, 8 choose
 * cancelled, 9 no snapshot in time. Only `watch` and `status` may be abbreviated (they only read).
 */
import { Command } from 'commander';
import { readOnly, runProgram, type ActionRunner } from '../shared/program.ts';
import { setLogLevel } from '../shared/log.ts';

type Action = (flags: Record<string, unknown>) => Promise<number>;

function commonOptions(cmd: Command): Command {
  return cmd
    .option('--queue <name>', 'snapshot queue, bridge to greeter (default: $LDM_BALANCE_BRIDGE_QUEUE, else /ltsp-greeter-servers)')
    .option('--choice-queue <name>', 'choice queue, greeter to bridge (default: $LDM_BALANCE_BRIDGE_CHOICE_QUEUE, else /ltsp-greeter-choice)')
    .option('--config <file>', 'lts.conf to read instead of /etc/lts.conf')
    .option('--verbose', 'log debug events too');
}

function buildProgram(runner: ActionRunner): Command {
  const run = (action: Action, flags: Record<string, unknown>): void =>
    runner(() => {
      if (flags.verbose) setLogLevel('debug');
      return action(flags);
    });
  const program = new Command('ltsp-greeter-bridge')
    .description('Bridge between LDM and its greeter: the live server list over POSIX message queues.');
  const lazy = (name: 'serveCommand' | 'watchCommand' | 'chooseCommand' | 'statusCommand'): Action => async (flags) => {
    const commands = await import('../greeter-bridge/commands.ts');
    return commands[name](flags);
  };

  commonOptions(program.command('serve').description('poll the servers and publish snapshots; forward the choice to LDM'))
    .option('--servers <list>', 'servers to poll, "host[:port]" separated by spaces or commas (default: LDM_BALANCE_SERVERS)')
    .option('--interval <time>', 'time between polls: 30s, 500ms; a bare number is seconds (default: $LDM_BALANCE_BRIDGE_INTERVAL_S, else 10s)')
    .option('--group <group>', 'queues mode 0660 with this group instead of 0600 (default: $LDM_BALANCE_BRIDGE_GROUP)')
    .option('--output <file>', 'write each accepted choice here (atomically) instead of stdout (default: $LDM_BALANCE_BRIDGE_OUTPUT)')
    .option('--cache <file>', 'survey cache for get_hosts (default: LDM_BALANCE_CACHE, else /run/ltsp-balance/survey.json)')
    .option('--no-cache', 'do not write the survey cache')
    .option('--msgsize <bytes>', 'snapshot queue message size (default: 8192, at most fs.mqueue.msgsize_max)')
    .option('--maxmsgs <n>', 'snapshot queue capacity in messages (default: 10, at most fs.mqueue.msg_max)')
    .option('--remove-queues', 'remove both queues on exit (demos, tests; by default they stay for the next bridge)')
    .action((flags: Record<string, unknown>) => run(lazy('serveCommand'), flags));

  commonOptions(readOnly(program.command('watch')).description('print each snapshot as one JSON line on stdout'))
    .option('--once', 'exit after the first snapshot')
    .option('--timeout <time>', 'with --once: give up after this long, exit 9 (10s, 500ms; a bare number is seconds)')
    .action((flags: Record<string, unknown>) => run(lazy('watchCommand'), flags));

  commonOptions(program.command('choose').description('text-mode chooser: arrow keys and Enter; prints the chosen server'))
    .option('--timeout <time>', 'give up when no snapshot arrives for this long, exit 9 (10s; a bare number is seconds)')
    .action((flags: Record<string, unknown>) => run(lazy('chooseCommand'), flags));

  commonOptions(readOnly(program.command('status')).description('print the counters of the bridge serving the queue'))
    .action((flags: Record<string, unknown>) => run(lazy('statusCommand'), flags));
  return program;
}

await runProgram(buildProgram);
