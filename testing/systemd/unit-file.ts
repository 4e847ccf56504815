/** The shipped systemd units as the tests read them: where they are, and their [Service] settings. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Every unit file the project ships (COMPONENT/systemd/*.service|socket), as paths. */
export function shippedUnits(ext = '.service'): string[] {
  const out: string[] = [];
  for (const component of readdirSync(ROOT, { withFileTypes: true })) {
    if (!component.isDirectory() || component.name.startsWith('.') || component.name === 'node_modules') continue;
    let files: string[];
    try {
      files = readdirSync(join(ROOT, component.name, 'systemd'));
    } catch {
      continue;
    }
    for (const f of files) if (f.endsWith(ext)) out.push(join(ROOT, component.name, 'systemd', f));
  }
  return out.sort();
}

/** Key -> every value it is given, in order (a key may repeat), from all sections. */
export function unitSettings(path: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return settings;
}

/** The bridge unit's ExecStart split: node's own flags (before the script) and the command's arguments. */
export function bridgeExecStart(): { nodeFlags: string[]; args: string[] } {
  const exec = unitSettings(join(ROOT, 'greeter-bridge/systemd/ltsp-greeter-bridge.service')).get('ExecStart')![0]!.split(/\s+/);
  const script = exec.findIndex((w, i) => i > 0 && !w.startsWith('--'));
  return { nodeFlags: exec.slice(1, script), args: exec.slice(script + 1) };
}
