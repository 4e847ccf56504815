import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listenFds } from '../../shared/listen-fds.ts';

test('no LISTEN_FDS means not socket-activated', () => {
  assert.equal(listenFds({}, 42), []);
});

test('fds start at 3 with their names, and the variables are unset for children', () => {
  const env: NodeJS.ProcessEnv = { LISTEN_FDS: '2', LISTEN_PID: '42', LISTEN_FDNAMES: 'tcp:udp' };
  assert.equal(listenFds(env, 42), [
    { fd: 3, name: 'tcp' },
    { fd: 4, name: 'udp' },
  ]);
  assert.is(env.LISTEN_FDS, undefined);
});

test('fds meant for another process are ignored', () => {
  assert.equal(listenFds({ LISTEN_FDS: '1', LISTEN_PID: '7' }, 42), []);
});

test('a garbage LISTEN_FDS is a coded error', () => {
  try {
    listenFds({ LISTEN_FDS: 'x', LISTEN_PID: '42' }, 42);
    assert.unreachable('should throw');
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_LISTEN_FDS');
  }
});

test.run();
