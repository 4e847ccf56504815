/**
 * ltsp-balance: the administrator's command.
 *   ltsp-balance update-sshkeys       ssh host keys of LDM_BALANCE_SERVERS and extraservers into ssh_known_hosts.ltsp-balance
 *   ltsp-balance fleet                the fleet live in the terminal (or --once, --json, --listen for a web page)
 *   ltsp-balance storm                simulate a login storm on the site's fleet, name the algorithm that fits
 * Only `storm` and `fleet` may be abbreviated (they only read); `update-sshkeys` writes, so `up` is an
 * unknown command, with a "did you mean". The demo is `npm run demo` in the source tree (README), the test harness's
 * namespace cleanup `npm run netns-cleanup`: neither ships. Exit codes: shared/exit-codes.ts (top
 * README); update-sshkeys exits 5 (partial) when the file was written but some server gave no key.
 */
import { Command } from 'commander';
import { readOnly, runProgram, type ActionRunner } from '../shared/program.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { flagValue } from '../shared/options.ts';
import { FLEET, STORM, UPDATE_SSHKEYS } from '../shared/option-table.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function buildProgram(run: ActionRunner): Command {
  const program = new Command('ltsp-balance')
    .description('ltsp-balance: ssh host keys of the application servers, the fleet view, the storm simulator');

  program
    .command('update-sshkeys')
    .description('ssh-keyscan every server of LDM_BALANCE_SERVERS (lts.conf, every section) and extraservers into /etc/ltsp/ssh_known_hosts.ltsp-balance, which ltsp-update-sshkeys copies into the chroots')
    .option('--lts-conf <file>', 'lts.conf to read (repeatable; default: every <tftp dir>/ltsp/<arch>/lts.conf)', collect, [] as string[])
    .option('--extraservers <file>', 'more servers, host[:port]', '/etc/ltsp/extraservers')
    .option('--output <file>', 'known_hosts file to write', '/etc/ltsp/ssh_known_hosts.ltsp-balance')
    .option('--ssh-port <n>', 'the ssh port LDM uses for every server (default: SSH_OVERRIDE_PORT in lts.conf, else 22)')
    .option('--discover', 'also record the servers that answer a discovery broadcast (default: when lts.conf has no server list)')
    .option('--no-discover', 'never broadcast')
    .option('--timeout <time>', 'how long ssh-keyscan waits per server: 5s, 1m; a bare number is seconds', '5s')
    .action((opts: { ltsConf: string[]; extraservers: string; output: string; sshPort?: string; discover?: boolean; timeout: string }) =>
      run(async () => {
        // ssh-keyscan -T takes whole seconds.
        const timeoutSec = Math.ceil(flagValue(UPDATE_SSHKEYS.timeout, opts.timeout) / 1000);
        const sshPort = opts.sshPort === undefined ? undefined : flagValue(UPDATE_SSHKEYS.sshPort, opts.sshPort);
        const { updateSshKeys } = await import('../admin/host-keys/update-sshkeys.ts');
        const { defaultLtsConfFiles } = await import('../admin/host-keys/lts-conf-servers.ts');
        const ltsConf = opts.ltsConf.length > 0 ? opts.ltsConf : defaultLtsConfFiles();
        const report = await updateSshKeys({ extraservers: opts.extraservers, ltsConf, output: opts.output, sshPort, discover: opts.discover, timeoutSec });
        return report.unreachable.length > 0 ? EXIT.partial : EXIT.ok;
      }),
    );

  readOnly(program.command('storm'))
    .description("simulate an 8 am login storm on your fleet (from a get_hosts --json survey) and say which algorithm fills it most evenly")
    .option('--survey <file>', 'a get_hosts --json output (default: an example fleet of 30 identical servers)')
    .option('--clients <n>', 'thin clients logging in', String(STORM.clients.default))
    .option('--minutes <n>', 'length of the storm, in minutes', String(STORM.minutes.default))
    .option('--staleness <time>', 'how old a client\'s survey may be (the bridge poll or cache age): 15s, 1m; a bare number is seconds', '15s')
    .option('--seeds <n>', 'runs per algorithm', String(STORM.seeds.default))
    .action((opts: { survey?: string; clients: string; minutes: string; staleness: string; seeds: string }) =>
      run(async () => {
        const clients = flagValue(STORM.clients, opts.clients);
        const stormSec = flagValue(STORM.minutes, opts.minutes) * 60;
        const stalenessSec = flagValue(STORM.staleness, opts.staleness) / 1000;
        const seeds = flagValue(STORM.seeds, opts.seeds);
        const { runStormCommand } = await import('../admin/storm/command.ts');
        return runStormCommand({ survey: opts.survey, clients, stormSec, stalenessSec, seeds, write: (t) => void process.stdout.write(t) });
      }),
    );

  readOnly(program.command('fleet'))
    .description('the fleet live: status, sessions, load, memory, swapping, draining and where new logins go, per server (q quits, s sorts)')
    .option('--servers <list>', 'servers to watch, host[:port] (default: LDM_BALANCE_SERVERS from the environment or lts.conf)')
    .option('--config <file>', 'read this lts.conf instead of the default paths')
    .option('--interval <time>', 'time between surveys: 5s, 1m; a bare number is seconds', '5s')
    .option('--deadline <time>', 'how long one survey waits for answers: 1000ms, 2s; a bare number is ms', '1000ms')
    .option('--once', 'print the table once and exit')
    .option('--json', 'one JSON line per survey instead of the table')
    .option('--listen <addr:port>', 'serve the live view as a web page (loopback unless --allow is given)')
    .option('--allow <addr[/prefix]>', 'who may look, beyond loopback (repeatable; comma separated)', collect, [] as string[])
    .option('--show-users', 'show user names (fetched over TCP; hidden by default)')
    .option('--count <n>', 'stop after this many surveys (0: until q or a signal)', '0')
    .action((opts: { servers?: string; config?: string; interval: string; deadline: string; once?: boolean; json?: boolean; listen?: string; allow: string[]; showUsers?: boolean; count: string }) =>
      run(async () => {
        const intervalSec = flagValue(FLEET.interval, opts.interval) / 1000;
        const deadlineMs = flagValue(FLEET.deadline, opts.deadline);
        const count = flagValue(FLEET.count, opts.count);
        const { parseListenAddress } = await import('../admin/fleet-view/web.ts');
        const listen = opts.listen === undefined ? undefined : parseListenAddress(opts.listen);
        const { runFleetCommand } = await import('../admin/fleet-view/command.ts');
        return runFleetCommand({ servers: opts.servers, config: opts.config, intervalSec, deadlineMs, once: opts.once === true, json: opts.json === true, listen, allow: opts.allow, showUsers: opts.showUsers === true, count });
      }),
    );
  return program;
}

await runProgram(buildProgram);
