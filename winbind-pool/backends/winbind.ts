/**
 * The real backend: synchronous libwbclient calls (wbclient-ffi.ts), their status codes mapped to
 * the pool's outcomes.
 *
 * The rule that matters: only an answer from the domain that says "no" is ERR_DENIED. winbindd not
 * running, no domain controller reachable, an unknown NT status: all ERR_UNAVAILABLE, so PAM can
 * tell "wrong password" from "cannot check now" and a user is never told their password is wrong
 * because a server is down.
 */
import { DeniedError, InternalError, NotFoundError, PoolError, UnavailableError } from '../errors.ts';
import type { AuthResult, Group, GroupsResult, Passwd } from '../protocol.ts';
import type { Backend } from './backend.ts';
import { openWbclient, WBC, type AuthOutcome, type Wbclient } from './wbclient-ffi.ts';

/** NT status codes that are the domain's own refusal, with the reason reported to the caller. */
export const DENYING_NT_STATUS: ReadonlyMap<number, string> = new Map([
  [0xc000006a, 'wrong_password'],
  [0xc000006d, 'wrong_password'], // LOGON_FAILURE: what a DC says when it will not say more
  [0xc0000064, 'unknown_user'],
  [0xc0000234, 'account_locked'],
  [0xc0000072, 'account_disabled'],
  [0xc0000193, 'account_expired'],
  [0xc0000071, 'password_expired'],
  [0xc0000224, 'password_must_change'],
  [0xc000006f, 'invalid_logon_hours'],
  [0xc0000070, 'invalid_workstation'],
  [0xc000006e, 'account_restriction'],
  [0xc000015b, 'logon_type_not_granted'],
]);

/** A failed status of any call, as the pool's error. `notFound` is the message when it means "no such entry". */
export function wbcFailure(status: number, text: string, what: string, notFound?: string): PoolError {
  switch (status) {
    case WBC.WINBIND_NOT_AVAILABLE:
      return new UnavailableError(`${what}: winbindd is not available (${text})`, 'winbind_not_available');
    // For lookups winbindd answers "not found" as NSS_STATUS_NOTFOUND, which libwbclient reports as
    // DOMAIN_NOT_FOUND; the UNKNOWN_* codes come from other paths.
    case WBC.DOMAIN_NOT_FOUND:
    case WBC.UNKNOWN_USER:
    case WBC.UNKNOWN_GROUP:
      return notFound === undefined ? new UnavailableError(`${what}: ${text}`, 'domain_not_found') : new NotFoundError(`${what}: ${notFound}`, 'not_found');
    case WBC.UNKNOWN_FAILURE:
    case WBC.NSS_ERROR:
    case WBC.INVALID_RESPONSE:
      return new UnavailableError(`${what}: ${text}`, 'winbind_error');
    default:
      return new InternalError(`${what}: ${text}`, 'wbclient_error');
  }
}

/** The outcome of wbcAuthenticateUserEx as a result, or the error to throw. */
export function authOutcome(user: string, r: AuthOutcome, text: string): AuthResult | PoolError {
  if (r.status === WBC.SUCCESS) return { user: r.domain && r.account ? `${r.domain}\\${r.account}` : (r.account ?? user) };
  if (r.status === WBC.AUTH_ERROR && r.ntStatus !== undefined) {
    const reason = DENYING_NT_STATUS.get(r.ntStatus);
    const nt = r.ntString ?? `0x${r.ntStatus.toString(16)}`;
    if (reason !== undefined) return new DeniedError(`authentication failed: ${nt}`, reason);
    return new UnavailableError(`cannot authenticate now: ${nt}`, nt);
  }
  if (r.status === WBC.UNKNOWN_USER) return new DeniedError('authentication failed: unknown user', 'unknown_user');
  return wbcFailure(r.status, text, `authenticate ${user}`);
}

export class WinbindBackend implements Backend {
  private readonly wbc: Wbclient;

  constructor(library: string) {
    this.wbc = openWbclient(library);
  }

  private failure(status: number, what: string, notFound?: string): PoolError {
    return wbcFailure(status, this.wbc.errorString(status), what, notFound);
  }

  auth(user: string, password: string): AuthResult {
    const r = this.wbc.authenticate(user, password);
    const out = authOutcome(user, r, this.wbc.errorString(r.status));
    if (out instanceof PoolError) throw out;
    return out;
  }

  private entry<T>(r: { status: number; entry?: T }, what: string, notFound: string): T {
    if (r.entry) return r.entry;
    throw this.failure(r.status, what, notFound);
  }

  getpwnam(name: string): Passwd {
    return this.entry(this.wbc.getpwnam(name), `getpwnam ${name}`, `no such user: ${name}`);
  }

  getpwuid(uid: number): Passwd {
    return this.entry(this.wbc.getpwuid(uid), `getpwuid ${uid}`, `no such uid: ${uid}`);
  }

  getgrnam(name: string): Group {
    return this.entry(this.wbc.getgrnam(name), `getgrnam ${name}`, `no such group: ${name}`);
  }

  getgrgid(gid: number): Group {
    return this.entry(this.wbc.getgrgid(gid), `getgrgid ${gid}`, `no such gid: ${gid}`);
  }

  groups(user: string): GroupsResult {
    const r = this.wbc.getGroups(user);
    return { user, gids: this.entry({ status: r.status, entry: r.gids }, `groups ${user}`, `no such user: ${user}`) };
  }

  ping(): Record<string, never> {
    const status = this.wbc.ping();
    if (status !== WBC.SUCCESS) throw this.failure(status, 'ping');
    return {};
  }
}
