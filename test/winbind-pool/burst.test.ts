// A burst of request lines larger than the daemon handles in one go (server.ts LINES_PER_SLICE): the
// lines wait in the daemon's inbox and are handled slice by slice. Every line still gets exactly one
// answer with its id, a half-closed connection is closed once all are answered, and a drain with
// lines still waiting answers them and exits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../../testing/winbind-pool/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'wbp-burst-'));
const running: Daemon[] = [];
let n = 0;

test.after(async () => {
  await Promise.all(running.map((d) => d.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function daemon(): Promise<{ d: Daemon; path: string }> {
  const path = join(dir, `b${++n}.sock`);
  const d = await startDaemon(['--socket', path, '--backend', 'blocking', '--block-ms', '20', '--min-workers', '1', '--max-workers', '1', '--request-timeout-ms', '60000']);
  running.push(d);
  return { d, path };
}

interface Answer {
  id: number;
  outcome: string;
}

/**
 * Writes `count` ping lines at once, half-closes, and collects the answers until the daemon closes.
 * `onFirst` is called when the first answer arrives (the daemon has read the lines by then);
 * `progress.received` counts the answers as they arrive.
 */
function burst(path: string, count: number, firstId = 1, onFirst = (): void => {}, progress = { received: 0 }): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      if (text === '') onFirst();
      text += d;
      for (let i = d.indexOf('\n'); i !== -1; i = d.indexOf('\n', i + 1)) progress.received++;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const answers = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: number; ok: boolean; error?: { code: string; reason?: string } });
      resolve(answers.map((a) => ({ id: a.id, outcome: a.ok ? 'ok' : `${a.error!.code}:${a.error!.reason ?? ''}` })));
    });
    const lines = Array.from({ length: count }, (_, i) => `{"id":${firstId + i},"op":"ping"}\n`).join('');
    socket.end(lines);
  });
}

function assertAllAnswered(answers: Answer[], from: number, count: number): void {
  const ids = answers.map((a) => a.id).sort((a, b) => a - b);
  assert.equal(ids, Array.from({ length: count }, (_, i) => from + i), 'each line answered exactly once, by its id');
  for (const a of answers) assert.ok(a.outcome === 'ok' || a.outcome.startsWith('ERR_BUSY:') || a.outcome.startsWith('ERR_SHUTTING_DOWN'), a.outcome);
}

test('300 lines in one write, then a half-close: every line answered once, then the connection is closed', async () => {
  const { path } = await daemon();
  const answers = await burst(path, 300);
  assertAllAnswered(answers, 1, 300);
  assert.ok(answers.some((a) => a.outcome === 'ok'), 'some were served');
  assert.ok(answers.some((a) => a.outcome === 'ERR_BUSY:connection_limit'), 'more than 16 in flight on one connection are refused');
});

test('bursts on many connections at once: each answered in full', async () => {
  const { path } = await daemon();
  const all = await Promise.all(Array.from({ length: 20 }, (_, c) => burst(path, 150, c * 1000)));
  all.forEach((answers, c) => assertAllAnswered(answers, c * 1000, 150));
});

test('a burst on one connection does not hold up another: connections take turns', async () => {
  const { path } = await daemon();
  const lone = connect(path);
  await new Promise((resolve) => lone.once('connect', resolve));
  // 20,000 lines (about 400 KB) on one connection; once its first answer is back (the daemon is
  // working through it), one status request (answered by the daemon itself) on another
  // connection. It is answered in its turn, long before
  // the burst is through (a first-come inbox would answer it after all 20,000).
  const progress = { received: 0 };
  const big = burst(path, 20_000, 1, () => lone.write('{"id":1,"op":"status"}\n'), progress);
  const bigAt = await new Promise<number>((resolve) => lone.once('data', () => resolve(progress.received)));
  lone.destroy();
  const answers = await big;
  assertAllAnswered(answers, 1, 20_000);
  assert.ok(bigAt < 10_000, `the lone request was answered after ${bigAt} of the burst's 20000 answers`);
});

test('SIGTERM while lines wait in the inbox: every line is answered and the daemon exits 0', async () => {
  const { d, path } = await daemon();
  // The signal once every connection has had an answer, so that its lines have been read (a
  // connection the daemon has not read from yet when it drains is closed unanswered).
  let answered = 0;
  const bursts = Array.from({ length: 10 }, (_, c) => burst(path, 200, c * 1000, () => ++answered === 10 && d.proc.kill('SIGTERM')));
  const all = await Promise.all(bursts);
  all.forEach((answers, c) => assertAllAnswered(answers, c * 1000, 200));
  assert.equal(await d.exited, { code: 0, signal: null });
});

test.run();
