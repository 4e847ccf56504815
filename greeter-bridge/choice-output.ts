/**
 * Where an accepted choice goes for LDM: one line `<server>\n` on stdout (a wrapper reads it with
 * `read`), or a file replaced atomically (shared/fs/atomic-write.ts), so a reader never sees half a name.
 */
import { writeFileAtomic } from '../shared/fs/atomic-write.ts';

export type ChoiceOutput = (server: string) => void;

export function choiceOutput(path: string | undefined): ChoiceOutput {
  if (!path) return (server) => void process.stdout.write(`${server}\n`);
  return (server) => writeFileAtomic(path, `${server}\n`, 0o644);
}
