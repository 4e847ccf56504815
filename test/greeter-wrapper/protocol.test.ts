/**
 * The wrapper's reading of the protocol, line by line, against what greeter.c and ldmgreetercomm.c
 * do (greeter-wrapper/protocol.ts cites them), and its line cutter on hostile input.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineCutter } from '../../greeter-wrapper/lines.ts';
import { classifyCommand, classifyGreeterLine, isNone, menuCommand } from '../../greeter-wrapper/protocol.ts';

test("LDM's commands, matched as greeter.c's handle_command does (case-insensitive prefix, its order)", () => {
  const cases: Array<[string, string]> = [
    ['hostname', 'hostname'], ['HOSTNAME\r', 'hostname'], ['  hostname  ', 'hostname'],
    ['language', 'language'], ['session', 'session'], ['quit', 'quit'],
    ['userid', 'replied'], ['passwd', 'replied'], ['value backend', 'replied'], ['choice;a|b', 'replied'],
    ['prompt <b>Username</b>', 'silent'], ['prompts <b>Password</b>', 'silent'], ['msg hello', 'silent'],
    ['pref choice;backend;Authentication Backend;Select _Backend ...;session;ssh', 'silent'],
    ['allowguest true', 'silent'], ['', 'silent'], ['garbage', 'silent'],
    // "msgsession" is a msg to greeter.c: the first prefix in its order wins.
    ['msgsession', 'silent'],
  ];
  for (const [line, kind] of cases) assert.is(classifyCommand(line), kind, JSON.stringify(line));
});

test('greeter lines: the two callbacks LDM acts on, notices LDM must not see, everything else a reply', () => {
  assert.is(classifyGreeterLine('@GUEST@').kind, 'callback');
  assert.is(classifyGreeterLine('@backend@').kind, 'callback');
  assert.is(classifyGreeterLine('@backend@trailing').kind, 'callback'); // LDM compares 9 characters
  assert.is(classifyGreeterLine('@ltsp-server@').kind, 'notice');
  assert.is(classifyGreeterLine('@session@').kind, 'notice');
  assert.is(classifyGreeterLine('@not a notice@').kind, 'reply');
  assert.is(classifyGreeterLine('alice').kind, 'reply');
  assert.is(classifyGreeterLine('@').kind, 'reply');
});

test("LDM's None: a 4-character case-insensitive prefix (plugin.c)", () => {
  for (const s of ['None', 'none', 'NONE', 'Nonesuch', ' None ']) assert.ok(isNone(s), s);
  for (const s of ['app1', 'Non', '']) assert.not.ok(isNone(s), s);
});

test('the menu line: six ;-fields, choices on |; an entry that would break it is refused', () => {
  const line = menuCommand(['app1 (Idle)', 'app2 (Down)']);
  assert.ok(line.endsWith('\n'));
  const fields = line.trimEnd().split(';');
  assert.is(fields[1], 'ltsp-server');
  assert.equal(fields.slice(5).join(';').split('|'), ['app1 (Idle)', 'app2 (Down)']);
  assert.throws(() => menuCommand(['a|b']), /contains \| or a line break/);
  assert.throws(() => menuCommand(['a\nquit']), /contains \| or a line break/);
});

test('the line cutter: lines split across chunks, bytes kept exactly, an oversized line dropped and reading resumed', () => {
  const lines: string[] = [];
  const dropped: number[] = [];
  const cut = new LineCutter(8, (l) => lines.push(l.toString('latin1')), (n) => dropped.push(n));
  cut.push(Buffer.from('ali'));
  cut.push(Buffer.from('ce\nse'));
  cut.push(Buffer.from([0xc3, 0xa9, 0x0a])); // UTF-8 é passed through as bytes
  cut.push(Buffer.from('0123456789'));
  cut.push(Buffer.from('abcdef'));
  cut.push(Buffer.from('xyz\nok\n'));
  assert.equal(lines, ['alice', 'se\xc3\xa9', 'ok']);
  assert.equal(dropped, [19]);
  // Never more than the cap held, however long the line.
  const big = new LineCutter(1024, () => undefined, (n) => dropped.push(n));
  for (let i = 0; i < 1000; i++) big.push(Buffer.alloc(64 * 1024, 0x41));
  big.push(Buffer.from('\n'));
  assert.is(dropped.at(-1), 1000 * 64 * 1024);
});

test.run();
