/**
 * The embedded default backend: users and groups from two local files (local-files.ts), passwords
 * checked against scrypt hashes. The files are re-read when they change; a broken edit keeps the
 * last good version and is logged once.
 */
import { statSync } from 'node:fs';
import { logWarning } from '../../shared/log.ts';
import { DeniedError, NotFoundError, UnavailableError } from '../errors.ts';
import type { AuthResult, Group, GroupsResult, Passwd } from '../protocol.ts';
import type { Backend } from './backend.ts';
import { loadLocalDb, type LocalDb, type LocalUser } from './local-files.ts';
import { burnPasswordCheck, verifyPassword } from './password-hash.ts';

function signature(path: string | null): string {
  if (path === null) return '';
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

export class LocalBackend implements Backend {
  private db: LocalDb;
  private seen: string;

  constructor(
    private readonly passwdFile: string,
    private readonly groupFile: string | null,
  ) {
    this.seen = this.signatures();
    this.db = loadLocalDb(passwdFile, groupFile);
  }

  private signatures(): string {
    return `${signature(this.passwdFile)}|${signature(this.groupFile)}`;
  }

  private current(): LocalDb {
    const now = this.signatures();
    if (now !== this.seen) {
      this.seen = now;
      try {
        this.db = loadLocalDb(this.passwdFile, this.groupFile);
      } catch (err) {
        logWarning(`keeping the previous user database: ${(err as Error).message}`);
      }
    }
    return this.db;
  }

  private user(name: string): LocalUser {
    const u = this.current().usersByName.get(name);
    if (!u) throw new NotFoundError(`no such user: ${name}`);
    return u;
  }

  auth(user: string, password: string): AuthResult {
    const u = this.current().usersByName.get(user);
    if (!u) {
      burnPasswordCheck(password);
      throw new DeniedError('authentication failed', 'unknown_user');
    }
    if (u.hash === null) {
      burnPasswordCheck(password);
      throw new DeniedError('authentication failed', 'account_disabled');
    }
    let ok: boolean;
    try {
      ok = verifyPassword(password, u.hash);
    } catch (err) {
      throw new UnavailableError(`cannot check the password: ${(err as Error).message}`, 'hash_error');
    }
    if (!ok) throw new DeniedError('authentication failed', 'wrong_password');
    return { user: u.name };
  }

  getpwnam(name: string): Passwd {
    return publicEntry(this.user(name));
  }

  getpwuid(uid: number): Passwd {
    const u = this.current().usersByUid.get(uid);
    if (!u) throw new NotFoundError(`no such uid: ${uid}`);
    return publicEntry(u);
  }

  getgrnam(name: string): Group {
    const g = this.current().groupsByName.get(name);
    if (!g) throw new NotFoundError(`no such group: ${name}`);
    return g;
  }

  getgrgid(gid: number): Group {
    const g = this.current().groupsByGid.get(gid);
    if (!g) throw new NotFoundError(`no such gid: ${gid}`);
    return g;
  }

  groups(user: string): GroupsResult {
    const u = this.user(user);
    const gids = [u.gid];
    for (const g of this.current().groupsByName.values()) {
      if (g.members.includes(u.name) && !gids.includes(g.gid)) gids.push(g.gid);
    }
    return { user: u.name, gids };
  }

  ping(): Record<string, never> {
    this.current();
    return {};
  }
}

/** The hash stays inside the worker. */
function publicEntry(u: LocalUser): Passwd {
  return { name: u.name, uid: u.uid, gid: u.gid, gecos: u.gecos, dir: u.dir, shell: u.shell };
}
