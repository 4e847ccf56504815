import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
// Two runs must not share a port: one per test file run, away from the default 3777.
const port = 20_000 + (process.pid % 20_000);

interface Run {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/**
 * Each demo run gets a TMPDIR of its own (os.tmpdir() honours it), so "no temporary directory left
 * behind" is checked in a directory nobody else writes: scanning all of /tmp saw other checkouts'
 * demos running at the same moment.
 */
const privateTmp = mkdtempSync(join(tmpdir(), 'demo-test-'));
// tsx keeps its cache there too, and a child still exiting may write to it: retry the removal.
test.after(() => rmSync(privateTmp, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 }));

function startDemo(args: string[], onOutput?: (out: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: privateTmp } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      onOutput?.(out, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ pid: child.pid!, code, signal, out, err });
    });
  });
}

const demoPids = (out: string): number[] => [...out.matchAll(/127\.0\.0\.\d\s+\S.*pid (\d+)/g)].map((m) => Number(m[1]));
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** The demo's bridge queues still in the kernel (visible where /dev/mqueue is mounted, as in CI). */
const demoQueues = (pid: number): string[] => {
  try {
    return readdirSync('/dev/mqueue').filter((n) => n.startsWith(`ltsp-demo-${pid}-`));
  } catch {
    return [];
  }
};
const demoTempDirs = (): string[] => readdirSync(privateTmp).filter((n) => n.startsWith('ltsp-balance-demo-'));

/** Binding the demo's addresses works again only once every daemon is gone. */
async function portFree(address: string): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, address, () => s.close(() => resolve(true)));
  });
  const udp = await new Promise<boolean>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, address, () => s.close(() => resolve(true)));
  });
  return tcp && udp;
}

test('the demo shows the loopback fleet, every algorithm, the bridge and the pool, then stops everything', async () => {
  const before = demoTempDirs();
  const r = await startDemo(['--port', String(port), '--no-chooser']);
  assert.is(r.code, 0, r.err + r.out);
  const out = r.out;
  const pids = demoPids(out);
  assert.is(pids.length, 4, 'four daemons were started');
  // LDM's view: the idle or busy server first; never the swapping, draining or stopped one.
  const ldmLine = /get_hosts as LDM runs it.*\n(.*)\n/.exec(out)?.[1] ?? '';
  const hosts = ldmLine.trim().split(/\s+/);
  assert.ok(['127.0.0.2', '127.0.0.3'].includes(hosts[0]!), `LDM's default was ${ldmLine}`);
  for (const excluded of ['127.0.0.4', '127.0.0.5', '127.0.0.6']) assert.not.ok(hosts.includes(excluded), `${excluded} offered to LDM: ${ldmLine}`);
  for (const algorithm of ['two-choices', 'best', 'weighted', 'machash']) {
    const block = out.split(`== get_hosts --explain --algorithm ${algorithm}\n`)[1]?.split('\n== ')[0] ?? '';
    assert.match(block, new RegExp(`chosen: 127\\.0\\.0\\.[23]:${port} \\(${algorithm}\\)`), block);
    assert.match(block, /127\.0\.0\.4:\d+\s+Swapped\b.*swapping/);
    assert.match(block, /127\.0\.0\.5:\d+\s+Draining\b.*draining/);
    assert.match(block, /127\.0\.0\.6:\d+\s+Down\b.*refused/);
  }
  // The explanation of `best` names the idle server, the one with the highest score.
  assert.match(out, new RegExp(`chosen: 127\\.0\\.0\\.2:${port} \\(best\\)`));
  assert.match(out, /\* 127\.0\.0\.2:\d+\s+Idle/, 'the bridge recommends the idle server');
  assert.match(out, /127\.0\.0\.6:\d+\s+Down/);
  assert.match(out, /right password: accepted/);
  assert.match(out, /wrong password: refused/);
  assert.match(out, /every process stopped \(0 running\)/);
  for (const pid of pids) assert.not.ok(alive(pid), `daemon ${pid} still running`);
  for (const a of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) assert.ok(await portFree(a), `${a}:${port} still bound`);
  assert.equal(demoTempDirs().filter((d) => !before.includes(d)), [], 'temporary directory left behind');
  assert.equal(demoQueues(r.pid), [], 'message queues left behind');
});

test('Ctrl-C stops every daemon and removes the temporary directory', async () => {
  const before = demoTempDirs();
  let sent = false;
  const r = await startDemo(['--port', String(port + 1), '--no-chooser'], (out, child) => {
    if (!sent && out.includes('== get_hosts --explain')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  assert.ok(sent, 'the demo got as far as get_hosts');
  assert.is(r.code, 130, r.err);
  const pids = demoPids(r.out);
  assert.is(pids.length, 4);
  for (const pid of pids) assert.not.ok(alive(pid), `daemon ${pid} still running after Ctrl-C`);
  assert.equal(demoTempDirs().filter((d) => !before.includes(d)), []);
  assert.equal(demoQueues(r.pid), []);
});

test('a bad flag is a usage error', async () => {
  const r = await startDemo(['--port', 'x']);
  assert.is(r.code, 2);
  assert.match(r.err, /^<3>--port must be a whole number from 1 to 65535, got "x" \(ERR_USAGE\)\n$/);
});

test.run();
