/**
 * The version every command prints with `--version`: package.json's, written into each bundle by
 * scripts/bundle.mjs (esbuild `define`), so an installed command needs no package.json beside it.
 * Run from the sources (tsx), it is read from the tree's package.json instead.
 */
import { readFileSync } from 'node:fs';

declare const LTSP_BALANCE_VERSION: string | undefined;

export function packageVersion(): string {
  if (typeof LTSP_BALANCE_VERSION === 'string') return LTSP_BALANCE_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** `NAME VERSION`, the line `--version` prints. */
export function versionLine(command: string): string {
  return `${command} ${packageVersion()}\n`;
}
