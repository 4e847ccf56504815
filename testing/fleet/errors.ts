/**
 * The fleet's own failures, each with a stable code (admin/README.md lists them). The harness
 * throws at once for a missing privilege or a bad argument; a command that fails in a namespace
 * rejects with the command, its exit status and the tail of its stderr, so a CI log says why.
 */
import { BalanceError } from '../../shared/errors.ts';

/** Network namespaces, bridges and tc need CAP_NET_ADMIN + CAP_SYS_ADMIN: we require root. */
export class NotRootError extends BalanceError {
  constructor(what: string) {
    super('ERR_FLEET_NOT_ROOT', `${what} needs root (network namespaces, bridges and tc); running as uid ${process.getuid?.() ?? '?'}`);
  }
}

export class FleetCommandError extends BalanceError {
  readonly argv: readonly string[];
  readonly status: number | null;
  readonly stderr: string;
  constructor(argv: readonly string[], status: number | null, signal: string | null, stderr: string) {
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    super(
      'ERR_FLEET_COMMAND',
      `"${argv.join(' ')}" ${signal ? `was killed by ${signal}` : `exited with ${status}`}${tail ? `: ${tail}` : ''}`,
    );
    this.argv = argv;
    this.status = status;
    this.stderr = stderr;
  }
}

/** The kernel has no sch_netem: loss still works (see link-faults.ts), delay cannot. */
export class NetemUnavailableError extends BalanceError {
  constructor() {
    super('ERR_FLEET_NETEM_UNAVAILABLE', 'this kernel has no sch_netem qdisc: link delay cannot be emulated (loss still can)');
  }
}

export class FleetArgumentError extends BalanceError {
  constructor(message: string) {
    super('ERR_FLEET_ARGUMENT', message, { exitCode: 2 });
  }
}

/** A process started in the fleet did not become ready (port open, line printed) in time. */
export class FleetTimeoutError extends BalanceError {
  constructor(message: string) {
    super('ERR_FLEET_TIMEOUT', message);
  }
}
