import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_FORMAT, MAX_CACHE_BYTES, readSurveyCache } from '../../balance/cache.ts';
import { writeSurveyCache } from '../../balance/cache-write.ts';
import type { ServerReport } from '../../balance/probe/survey.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';

const dir = mkdtempSync(join(tmpdir(), 'get-hosts-cache-'));
const path = join(dir, 'sub', 'survey.json');
const now = 1_800_000_000_000;
const reports: ServerReport[] = [
  { server: { host: 'app1', port: 377 }, reachable: true, ad: sampleAdvertisement(), rttMs: 0.42, via: 'udp', address: '10.0.0.1' },
  { server: { host: 'fd00::2', port: 1377 }, reachable: false, error: { code: 'ERR_SURVEY_TIMEOUT', message: 'no answer' } },
];

test('written atomically (directory created, no temp file left) and read back, without user names', () => {
  writeSurveyCache(path, reports, now);
  assert.equal(readdirSync(join(dir, 'sub')), ['survey.json']);
  assert.not.match(readFileSync(path, 'utf8'), /alice/);
  const back = readSurveyCache(path, 5000, now + 4000)!;
  const { userNames: _u, ...withoutNames } = sampleAdvertisement();
  assert.equal(back, [{ ...reports[0]!, ad: { ...withoutNames, mhz: 2400.5, uptimeSec: 86400.5 } }, reports[1]!]);
});

test('stale, from the future, missing, or turned off: no cache and no complaint', () => {
  writeSurveyCache(path, reports, now);
  const rejected: string[] = [];
  const onReject = (e: Error) => rejected.push(e.message);
  assert.is(readSurveyCache(path, 5000, now + 5001, onReject), undefined);
  assert.ok(readSurveyCache(path, 5000, now - 500, onReject));
  assert.is(readSurveyCache(path, 5000, now - 5000, onReject), undefined);
  assert.is(readSurveyCache(join(dir, 'none.json'), 5000, now, onReject), undefined);
  assert.is(readSurveyCache(path, 0, now, onReject), undefined);
  assert.equal(rejected, ['written in the future (clock changed?)']);
});

test('corrupt, hostile or oversized files are refused with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /JSON/],
    ['{"format":"other"}', /not a ltsp-balance-survey\/1 file/],
    [JSON.stringify({ format: CACHE_FORMAT, writtenAtMs: now, reports: [{ server: 'a b c', reachable: true }] }), /report 0/],
    [JSON.stringify({ format: CACHE_FORMAT, writtenAtMs: now, reports: [{ server: 'a', reachable: true }] }), /reachable without a document/],
    [JSON.stringify({ format: CACHE_FORMAT, writtenAtMs: now, reports: [{ server: 'a', reachable: true, document: '<!DOCTYPE x><advertise/>' }] }), /DOCTYPE/],
    [JSON.stringify({ format: CACHE_FORMAT, writtenAtMs: now, reports: [{ server: 'a', reachable: false, rttMs: -1 }] }), /rttMs out of range/],
    [JSON.stringify({ format: CACHE_FORMAT, writtenAtMs: now, reports: [{ server: 'a', reachable: false, via: 'smoke' }] }), /via/],
    [JSON.stringify({ format: CACHE_FORMAT, writtenAtMs: 'x', reports: [] }), /writtenAtMs/],
    [' '.repeat(MAX_CACHE_BYTES + 10), /larger than/],
  ];
  for (const [text, reason] of cases) {
    writeFileSync(path, text);
    let why = '';
    assert.is(readSurveyCache(path, 5000, now, (e) => (why = `${e.code} ${e.message}`)), undefined, text.slice(0, 40));
    assert.match(why, /^ERR_CACHE /);
    assert.match(why, reason, text.slice(0, 40));
  }
});

test('a write that cannot happen is a coded error and leaves no temp file', () => {
  writeFileSync(join(dir, 'file'), 'x');
  try {
    writeSurveyCache(join(dir, 'file', 'survey.json'), reports, now);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_CACHE');
  }
  assert.not.ok(existsSync(join(dir, 'file', 'survey.json.tmp')));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
