/**
 * get_hosts: LDM's hook (/usr/share/ltsp/get_hosts). Run with no arguments it prints the host list
 * LDM needs on stdout, chosen host first. Flags are for people and scripts; see get-hosts/README.md.
 *
 * The arguments are parsed with node:util's parseArgs rather than commander: this runs at every
 * greeter start on weak thin clients, and parseArgs costs nothing to load (commander's import is
 * measured in bench/get-hosts/cold-start.ts). The component is imported only after the arguments
 * are known to be valid.
 */
import { parseArgs } from 'node:util';
import { runCli } from '../shared/cli.ts';
import { UsageError } from '../shared/errors.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { versionLine } from '../shared/version.ts';

const USAGE = `Usage: get_hosts [options]

Prints the application servers for LDM, chosen one first (no options: exactly what LDM needs).

Options:
  --config FILE      read this lts.conf instead of /etc/lts.conf
  --servers LIST     servers to query, "host[:port]" separated by spaces or commas
                     (instead of LDM_BALANCE_SERVERS)
  --algorithm NAME   two-choices, best, weighted, machash, random, fixed, loadbalancer
  --mac ADDR         this client's MAC for lts.conf sections and machash
  --timeout TIME     the overall deadline: 300ms, 0.5s; a bare number is ms
                     (10ms..10s, default 300ms)
  --seed N           seed the random choices (reproducible runs)
  --explain          print per server what it reported, its status and why the winner won
  --json             the same as JSON, on one line
  --replay FILE      decide again, with no network, from get_hosts --json lines in FILE
                     (each may add "override": {"algorithm", "mac", "seed"}); one decision per line
  --write-code-cache (root; the client package's postinst runs it) compile this
                     installed bundle once and save V8's code cache for this Node
                     in /var/cache/ltsp-balance/, which later starts then use
  -h, --help         this help
  -V, --version      print the version
`;

// No top-level await: the same source bundles to CommonJS too (see get-hosts/README.md, start-up).
void runCli(async () => {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        servers: { type: 'string' },
        algorithm: { type: 'string' },
        mac: { type: 'string' },
        timeout: { type: 'string' },
        seed: { type: 'string' },
        explain: { type: 'boolean' },
        json: { type: 'boolean' },
        replay: { type: 'string' },
        'write-code-cache': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (get_hosts --help lists the options)`);
  }
  const { help, version, replay, 'write-code-cache': writeCache, ...args } = parsed.values;
  if (help || version) {
    process.stdout.write(help ? USAGE : versionLine('get_hosts'));
    return EXIT.ok;
  }
  if (writeCache) {
    if (replay !== undefined || Object.keys(args).length > 0) throw new UsageError('--write-code-cache takes no other option');
    const { writeCodeCache } = await import('../get-hosts/code-cache.ts');
    return writeCodeCache();
  }
  if (replay !== undefined) {
    if (Object.keys(args).length > 0) throw new UsageError('--replay takes no other option: the settings come from each line');
    const { replayFile } = await import('../get-hosts/replay.ts');
    // Partial (5) when any line was rejected (each one was reported on stderr), 0 when every line decided.
    return (await replayFile(replay, (text) => void process.stdout.write(text))) > 0 ? EXIT.partial : EXIT.ok;
  }
  const { runGetHosts } = await import('../get-hosts/main.ts');
  // After main.ts and the built-in modules it loads (see v8-flags.ts), before any real work.
  (await import('../get-hosts/v8-flags.ts')).skipOptimizingCompilers();
  return runGetHosts(args, { env: process.env, write: (text) => void process.stdout.write(text) });
}).then(() => {
  // Nothing that matters is left once the list is printed (stdout to a pipe or file is written
  // synchronously on Linux): a socket or timer still open must not keep LDM waiting. This does NOT
  // cut short a dns.lookup (process.exit waits for libuv's thread pool), which is why names are
  // resolved by balance/probe/resolve.ts, never by dns.lookup.
  process.exit();
});
