/**
 * `npm run demo`: the README's first command. Same as `ltsp-balance demo` with its defaults;
 * flags: --port N, --no-chooser.
 */
import { parseArgs } from 'node:util';
import { runCli } from '../shared/cli.ts';
import { UsageError } from '../shared/errors.ts';

await runCli(async () => {
  let values;
  try {
    ({ values } = parseArgs({ options: { port: { type: 'string', default: '3777' }, 'no-chooser': { type: 'boolean' } }, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const port = Number(values.port);
  if (!/^\d{1,5}$/.test(values.port) || port < 1 || port > 65_535) throw new UsageError(`--port must be 1..65535, got ${JSON.stringify(values.port)}`);
  const { runDemo } = await import('./run.ts');
  return runDemo({ port, chooser: !values['no-chooser'], out: process.stdout });
});
