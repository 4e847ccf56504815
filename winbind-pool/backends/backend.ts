/**
 * What a worker calls: every method is synchronous, as libwbclient is, and either returns the
 * result or throws a PoolError (DeniedError, NotFoundError, UnavailableError, InternalError).
 * Running such calls in separate processes is the whole point of the pool.
 */
import type { AuthResult, BackendRequest, Group, GroupsResult, Passwd } from '../protocol.ts';
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

/** Loads only the module of the backend asked for: the winbind one pulls in koffi. */
export async function loadBackend(spec: BackendSpec): Promise<Backend> {
  switch (spec.kind) {
    case 'winbind':
      return new (await import('./winbind.ts')).WinbindBackend(spec.library);
    case 'local':
      return new (await import('./local.ts')).LocalBackend(spec.passwdFile, spec.groupFile);
    case 'blocking':
      return new (await import('../../testing/winbind-pool/blocking-backend.ts')).BlockingBackend(spec.blockMs, spec.password);
  }
}

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
