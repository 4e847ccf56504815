/**
 * ssh-keyscan, one process per server, a few at a time. One process per server (rather than one
 * for the whole list) is what tells us which server did not answer: ssh-keyscan itself reports an
 * unreachable host only as a missing line. Its output is checked line by line, since a hostile
 * sshd chooses part of what ssh-keyscan prints.
 */
import { runCommand } from '../run-command.ts';
import { knownHostsName, type SshTarget } from './extraservers.ts';

export interface ScanResult {
  target: SshTarget;
  /** known_hosts lines for this target (empty when it did not answer). */
  lines: string[];
  /** Why there are no lines (ssh-keyscan's last message, or the exit status). */
  error?: string;
}

export interface ScanOptions {
  /** ssh-keyscan -T: seconds per connection. */
  timeoutSec: number;
  concurrency?: number;
  keyscan?: string;
}

const KEY_TYPE = /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]{16,16384}={0,2}$/;
const MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * The lines of ssh-keyscan's output (or of our earlier file, whose lines name a host and its
 * addresses: `app1,10.0.0.1 ssh-ed25519 ...`) that are well-formed keys for exactly this target.
 */
export function keyLines(output: string, target: SshTarget): string[] {
  const name = knownHostsName(target);
  const out: string[] = [];
  for (const line of output.split('\n')) {
    const [host, type, key, ...rest] = line.trim().split(/\s+/);
    if (rest.length > 0 || !host?.split(',').includes(name) || !type || !key) continue;
    if (!KEY_TYPE.test(type) || !BASE64.test(key)) continue;
    const entry = `${host} ${type} ${key}`;
    if (!out.includes(entry)) out.push(entry);
  }
  return out;
}

export async function scanHost(target: SshTarget, options: ScanOptions): Promise<ScanResult> {
  const argv = [options.keyscan ?? 'ssh-keyscan', '-T', String(options.timeoutSec), '-p', String(target.port), '--', target.host];
  try {
    // ssh-keyscan's -T is per read; the outer limit catches a server that trickles bytes.
    const r = await runCommand(argv, { timeoutMs: (options.timeoutSec * 3 + 5) * 1000, maxBytes: MAX_OUTPUT_BYTES });
    const lines = keyLines(r.stdout, target);
    if (lines.length > 0) return { target, lines };
    const said = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    return { target, lines, error: said.at(-1) ?? (r.signal ? `ssh-keyscan killed by ${r.signal} (timeout)` : 'no host key received') };
  } catch (err) {
    return { target, lines: [], error: `cannot run ssh-keyscan: ${(err as Error).message}` };
  }
}

/** Scans every target, at most `concurrency` at once; results in the targets' order. */
export async function scanAll(targets: readonly SshTarget[], options: ScanOptions): Promise<ScanResult[]> {
  const results: ScanResult[] = new Array(targets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      results[i] = await scanHost(targets[i]!, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, targets.length) }, worker));
  return results;
}
