/**
 * A backend whose every call blocks the worker for a set time, synchronously, like a libwbclient
 * call waiting on winbindd. It measures and exercises the pool (scheduling tests, benchmarks) with
 * the same workers, protocol and daemon as the real backends.
 *
 * A name of the form `block-<ms>` blocks for that long instead; a name starting with `missing` is
 * not found; `auth` succeeds only with the configured password (default `secret`).
 *
 * Test tooling: the shipped daemon cannot load it. Tests reach it through testing/winbind-pool/
 * worker.ts (a Pool's workers) and test-daemon.ts (the daemon's command line with `--backend blocking`).
 */
import { DeniedError, NotFoundError } from '../../winbind-pool/errors.ts';
import type { AuthResult, Group, GroupsResult, Passwd } from '../../winbind-pool/protocol.ts';
import { loadBackend, type Backend, type BackendLoader } from '../../winbind-pool/backends/backend.ts';
import type { TestBackendSpec } from '../../winbind-pool/settings.ts';

const MAX_BLOCK_MS = 600_000;
const SYNTHETIC_ID = 10_000;

export class BlockingBackend implements Backend {
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly blockMs: number,
    private readonly password: string,
  ) {}

  private block(name: string): void {
    const m = /^block-(\d{1,6})$/.exec(name);
    const ms = m ? Math.min(Number(m[1]), MAX_BLOCK_MS) : this.blockMs;
    // Atomics.wait sleeps the whole thread, as a synchronous C call would.
    if (ms > 0) Atomics.wait(this.cell, 0, 0, ms);
  }

  private known(name: string, what: string): void {
    if (name.startsWith('missing')) throw new NotFoundError(`no such ${what}: ${name}`);
  }

  auth(user: string, password: string): AuthResult {
    this.block(user);
    this.known(user, 'user');
    if (password !== this.password) throw new DeniedError('authentication failed', 'wrong_password');
    return { user };
  }

  getpwnam(name: string): Passwd {
    this.block(name);
    this.known(name, 'user');
    return { name, uid: SYNTHETIC_ID, gid: SYNTHETIC_ID, gecos: '', dir: `/home/${name}`, shell: '/bin/sh' };
  }

  getpwuid(uid: number): Passwd {
    this.block('');
    return { name: `user${uid}`, uid, gid: SYNTHETIC_ID, gecos: '', dir: `/home/user${uid}`, shell: '/bin/sh' };
  }

  getgrnam(name: string): Group {
    this.block(name);
    this.known(name, 'group');
    return { name, gid: SYNTHETIC_ID, members: [] };
  }

  getgrgid(gid: number): Group {
    this.block('');
    return { name: `group${gid}`, gid, members: [] };
  }

  groups(user: string): GroupsResult {
    this.block(user);
    this.known(user, 'user');
    return { user, gids: [SYNTHETIC_ID] };
  }

  ping(): Record<string, never> {
    this.block('');
    return {};
  }
}

export const DEFAULT_TEST_PASSWORD = 'secret';

/** The spec a Pool sends its workers for this backend. */
export function blockingSpec(blockMs = 10, password = DEFAULT_TEST_PASSWORD): TestBackendSpec {
  if (!Number.isInteger(blockMs) || blockMs < 0 || blockMs > MAX_BLOCK_MS) throw new RangeError(`blockMs must be 0..${MAX_BLOCK_MS}, got ${blockMs}`);
  return { kind: 'test', name: 'blocking', blockMs, password };
}

/** The shipped loader plus this backend: what the testing entry points' workers use. */
export const loadWithTestBackends: BackendLoader = async (spec) =>
  spec.kind === 'test' && spec.name === 'blocking' ? new BlockingBackend(spec.blockMs as number, spec.password as string) : loadBackend(spec);
