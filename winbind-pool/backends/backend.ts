/**
 * What a worker calls: every method is synchronous, as libwbclient is, and either returns the
 * result or throws a PoolError (DeniedError, NotFoundError, UnavailableError, InternalError).
 * Running such calls in separate processes is the whole point of the pool.
 */
import type { AuthResult, BackendRequest, Group, GroupsResult, Passwd } from '../protocol.ts';
import { ConfigError } from '../../shared/errors.ts';
import type { BackendSpec } from '../settings.ts';

export interface Backend {
  auth(user: string, password: string): AuthResult;
  getpwnam(name: string): Passwd;
  getpwuid(uid: number): Passwd;
  getgrnam(name: string): Group;
  getgrgid(gid: number): Group;
  groups(user: string): GroupsResult;
  ping(): Record<string, never>;
}

/** How a worker (and the daemon's start-up check) turns a spec into a backend. */
export type BackendLoader = (spec: BackendSpec) => Promise<Backend>;

/**
 * The shipped loader: the product backends only, each module loaded only when asked for (the winbind
 * one pulls in koffi). A test backend is refused here; testing/winbind-pool/ has its own loader.
 */
export const loadBackend: BackendLoader = async (spec) => {
  switch (spec.kind) {
    case 'winbind':
      return new (await import('./winbind.ts')).WinbindBackend(spec.library);
    case 'local':
      return new (await import('./local.ts')).LocalBackend(spec.passwdFile, spec.groupFile);
    case 'test':
      throw new ConfigError('backend', `the test backend ${JSON.stringify(spec.name)} is not part of ltsp-winbind-pool`);
  }
};

export function callBackend(backend: Backend, req: BackendRequest): unknown {
  switch (req.op) {
    case 'auth':
      return backend.auth(req.user, req.password);
    case 'getpwnam':
      return backend.getpwnam(req.name);
    case 'getpwuid':
      return backend.getpwuid(req.uid);
    case 'getgrnam':
      return backend.getgrnam(req.name);
    case 'getgrgid':
      return backend.getgrgid(req.gid);
    case 'groups':
      return backend.groups(req.user);
    case 'ping':
      return backend.ping();
  }
}
