// Bounded protocol fuzzing of the real socket: random JSON, near-valid requests, random bytes,
// oversized lines, arbitrary chunking. Every complete line gets exactly one well-formed answer (or
// the connection ends with ERR_TOO_LARGE), and the daemon keeps serving afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setLogSink } from '../../shared/log.ts';
import { requestOnce } from '../../winbind-pool/client.ts';
import { openListener, type Listening } from '../../winbind-pool/listener.ts';
import { MAX_LINE_BYTES, OPS } from '../../winbind-pool/protocol.ts';
import { PoolServer } from '../../winbind-pool/server.ts';
import { blockingPool, closeAll } from '../../testing/winbind-pool/harness.ts';
import { eventually } from '../../testing/helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'wbp-fuzz-'));
const path = join(dir, 'fuzz.sock');
let listening: Listening;
let server: PoolServer;

setLogSink(() => {});

test.before(async () => {
  const pool = blockingPool({ minWorkers: 2, maxWorkers: 2, maxQueue: 8 }, 0);
  await pool.start();
  listening = await openListener({ path, mode: 0o600, group: null });
  server = new PoolServer(listening.server, pool, { maxConnections: 64, maxConnectionsPerUid: 64, maxPendingPerConnection: 4, idleTimeoutMs: 5000 });
});

test.after(async () => {
  await server.close();
  listening.cleanup();
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends `chunks`, half-closes, and collects the answer lines until the daemon closes. */
function exchange(chunks: Buffer[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no close within 10 s; got ${got.slice(0, 200)}`)), 10_000);
    c.on('data', (d) => (got += d));
    c.on('error', () => {}); // the daemon may close first after ERR_TOO_LARGE
    c.on('close', () => {
      clearTimeout(timer);
      resolve(got.split('\n').filter((l) => l !== ''));
    });
    for (const chunk of chunks) c.write(chunk);
    c.end();
  });
}

const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(-1), fc.constant(4294967295));
const nearlyValid = fc
  .record(
    {
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 80 }), fc.constant(null), fc.object()),
      op: fc.oneof(fc.constantFrom(...OPS), fc.string({ maxLength: 10 })),
      user: scalar,
      name: scalar,
      password: fc.oneof(scalar, fc.string({ maxLength: 1100 })),
      uid: scalar,
      gid: scalar,
      extra: fc.anything(),
    },
    { requiredKeys: ['op'] },
  )
  .map((o) => JSON.stringify(o));
const name = fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/);
const valid = fc
  .oneof(
    fc.constant({ op: 'ping' }),
    fc.constant({ op: 'status' }),
    fc.record({ op: fc.constant('getpwnam'), name }),
    fc.record({ op: fc.constant('getgrnam'), name }),
    fc.record({ op: fc.constant('groups'), user: name }),
    fc.record({ op: fc.constant('getpwuid'), uid: fc.nat() }),
    fc.record({ op: fc.constant('getgrgid'), gid: fc.nat() }),
    fc.record({ op: fc.constant('auth'), user: name, password: fc.string({ maxLength: 64 }).filter((p) => !p.includes('\0')) }),
  )
  .chain((req) => fc.record({ id: fc.nat() }).map(({ id }) => JSON.stringify({ id, ...req })));
const line = fc.oneof(
  valid,
  nearlyValid,
  fc.json(),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1').replace(/\n/g, '')),
);
const payload = fc.record({
  lines: fc.array(line, { maxLength: 12 }),
  oversized: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
});

function chunked(text: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (text.length === 0 ? 0 : c % text.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(text.subarray(at, p));
    at = p;
  }
  out.push(text.subarray(at));
  return out.filter((b) => b.length > 0);
}

test('fuzzed request streams get one well-formed answer per line, and the daemon survives', async () => {
  const seen = { ok: 0, error: 0, tooLarge: 0 };
  await fc.assert(
    fc.asyncProperty(payload, async ({ lines, oversized, cuts }) => {
      const text = lines.map((l) => l + '\n').join('') + (oversized ? 'y'.repeat(MAX_LINE_BYTES + 10) : '');
      const answers = await exchange(chunked(Buffer.from(text), cuts));
      const expected = lines.filter((l) => l.trim() !== '').length;
      const parsed = answers.map((a) => JSON.parse(a) as { ok: boolean; error?: { code: string } });
      for (const r of parsed) {
        assert.type(r.ok, 'boolean');
        if (r.ok) seen.ok++;
        else if (r.error?.code === 'ERR_TOO_LARGE') seen.tooLarge++;
        else seen.error++;
        if (!r.ok) assert.match(r.error!.code, /^ERR_[A-Z_]+$/);
      }
      if (oversized) {
        assert.is(parsed.at(-1)?.error?.code, 'ERR_TOO_LARGE');
        assert.ok(parsed.length <= expected + 1);
      } else {
        assert.is(parsed.length, expected);
      }
    }),
    { numRuns: 400, interruptAfterTimeLimit: 40_000 },
  );
  // The generators reach every branch: served requests, rejected ones, oversized lines.
  assert.ok(seen.ok > 10 && seen.error > 100 && seen.tooLarge > 10, JSON.stringify(seen));
  assert.equal(await requestOnce(path, { op: 'ping' }), {});
  await eventually(() => server.connections === 0, 30_000, 'every connection to be closed');
});

test.run();
