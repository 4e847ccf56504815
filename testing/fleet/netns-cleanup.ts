/**
 * `npm run netns-cleanup [-- --all]`: deletes the ltspf* network namespaces (and message queues) of
 * fleet test runs whose process is gone; with --all, those of live runs too. Test tooling, so it is
 * a script of the source tree, not a subcommand of the shipped ltsp-balance.
 */
import { parseArgs } from 'node:util';
import { runCli } from '../../shared/cli.ts';
import { UsageError } from '../../shared/errors.ts';
import { EXIT } from '../../shared/exit-codes.ts';
import { requireRoot } from './netns.ts';
import { cleanupLeftovers } from './cleanup.ts';

await runCli(async () => {
  let all: boolean | undefined;
  try {
    ({ values: { all } } = parseArgs({ options: { all: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  requireRoot('netns-cleanup');
  for (const ns of cleanupLeftovers({ includeLive: all === true })) process.stdout.write(`${ns}\n`);
  return EXIT.ok;
});
