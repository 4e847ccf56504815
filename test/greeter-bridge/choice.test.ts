import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { checkChoice, decodeChoice, encodeChoice, encodeRefresh } from '../../greeter-bridge/choice.ts';
import { sampleSnapshot } from '../../testing/greeter-bridge/sample.ts';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'no error';
};

test('choice and refresh round trip, with or without the final newline', () => {
  assert.equal(decodeChoice(encodeChoice('app2.school.example')), { kind: 'choice', server: 'app2.school.example' });
  assert.equal(decodeChoice(Buffer.from('LTSP-CHOICE 1 [fd00::5]:378')), { kind: 'choice', server: '[fd00::5]:378' });
  assert.equal(decodeChoice(encodeRefresh()), { kind: 'refresh' });
  assert.is(encodeChoice('a').toString(), 'LTSP-CHOICE 1 a\n');
});

test('garbage, oversized, other versions and unsafe names are refused with the reason', () => {
  const cases: Array<[string | Buffer, RegExp]> = [
    ['', /not a choice/],
    ['hello', /not a choice/],
    ['LTSP-CHOICE 1', /not a choice/],
    ['LTSP-CHOICE 1 a b', /not a choice/],
    ['LTSP-CHOICE  1 a', /not a choice/],
    ['LTSP-CHOICE 2 a', /version/],
    ['LTSP-CHOICE 1 a;reboot', /invalid server/],
    ['LTSP-CHOICE 1 a\nLTSP-CHOICE 1 b', /printable/],
    ['LTSP-CHOICE 1 \u00e9', /printable/],
    [Buffer.from([0x4c, 0, 0xff]), /printable/],
    [`LTSP-CHOICE 1 ${'a'.repeat(600)}`, /over the 512-byte limit/],
    ['LTSP-REFRESH 2', /not a choice/],
  ];
  for (const [input, why] of cases) {
    const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    try {
      decodeChoice(buf);
      assert.unreachable(String(input));
    } catch (err) {
      assert.is((err as { code: string }).code, 'ERR_CHOICE_REJECTED');
      assert.match((err as Error).message, why);
    }
  }
});

test('only a listed server that is not Down is forwarded', () => {
  const snap = sampleSnapshot();
  assert.not.throws(() => checkChoice('app1.school.example', snap)); // Busy: the user may insist
  assert.throws(() => checkChoice('10.0.0.9:3771', snap), /is Down/);
  assert.throws(() => checkChoice('evil.example', snap), /not in the server list/);
  assert.throws(() => checkChoice('app2.school.example', undefined), /no snapshot/);
});

test('fuzz: any bytes give a choice, a refresh, or a coded refusal', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 700 }), fc.string().map((s) => Buffer.from(`LTSP-CHOICE 1 ${s}`))), (bytes) => {
      const c = code(() => decodeChoice(bytes));
      return c === 'no error' || c === 'ERR_CHOICE_REJECTED';
    }),
    { numRuns: 2000 },
  );
});

test.run();
