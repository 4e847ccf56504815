/**
 * ltsp-winbind-pool: the winbind worker pool daemon (`serve`) and its clients (`auth`, the lookups,
 * `status`). Arguments are parsed here (winbind-pool/program.ts); the component is imported only
 * once they are valid. Exit codes: shared/exit-codes.ts and winbind-pool/README.md (PAM's values).
 */
import { runProgram } from '../shared/program.ts';
import { buildPoolProgram } from '../winbind-pool/program.ts';

// Workers are this same program (the bundle, or the source under tsx) with the hidden subcommand.
await runProgram((run) => buildPoolProgram(run, { self: { script: process.argv[1]!, execArgv: process.execArgv } }));
