/**
 * The config file (`--config FILE`): shell-like `key=value` lines, `#` comments, blank lines, values
 * optionally in matching quotes. Read whole under a size cap; any problem is a ConfigError that names
 * the line, and on SIGHUP a bad file leaves the running settings untouched.
 */
import { ConfigError } from '../shared/errors.ts';
import { readRegularFileCapped } from '../shared/fs/read-capped.ts';
import { settingsFromFile, type Settings } from './settings.ts';

export const CONFIG_MAX_BYTES = 64 * 1024;

export function parseConfigText(text: string, source: string): Partial<Settings> {
  const pairs = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new ConfigError('(syntax)', `${source}:${i + 1}: expected key=value, got ${JSON.stringify(line.slice(0, 60))}`);
    const key = m[1]!.toLowerCase();
    let value = m[2]!;
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    if (pairs.has(key)) throw new ConfigError(key, `${source}:${i + 1}: ${key} is set twice`);
    pairs.set(key, value);
  }
  return settingsFromFile(pairs, source);
}

export async function readConfigFile(path: string): Promise<Partial<Settings>> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFileCapped(path, CONFIG_MAX_BYTES);
  } catch (err) {
    throw new ConfigError('(file)', `cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const text = bytes.toString('utf8');
  if (text.includes('\0')) throw new ConfigError('(file)', `${path} is not a text file`);
  return parseConfigText(text, path);
}
