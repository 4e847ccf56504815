/**
 * A real OpenSSH server inside a fleet namespace, with its own host key, for the host-key and
 * login-path scenarios. It runs in a private mount namespace whose /run is a fresh tmpfs: sshd
 * insists on its privilege-separation directory /run/sshd, and this way the host's /run is
 * never touched.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustRun } from './must-run.ts';
import { FleetTimeoutError } from './errors.ts';
import type { Fleet } from './netns.ts';
import type { ManagedProcess } from './process.ts';

export interface RunningSshd {
  process: ManagedProcess;
  address: string;
  port: number;
  /** "ssh-ed25519 AAAA..." as it appears in known_hosts after the host name. */
  publicKey: string;
}

export async function startSshd(fleet: Fleet, hostName: string, dir: string, port = 22): Promise<RunningSshd> {
  const host = fleet.host(hostName);
  const keyPath = join(dir, `${hostName}-${port}-host_ed25519`);
  await mustRun(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', keyPath]);
  const config = join(dir, `${hostName}-${port}-sshd_config`);
  writeFileSync(config, [
    `ListenAddress ${host.address}:${port}`,
    `HostKey ${keyPath}`,
    'PidFile none',
    'UsePAM no',
    'StrictModes no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile none',
    'LogLevel ERROR',
    '',
  ].join('\n'));
  const proc = fleet.spawn(hostName, ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
    'mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd && /usr/sbin/sshd -t -f "$0" && exec /usr/sbin/sshd -D -e -f "$0"', config],
    { label: `sshd ${hostName}:${port}` });
  const died = proc.exited.then(() => {
    throw new FleetTimeoutError(`sshd on ${hostName}:${port} exited (${proc.describeExit()}): ${proc.tail(3)}`);
  });
  await Promise.race([fleet.waitForTcp(hostName, host.address, port, 15_000), died]);
  died.catch(() => {}); // it exits later, at teardown: not an error then
  const publicKey = readFileSync(`${keyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return { process: proc, address: host.address, port, publicKey };
}
