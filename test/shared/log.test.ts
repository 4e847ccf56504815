import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { log, setLogSink, setLogLevel, ThrottledLog, oneLine } from '../../shared/log.ts';

function capture(): { lines: string[]; done: () => void } {
  const lines: string[] = [];
  setLogSink((l) => lines.push(l));
  return { lines, done: () => setLogSink(undefined) };
}

test('each event is one line with its journald priority prefix', () => {
  const c = capture();
  setLogLevel('debug');
  log('err', 'boom');
  log('warning', 'careful');
  log('info', 'hello');
  log('debug', 'detail');
  c.done();
  assert.equal(c.lines, ['<3>boom\n', '<4>careful\n', '<6>hello\n', '<7>detail\n']);
});

test('a hostile message cannot forge a second line', () => {
  const c = capture();
  log('info', 'host\n<3>forged');
  c.done();
  assert.is(c.lines.length, 1);
  assert.is(c.lines[0], '<6>host\\x0a<3>forged\n');
  assert.is(oneLine('a\tb'), 'a\\x09b');
});

test('debug lines are dropped below the configured level', () => {
  const c = capture();
  setLogLevel('info');
  log('debug', 'hidden');
  log('info', 'shown');
  c.done();
  assert.equal(c.lines, ['<6>shown\n']);
});

test('throttled log reports a flood once per interval with its count', () => {
  const c = capture();
  let now = 0;
  const t = new ThrottledLog(10_000, () => now);
  for (let i = 0; i < 1000; i++) t.count('warning', 'rejected short datagram');
  assert.is(c.lines.length, 0);
  now = 10_000;
  t.count('warning', 'rejected short datagram');
  c.done();
  assert.equal(c.lines, ['<4>rejected short datagram: 1001 in the last 10 s\n']);
});

test('a timer flushing a throttled log shares its clock: one summary per interval', () => {
  const c = capture();
  let now = 0;
  const t = new ThrottledLog(1000, () => now);
  t.flushIfDue(); // nothing counted: nothing logged
  for (now = 0; now <= 5100; now += 50) {
    t.count('warning', 'queue full');
    if (now % 200 === 0) t.flushIfDue(); // the tick
  }
  now = 6000;
  t.flushIfDue();
  t.flushIfDue();
  c.done();
  assert.is(c.lines.length, 6);
  assert.is(c.lines.reduce((sum, l) => sum + Number(/: (\d+) in the last/.exec(l)![1]), 0), 103);
});

test.run();
