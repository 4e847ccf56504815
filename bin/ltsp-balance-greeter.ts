/**
 * ltsp-balance-greeter: LDM's greeter, wrapped (installed as /usr/share/ltsp/ltsp-balance-greeter in
 * the thin client's chroot, enabled with `LDM_GREETER = /usr/share/ltsp/ltsp-balance-greeter` in
 * lts.conf). LDM runs it with no arguments and talks to it over stdin/stdout; see
 * greeter-wrapper/README.md. Bundled as CommonJS like get_hosts: it runs on the chroot's own Node.
 */
import { runCli } from '../shared/cli.ts';

const USAGE = `Usage: ltsp-balance-greeter

LDM's greeter with the load balancer's answer at login. Set in lts.conf:
  LDM_GREETER = /usr/share/ltsp/ltsp-balance-greeter
  LDM_BALANCE_GREETER = ldmgtkgreet     (the real greeter; the default)
It starts the real greeter and passes LDM's protocol through; LDM's "hostname" question gets the
user's pick if still usable, else the server to use now. No options.
`;

void runCli(async () => {
  if (process.argv.length > 2) {
    process.stdout.write(USAGE);
    return process.argv[2] === '--help' || process.argv[2] === '-h' ? 0 : 2;
  }
  const { runGreeterWrapper } = await import('../greeter-wrapper/main.ts');
  return runGreeterWrapper(process.env, process.argv[1] ?? '');
}).then(() => {
  // A name lookup still pending in the thread pool must not keep LDM waiting for this process.
  process.exit();
});
