/**
 * lts.conf resolved as LTSP 5's getltscfg resolves it. Each rule cites where it comes from in LTSP 5's
 * sources (`client/getltscfg/` of kvaps/ltsp5, the last LTSP 5 tree): lexer.l, parser.y,
 * getltscfg.c. The expected values were also checked against getltscfg built from those sources.
 * Files are real files in a temp dir: includes are read from disk, as on a client.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIssue, MAX_FILE_INCLUDES, MAX_LTS_CONF_BYTES, MAX_REPORTED_ISSUES, readLtsConf, type ClientIdentity, type LtsConf } from '../../ltsp/ltsconf.ts';

const dir = mkdtempSync(join(tmpdir(), 'ltsconf-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string | Buffer, name = `lts${n++}.conf`): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const client: ClientIdentity = { hostname: 'tc42', ip: '10.0.0.42', mac: '00:11:22:aa:bb:cc' };
const read = (text: string | Buffer, who = client): LtsConf => readLtsConf({ path: file(text), client: who })!;
const values = (text: string | Buffer, who = client): Record<string, string> =>
  Object.fromEntries([...read(text, who).values].map(([k, v]) => [k, v.value]));
const messages = (conf: LtsConf): string[] => conf.issues.map(formatIssue);

// --- sections (getltscfg.c main, 450-547) ---

test('getltscfg.c:453-460: only the FIRST section matching hostname, else IP, else MAC is used, not a merge', () => {
  const conf = '[Default]\nD=default\n[00:11:22:aa:bb:cc]\nA=mac\nB=mac\n[10.0.0.42]\nA=ip\nC=ip\n[tc42]\nA=host\n';
  assert.equal(values(conf), { A: 'host', D: 'default' });
  assert.equal(values(conf, { ...client, hostname: 'other' }), { A: 'ip', C: 'ip', D: 'default' });
  assert.equal(values(conf, { hostname: 'other', ip: '10.9.9.9', mac: '00:11:22:AA:BB:CC' }), { A: 'mac', B: 'mac', D: 'default' });
});

test('getltscfg.c:203: section names compare case-insensitively (upstream examples use upper-case MACs)', () => {
  assert.equal(values('[00:11:22:AA:BB:CC]\nA=1\n', { hostname: 'x', mac: '00:11:22:aa:bb:cc' }), { A: '1' });
  assert.equal(values('[TC42]\nA=1\n[DEFAULT]\nB=2\n'), { A: '1', B: '2' });
});

test('getltscfg.c:202 (find_chain_entry stops at the first): a repeated header is ignored, with a warning', () => {
  const conf = read('[Default]\nA=1\n[tc42]\nB=1\n[default]\nA=2\nC=3\n');
  assert.equal(Object.fromEntries([...conf.values].map(([k, v]) => [k, v.value])), { A: '1', B: '1' });
  assert.match(messages(conf).join('\n'), /line 5: \[default\] repeats the section at .* line 1: getltscfg uses only the first, so these 2 line\(s\) are ignored/);
});

test('getltscfg.c:462-472: every LIKE line is followed, breadth first, each adding the first section of that name', () => {
  const conf = '[tc42]\nLIKE = a\nLIKE = b\nK0 = host\n[a]\nLIKE = c\nK1 = a\nK0 = a\n[b]\nK2 = b\n[c]\nK2 = c\nK3 = c\n[Default]\nK4 = d\nK3 = d\n';
  assert.equal(values(conf), { K0: 'host', K1: 'a', K2: 'b', K3: 'c', K4: 'd' });
});

test('getltscfg.c:466: "like" in any case; a LIKE to a missing section adds nothing, with a warning', () => {
  const conf = read('[tc42]\nlike = nowhere\nA=1\n');
  assert.equal(Object.fromEntries([...conf.values].map(([k, v]) => [k, v.value])), { A: '1' });
  assert.match(messages(conf)[0]!, /line 2: LIKE = nowhere: no section has that name/);
});

test('getltscfg.c:462-472 never ends on a LIKE loop (the client hangs at boot): each section counts once, and the loop is reported', () => {
  const conf = read('[a]\nLIKE=b\nX=a\n[b]\nLIKE=a\nY=b\n[tc42]\nLIKE=a\n');
  assert.equal(Object.fromEntries([...conf.values].map(([k, v]) => [k, v.value])), { X: 'a', Y: 'b' });
  assert.match(messages(conf).join('\n'), /LIKE loop \[a\] -> \[b\] -> \[a\]: getltscfg .* never finishes/);
  assert.equal(values('[tc42]\nLIKE = tc42\nA = 1\n'), { A: '1' }); // a section LIKE itself
});

test('getltscfg.c:474-488, 205: wildcard sections (fnmatch, case-folded): the first match per identity, after the exact one and its LIKEs', () => {
  const conf = '[tc*]\nA=wild\nB=wild\n[TC42]\nA=exact\n[t?42]\nB=second\nC=second\n[00:11:22:*]\nE=mac\nB=mac\n[Default]\nD=d\n';
  assert.equal(values(conf), { A: 'exact', B: 'wild', E: 'mac', D: 'd' });
  assert.equal(values('[02:FC:00:*]\nA=1\n', { hostname: 'x', mac: '02:fc:00:12:34:56' }), { A: '1' });
  assert.equal(values('[10.0.0.[0-9]*]\nA=1\n'.replace('[10.0.0.[0-9]*]', '["10.0.0.[0-9]*"]'), client), { A: '1' });
  assert.equal(values('[Default]\nZ=1\n[lab]\nL=lab\n[tc*]\nLIKE=lab\nW=1\n[tc42]\nE=1\n'), { Z: '1', L: 'lab', W: '1', E: '1' });
});

test('getltscfg.c:493: [Default] comes last and its own LIKE lines are never followed (warned)', () => {
  const conf = read('[Default]\nLIKE = x\nA = 1\n[x]\nB = 1\n');
  assert.equal([...conf.values.keys()], ['A']);
  assert.match(messages(conf)[0]!, /LIKE in \[Default\] is ignored/);
});

test('getltscfg.c:231-249: a later line wins within a section; keys compare case-insensitively and are printed upper-case (514-517)', () => {
  assert.equal(values('[Default]\nldm_balance_timeout_ms=200\nLDM_BALANCE_TIMEOUT_MS=300\n'), { LDM_BALANCE_TIMEOUT_MS: '300' });
  const entry = read('[Default]\n\nldm_x=1\n').values.get('LDM_X')!;
  assert.equal({ line: entry.at.line, section: entry.section }, { line: 3, section: 'Default' });
});

test('getltscfg.c:519-541: a value NONE (any case) is not printed, so it unsets what a weaker section set', () => {
  assert.equal(values('[Default]\nA = 1\nB = 2\n[tc42]\nA = none\nC = NONE\n'), { B: '2' });
});

// --- lexer (lexer.l) ---

test('lexer.l:28,56-61: unquoted values are trimmed and keep inner spaces; lexer.l:33,80: # comments', () => {
  assert.equal(values('# site\n[Default]\n  SERVERS =  app1 app2   # two\n'), { SERVERS: 'app1 app2' });
});

test('lexer.l:27,63-78: double quotes keep spaces and #; the match runs to the LAST quote on the line (greedy)', () => {
  assert.equal(values('[Default]\nA = " x # y "\nB = "p" # "q"\n'), { A: ' x # y ', B: 'p" # "q' });
});

test('lexer.l:28 forbids = in an unquoted value: parsing stops there, the part before it is kept (parser.y has no error recovery)', () => {
  const conf = read('[Default]\nA = x=y\nB = 2\n');
  assert.equal(Object.fromEntries([...conf.values].map(([k, v]) => [k, v.value])), { A: 'x' });
  assert.match(messages(conf)[0]!, /line 2: syntax error: "=" .* it stops reading here .*put a value that contains "=" in double quotes/);
});

test("lexer.l has no rule for ' : flex echoes it to getltscfg's output (breaking ltsp_config's eval); the value stops there", () => {
  const conf = read("[Default]\nA = it's\nB = 2\n");
  assert.is(conf.values.get('A')?.value, 'it');
  assert.is(conf.values.has('B'), false);
  const all = messages(conf).join('\n');
  assert.match(all, /line 3: syntax error: "B"/);
  assert.match(all, /line 2: "'" is not a quote getltscfg knows: getltscfg copies it to its output, which breaks `eval \$\(getltscfg -a\)`/);
});

test('lexer.l:33: a # comment needs its newline: at the end of the file the # is echoed and the rest is a word (syntax error)', () => {
  const conf = read('[Default]\nB = 2\n# end');
  assert.is(conf.values.get('B')?.value, '2');
  assert.match(messages(conf).join('\n'), /"#" with no newline after it/);
});

test('lexer.l:28: CRLF line ends: the \\r after "]" is a word, so getltscfg stops at line 2 and the client gets nothing', () => {
  const conf = read('[Default]\r\nA = 1\r\nB = 2\r\n');
  assert.equal([...conf.values], []);
  assert.match(messages(conf)[0]!, /line 2: syntax error: "A" where getltscfg expects "=" .*CRLF line ends/);
});

test('lexer.l: NUL bytes are C string ends: each word is cut at the first NUL', () => {
  const conf = read(Buffer.from('[Default]\nA = ab\0cd\nB = 2\n', 'latin1'));
  assert.equal(Object.fromEntries([...conf.values].map(([k, v]) => [k, v.value])), { A: 'ab', B: '2' });
  assert.match(messages(conf)[0]!, /NUL bytes/);
});

// --- grammar (parser.y) ---

test('parser.y:24-26 (and LTSP commit "accept an empty lts.conf"): an empty or comment-only file is fine', () => {
  assert.equal(read('').issues, []);
  assert.equal(read('# nothing yet\n').issues, []);
});

test('parser.y:41-54: a key before the first section is a syntax error on line 1, and nothing is read', () => {
  const conf = read('A = 1\n[Default]\nB = 2\n');
  assert.equal([...conf.values], []);
  assert.match(messages(conf)[0]!, /line 1: syntax error: "A" where getltscfg expects a \[Section\] header .*a key before the first \[Section\]/);
});

test('parser.y:47-54: an empty section is a syntax error; the sections before it stay, and the empty one still blocks IP and MAC sections', () => {
  const conf = read('[10.0.0.42]\nA = ip\n[Default]\nB = 1\n[tc42]\n');
  assert.equal(Object.fromEntries([...conf.values].map(([k, v]) => [k, v.value])), { B: '1' });
  assert.match(messages(conf)[0]!, /line 5: syntax error: the end of the file where getltscfg expects a KEY = value line \(a section may not be empty\)/);
});

test('parser.y:56-59: "A =" with no value takes the next word as its value, then stops (warned)', () => {
  const conf = read('[Default]\nA =\nB = 2\n');
  assert.equal(Object.fromEntries([...conf.values].map(([k, v]) => [k, v.value])), { A: 'B' });
  assert.match(messages(conf)[0]!, /line 2: A = has no value on its line: getltscfg takes the next word, "B", as its value/);
});

// --- include (lexer.l:26,41-51,121-163; getltscfg.c:145-152, 617-671) ---

test('include: the included text is read where flex\'s buffer runs out (after the rest of a small file), so it continues the last section', () => {
  const inc = file('B = 2\n');
  const conf = read(`[Default]\nX = 0\ninclude ${inc}\n[tc42]\nC = 3\n`);
  assert.equal(Object.fromEntries([...conf.values].map(([k, v]) => [k, v.value])), { X: '0', C: '3', B: '2' });
  assert.is(conf.values.get('B')!.at.file, inc);
  assert.match(messages(conf)[0]!, /is read after the lines that follow this include/);
});

test('include: quoted path; a [Section] header must follow an include line (parser.y:29-45)', () => {
  const inc = file('[tc42]\nA = 1\n', 'with space.conf');
  assert.equal(values(`[Default]\nX = 0\ninclude "${inc}"\n`), { X: '0', A: '1' });
  const conf = read(`[Default]\nX = 0\ninclude ${file('[x]\nQ=1\n')}\nB = 2\n`);
  assert.match(messages(conf).join('\n'), /syntax error: "B" .*after an include line getltscfg needs a \[Section\] header/);
});

test('include in a file over 8 KiB: flex switches at its 8,192-byte read, so the rest of the file is lost (warned)', () => {
  const inc = file('B = 2\n');
  let text = `[Default]\nX = 0\ninclude ${inc}\n[tc42]\n`;
  for (let i = 0; text.length < 9000; i++) text += `K${i} = v${i}\n`;
  const conf = read(`${text}LAST = yes\n`);
  assert.is(conf.values.has('LAST'), false);
  assert.is(conf.values.has('K690'), true);
  const all = messages(conf).join('\n');
  assert.match(all, /getltscfg never reads .* past line \d+ because of this include/);
});

test('include: of two includes read before the buffer runs out, only the last one counts (the first is never read)', () => {
  const a = file('[a]\nA = 1\n');
  const b = file('[b]\nB = 1\n');
  const conf = read(`[Default]\nX = 0\ninclude ${a}\ninclude ${b}\n[tc42]\nLIKE = a\nLIKE = b\n`);
  assert.equal(Object.fromEntries([...conf.values].map(([k, v]) => [k, v.value])), { X: '0', B: '1' });
  assert.match(messages(conf).join('\n'), /is never read: this include replaced it/);
});

test('include cycle (getltscfg.c:630-670 compares dev and inode): skipped with a warning, no hang', () => {
  const path = join(dir, 'cycle-a.conf');
  file(`[b]\nB = 1\ninclude ${path}\n`, 'cycle-b.conf');
  writeFileSync(path, `[Default]\nA = 1\ninclude ${join(dir, 'cycle-b.conf')}\n`);
  const conf = readLtsConf({ path, client })!;
  assert.is(conf.values.get('A')?.value, '1');
  assert.match(messages(conf).join('\n'), /include .*cycle-a\.conf: already read, skipped/);
});

test(`include: at most ${MAX_FILE_INCLUDES} files (getltscfg.c:82, 664-666); the next is ignored with a warning`, () => {
  // A chain of includes, each file including the next one at its end.
  let next = file('[z]\nZ = 1\n');
  for (let i = 0; i < MAX_FILE_INCLUDES; i++) next = file(`[s${i}]\nK = ${i}\ninclude ${next}\n`);
  const conf = readLtsConf({ path: next, client })!;
  assert.is(conf.files.length, MAX_FILE_INCLUDES);
  assert.match(messages(conf).join('\n'), /more than 10 files, ignored/);
});

test('include of a missing file: getltscfg crashes (fclose(NULL), lexer.l:148-150), so the client gets nothing; said once', () => {
  const conf = read(`[Default]\nX = 0\ninclude ${join(dir, 'missing.conf')}\n`);
  assert.is(conf.failed, true);
  assert.equal([...conf.values], []);
  assert.match(messages(conf)[0]!, /line 3: include .*missing\.conf: cannot be opened \(ENOENT\), and getltscfg then calls fclose\(NULL\) and crashes.*no lts\.conf value is used/);
});

test('include of a symlink loop is a file that does not open: the same crash, no hang', () => {
  symlinkSync(join(dir, 'loop2'), join(dir, 'loop1'));
  symlinkSync(join(dir, 'loop1'), join(dir, 'loop2'));
  const conf = read(`[Default]\nX = 0\ninclude ${join(dir, 'loop1')}\n`);
  assert.is(conf.failed, true);
  assert.match(messages(conf)[0]!, /cannot be opened \(ELOOP\)/);
});

test('include of a FIFO: getltscfg blocks forever in fopen(); here it is refused at once with a clear warning', () => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const started = Date.now();
  const conf = read(`[Default]\nX = 0\ninclude ${fifo}\n`);
  assert.ok(Date.now() - started < 5000);
  assert.is(conf.failed, true);
  assert.match(messages(conf)[0]!, /is a FIFO: getltscfg's fopen\(\) waits for a writer, so this client would hang at boot/);
});

test('include of a directory: flex fails when it reads it ("input in flex scanner failed"): nothing', () => {
  mkdirSync(join(dir, 'adir'));
  const conf = read(`[Default]\nX = 0\ninclude ${join(dir, 'adir')}\n`);
  assert.is(conf.failed, true);
  assert.match(messages(conf)[0]!, /line 3: .*adir: a directory; flex stops/);
});

test(`include of a huge file: refused past ${MAX_LTS_CONF_BYTES} bytes for all files together, never read whole`, () => {
  const huge = file(Buffer.alloc(MAX_LTS_CONF_BYTES + 1, 0x41));
  const conf = read(`[Default]\nX = 0\ninclude ${huge}\n`);
  assert.is(conf.failed, true);
  assert.match(messages(conf)[0]!, /larger than 262144 bytes/);
  const zero = read(`[Default]\nX = 0\ninclude /dev/zero\n`);
  assert.is(zero.failed, true);
  // Two files of 150 KiB each: fine alone, over the cap together.
  const second = file(`#${'x'.repeat(150 * 1024)}\n[b]\nB = 1\n`);
  const first = file(`[a]\nA = 1\n#${'x'.repeat(150 * 1024)}\ninclude ${second}\n`);
  assert.is(read(`[Default]\nX = 0\ninclude ${second}\n`).failed, false);
  const both = read(`[Default]\nX = 0\ninclude ${first}\n`);
  assert.is(both.failed, true);
  assert.match(messages(both)[0]!, /with the files read before it, larger than 262144 bytes/);
});

// --- hostile input ---

test('the main file: too large, missing (only when named), a FIFO', () => {
  const big = readLtsConf({ path: file(`[Default]\nA=1\n${'#'.repeat(MAX_LTS_CONF_BYTES)}`), client })!;
  assert.is(big.failed, true);
  assert.match(messages(big)[0]!, /cannot read: larger than 262144 bytes/);
  assert.match(messages(readLtsConf({ path: join(dir, 'nope.conf'), client })!)[0]!, /cannot read/);
  const fifo = join(dir, 'main-fifo');
  execFileSync('mkfifo', [fifo]);
  assert.match(messages(readLtsConf({ path: fifo, client })!)[0]!, /a FIFO or a socket/);
});

test(`garbage: at most ${MAX_REPORTED_ISSUES} issue lines plus a count, every byte outside printable ASCII escaped`, () => {
  // Many sections repeated (each one an issue), then binary garbage.
  let text = '';
  for (let i = 0; i < 100; i++) text += `[Default]\nA${i} = 1\n`;
  const bytes = Buffer.concat([Buffer.from(text), Buffer.from([0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0x3d, 0x80])]);
  const conf = read(bytes);
  assert.is(conf.issues.length, MAX_REPORTED_ISSUES + 1);
  assert.match(formatIssue(conf.issues.at(-1)!), /\d+ more lts\.conf problem\(s\) not shown/);
  for (const line of messages(conf)) assert.not.match(line, /[^\x20-\x7e]/);
  const binary = read(Buffer.from([0x5b, 0xc3, 0x28, 0x1b, 0x5d, 0x0a, 0xff, 0x3d, 0x27, 0x0a]));
  for (const line of messages(binary)) assert.not.match(line, /[^\x20-\x7e]/);
  assert.ok(binary.issues.length <= MAX_REPORTED_ISSUES + 1);
});

test('a hostile wildcard cannot make matching exponential', () => {
  const started = Date.now();
  values(`["${'*a'.repeat(40)}*b"]\nA=1\n`, { hostname: 'a'.repeat(200) });
  assert.ok(Date.now() - started < 2000);
});

test.run();
