/** The harness's strict form of admin/run-command.ts: a command that fails is an error with its stderr tail. */
import { runCommand, type CommandOptions } from '../../admin/run-command.ts';
import { FleetCommandError } from './errors.ts';

/** Rejects with FleetCommandError unless the command exits 0. */
export async function mustRun(argv: readonly string[], options: CommandOptions = {}): Promise<string> {
  const r = await runCommand(argv, options);
  if (r.status !== 0) throw new FleetCommandError(argv, r.status, r.signal, r.stderr);
  return r.stdout;
}
