/**
 * The login sessions on this server, from utmp (utmp(5)): binary `struct utmp` records as glibc
 * writes them on 64-bit Linux (x86_64, arm64, ppc64le, s390x all share this 384-byte layout, with
 * 32-bit time fields). Only USER_PROCESS records are sessions; the name list goes into the TCP
 * document, the counts into both.
 *
 *   offset  size  field
 *        0     2  ut_type (short, then 2 bytes padding)
 *        4     4  ut_pid
 *        8    32  ut_line
 *       40     4  ut_id
 *       44    32  ut_user (NUL-padded, not necessarily NUL-terminated)
 *       76   256  ut_host
 *      332     4  ut_exit
 *      336     4  ut_session
 *      340     4  ut_tv.tv_sec (int32)
 *      344     4  ut_tv.tv_usec
 *      348    16  ut_addr_v6
 *      364    20  unused
 */
import { USER_NAME_PATTERN } from '../shared/wire/advertisement.ts';
import { SourceMalformedError } from './errors.ts';
import { readRegularFileCapped } from '../shared/fs/read-capped.ts';

export const UTMP_RECORD_BYTES = 384;
export const USER_PROCESS = 7;
export const UT_USER_OFFSET = 44;
export const UT_USER_BYTES = 32;
export const UT_TV_SEC_OFFSET = 340;
/** 20,000 records: far more than any server has sessions, small enough to read every second. */
export const UTMP_MAX_BYTES = 20_000 * UTMP_RECORD_BYTES;
export const RECENT_LOGIN_SECONDS = 60;

export interface Sessions {
  sessions: number;
  users: number;
  loginsLast60s: number;
  /** One per session, in utmp order; names the wire format cannot carry are left out (still counted). */
  userNames: string[];
}

export const NO_SESSIONS: Sessions = Object.freeze({ sessions: 0, users: 0, loginsLast60s: 0, userNames: [] }) as Sessions;

/**
 * Parses whole records. A trailing partial record (a writer caught mid-write, or not a utmp file at
 * all) is an error: the counts would be a guess.
 */
export function parseUtmp(bytes: Buffer, nowSec: number, file = 'utmp'): Sessions {
  if (bytes.length % UTMP_RECORD_BYTES !== 0) {
    throw new SourceMalformedError(file, 'size', `${bytes.length} bytes is not a whole number of ${UTMP_RECORD_BYTES}-byte records`);
  }
  let sessions = 0;
  let loginsLast60s = 0;
  const distinct = new Set<string>();
  const userNames: string[] = [];
  for (let at = 0; at < bytes.length; at += UTMP_RECORD_BYTES) {
    if (bytes.readInt16LE(at) !== USER_PROCESS) continue;
    sessions++;
    const raw = bytes.subarray(at + UT_USER_OFFSET, at + UT_USER_OFFSET + UT_USER_BYTES);
    const nul = raw.indexOf(0);
    const name = raw.subarray(0, nul === -1 ? raw.length : nul).toString('utf8');
    distinct.add(name);
    if (USER_NAME_PATTERN.test(name)) userNames.push(name);
    const started = bytes.readInt32LE(at + UT_TV_SEC_OFFSET);
    // A clock that went back can put a login slightly in the future: still recent.
    if (nowSec - started < RECENT_LOGIN_SECONDS && started - nowSec < RECENT_LOGIN_SECONDS) loginsLast60s++;
  }
  return { sessions, users: distinct.size, loginsLast60s, userNames };
}

export async function readUtmp(path: string, nowSec: number): Promise<Sessions> {
  return parseUtmp(await readRegularFileCapped(path, UTMP_MAX_BYTES), nowSec, path);
}
