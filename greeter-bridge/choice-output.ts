/**
 * Where an accepted choice goes for LDM: the host name alone, `<host>\n` (the advertise port in the
 * snapshot token is ours, never LDM's: LDM's ssh takes a host name), on stdout (a wrapper reads it
 * with `read`) or in a file replaced atomically (shared/fs/atomic-write.ts: temp file, fsync,
 * rename), so a reader never sees half a name. The greeter wrapper (greeter-wrapper/choice-file.ts)
 * reads that file when LDM asks for the host, and only a choice written during its own greeter session.
 */
import { writeFileAtomic } from '../shared/fs/atomic-write.ts';
import { parseServerList } from '../balance/servers.ts';

export type ChoiceOutput = (server: string) => void;

/** The host part of a snapshot token (`host`, `host:port`, `[v6]:port`). */
export function choiceHost(server: string): string {
  const [address] = parseServerList(server, 'choice');
  if (!address) throw new RangeError(`not a server: ${JSON.stringify(server.slice(0, 40))}`);
  return address.host;
}

export function choiceOutput(path: string | undefined): ChoiceOutput {
  if (!path) return (server) => void process.stdout.write(`${choiceHost(server)}\n`);
  return (server) => writeFileAtomic(path, `${choiceHost(server)}\n`, 0o644);
}
