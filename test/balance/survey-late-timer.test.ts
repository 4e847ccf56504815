// Regression: late-timer answer loss (fixed in 48d93a4, found by the fleet storm test on a busy
// machine). On a loaded thin client the deadline timer can fire late, when a server's answer that
// arrived in time is already queued in the UDP socket. The survey used to run its deadline in the
// same timers phase and count that server Down; it now waits one I/O poll, which reads the answer.
//
// Reproduced exactly: the server is another process (so it answers while this one is blocked), and
// this process blocks its event loop synchronously from the query's send callback (the query has
// left) until the answer has been sent back and the deadline has passed, as a busy machine would.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Socket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { surveyServers } from '../../balance/probe/survey.ts';
import { renderAdvertisement } from '../../shared/wire/render.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';
import { startProcess } from '../../testing/helpers/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'late-timer-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// A UDP server in its own process: answers every query with the document, then creates `marker`.
const SERVER = `
const dgram = require('node:dgram'), fs = require('node:fs');
const [doc, marker] = [Buffer.from(process.argv[1], 'base64'), process.argv[2]];
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => s.send(doc, r.port, r.address, () => fs.writeFileSync(marker, 'sent')));
s.bind(0, '127.0.0.1', () => console.log('port ' + s.address().port));`;

function blockUntil(done: () => boolean, capMs: number): void {
  const end = Date.now() + capMs;
  while (!done() && Date.now() < end) {
    // a synchronous wait: nothing else runs in this process meanwhile
  }
}

test('regression: late-timer answer loss: an answer queued when the late deadline timer fires is read, not counted Down', async () => {
  const doc = renderAdvertisement(sampleAdvertisement({ hostname: 'late-app' }), { includeUserNames: false });
  const marker = join(dir, 'sent');
  const server = startProcess(process.execPath, ['-e', SERVER, Buffer.from(doc).toString('base64'), marker]);
  try {
    const port = Number((await server.waitFor('stdout', /port (\d+)/))[1]);
    const deadlineMs = 100;
    const started = Date.now();
    // The survey's query send completes, then this process stalls until the server has answered and
    // the deadline is well past: the deadline timer and the answer are both pending when it resumes.
    const send = Socket.prototype.send;
    Socket.prototype.send = function (this: Socket, ...args: unknown[]) {
      const callback = args.at(-1) as (err: Error | null) => void;
      args[args.length - 1] = (err: Error | null): void => {
        blockUntil(() => existsSync(marker) && Date.now() - started > deadlineMs + 50, 20_000);
        callback(err);
      };
      return (send as (...a: unknown[]) => void).apply(this, args);
    } as typeof send;
    let report;
    try {
      // No retry and no TCP inside the window: only the first UDP answer and the deadline race.
      [report] = await surveyServers([{ host: '127.0.0.1', port }], { timeoutMs: deadlineMs, retryAfterMs: 60_000, tcpAfterMs: 60_000 });
    } finally {
      Socket.prototype.send = send;
    }
    assert.ok(existsSync(marker), 'the server answered while the client was blocked');
    assert.ok(Date.now() - started > deadlineMs + 50, 'the deadline timer ran late');
    assert.is(report!.error, undefined, `counted Down: ${JSON.stringify(report!.error)}`);
    assert.is(report!.reachable, true);
    assert.is(report!.ad?.hostname, 'late-app');
  } finally {
    await server.stop();
  }
});

test.run();
