/**
 * ltsp-balance-greeter: LDM's greeter, wrapped (installed as /usr/share/ltsp/ltsp-balance-greeter in
 * the thin client's chroot, enabled with `LDM_GREETER = /usr/share/ltsp/ltsp-balance-greeter` in
 * lts.conf). LDM runs it with no arguments and talks to it over stdin/stdout; see
 * greeter-wrapper/README.md. Bundled as CommonJS like get_hosts (it runs on the chroot's own Node),
 * and like get_hosts it parses with node:util's parseArgs: it starts at every greeter start.
 */
import { parseArgs } from 'node:util';
import { runCli } from '../shared/cli.ts';
import { UsageError } from '../shared/errors.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { versionLine } from '../shared/version.ts';

const USAGE = `Usage: ltsp-balance-greeter

LDM's greeter with the load balancer's answer at login. Set in lts.conf:
  LDM_GREETER = /usr/share/ltsp/ltsp-balance-greeter
  LDM_BALANCE_GREETER = ldmgtkgreet     (the real greeter; the default)
It starts the real greeter and passes LDM's protocol through; LDM's "hostname" question gets the
user's pick if still usable, else the server to use now. LDM runs it with no arguments.

Options:
  -h, --help         this help
  -V, --version      print the version
`;

// No top-level await: the same source bundles to CommonJS.
void runCli(async () => {
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), strict: true, allowPositionals: false, options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' } } });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (ltsp-balance-greeter --help lists the options)`);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (parsed.values.version) {
    process.stdout.write(versionLine('ltsp-balance-greeter'));
    return EXIT.ok;
  }
  const { runGreeterWrapper } = await import('../greeter-wrapper/main.ts');
  return runGreeterWrapper(process.env, process.argv[1] ?? '');
}).then(() => {
  // A name lookup still pending in the thread pool must not keep LDM waiting for this process.
  process.exit();
});
