/**
 * The servers the thin clients balance across, as the administrator listed them in lts.conf:
 * LDM_BALANCE_SERVERS of every section (a client in any section may log into any of them), and the
 * one ssh port LDM uses for all of them, SSH_OVERRIDE_PORT. The port in an LDM_BALANCE_SERVERS
 * entry is the advertise daemon's, not ssh's: only the host is kept.
 *
 * On an LTSP 5 server each chroot's lts.conf lives in the TFTP tree, <tftp dir>/ltsp/<arch>/lts.conf;
 * ltsp-server's scripts look for the TFTP dir in this order.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue, readLtsConfSections } from '../../ltsp/ltsconf.ts';
import type { ServerListError } from '../../balance/errors.ts';
import { parseServerList } from '../../balance/servers.ts';
import { parseBoolean } from '../../balance/setting-values.ts';

export const TFTP_DIRS = ['/var/lib/tftpboot', '/tftpboot', '/srv/tftp'];

export interface LtsConfServers {
  /** Host names and addresses, in file and section order, without duplicates. */
  hosts: string[];
  /** SSH_OVERRIDE_PORT values, with where each was set. */
  sshPorts: Array<{ port: number; where: string }>;
  /** Some file's [Default] has no list and leaves discovery on: clients find servers by broadcast. */
  discovers: boolean;
  /** Problems to report (bad entries skipped, unreadable files). */
  warnings: string[];
}

/** Every <tftp dir>/ltsp/<arch>/lts.conf on this server. */
export function defaultLtsConfFiles(root = '/'): string[] {
  const out: string[] = [];
  for (const dir of TFTP_DIRS) {
    const base = join(root, dir, 'ltsp');
    if (!existsSync(base)) continue;
    for (const arch of readdirSync(base).sort()) if (existsSync(join(base, arch, 'lts.conf'))) out.push(join(base, arch, 'lts.conf'));
  }
  return out;
}

export function ltsConfServers(files: readonly string[]): LtsConfServers {
  const result: LtsConfServers = { hosts: [], sshPorts: [], discovers: false, warnings: [] };
  for (const file of files) {
    const conf = readLtsConfSections(file);
    for (const issue of conf.issues) result.warnings.push(formatIssue(issue));
    let defaultDiscovers = conf.sections.length > 0;
    for (const section of conf.sections) {
      const isDefault = section.name.toLowerCase() === 'default';
      const where = (line: number): string => `${file} [${section.name}] line ${line}`;
      // A key repeated within a section: the last one counts, as in the shell file LTSP writes.
      const last = (key: string) => section.entries.filter((e) => e.key.toUpperCase() === key).at(-1);
      const list = last('LDM_BALANCE_SERVERS');
      if (list && list.value.trim() !== '') {
        const onInvalid = (e: ServerListError): void => void result.warnings.push(`${where(list.line)}: LDM_BALANCE_SERVERS: ${e.entry} ${e.reason}; skipped`);
        for (const s of parseServerList(list.value, where(list.line), onInvalid)) if (!result.hosts.includes(s.host)) result.hosts.push(s.host);
        if (isDefault) defaultDiscovers = false;
      }
      const discover = last('LDM_BALANCE_DISCOVER');
      const parsed = discover ? parseBoolean(discover.value.trim()) : undefined;
      if (isDefault && parsed && 'ok' in parsed && !parsed.ok) defaultDiscovers = false;
      const port = last('SSH_OVERRIDE_PORT');
      if (port) {
        const n = Number(port.value.trim());
        if (Number.isInteger(n) && n >= 1 && n <= 65_535) result.sshPorts.push({ port: n, where: where(port.line) });
        else result.warnings.push(`${where(port.line)}: SSH_OVERRIDE_PORT=${JSON.stringify(port.value)} is not a port; ignored`);
      }
    }
    if (defaultDiscovers) result.discovers = true;
  }
  return result;
}
