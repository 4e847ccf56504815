/**
 * Preloaded into every test file by scripts/test.mjs (`--import`): an unhandled promise rejection or
 * an uncaught exception fails the test that is running when it happens, not the whole file. Without
 * this, Node ends the process at the first one (a request promise a failed test left behind, rejecting
 * seconds later) and uvu reports "0 passed" for every test of the file, hiding which one broke.
 *
 * How: uvu's default `test` is one instance per process, so this module registers an after.each hook
 * on it that throws the recorded error (uvu counts a throwing after.each as that test's failure). An
 * error that arrives after the last test fails the file at exit, with its message. Files that build
 * their own uvu suite() are not covered.
 */
import { test } from 'uvu';

let pending: { error: unknown; kind: string; during: string } | undefined;
let current = '';

function record(kind: string) {
  return (error: unknown): void => {
    process.stderr.write(`[test] ${kind} during ${JSON.stringify(current || 'no test')}: ${(error as Error)?.stack ?? String(error)}\n`);
    pending ??= { error, kind, during: current };
  };
}

process.on('unhandledRejection', record('unhandled rejection'));
process.on('uncaughtException', record('uncaught exception'));

test.before.each((state: { __test__?: string }) => {
  current = state.__test__ ?? '';
});

test.after.each(() => {
  current = '';
  if (!pending) return;
  const { error, kind } = pending;
  pending = undefined;
  const err = new Error(`${kind} in this test: ${(error as Error)?.message ?? String(error)}`);
  err.stack = `${err.message}\n${(error as Error)?.stack ?? ''}`;
  throw err;
});

process.on('exit', () => {
  if (!pending) return;
  process.stderr.write(`[test] ${pending.kind} after the last test (${(pending.error as Error)?.message ?? String(pending.error)}): the file fails\n`);
  process.exitCode = 1;
});
