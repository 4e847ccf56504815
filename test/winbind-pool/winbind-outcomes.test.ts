// The mapping of libwbclient and NT status codes to the pool's outcomes, on recorded values (the
// live calls are exercised against a real DC in winbind.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authOutcome, wbcFailure } from '../../winbind-pool/backends/winbind.ts';
import { WBC } from '../../winbind-pool/backends/wbclient-ffi.ts';
import { PoolError } from '../../winbind-pool/errors.ts';

function code(x: unknown): string {
  return x instanceof PoolError ? `${x.code}:${x.reason}` : JSON.stringify(x);
}

test('success names the user as DOMAIN\\account', () => {
  assert.is(code(authOutcome('alice', { status: WBC.SUCCESS, account: 'alice', domain: 'LTSP' }, '')), '{"user":"LTSP\\\\alice"}');
});

test('only the domain refusing is denied', () => {
  const auth = (ntStatus: number): string => code(authOutcome('a', { status: WBC.AUTH_ERROR, ntStatus }, 'WBC_ERR_AUTH_ERROR'));
  assert.is(auth(0xc000006a), 'ERR_DENIED:wrong_password');
  assert.is(auth(0xc0000064), 'ERR_DENIED:unknown_user');
  assert.is(auth(0xc0000234), 'ERR_DENIED:account_locked');
  assert.is(auth(0xc0000224), 'ERR_DENIED:password_must_change');
  // NO_LOGON_SERVERS, DOMAIN_CONTROLLER_NOT_FOUND, IO_TIMEOUT, an unknown status: unavailable.
  assert.is(auth(0xc000005e), 'ERR_UNAVAILABLE:0xc000005e');
  assert.is(code(authOutcome('a', { status: WBC.AUTH_ERROR, ntStatus: 0xc0000233, ntString: 'NT_STATUS_DOMAIN_CONTROLLER_NOT_FOUND' }, '')), 'ERR_UNAVAILABLE:NT_STATUS_DOMAIN_CONTROLLER_NOT_FOUND');
  assert.is(auth(0xc00000b5), 'ERR_UNAVAILABLE:0xc00000b5');
  assert.is(auth(0x12345678), 'ERR_UNAVAILABLE:0x12345678');
});

test('winbindd down, or an auth error without an NT status, is never reported as denied', () => {
  assert.is(code(authOutcome('a', { status: WBC.WINBIND_NOT_AVAILABLE }, 'x')), 'ERR_UNAVAILABLE:winbind_not_available');
  assert.is(code(authOutcome('a', { status: WBC.AUTH_ERROR }, 'x')), 'ERR_INTERNAL:wbclient_error');
  assert.is(code(authOutcome('a', { status: WBC.DOMAIN_NOT_FOUND }, 'x')), 'ERR_UNAVAILABLE:domain_not_found');
  assert.is(code(authOutcome('a', { status: WBC.NSS_ERROR }, 'x')), 'ERR_UNAVAILABLE:winbind_error');
});

test('lookups: not found is ERR_NOT_FOUND, library faults are internal', () => {
  assert.is(code(wbcFailure(WBC.DOMAIN_NOT_FOUND, 'x', 'getpwnam a', 'no such user: a')), 'ERR_NOT_FOUND:not_found');
  assert.is(code(wbcFailure(WBC.UNKNOWN_GROUP, 'x', 'getgrnam g', 'no such group: g')), 'ERR_NOT_FOUND:not_found');
  assert.is(code(wbcFailure(WBC.WINBIND_NOT_AVAILABLE, 'x', 'getpwnam a', 'no')), 'ERR_UNAVAILABLE:winbind_not_available');
  assert.is(code(wbcFailure(WBC.NO_MEMORY, 'x', 'getpwnam a', 'no')), 'ERR_INTERNAL:wbclient_error');
});

test.run();
