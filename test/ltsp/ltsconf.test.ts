import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_LTS_CONF_BYTES, parseLtsConf, resolveForClient } from '../../ltsp/ltsconf.ts';

const client = { hostname: 'tc42', ip: '10.0.0.42', mac: '00:11:22:aa:bb:cc' };
const values = (text: string, who = client): Record<string, string> => {
  const { entries } = resolveForClient(parseLtsConf(text), who);
  return Object.fromEntries([...entries].map(([k, e]) => [k, e.value]));
};

test('KEY = value under [Default], comments and blank lines ignored', () => {
  const conf = `# site config\n\n[Default]\n  LDM_BALANCE_SERVERS = app1 app2   # two servers\nSOUND=True\n`;
  assert.equal(values(conf), { LDM_BALANCE_SERVERS: 'app1 app2', SOUND: 'True' });
});

test('quotes are removed and protect # and spaces; an unterminated quote is an issue', () => {
  const conf = `[default]\nA = "x # not a comment"\nB='  padded  '\nC = "open\nD=ok\n`;
  const parsed = parseLtsConf(conf);
  assert.equal(values(conf), { A: 'x # not a comment', B: '  padded  ', D: 'ok' });
  assert.ok(parsed.issues.some((i) => i.line === 4 && /unterminated quote/.test(i.message)));
});

test('[Default] is case-insensitive; other section names are exact', () => {
  assert.equal(values('[DEFAULT]\nA=1\n'), { A: '1' });
  assert.equal(values('[TC42]\nA=1\n[Default]\nB=2\n'), { B: '2' });
});

test('lookup order: hostname, then IP, then MAC, then Default', () => {
  const conf = `[Default]\nA=default\nB=default\nC=default\nD=default\n[00:11:22:aa:bb:cc]\nA=mac\nB=mac\nC=mac\n[10.0.0.42]\nA=ip\nB=ip\n[tc42]\nA=host\n`;
  assert.equal(values(conf), { A: 'host', B: 'ip', C: 'mac', D: 'default' });
});

test('the MAC section is found from an upper-case MAC given by the caller', () => {
  assert.equal(values('[00:11:22:aa:bb:cc]\nA=1\n', { ...client, mac: '00:11:22:AA:BB:CC' }), { A: '1' });
});

test('LIKE chains: the section wins over what it is LIKE, chains are followed', () => {
  const conf = `[Default]\nA=default\n[lab]\nLIKE=fast\nB=lab\nA=lab\n[fast]\nC=fast\nB=fast\n[tc42]\nLIKE = lab\nD=host\n`;
  assert.equal(values(conf), { A: 'lab', B: 'lab', C: 'fast', D: 'host' });
});

test('a LIKE loop is reported once and stops; the keys seen so far stay', () => {
  const conf = `[a]\nLIKE=b\nX=a\n[b]\nLIKE=a\nY=b\n[tc42]\nLIKE=a\n`;
  const r = resolveForClient(parseLtsConf(conf), client);
  assert.equal(Object.fromEntries([...r.entries].map(([k, e]) => [k, e.value])), { X: 'a', Y: 'b' });
  assert.is(r.issues.length, 1);
  assert.match(r.issues[0]!.message, /LIKE loop \[tc42\] -> \[a\] -> \[b\] -> \[a\]/);
});

test('LIKE to a missing section is an issue naming the line', () => {
  const r = resolveForClient(parseLtsConf('[tc42]\nLIKE=nowhere\nA=1\n'), client);
  assert.equal(r.issues, [{ line: 2, message: 'LIKE names section [nowhere], which does not exist' }]);
});

test('two sections LIKE the same one is not a loop', () => {
  const r = resolveForClient(parseLtsConf('[common]\nZ=1\n[tc42]\nLIKE=common\n[10.0.0.42]\nLIKE=common\n'), client);
  assert.equal(r.issues, []);
  assert.is(r.entries.get('Z')?.value, '1');
});

test('later lines win within a section, and repeated headers merge', () => {
  assert.equal(values('[Default]\nA=1\nA=2\nB=1\n[Default]\nB=3\n'), { A: '2', B: '3' });
});

test('keys are upper-cased; entries remember their line', () => {
  const r = resolveForClient(parseLtsConf('[Default]\n\nldm_balance_timeout_ms=200\n'), client);
  assert.equal(r.entries.get('LDM_BALANCE_TIMEOUT_MS'), { value: '200', line: 3, section: 'default' });
});

test('garbage lines, keys outside a section and empty sections are issues, never exceptions', () => {
  const parsed = parseLtsConf('A=outside\n[Default]\njust words\n=x\n9KEY=1\nOK=1\n[empty]\n');
  const messages = parsed.issues.map((i) => `${i.line ?? '-'} ${i.message}`);
  assert.ok(messages.some((m) => m.startsWith('1 A is outside any [Section]')));
  assert.ok(messages.some((m) => m.startsWith('3 not "KEY = value"')));
  assert.ok(messages.some((m) => m.startsWith('4 not "KEY = value"')));
  assert.ok(messages.some((m) => m.startsWith('5 not "KEY = value"')));
  assert.ok(messages.some((m) => m.includes('[empty] is empty')));
  assert.equal(values('A=outside\n[Default]\njust words\nOK=1\n'), { OK: '1' });
});

test('CRLF line ends are accepted', () => {
  assert.equal(values('[Default]\r\nA = 1\r\n'), { A: '1' });
});

test('size cap, NUL bytes and over-long lines', () => {
  const big = parseLtsConf(`[Default]\nA=1\n${'#'.repeat(MAX_LTS_CONF_BYTES)}`);
  assert.is(big.sections.size, 0);
  assert.match(big.issues[0]!.message, /larger than/);
  const binary = parseLtsConf(Buffer.from([0x5b, 0x44, 0x00, 0x5d]));
  assert.match(binary.issues[0]!.message, /NUL/);
  const long = parseLtsConf(`[Default]\nA=${'x'.repeat(5000)}\nB=1\n`);
  assert.equal(long.issues, [{ line: 2, message: 'line longer than 4096 characters: ignored' }]);
});

test.run();
