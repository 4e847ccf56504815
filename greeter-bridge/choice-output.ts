/**
 * Where an accepted choice goes for LDM: one line `<server>\n` on stdout (a wrapper reads it with
 * `read`), or a file replaced atomically (temp file + rename), so a reader never sees half a name.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type ChoiceOutput = (server: string) => void;

export function choiceOutput(path: string | undefined): ChoiceOutput {
  if (!path) return (server) => void process.stdout.write(`${server}\n`);
  return (server) => {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    writeFileSync(tmp, `${server}\n`, { mode: 0o644 });
    renameSync(tmp, path);
  };
}
