// How scripts/test.mjs runs one test file: its own Node process with tsx, and testing/helpers/
// unhandled.ts preloaded so that an unhandled rejection fails the running test, not the whole file.
// Shared with the test of that preload (test/testing/helpers/unhandled.test.ts).
import { fileURLToPath } from 'node:url';

const preload = fileURLToPath(new URL('../testing/helpers/unhandled.ts', import.meta.url));

/** Node arguments that run `file` as the test runner does. */
export function testFileArgs(file) {
  return ['--import', 'tsx', '--import', preload, file];
}
