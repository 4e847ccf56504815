#!/usr/bin/env node
// Writes lts.conf.example from each component's documented keys (<component>/lts.conf.keys), so the
// example and the code that reads the keys live side by side. test/lts-conf-example.test.ts fails when
// the committed file is out of date: run `node scripts/lts-conf-example.mjs` after changing a keys file.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const KEY_FILES = ['balance/lts.conf.keys', 'greeter-bridge/lts.conf.keys', 'greeter-wrapper/lts.conf.keys'];

const HEADER = `# lts.conf.example: every setting of ltsp-balance, with its default.
# Generated from */lts.conf.keys by scripts/lts-conf-example.mjs; edit those, not this file.
#
# Copy what you need into the chroot's lts.conf (e.g. /opt/ltsp/i386/etc/lts.conf, or
# /var/lib/tftpboot/ltsp/i386/lts.conf). getltscfg's rules apply: KEY = value, # comments, only
# "double" quotes, and a value holding = [ ] ' or # must be quoted; the first syntax error ends the
# file for the client. A client uses the first of its [hostname], [IP] or [MAC] sections (and every
# LIKE = other-section in it), then wildcard sections ([02:fc:00:*]), then [Default].
# Booleans: Y y True true / N n False false.

[Default]
# The one active line: LTSP treats an empty section as a syntax error. Two-choices is the default
# anyway; it is written out here so that this file works when copied as it is.
LDM_BALANCE_ALGORITHM = two-choices
`;

const FOOTER = `
# A client's own section overrides [Default]; LIKE pulls in a shared profile.
#[lab-fixed]
#LDM_BALANCE_ALGORITHM = fixed
#
#[00:11:22:aa:bb:cc]
#LIKE = lab-fixed
`;

export function renderExample() {
  const parts = KEY_FILES.filter((f) => existsSync(join(root, f))).map((f) => `\n${readFileSync(join(root, f), 'utf8').trimEnd()}\n`);
  return HEADER + parts.join('') + FOOTER;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(join(root, 'lts.conf.example'), renderExample());
  process.stdout.write('wrote lts.conf.example\n');
}
