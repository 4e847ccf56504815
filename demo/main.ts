/**
 * `npm run demo`: the README's first command, and the demo's only entry point. It runs from the
 * source tree (each command from its source under tsx, /proc snapshots from testing/fixtures/proc),
 * so it is not part of the shipped ltsp-balance: the bundles carry no fixtures and no test harness.
 * Flags: --port N, --no-chooser.
 */
import { parseArgs } from 'node:util';
import { runCli } from '../shared/cli.ts';
import { UsageError } from '../shared/errors.ts';
import { flagValue } from '../shared/options.ts';

await runCli(async () => {
  let values;
  try {
    ({ values } = parseArgs({ options: { port: { type: 'string', default: '3777' }, 'no-chooser': { type: 'boolean' } }, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const port = flagValue({ kind: 'port', what: 'the demo daemons\' port', flag: '--port', min: 1 }, values.port);
  const { runDemo } = await import('./run.ts');
  return runDemo({ port, chooser: !values['no-chooser'], out: process.stdout });
});
