import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SnapshotAssembler } from '../../greeter-bridge/assemble.ts';
import {
  encodeSnapshot,
  MIN_MESSAGE_SIZE,
  SNAPSHOT_STATUSES,
  type Snapshot,
  type SnapshotServer,
} from '../../greeter-bridge/format.ts';
import { decodePart } from '../../greeter-bridge/parse.ts';
import { largeSnapshot, sampleSnapshot } from '../../testing/greeter-bridge/sample.ts';

function roundTrip(snap: Snapshot, size = 8192, maxMessages = 10): Snapshot | undefined {
  const asm = new SnapshotAssembler();
  let out: Snapshot | undefined;
  for (const msg of encodeSnapshot(snap, size, maxMessages)) out = asm.add(decodePart(msg)) ?? out;
  return out;
}

test('the byte-exact example of the README', () => {
  const [msg, ...rest] = encodeSnapshot(sampleSnapshot(), 8192, 10);
  assert.is(rest.length, 0);
  assert.is(
    msg!.toString('ascii'),
    'LTSP-GREETER 1 0badcafe 7 1 1 0 4 4 1700000000\n' +
      '- app1.school.example Busy 31 2.50 40 0.8\n' +
      '* app2.school.example Idle 97 0.05 3 0.4\n' +
      '- 10.0.0.9:3771 Down -1 -1 -1 -1\n' +
      '- [fd00::5]:378 Swapped 8 0.50 12 1.2\n',
  );
  assert.equal(roundTrip(sampleSnapshot()), sampleSnapshot());
});

test('an empty fleet is one part with no server lines', () => {
  const snap = sampleSnapshot({ servers: [] });
  const msgs = encodeSnapshot(snap, 8192, 10);
  assert.is(msgs[0]!.toString(), 'LTSP-GREETER 1 0badcafe 7 1 1 0 0 0 1700000000\n');
  assert.equal(roundTrip(snap), snap);
});

test('a fleet larger than one message is split into whole lines, each part within the size', () => {
  const snap = largeSnapshot(200);
  const msgs = encodeSnapshot(snap, 8192, 10);
  assert.ok(msgs.length >= 3, `${msgs.length} parts`);
  for (const m of msgs) {
    assert.ok(m.length <= 8192);
    assert.ok(m.toString().endsWith('\n'));
  }
  assert.equal(roundTrip(snap), snap);
});

test('too many parts for the queue is an error naming the limits, never a cut list', () => {
  try {
    encodeSnapshot(largeSnapshot(200), 1024, 10);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_SNAPSHOT_TOO_LARGE');
    assert.match((err as Error).message, /msgsize_max/);
  }
});

test('reassembly: out-of-order and duplicated parts give the snapshot once', () => {
  const snap = largeSnapshot(120);
  const parts = encodeSnapshot(snap, 4096, 10).map((m) => decodePart(m));
  assert.ok(parts.length >= 3);
  const asm = new SnapshotAssembler();
  const order = [parts[2]!, parts[0]!, parts[2]!, ...parts.slice(3), parts[0]!];
  for (const p of order) assert.is(asm.add(p), undefined);
  assert.equal(asm.add(parts[1]!), snap);
  // Late duplicates of a completed snapshot do not start it again.
  assert.is(asm.add(parts[1]!), undefined);
  assert.is(asm.counters.completed, 1);
  assert.ok(asm.counters.ignored >= 3);
});

test('reassembly: a missing part is abandoned when the next snapshot starts, older parts ignored', () => {
  const first = encodeSnapshot(largeSnapshot(120, 1), 4096, 10).map((m) => decodePart(m));
  const second = encodeSnapshot(largeSnapshot(120, 2), 4096, 10).map((m) => decodePart(m));
  const asm = new SnapshotAssembler();
  assert.is(asm.add(first[0]!), undefined); // the rest of snapshot 1 was drained by the bridge
  let done: Snapshot | undefined;
  for (const p of second) {
    done = asm.add(p) ?? done;
    assert.is(asm.add(first[1]!), undefined); // stale part of 1 arriving late changes nothing
  }
  assert.is(done?.seq, 2);
  assert.is(asm.counters.abandoned, 1);
});

test('reassembly: parts that contradict each other never make a snapshot', () => {
  const parts = encodeSnapshot(largeSnapshot(120), 4096, 10).map((m) => decodePart(m));
  const asm = new SnapshotAssembler();
  asm.add(parts[0]!);
  assert.is(asm.add({ ...parts[1]!, total: parts[1]!.total - 1 }), undefined);
  assert.is(asm.counters.ignored, 1);
  // Parts that agree on the header but leave a hole between them are a format error.
  const holes = new SnapshotAssembler();
  holes.add({ ...parts[0]!, parts: 2 });
  assert.throws(() => holes.add({ ...parts[2]!, part: 2, parts: 2 }), /expected/);
});

test('hostile messages are refused with the rule they broke', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /newline/],
    ['LTSP-GREETER 1 0badcafe 7 1 1 0 0 0 1700000000', /newline/],
    ['HELLO 1 0badcafe 7 1 1 0 0 0 1\n', /not a snapshot/],
    ['LTSP-GREETER 2 0badcafe 7 1 1 0 0 0 1\n', /version/],
    ['LTSP-GREETER 1 0badcafe 7 2 1 0 0 0 1\n', /part 2 of 1/],
    ['LTSP-GREETER 1 0badcafe 7 1 1 0 1 0 1\n', /past total/],
    ['LTSP-GREETER 1 0badcafe 7 1 1 0 1 1 1\n', /1 server lines, message has 0/],
    ['LTSP-GREETER 1 0badcafe 7 1 1 0 0 9999 1\n', /total 9999/],
    ['LTSP-GREETER 1 0badcafe 7 1 1 0 1 1 1\n- a Sleepy 1 0.10 1 0.1\n', /unknown status/],
    ['LTSP-GREETER 1 0badcafe 7 1 1 0 1 1 1\n- a Idle 1e3 0.10 1 0.1\n', /malformed/],
    ['LTSP-GREETER 1 0badcafe 7 1 1 0 1 1 1\n- a Idle 101 0.10 1 0.1\n', /rating 101/],
    ['LTSP-GREETER 1 0badcafe 7 1 1 0 1 1 1\n- a;rm Idle 1 0.10 1 0.1\n', /invalid server/],
    ['LTSP-GREETER 1 0badcafe 7 1 1 0 0 0 1\n\x00\n', /printable/],
    ['LTSP-GREETER 1 0badcafe 99999999999 1 1 0 0 0 1\n', /malformed/],
  ];
  for (const [text, why] of bad) {
    try {
      decodePart(Buffer.from(text, 'latin1'));
      assert.unreachable(text);
    } catch (err) {
      assert.is((err as { code: string }).code, 'ERR_SNAPSHOT_FORMAT', text);
      assert.match((err as Error).message, why, text);
    }
  }
  assert.throws(() => decodePart(Buffer.alloc(100), 50), /limit/);
});

test('extra tokens at the end of a line are ignored (room for version 1 to grow)', () => {
  const p = decodePart(Buffer.from('LTSP-GREETER 1 0badcafe 7 1 1 0 1 1 1 future=x\n* a Idle 1 0.10 1 0.1 more\n'));
  assert.is(p.servers[0]!.server, 'a');
  assert.is(p.servers[0]!.recommended, true);
});

const serverArb: fc.Arbitrary<SnapshotServer> = fc.record({
  server: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,60}(:[1-9]\d{0,4})?$/),
  status: fc.constantFrom(...SNAPSHOT_STATUSES),
  recommended: fc.constant(false),
  rating: fc.option(fc.integer({ min: 0, max: 100 })),
  loadPerCpu: fc.option(fc.integer({ min: 0, max: 10_000_00 }).map((n) => n / 100)),
  users: fc.option(fc.integer({ min: 0, max: 10_000_000 })),
  rttMs: fc.option(fc.integer({ min: 0, max: 10_000_000 }).map((n) => n / 10)),
}).map((s) => ({ ...s })); // fast-check builds prototype-less objects

test('property: any snapshot survives encode, shuffle, duplicate, decode, reassemble', () => {
  fc.assert(
    fc.property(
      fc.array(serverArb, { maxLength: 150 }),
      fc.integer({ min: MIN_MESSAGE_SIZE, max: 8192 }),
      fc.nat(),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      (servers, size, seed, seq) => {
        if (servers.length > 0) servers[seed % servers.length]!.recommended = true;
        const snap: Snapshot = { epoch: 'abcdef01', seq, time: 1_700_000_000, servers };
        let msgs: Buffer[];
        try {
          msgs = encodeSnapshot(snap, size, 999);
        } catch (err) {
          return (err as { code: string }).code === 'ERR_SNAPSHOT_TOO_LARGE';
        }
        const parts = msgs.map((m) => decodePart(m));
        // A deterministic shuffle with one duplicate, from the seed.
        const order = parts.map((p, i) => ({ p, k: (i * 7919 + seed) % 1009 })).sort((a, b) => a.k - b.k).map((x) => x.p);
        order.splice(seed % (order.length + 1), 0, order[seed % order.length]!);
        const asm = new SnapshotAssembler();
        let out: Snapshot | undefined;
        for (const p of order) out = asm.add(p) ?? out;
        assert.equal(out, snap);
        return msgs.every((m) => m.length <= size);
      },
    ),
    { numRuns: 300 },
  );
});

test('fuzz: random bytes only ever give a format error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, withHeader) => {
      const msg = withHeader ? Buffer.concat([Buffer.from('LTSP-GREETER 1 0badcafe 7 1 1 0 1 1 1\n'), bytes]) : Buffer.from(bytes);
      try {
        decodePart(msg);
      } catch (err) {
        return (err as { code: string }).code === 'ERR_SNAPSHOT_FORMAT';
      }
      return true;
    }),
    { numRuns: 2000 },
  );
});

test.run();
