/**
 * 200 random lts.conf files and 14 written by hand (syntax errors, stray quotes, includes, missing includes, LIKE, wildcards,
 * NONE, CRLF) with what the real getltscfg printed for them: getltscfg built from LTSP 5's sources
 * (client/getltscfg), run with -a in a network namespace whose client is tc42 / 10.0.0.42 /
 * 00:11:22:aa:bb:cc. The fixture is data recorded from that program; here the product's reader must
 * give the same values for each, and report an echo whenever getltscfg echoed a character.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLtsConf } from '../../ltsp/ltsconf.ts';

interface Corpus {
  includes: Record<string, string>;
  cases: { conf: string; expected: string[]; echoed?: string }[];
}
const corpus: Corpus = JSON.parse(readFileSync(new URL('../../testing/fixtures/getltscfg-corpus.json', import.meta.url), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'getltscfg-corpus-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
for (const [name, text] of Object.entries(corpus.includes)) writeFileSync(join(dir, name), text.replaceAll('@DIR@', dir));
const client = { hostname: 'tc42', ip: '10.0.0.42', mac: '00:11:22:aa:bb:cc' };

test(`the values of ${corpus.cases.length} files are the ones getltscfg printed`, () => {
  const wrong: string[] = [];
  corpus.cases.forEach((c, i) => {
    const path = join(dir, `case${i}.conf`);
    writeFileSync(path, c.conf.replaceAll('@DIR@', dir));
    const conf = readLtsConf({ path, client })!;
    const got = [...conf.values].map(([k, v]) => `${k}="${v.value}"`).sort();
    if (JSON.stringify(got) !== JSON.stringify(c.expected)) wrong.push(`case ${i}: ${JSON.stringify(c.conf)}\n  getltscfg: ${JSON.stringify(c.expected)}\n  ours:      ${JSON.stringify(got)}`);
    const echoReported = conf.issues.some((x) => /getltscfg copies it to its output/.test(x.message));
    if (!conf.failed && Boolean(c.echoed) !== echoReported) wrong.push(`case ${i}: echoed ${JSON.stringify(c.echoed ?? '')} but reported: ${echoReported}`);
  });
  assert.equal(wrong, []);
});

test.run();
