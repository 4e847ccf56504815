/**
 * The embedded backend's two files, in the formats of /etc/passwd and /etc/group, except that the
 * passwd file's second field holds an scrypt hash (see password-hash.ts) instead of "x":
 *
 *   alice:$scrypt$ln=14,r=8,p=1$...$...:20001:100:Alice:/home/alice:/bin/bash
 *   staff:x:100:alice,bob
 *
 * A hash starting with `!` or `*` marks a locked account. Blank lines and `#` comments are skipped.
 * Files are size-capped and every field is checked; an error names the file and the line.
 */
import { ConfigError } from '../../shared/errors.ts';
import { readFileCapped } from '../../shared/fs/read-capped.ts';
import type { Group, Passwd } from '../protocol.ts';
import { parseHash, type ScryptHash } from './password-hash.ts';

export const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_ID = 0xfffffffe;
const NAME_RE = /^[^\s:,\x00-\x1f\x7f]{1,256}$/;

export interface LocalUser extends Passwd {
  /** null: locked account. */
  hash: ScryptHash | null;
}

export interface LocalDb {
  usersByName: Map<string, LocalUser>;
  usersByUid: Map<number, LocalUser>;
  groupsByName: Map<string, Group>;
  groupsByGid: Map<number, Group>;
}

function readLocalFile(path: string, key: string): string {
  try {
    return readFileCapped(path, MAX_FILE_BYTES).toString('utf8');
  } catch (err) {
    throw new ConfigError(key, `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function records(text: string, fields: number, where: (n: number) => string, key: string): [number, string[]][] {
  const out: [number, string[]][] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.startsWith('#')) return;
    const parts = line.split(':');
    if (parts.length !== fields) throw new ConfigError(key, `${where(i + 1)}: expected ${fields} fields separated by ":", got ${parts.length}`);
    out.push([i + 1, parts]);
  });
  return out;
}

function id(text: string, what: string, at: string, key: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > MAX_ID) throw new ConfigError(key, `${at}: ${what} must be an integer from 0 to ${MAX_ID}, got ${JSON.stringify(text)}`);
  return Number(text);
}

function name(text: string, what: string, at: string, key: string): string {
  if (!NAME_RE.test(text)) throw new ConfigError(key, `${at}: ${what} ${JSON.stringify(text.slice(0, 40))} is not a valid name`);
  return text;
}

export function parsePasswd(text: string, file = 'passwd', key = 'passwdFile'): LocalUser[] {
  const seen = new Set<string>();
  return records(text, 7, (n) => `${file}:${n}`, key).map(([n, [user, hash, uid, gid, gecos, dir, shell]]) => {
    const at = `${file}:${n}`;
    const entry: LocalUser = {
      name: name(user!, 'user name', at, key),
      hash: null,
      uid: id(uid!, 'uid', at, key),
      gid: id(gid!, 'gid', at, key),
      gecos: gecos!,
      dir: dir!,
      shell: shell!,
    };
    if (seen.has(entry.name)) throw new ConfigError(key, `${at}: user ${entry.name} appears twice`);
    seen.add(entry.name);
    if (!/^[!*]/.test(hash!)) {
      try {
        entry.hash = parseHash(hash!);
      } catch (err) {
        throw new ConfigError(key, `${at}: ${(err as Error).message}`, { cause: err });
      }
    }
    return entry;
  });
}

export function parseGroup(text: string, file = 'group', key = 'groupFile'): Group[] {
  const seen = new Set<string>();
  return records(text, 4, (n) => `${file}:${n}`, key).map(([n, [group, , gid, members]]) => {
    const at = `${file}:${n}`;
    const entry: Group = {
      name: name(group!, 'group name', at, key),
      gid: id(gid!, 'gid', at, key),
      members: members === '' ? [] : members!.split(',').map((m) => name(m, 'member', at, key)),
    };
    if (seen.has(entry.name)) throw new ConfigError(key, `${at}: group ${entry.name} appears twice`);
    seen.add(entry.name);
    return entry;
  });
}

/** Reads and indexes both files. Throws ConfigError. The first entry wins for a duplicate id, as NSS does. */
export function loadLocalDb(passwdFile: string, groupFile: string | null): LocalDb {
  const db: LocalDb = { usersByName: new Map(), usersByUid: new Map(), groupsByName: new Map(), groupsByGid: new Map() };
  for (const u of parsePasswd(readLocalFile(passwdFile, 'passwdFile'), passwdFile)) {
    db.usersByName.set(u.name, u);
    if (!db.usersByUid.has(u.uid)) db.usersByUid.set(u.uid, u);
  }
  if (groupFile !== null) {
    for (const g of parseGroup(readLocalFile(groupFile, 'groupFile'), groupFile)) {
      db.groupsByName.set(g.name, g);
      if (!db.groupsByGid.has(g.gid)) db.groupsByGid.set(g.gid, g);
    }
  }
  return db;
}
