// The worker program the pool forks when it is not told otherwise (the bundled CLI forks itself
// with the hidden `worker` subcommand instead).
import { runWorker } from './worker.ts';

await runWorker();
