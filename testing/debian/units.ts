/**
 * Reads an installed unit as systemd would for what the package tests need: the effective
 * ExecStart= (the unit, then its drop-ins in /etc/systemd/system/<unit>.d/*.conf in name order; an
 * empty ExecStart= resets), and a socket unit's Listen*= lines. Our units quote nothing, so the
 * command line is split on whitespace; anything fancier is refused rather than misread.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function sectionValues(text: string, section: string, key: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1]!;
    else if (current === section && line.startsWith(`${key}=`)) out.push(line.slice(key.length + 1).trim());
  }
  return out;
}

function unitTexts(root: string, unit: string): string[] {
  const texts = [readFileSync(join(root, 'lib/systemd/system', unit), 'utf8')];
  const dropins = join(root, 'etc/systemd/system', `${unit}.d`);
  if (existsSync(dropins)) for (const f of readdirSync(dropins).filter((n) => n.endsWith('.conf')).sort()) texts.push(readFileSync(join(dropins, f), 'utf8'));
  return texts;
}

/** The command the service runs, as argv. */
export function execStart(root: string, unit: string): string[] {
  let value: string | undefined;
  for (const text of unitTexts(root, unit)) for (const v of sectionValues(text, 'Service', 'ExecStart')) value = v === '' ? undefined : v;
  if (!value) throw new Error(`${unit} has no ExecStart=`);
  if (/["'\\$%]|^[-@+!:]/.test(value)) throw new Error(`${unit}: ExecStart=${value} uses quoting, prefixes or specifiers this reader does not handle`);
  return value.split(/\s+/);
}

/** ListenStream= / ListenDatagram= values of a socket unit. */
export function listens(root: string, unit: string): { stream: string[]; datagram: string[] } {
  const text = unitTexts(root, unit).join('\n');
  return { stream: sectionValues(text, 'Socket', 'ListenStream'), datagram: sectionValues(text, 'Socket', 'ListenDatagram') };
}
