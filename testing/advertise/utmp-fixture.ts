/**
 * Writes real utmp files (glibc's 384-byte x86_64 `struct utmp`) for tests: the daemon reads them
 * through --utmp exactly as it reads /var/run/utmp. Other components' tests may import this to give
 * a daemon sessions.
 */
import { writeFileSync } from 'node:fs';

export const BOOT_TIME = 2;
export const LOGIN_PROCESS = 6;
export const USER_PROCESS = 7;
export const DEAD_PROCESS = 8;

export interface UtmpEntry {
  type?: number;
  user: string;
  line?: string;
  pid?: number;
  host?: string;
  /** Login time, seconds since the epoch (default: now). */
  tvSec?: number;
}

export function utmpRecord(e: UtmpEntry): Buffer {
  const b = Buffer.alloc(384);
  b.writeInt16LE(e.type ?? USER_PROCESS, 0);
  b.writeInt32LE(e.pid ?? 1000, 4);
  b.write(e.line ?? 'pts/0', 8, 32, 'utf8');
  b.write('ts/0', 40, 4, 'latin1');
  b.write(e.user, 44, 32, 'utf8');
  b.write(e.host ?? '192.0.2.10', 76, 256, 'utf8');
  b.writeInt32LE(e.tvSec ?? Math.floor(Date.now() / 1000), 340);
  return b;
}

export function utmpBytes(entries: UtmpEntry[]): Buffer {
  return Buffer.concat(entries.map(utmpRecord));
}

export function writeUtmp(path: string, entries: UtmpEntry[]): void {
  writeFileSync(path, utmpBytes(entries));
}
