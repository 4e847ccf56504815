import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineSplitter, LineTooLongError } from '../../winbind-pool/line-splitter.ts';
import { describeRequest, encodeReply, errorReply, MAX_PASSWORD_BYTES, parseRequest, salvageId } from '../../winbind-pool/protocol.ts';
import { DeniedError, errorFromWire } from '../../winbind-pool/errors.ts';
import { poolSettings, backendSpec } from '../../winbind-pool/settings.ts';
import { errorCode } from '../../testing/helpers/error-code.ts';


test('every op parses with its fields and the id is echoed', () => {
  assert.equal(parseRequest('{"id":7,"op":"auth","user":"alice","password":"pw"}'), { id: 7, request: { op: 'auth', user: 'alice', password: 'pw' } });
  assert.equal(parseRequest('{"op":"getpwuid","uid":0}').request, { op: 'getpwuid', uid: 0 });
  assert.equal(parseRequest('{"op":"getgrgid","gid":4294967294,"id":"x"}'), { id: 'x', request: { op: 'getgrgid', gid: 4294967294 } });
  assert.equal(parseRequest('{"op":"getpwnam","name":"LTSP\\\\alice"}').request, { op: 'getpwnam', name: 'LTSP\\alice' });
  assert.equal(parseRequest('{"op":"groups","user":"a"}').request, { op: 'groups', user: 'a' });
  assert.equal(parseRequest('{"op":"ping"}'), { id: null, request: { op: 'ping' } });
  assert.equal(parseRequest('{"op":"status"}').request, { op: 'status' });
});

test('malformed requests are ERR_BAD_REQUEST with a message naming the field', () => {
  for (const line of [
    'not json',
    '[]',
    'null',
    '{"op":"nope"}',
    '{"op":"auth","user":"a"}',
    '{"op":"auth","user":"","password":"x"}',
    '{"op":"auth","user":"a","password":1}',
    '{"op":"getpwuid","uid":-1}',
    '{"op":"getpwuid","uid":4294967295}',
    '{"op":"getpwuid","uid":1.5}',
    '{"op":"getpwuid","uid":"1"}',
    '{"op":"getpwnam","name":"a\\nb"}',
    '{"op":"ping","extra":1}',
    '{"op":"ping","id":{}}',
    `{"op":"getpwnam","name":"${'a'.repeat(257)}"}`,
  ]) {
    assert.is(errorCode(() => parseRequest(line)), 'ERR_BAD_REQUEST', line);
  }
});

test('a NUL in the password is refused: C would see a shorter password', () => {
  assert.is(errorCode(() => parseRequest('{"op":"auth","user":"a","password":"pass\\u0000more"}')), 'ERR_BAD_REQUEST');
});

test('password length is capped and the error does not echo the password', () => {
  const long = 'p'.repeat(MAX_PASSWORD_BYTES + 1);
  try {
    parseRequest(JSON.stringify({ op: 'auth', user: 'a', password: long }));
    assert.unreachable();
  } catch (err) {
    assert.not.ok((err as Error).message.includes('ppppp'));
  }
  assert.is(parseRequest(JSON.stringify({ op: 'auth', user: 'a', password: 'p'.repeat(MAX_PASSWORD_BYTES) })).request.op, 'auth');
});

test('logs describe a request without its password', () => {
  assert.is(describeRequest({ op: 'auth', user: 'alice', password: 'hunter2' }), 'auth');
  assert.is(describeRequest({ op: 'getpwnam', name: 'a\u2028"b' }), 'getpwnam "a\\u2028\\"b"');
  assert.is(salvageId('{"id":5,"op":"bad"}'), 5);
  assert.is(salvageId('garbage'), null);
});

test('error replies carry code, message and reason and rebuild into the same class', () => {
  const reply = errorReply(3, new DeniedError('no', 'wrong_password'));
  assert.equal(JSON.parse(encodeReply(reply)), { id: 3, ok: false, error: { code: 'ERR_DENIED', message: 'no', reason: 'wrong_password' } });
  const back = errorFromWire('ERR_DENIED', 'no', 'wrong_password');
  assert.ok(back instanceof DeniedError);
  assert.is(back.exitCode, 7);
});

test('line splitter: lines across chunks, CRLF, multi-byte characters split between reads', () => {
  const s = new LineSplitter(64);
  assert.equal(s.push(Buffer.from('ab')), []);
  assert.equal(s.push(Buffer.from('c\nde\r\nf')), ['abc', 'de']);
  const euro = Buffer.from('€\n');
  assert.equal(s.push(euro.subarray(0, 1)), []);
  assert.equal(s.push(euro.subarray(1)), ['f€']);
  assert.is(s.buffered, 0);
});

test('line splitter, lazily: one line at a time, and the caller chunk may be reused after keep()', () => {
  const s = new LineSplitter(64);
  const chunk = Buffer.from('one\ntwo\nthr');
  s.append(chunk);
  assert.is(s.next(), 'one');
  assert.ok(s.hasLine);
  s.keep();
  chunk.fill(0x78); // the stream reuses its buffer
  assert.is(s.next(), 'two');
  assert.is(s.next(), null);
  assert.ok(!s.hasLine);
  s.append(Buffer.from('ee\n'));
  assert.is(s.next(), 'three');
  s.keep();
  assert.is(s.buffered, 0);
  // A line over the cap is refused when it is reached; the lines before it are still returned.
  const t = new LineSplitter(8);
  t.append(Buffer.from('ok\n123456789\n'));
  assert.is(t.next(), 'ok');
  assert.throws(() => t.next(), (e: unknown) => e instanceof LineTooLongError);
});

test('line splitter: a line over the cap throws, with or without its newline', () => {
  assert.throws(() => new LineSplitter(8).push(Buffer.from('123456789')), (e: unknown) => e instanceof LineTooLongError);
  assert.throws(() => new LineSplitter(8).push(Buffer.from('12345678\n')), (e: unknown) => e instanceof LineTooLongError);
  const s = new LineSplitter(8);
  s.push(Buffer.from('1234'));
  assert.throws(() => s.push(Buffer.from('5678')), (e: unknown) => e instanceof LineTooLongError);
  assert.equal(new LineSplitter(8).push(Buffer.from('1234567\n')), ['1234567']);
});

test('settings: defaults, and each bad value named with its value', () => {
  assert.is(poolSettings().minWorkers, 1);
  assert.is(errorCode(() => poolSettings({ minWorkers: 0 })), 'ERR_CONFIG');
  assert.is(errorCode(() => poolSettings({ minWorkers: 4, maxWorkers: 2 })), 'ERR_CONFIG');
  assert.is(errorCode(() => poolSettings({ tickMs: 1.5 })), 'ERR_CONFIG');
  assert.is(errorCode(() => poolSettings({ nope: 1 } as never)), 'ERR_CONFIG');
  try {
    poolSettings({ maxQueue: -3 });
  } catch (err) {
    assert.match((err as Error).message, /maxQueue .* got -3/);
  }
  assert.equal(backendSpec('winbind'), { kind: 'winbind', library: 'libwbclient.so.0' });
  assert.is(errorCode(() => backendSpec('local')), 'ERR_CONFIG');
  assert.is(errorCode(() => backendSpec('ldap')), 'ERR_CONFIG');
});

test.run();
