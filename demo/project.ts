/**
 * Where the demo finds the commands and the /proc fixtures: the project's source tree. The demo
 * runs each command from its source (node --import tsx bin/<name>.ts), as the tests do, so it works
 * from a clone after `npm ci` with nothing built or installed.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BalanceError } from '../shared/errors.ts';

export class DemoError extends BalanceError {
  constructor(message: string) {
    super('ERR_DEMO', message);
  }
}

/** The source tree this file is in (the demo runs only from there: demo/main.ts). */
export function projectRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start, i = 0; i < 5; dir = dirname(dir), i++) {
    if (existsSync(join(dir, 'testing/fixtures/proc/idle')) && existsSync(join(dir, 'bin/ltsp-server-advertise.ts'))) return dir;
  }
  throw new DemoError(`the demo runs from the project's source tree (with testing/fixtures/proc), not found above ${start}`);
}

/** argv that runs bin/<name>.ts from the sources. */
export function command(root: string, name: string, ...args: string[]): string[] {
  return [process.execPath, '--import', 'tsx', join(root, 'bin', `${name}.ts`), ...args];
}

/** The environment without lts.conf variables that would change what the demo shows. */
export function cleanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^(LDM_|LTSP_|SERVER$)/.test(k)));
}
