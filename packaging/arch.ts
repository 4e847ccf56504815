/**
 * Debian architectures the arch-specific packages are built for, and what each is called by Node
 * and by koffi. koffi publishes one prebuilt binary per platform in its own npm package
 * (@koromix/koffi-linux-<node arch>, with the glibc build in linux_<abi>/koffi.node); npm installs
 * only the build machine's. These four are the architectures of LTSP 5 thin clients and servers
 * (i386 and armhf chroots are common) for which both Debian ships nodejs and koffi ships a binary.
 */
import { execFileSync } from 'node:child_process';
import { BalanceError } from '../shared/errors.ts';
import { EXIT } from '../shared/exit-codes.ts';

export interface ArchInfo {
  /** Debian's name (dpkg --print-architecture). */
  debian: string;
  /** process.arch on that architecture. */
  node: string;
  /** The folder of the glibc binary inside the koffi binary package. */
  koffiDir: string;
}

export const ARCHITECTURES: readonly ArchInfo[] = [
  { debian: 'amd64', node: 'x64', koffiDir: 'linux_x64' },
  { debian: 'i386', node: 'ia32', koffiDir: 'linux_ia32' },
  { debian: 'armhf', node: 'arm', koffiDir: 'linux_armhf' },
  { debian: 'arm64', node: 'arm64', koffiDir: 'linux_arm64' },
];

export class ArchError extends BalanceError {
  constructor(message: string) {
    super('ERR_PACKAGE_ARCH', message, { exitCode: EXIT.usage });
  }
}

export function archInfo(debian: string): ArchInfo {
  const a = ARCHITECTURES.find((x) => x.debian === debian);
  if (!a) throw new ArchError(`architecture ${JSON.stringify(debian)} is not supported: ${ARCHITECTURES.map((x) => x.debian).join(', ')} (koffi's prebuilt binaries and Debian's nodejs)`);
  return a;
}

/** The build machine's Debian architecture. */
export function hostArch(): string {
  return execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
}
