import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { expandSubcommandPrefix } from '../../shared/cli.ts';
import { expandCommandPrefix, readOnly } from '../../shared/program.ts';

const names = ['serve', 'status', 'stop', 'watch'];

test('an unambiguous prefix becomes the full subcommand, options left alone', () => {
  assert.equal(expandSubcommandPrefix(['--socket', 'x', 'wa', '-v'], names, ['--socket']), ['--socket', 'x', 'watch', '-v']);
  assert.equal(expandSubcommandPrefix(['-v', 'wa', 'st'], names), ['-v', 'watch', 'st']);
  assert.equal(expandSubcommandPrefix(['sta'], names), ['status']);
});

test('exact names win and unknown words are left for commander to suggest', () => {
  assert.equal(expandSubcommandPrefix(['stop'], names), ['stop']);
  assert.equal(expandSubcommandPrefix(['stauts'], names), ['stauts']);
  assert.equal(expandSubcommandPrefix([], names), []);
});

test('an ambiguous prefix is a usage error naming the candidates', () => {
  try {
    expandSubcommandPrefix(['st'], names);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_USAGE');
    assert.match((err as Error).message, /status, stop/);
  }
});

test('a commander program gives its read-only subcommands and valued options', () => {
  const program = new Command().option('--socket <path>').option('-v, --verbose');
  for (const n of names) readOnly(program.command(n));
  assert.equal(expandCommandPrefix(['--socket', 'st', 'sta'], program), ['--socket', 'st', 'status']);
});

test('regression: a prefix of a subcommand that writes is not expanded ("instal" once ran install)', () => {
  const program = new Command();
  program.command('install');
  program.command('uninstall');
  readOnly(program.command('status'));
  assert.equal(expandCommandPrefix(['instal', '--root', '/tmp'], program), ['instal', '--root', '/tmp']);
  assert.equal(expandCommandPrefix(['stat'], program), ['status']);
  assert.equal(expandCommandPrefix(['install'], program), ['install'], 'the full name still works');
  // "u" would be ambiguous only if both were prefixable; uninstall is not, so it is left alone.
  assert.equal(expandSubcommandPrefix(['u'], ['status'], [], ['status', 'uninstall']), ['u']);
});

test('runCli prints a coded error once and exits with its code', () => {
  const program = `
    import { runCli } from './shared/cli.ts';
    import { ConfigError } from './shared/errors.ts';
    await runCli(async () => { throw new ConfigError('LDM_X', 'bad value'); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.is(r.stderr, '<3>bad value (ERR_CONFIG)\n');
});

test('runCli prints anything not ours as one internal-error line and exits 4 (the same in every command)', () => {
  const program = `
    import { runCli } from './shared/cli.ts';
    await runCli(async () => { throw new TypeError('x is not a function\\nsecond line'); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { encoding: 'utf8' });
  assert.is(r.status, 4);
  assert.match(r.stderr, /^<3>internal error: x is not a function\\x0asecond line \(ERR_INTERNAL\)\n$/);
});

test.run();
