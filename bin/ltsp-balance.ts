/**
 * ltsp-balance: the umbrella command.
 *   ltsp-balance demo                 a loopback fleet, get_hosts --explain, the chooser (no root)
 *   ltsp-balance install --root DIR   put every piece where LTSP expects it (and `uninstall`)
 *   ltsp-balance update-sshkeys       ssh host keys of /etc/ltsp/extraservers into ssh_known_hosts.auto
 *   ltsp-balance fleet                the fleet live in the terminal (or --once, --json, --listen for a web page)
 *   ltsp-balance storm                simulate a login storm on the site's fleet, name the algorithm that fits
 *   ltsp-balance netns-cleanup        delete network namespaces left by a killed fleet test run
 * Unambiguous prefixes work (`up` for update-sshkeys); a typo gets a "did you mean".
 * Exit codes: 0 ok, 1 failure, 2 usage or config error, 3 update-sshkeys: file written but some
 * server gave no key (admin/README.md).
 */
import { Command } from 'commander';
import { runProgram, type ActionRunner } from '../shared/cli.ts';
import { UsageError } from '../shared/errors.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function positiveInt(name: string, raw: string, max: number): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new UsageError(`${name} must be a whole number 1..${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function buildProgram(run: ActionRunner): Command {
  const program = new Command('ltsp-balance')
    .description('ltsp-balance: install, host keys, and a demonstration fleet')
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(true);

  program
    .command('demo')
    .description('start a loopback fleet (127.0.0.2-5), run get_hosts --explain, show the chooser; no root needed')
    .option('--port <n>', 'unprivileged port for the demo daemons', '3777')
    .option('--no-chooser', 'do not run the interactive chooser even on a terminal')
    .action((opts: { port: string; chooser: boolean }) =>
      run(async () => {
        const port = positiveInt('--port', opts.port, 65_535);
        const { runDemo } = await import('../demo/run.ts');
        return runDemo({ port, chooser: opts.chooser, out: process.stdout });
      }),
    );

  program
    .command('install')
    .description('install the commands, systemd units, example lts.conf, and get_hosts into each thin-client chroot')
    .option('--root <dir>', 'root of the target system', '/')
    .option('--chroot <dir>', 'thin-client chroot inside the root (repeatable; default: every /opt/ltsp/*)', collect, [] as string[])
    .option('--prefix <dir>', 'prefix of the server files', '/usr')
    .option('--from <dir>', 'directory of bundled commands (default: next to this command, or built from the sources)')
    .option('--force', 'set aside files that ltsp-balance did not write (restored by uninstall)')
    .option('--dry-run', 'print what would be written, write nothing')
    .action((opts: { root: string; chroot: string[]; prefix: string; from?: string; force?: boolean; dryRun?: boolean }) =>
      run(async () => {
        const { install } = await import('../admin/install/install.ts');
        const result = install({ root: opts.root, prefix: opts.prefix, chroots: opts.chroot, from: opts.from, force: opts.force, dryRun: opts.dryRun });
        if (opts.dryRun) {
          for (const f of result.files) process.stdout.write(`${f.kind === 'symlink' ? `${f.path} -> ${f.target}` : f.path}\n`);
        }
        return 0;
      }),
    );

  program
    .command('uninstall')
    .description('remove exactly what install wrote (its manifest), restoring files it set aside')
    .option('--root <dir>', 'root of the target system', '/')
    .action((opts: { root: string }) =>
      run(async () => {
        const { uninstall } = await import('../admin/install/install.ts');
        uninstall(opts.root);
        return 0;
      }),
    );

  program
    .command('update-sshkeys')
    .description('ssh-keyscan every server of the extraservers list into a known_hosts file that LTSP merges into the chroots')
    .option('--extraservers <file>', 'list of servers, host[:port] (port of sshd)', '/etc/ltsp/extraservers')
    .option('--output <file>', 'known_hosts file to write', '/etc/ltsp/ssh_known_hosts.auto')
    .option('--timeout <s>', 'seconds ssh-keyscan waits per server', '5')
    .action((opts: { extraservers: string; output: string; timeout: string }) =>
      run(async () => {
        const timeoutSec = positiveInt('--timeout', opts.timeout, 600);
        const { updateSshKeys, EXIT_SOME_UNREACHABLE } = await import('../admin/host-keys/update-sshkeys.ts');
        const report = await updateSshKeys({ extraservers: opts.extraservers, output: opts.output, timeoutSec });
        return report.unreachable.length > 0 ? EXIT_SOME_UNREACHABLE : 0;
      }),
    );

  program
    .command('storm')
    .description("simulate an 8 am login storm on your fleet (from a get_hosts --json survey) and say which algorithm fills it most evenly")
    .option('--survey <file>', 'a get_hosts --json output (default: an example fleet of 30 identical servers)')
    .option('--clients <n>', 'thin clients logging in', '1400')
    .option('--minutes <n>', 'length of the storm', '10')
    .option('--staleness <s>', 'how old a client\'s survey may be, in seconds (the bridge poll or cache age)', '15')
    .option('--seeds <n>', 'runs per algorithm', '20')
    .action((opts: { survey?: string; clients: string; minutes: string; staleness: string; seeds: string }) =>
      run(async () => {
        const clients = positiveInt('--clients', opts.clients, 100_000);
        const stormSec = positiveInt('--minutes', opts.minutes, 600) * 60;
        const stalenessSec = positiveInt('--staleness', opts.staleness, 3600);
        const seeds = positiveInt('--seeds', opts.seeds, 1000);
        const { runStormCommand } = await import('../admin/storm/command.ts');
        return runStormCommand({ survey: opts.survey, clients, stormSec, stalenessSec, seeds, write: (t) => void process.stdout.write(t) });
      }),
    );

  program
    .command('fleet')
    .description('the fleet live: status, sessions, load, memory, swapping, draining and where new logins go, per server (q quits, s sorts)')
    .option('--servers <list>', 'servers to watch, host[:port] (default: LDM_BALANCE_SERVERS from the environment or lts.conf)')
    .option('--config <file>', 'read this lts.conf instead of the default paths')
    .option('--interval <s>', 'seconds between surveys', '5')
    .option('--deadline-ms <ms>', 'how long one survey waits for answers', '1000')
    .option('--once', 'print the table once and exit')
    .option('--json', 'one JSON line per survey instead of the table')
    .option('--listen <addr:port>', 'serve the live view as a web page (loopback unless --allow is given)')
    .option('--allow <addr[/prefix]>', 'who may look, beyond loopback (repeatable; comma separated)', collect, [] as string[])
    .option('--show-users', 'show user names (fetched over TCP; hidden by default)')
    .option('--count <n>', 'stop after this many surveys (0: until q or a signal)', '0')
    .action((opts: { servers?: string; config?: string; interval: string; deadlineMs: string; once?: boolean; json?: boolean; listen?: string; allow: string[]; showUsers?: boolean; count: string }) =>
      run(async () => {
        const intervalSec = positiveInt('--interval', opts.interval, 3600);
        const deadlineMs = positiveInt('--deadline-ms', opts.deadlineMs, 60_000);
        const count = opts.count === '0' ? 0 : positiveInt('--count', opts.count, 1_000_000);
        let listen: { host: string; port: number } | undefined;
        if (opts.listen !== undefined) {
          const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(opts.listen);
          if (!m || Number(m[3]) > 65_535) throw new UsageError(`--listen ${JSON.stringify(opts.listen)} must be ADDR:PORT (IPv6 as [ADDR]:PORT)`);
          listen = { host: m[1] ?? m[2]!, port: Number(m[3]) };
        }
        const { runFleetCommand } = await import('../admin/fleet-view/command.ts');
        return runFleetCommand({ servers: opts.servers, config: opts.config, intervalSec, deadlineMs, once: opts.once === true, json: opts.json === true, listen, allow: opts.allow, showUsers: opts.showUsers === true, count });
      }),
    );

  program
    .command('netns-cleanup')
    .description('delete the ltspf* network namespaces of fleet test runs whose process is gone')
    .option('--all', 'also those of runs still alive')
    .action((opts: { all?: boolean }) =>
      run(async () => {
        const { requireRoot } = await import('../testing/fleet/netns.ts');
        requireRoot('netns-cleanup');
        const { cleanupLeftovers } = await import('../testing/fleet/cleanup.ts');
        for (const ns of cleanupLeftovers({ includeLive: opts.all === true })) process.stdout.write(`${ns}\n`);
        return 0;
      }),
    );
  return program;
}

await runProgram(buildProgram);
