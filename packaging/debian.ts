/**
 * The debian/ directory the packages are built from with debhelper (dpkg-buildpackage -b): Debian's
 * own tools write the maintainer scripts (dh_installsystemd: enable and start the units with
 * deb-systemd-helper / deb-systemd-invoke, stop them on removal, purge their state), mark /etc files
 * as conffiles (dh_installdeb), compress man pages, fix permissions, and compute sizes and sums.
 *
 * The files themselves come staged from the layout table (admin/install/layout.ts) and are copied into
 * each package by override_dh_auto_install. The prebuilt addons are not stripped again (koffi's
 * binaries are published stripped; dh_strip runs for the build machine's architecture), and their library dependencies come from their ELF version
 * needs (readelf works for every architecture, dh_shlibdeps only for the build machine's).
 */
import { execFileSync } from 'node:child_process';
import { PACKAGE_NAMES, type PackageId, type PlannedFile } from '../admin/install/layout.ts';

export const MAINTAINER = process.env.DEBFULLNAME && process.env.DEBEMAIL
  ? `${process.env.DEBFULLNAME} <${process.env.DEBEMAIL}>`
  : 'ltsp-balance developers <ltsp-balance@ltsp.org>';
export const HOMEPAGE = 'https://github.com/ltsp/ltsp-balance';

export interface ControlInput {
  version: string;
  /** The Debian architectures the arch-specific packages may be built for. */
  archList: string[];
  /** Depends of each arch-specific package's native addons (libc6 (>= 2.25), ...). */
  addonDepends: Partial<Record<PackageId, string[]>>;
}

const DESCRIPTIONS: Record<PackageId, { arch: 'all' | 'any'; depends: string[]; recommends?: string[]; suggests?: string[]; enhances?: string[]; text: string }> = {
  server: {
    arch: 'any',
    // Node 18 (Debian 12) runs the daemons; older releases need a newer nodejs (NodeSource).
    // procps: /bin/kill, the advertise unit's ExecReload (not in a minimal system).
    depends: ['nodejs (>= 18)', 'procps'],
    recommends: ['openssh-client', 'libwbclient0'],
    suggests: ['winbind'],
    text: `load advertisement and PAM worker pool for LTSP application servers
 ltsp-balance lets LTSP 5 thin clients choose the least loaded application
 server at login. This package goes on every application server:
 .
  * ltsp-server-advertise reports the server's load on port 377 (TCP and
    UDP, socket-activated by systemd) for the thin clients' get_hosts hook;
  * ltsp-winbind-pool serves PAM and NSS requests through a pool of worker
    processes making blocking libwbclient calls;
  * ltsp-balance update-sshkeys collects the ssh host keys of every
    application server for the thin-client chroots.`,
  },
  client: {
    arch: 'all',
    depends: ['nodejs'],
    recommends: ['ltsp-balance-greeter-bridge'],
    enhances: ['ldm'],
    text: `load-balancing get_hosts hook for LTSP 5 thin clients (LDM)
 ltsp-balance lets LTSP 5 thin clients choose the least loaded application
 server at login. This package goes into each thin-client chroot
 (/opt/ltsp/<arch>): it provides /usr/share/ltsp/get_hosts, which LDM runs
 to get its server list. It asks every server listed in LDM_BALANCE_SERVERS
 (lts.conf) for its load, and prints them with the chosen one first.
 .
 The application servers need the ltsp-balance-server package.`,
  },
  bridge: {
    arch: 'any',
    depends: ['nodejs (>= 18)'],
    text: `live server list for the LTSP greeter (ltsp-balance)
 ltsp-balance lets LTSP 5 thin clients choose the least loaded application
 server at login. This package goes into each thin-client chroot next to
 ltsp-balance-client: a small daemon keeps each server's status (Down, Idle,
 Busy, Swapped, Draining) fresh for the greeter over POSIX message queues,
 and takes the user's choice back.`,
  },
};

function field(name: string, values: string[] | undefined): string[] {
  return values && values.length > 0 ? [`${name}: ${values.join(', ')}`] : [];
}

export function controlFile(input: ControlInput, packages: readonly PackageId[]): string {
  const source = [
    'Source: ltsp-balance',
    'Section: net',
    'Priority: optional',
    `Maintainer: ${MAINTAINER}`,
    'Build-Depends: debhelper-compat (= 13)',
    'Standards-Version: 4.6.2',
    `Homepage: ${HOMEPAGE}`,
    'Rules-Requires-Root: no',
  ].join('\n');
  const stanzas = packages.map((id) => {
    const d = DESCRIPTIONS[id];
    const depends = [...(id === 'bridge' ? ['ltsp-balance-client (= ${binary:Version})'] : []), ...d.depends, ...(input.addonDepends[id] ?? []), '${misc:Depends}'];
    return [
      `Package: ${PACKAGE_NAMES[id]}`,
      `Architecture: ${d.arch === 'all' ? 'all' : input.archList.join(' ')}`,
      ...field('Depends', depends),
      ...field('Recommends', d.recommends),
      ...field('Suggests', d.suggests),
      ...field('Enhances', d.enhances),
      `Description: ${d.text}`,
    ].join('\n');
  });
  return `${[source, ...stanzas].join('\n\n')}\n`;
}

export function changelog(version: string, date: Date): string {
  const rfc2822 = execFileSync('date', ['-R', '-u', '-d', `@${Math.floor(date.getTime() / 1000)}`], { encoding: 'utf8' }).trim();
  return `ltsp-balance (${version}) unstable; urgency=medium\n\n  * Built from the ltsp-balance repository (npm run package).\n\n -- ${MAINTAINER}  ${rfc2822}\n`;
}

export const COPYRIGHT = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ltsp-balance
Source: ${HOMEPAGE}

Files: *
Copyright: ltsp-balance developers
License: GPL-2+

Files: */node_modules/koffi/*
 */node_modules/@koromix/*
Copyright: Niels Martignène <niels.martignene@protonmail.com>
License: MIT

Files: */ltsp-balance-server/*.mjs */ltsp-balance-greeter-bridge/*.mjs usr/share/ltsp/get_hosts
Comment: The bundles include commander (Copyright TJ Holowaychuk, MIT) and
 fast-xml-parser (Copyright Amit Kumar Gupta, MIT).
Copyright: ltsp-balance developers and the authors named above
License: GPL-2+

License: GPL-2+
 This program is free software; you can redistribute it and/or modify it
 under the terms of the GNU General Public License as published by the Free
 Software Foundation; either version 2 of the License, or (at your option)
 any later version.
 .
 On Debian systems, the complete text of the GNU General Public License
 version 2 can be found in "/usr/share/common-licenses/GPL-2".

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to
 deal in the Software without restriction, including without limitation the
 rights to use, copy, modify, merge, publish, distribute, sublicense, and/or
 sell copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in
 all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
 FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS
 IN THE SOFTWARE.
`;

export function rulesFile(packages: readonly PackageId[]): string {
  const copies = packages.map((id) => `\tcp -a stage/${PACKAGE_NAMES[id]}/. debian/${PACKAGE_NAMES[id]}/`).join('\n');
  return `#!/usr/bin/make -f
# Generated by packaging/build.ts from the layout table (admin/install/layout.ts).
%:
\tdh $@

override_dh_auto_install:
${copies}

# lts.conf.example stays readable as is (the README points at it).
override_dh_compress:
\tdh_compress -X lts.conf.example

include /usr/share/dpkg/architecture.mk

# koffi's binaries are published stripped; dh_strip, which only knows the build machine's
# architecture, runs for a native build only.
override_dh_strip:
ifeq ($(DEB_HOST_ARCH),$(DEB_BUILD_ARCH))
\tdh_strip
endif

# The addons' library dependencies are in debian/control (from readelf, which works for every
# architecture; dh_shlibdeps only knows the build machine's).
override_dh_dwz override_dh_shlibdeps:
`;
}

/**
 * The server's prerm: dh_installsystemd's lines (#DEBHELPER#) stop the units when systemd runs; a
 * daemon started by hand would go on serving the removed files unnoticed, so removal names it, one
 * line per process. It never fails the removal.
 */
export const SERVER_PRERM = `#!/bin/sh
set -e
#DEBHELPER#
if [ "$1" = remove ]; then
	for d in /proc/[0-9]*; do
		[ -r "$d/cmdline" ] || continue
		set -f
		set -- $(tr '\\0' '\\n' < "$d/cmdline" 2>/dev/null | head -n 16) ""
		# node [its options] SCRIPT ...: the script is the first word after node's own options.
		case "\${1##*/}" in node|nodejs) shift; while [ $# -gt 1 ] && [ "\${1#-}" != "$1" ]; do shift; done ;; esac
		case "$1" in
		/usr/bin/ltsp-server-advertise|/usr/bin/ltsp-winbind-pool|/usr/lib/ltsp-balance-server/*)
			echo "ltsp-balance-server: pid \${d#/proc/} ($1) still runs, started outside systemd: stop it, it keeps running the removed version" >&2 ;;
		esac
	done
fi
exit 0
`;

/**
 * The client's postinst: the hook's V8 code cache for the chroot's Node (get-hosts/code-cache.ts),
 * written at configure time and again when the chroot's nodejs changes (CLIENT_TRIGGERS). A cache
 * that cannot be written (no nodejs yet, a read-only /var/cache) costs start-up time, never the
 * installation: the hook runs uncached, so the postinst says so after get_hosts' own error line and succeeds.
 */
export const CLIENT_POSTINST = `#!/bin/sh
set -e
case "$1" in
configure|triggered)
	/usr/share/ltsp/get_hosts --write-code-cache || echo "ltsp-balance-client: get_hosts runs without its code cache (start-up a few ms slower)" >&2 ;;
esac
#DEBHELPER#
exit 0
`;

/** Removal takes the code cache with the bundle it was made for. */
export const CLIENT_POSTRM = `#!/bin/sh
set -e
case "$1" in
remove|purge)
	rm -f /var/cache/ltsp-balance/get_hosts.cjs.v8cache /var/cache/ltsp-balance/.get_hosts.cjs.v8cache.*
	rmdir /var/cache/ltsp-balance 2>/dev/null || true ;;
esac
#DEBHELPER#
exit 0
`;

/** A new nodejs in the chroot (another V8) makes the cache useless: rewrite it (the postinst's `triggered`). */
export const CLIENT_TRIGGERS = 'interest-noawait /usr/bin/node\ninterest-noawait /usr/bin/nodejs\n';

/** libc6/libstdc++/libgcc dependencies of the ELF objects among `files`, from their version needs. */
export function elfDepends(files: readonly PlannedFile[], stageDir: string): string[] {
  let glibc: number[] | undefined;
  const libs = new Set<string>();
  for (const f of files) {
    if (f.kind !== 'file' || !f.content || f.content.subarray(0, 4).toString('latin1') !== '\x7fELF') continue;
    const path = `${stageDir}${f.path}`;
    const versions = execFileSync('readelf', ['-V', '-W', path], { encoding: 'utf8' });
    for (const m of versions.matchAll(/GLIBC_(\d+(?:\.\d+)*)/g)) {
      const v = m[1]!.split('.').map(Number);
      if (!glibc || compareVersions(v, glibc) > 0) glibc = v;
    }
    const dynamic = execFileSync('readelf', ['-d', '-W', path], { encoding: 'utf8' });
    for (const m of dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) libs.add(m[1]!);
  }
  const out: string[] = [];
  if (glibc) out.push(`libc6 (>= ${glibc.join('.')})`);
  // Debian 11 renamed libgcc1 to libgcc-s1; LTSP 5 releases (Debian 10, Ubuntu 18.04) have libgcc1.
  if (libs.has('libgcc_s.so.1')) out.push('libgcc-s1 | libgcc1');
  if (libs.has('libstdc++.so.6')) out.push('libstdc++6');
  return out;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}
