/**
 * `ltsp-winbind-pool` exactly as shipped (winbind-pool/program.ts), plus `--backend blocking` and
 * `--block-ms`, for the daemon tests that need calls which block for a set time. Tests run this file
 * instead of bin/ltsp-winbind-pool.ts only when they need that backend; the shipped command has no
 * such option (test/winbind-pool/daemon.test.ts checks that it refuses it).
 */
import { InvalidArgumentError, Option } from 'commander';
import { runProgram } from '../../shared/program.ts';
import { buildPoolProgram } from '../../winbind-pool/program.ts';
import { blockingSpec, loadWithTestBackends } from './blocking-backend.ts';

const blockMs = new Option('--block-ms <ms>', 'blocking backend: time each call blocks').argParser((t) => {
  if (!/^\d{1,6}$/.test(t)) throw new InvalidArgumentError('must be a whole number of ms');
  return Number(t);
});

await runProgram((run) =>
  buildPoolProgram(run, {
    self: { script: process.argv[1]!, execArgv: process.execArgv },
    extraBackends: [{ name: 'blocking', options: [blockMs], spec: (o) => blockingSpec((o.blockMs as number | undefined) ?? 10), load: loadWithTestBackends }],
  }),
);
