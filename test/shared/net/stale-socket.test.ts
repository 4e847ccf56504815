import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearStaleSocket } from '../../../shared/net/stale-socket.ts';

const dir = mkdtempSync(join(tmpdir(), 'stale-socket-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function codeOfAsync(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'no error', (err: { code?: string }) => String(err.code));
}

test('a missing path is fine', async () => {
  await clearStaleSocket(join(dir, 'absent.sock'), 'socket');
});

test('a live socket is refused and kept; once its server is gone, the stale file is removed', async () => {
  const path = join(dir, 'live.sock');
  const server = createServer();
  await new Promise<void>((r) => server.listen(path, r));
  assert.is(await codeOfAsync(clearStaleSocket(path, 'socket')), 'ERR_SOCKET_IN_USE');
  assert.ok(existsSync(path));
  server.close();
  // A daemon killed with SIGKILL leaves its socket file behind with nobody listening.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
  await new Promise((r) => child.stdout.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(existsSync(path));
  await clearStaleSocket(path, 'socket');
  assert.not.ok(existsSync(path));
});

test('a path that is not a socket is a config error naming the option, and is left alone', async () => {
  const path = join(dir, 'regular');
  writeFileSync(path, 'keep me');
  try {
    await clearStaleSocket(path, 'status-socket');
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_CONFIG');
    assert.is((err as { key: string }).key, 'status-socket');
  }
  assert.is(readFileSync(path, 'utf8'), 'keep me');
});

test.run();
