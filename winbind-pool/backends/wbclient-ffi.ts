/**
 * libwbclient bindings through koffi: the declarations of wbclient.h that the winbind backend uses,
 * and readers that copy each result into JS values and free it with wbcFreeMemory.
 *
 * Pointers to results are taken as `void **` and decoded here, so that every allocation the library
 * hands out is freed exactly once, including when decoding fails half-way.
 */
import koffi from 'koffi';
import type { Group, Passwd } from '../protocol.ts';

/** enum _wbcErrType */
export const WBC = {
  SUCCESS: 0,
  NOT_IMPLEMENTED: 1,
  UNKNOWN_FAILURE: 2,
  NO_MEMORY: 3,
  INVALID_SID: 4,
  INVALID_PARAM: 5,
  WINBIND_NOT_AVAILABLE: 6,
  DOMAIN_NOT_FOUND: 7,
  INVALID_RESPONSE: 8,
  NSS_ERROR: 9,
  AUTH_ERROR: 10,
  UNKNOWN_USER: 11,
  UNKNOWN_GROUP: 12,
  PWD_CHANGE_FAILED: 13,
} as const;

const WBC_AUTH_USER_LEVEL_PLAIN = 1;
/** Caps against a corrupt answer: no real group has this many members or a user this many groups. */
const MAX_MEMBERS = 100_000;
const MAX_GROUPS = 65_536;

// struct wbcAuthUserParams: the password union is 40 bytes (its largest member, `response`); only
// `plaintext`, its first member, is used, the rest is padding.
const AuthUserParams = koffi.struct('wbcAuthUserParams', {
  account_name: 'const char *',
  domain_name: 'const char *',
  workstation_name: 'const char *',
  flags: 'uint32_t',
  parameter_control: 'uint32_t',
  level: 'int',
  plaintext: 'const char *',
  union_rest: koffi.array('uint8_t', 32),
});
// The leading members of struct wbcAuthUserInfo and struct wbcAuthErrorInfo that we read.
const AuthUserInfoHead = koffi.struct('wbcAuthUserInfoHead', {
  user_flags: 'uint32_t',
  account_name: 'const char *',
  user_principal: 'const char *',
  full_name: 'const char *',
  domain_name: 'const char *',
});
const AuthErrorInfo = koffi.struct('wbcAuthErrorInfo', {
  nt_status: 'uint32_t',
  nt_string: 'const char *',
  pam_error: 'int32_t',
  display_string: 'const char *',
});
const PasswdStruct = koffi.struct('wbc_passwd', {
  pw_name: 'const char *',
  pw_passwd: 'const char *',
  pw_uid: 'uint32_t',
  pw_gid: 'uint32_t',
  pw_gecos: 'const char *',
  pw_dir: 'const char *',
  pw_shell: 'const char *',
});
const GroupStruct = koffi.struct('wbc_group', {
  gr_name: 'const char *',
  gr_passwd: 'const char *',
  gr_gid: 'uint32_t',
  gr_mem: 'void *',
});

type Ptr = bigint | null;
export interface AuthOutcome {
  status: number;
  account?: string;
  domain?: string;
  ntStatus?: number;
  ntString?: string;
}

export interface Wbclient {
  errorString(status: number): string;
  ping(): number;
  authenticate(user: string, password: string): AuthOutcome;
  getpwnam(name: string): { status: number; entry?: Passwd };
  getpwuid(uid: number): { status: number; entry?: Passwd };
  getgrnam(name: string): { status: number; entry?: Group };
  getgrgid(gid: number): { status: number; entry?: Group };
  getGroups(user: string): { status: number; gids?: number[] };
}

export function openWbclient(library: string): Wbclient {
  const lib = koffi.load(library);
  const wbcErrorString = lib.func('const char *wbcErrorString(int status)');
  const wbcFreeMemory = lib.func('void wbcFreeMemory(void *p)');
  const wbcPing = lib.func('int wbcPing(void)');
  const wbcAuthenticateUserEx = lib.func('int wbcAuthenticateUserEx(const wbcAuthUserParams *params, _Out_ void **info, _Out_ void **error)');
  const wbcGetpwnam = lib.func('int wbcGetpwnam(const char *name, _Out_ void **pwd)');
  const wbcGetpwuid = lib.func('int wbcGetpwuid(uint32_t uid, _Out_ void **pwd)');
  const wbcGetgrnam = lib.func('int wbcGetgrnam(const char *name, _Out_ void **grp)');
  const wbcGetgrgid = lib.func('int wbcGetgrgid(uint32_t gid, _Out_ void **grp)');
  const wbcGetGroups = lib.func('int wbcGetGroups(const char *account, _Out_ uint32_t *num_groups, _Out_ void **groups)');

  /** Decode then free, whatever happens in between. */
  function take<T>(ptr: Ptr, decode: (p: bigint) => T): T | undefined {
    if (ptr === null) return undefined;
    try {
      return decode(ptr);
    } finally {
      wbcFreeMemory(ptr);
    }
  }

  const decodePasswd = (p: bigint): Passwd => {
    const s = koffi.decode(p, PasswdStruct) as Record<string, string | number | null>;
    return {
      name: String(s.pw_name ?? ''),
      uid: Number(s.pw_uid),
      gid: Number(s.pw_gid),
      gecos: String(s.pw_gecos ?? ''),
      dir: String(s.pw_dir ?? ''),
      shell: String(s.pw_shell ?? ''),
    };
  };

  const decodeGroup = (p: bigint): Group => {
    const s = koffi.decode(p, GroupStruct) as { gr_name: string | null; gr_gid: number; gr_mem: Ptr };
    const members: string[] = [];
    if (s.gr_mem !== null) {
      for (let i = 0; i < MAX_MEMBERS; i++) {
        const m = koffi.decode(s.gr_mem, i * 8, 'const char *') as string | null;
        if (m === null) break;
        members.push(m);
      }
    }
    return { name: String(s.gr_name ?? ''), gid: Number(s.gr_gid), members };
  };

  function lookup<T>(call: (out: Ptr[]) => number, decode: (p: bigint) => T): { status: number; entry?: T } {
    const out: Ptr[] = [null];
    const status = call(out);
    const entry = take(out[0] ?? null, decode);
    return status === WBC.SUCCESS && entry !== undefined ? { status, entry } : { status: status === WBC.SUCCESS ? WBC.INVALID_RESPONSE : status };
  }

  return {
    errorString: (status) => String(wbcErrorString(status) ?? `wbcErr ${status}`),
    ping: () => wbcPing() as number,
    authenticate(user, password) {
      const params = {
        account_name: user,
        domain_name: null,
        workstation_name: null,
        flags: 0,
        parameter_control: 0,
        level: WBC_AUTH_USER_LEVEL_PLAIN,
        plaintext: password,
        union_rest: new Array(32).fill(0),
      };
      const info: Ptr[] = [null];
      const error: Ptr[] = [null];
      const status = wbcAuthenticateUserEx(params, info, error) as number;
      const outcome: AuthOutcome = { status };
      take(info[0] ?? null, (p) => {
        const head = koffi.decode(p, AuthUserInfoHead) as { account_name: string | null; domain_name: string | null };
        if (head.account_name !== null) outcome.account = head.account_name;
        if (head.domain_name !== null) outcome.domain = head.domain_name;
      });
      take(error[0] ?? null, (p) => {
        const e = koffi.decode(p, AuthErrorInfo) as { nt_status: number; nt_string: string | null };
        outcome.ntStatus = e.nt_status >>> 0;
        if (e.nt_string !== null) outcome.ntString = e.nt_string;
      });
      return outcome;
    },
    getpwnam: (name) => lookup((out) => wbcGetpwnam(name, out) as number, decodePasswd),
    getpwuid: (uid) => lookup((out) => wbcGetpwuid(uid, out) as number, decodePasswd),
    getgrnam: (name) => lookup((out) => wbcGetgrnam(name, out) as number, decodeGroup),
    getgrgid: (gid) => lookup((out) => wbcGetgrgid(gid, out) as number, decodeGroup),
    getGroups(user) {
      const count: number[] = [0];
      const out: Ptr[] = [null];
      const status = wbcGetGroups(user, count, out) as number;
      const n = Math.min(count[0] ?? 0, MAX_GROUPS);
      const gids = take(out[0] ?? null, (p) => (n === 0 ? [] : Array.from(koffi.decode(p, 'uint32_t', n) as ArrayLike<number>, Number)));
      return status === WBC.SUCCESS ? { status, gids: gids ?? [] } : { status };
    },
  };
}
