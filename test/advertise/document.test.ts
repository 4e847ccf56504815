import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildAdvertisement, renderDocuments, wireHostname } from '../../advertise/document.ts';
import { UNREAD, type Measurements } from '../../advertise/sampler.ts';
import { DEFAULT_SETTINGS } from '../../advertise/settings.ts';
import { MAX_DOCUMENT_BYTES } from '../../shared/wire/advertisement.ts';
import { parseAdvertisement } from '../../shared/wire/parse.ts';
import { QUERY_PADDED_BYTES } from '../../shared/wire/udp-query.ts';

const measured: Measurements = {
  ...UNREAD,
  cpus: 8,
  mhz: 2400,
  loadavg1: 4,
  loadavg5: 2,
  loadavg15: 1,
  memTotalKb: 1000,
  memAvailableKb: 500,
  sessions: 3,
  users: 2,
  loginsLast60s: 1,
  userNames: ['alice', 'bob', 'alice'],
};

test('the TCP document has the user names, the UDP one does not; both parse back', () => {
  const docs = renderDocuments(buildAdvertisement(measured, { ...DEFAULT_SETTINGS, weight: 40 }, 'app1', 12.5));
  const tcp = parseAdvertisement(docs.tcp);
  const udp = parseAdvertisement(docs.udp);
  assert.equal(tcp.userNames, ['alice', 'bob', 'alice']);
  assert.is(udp.userNames, undefined);
  assert.not.ok(docs.udp.includes('alice'));
  assert.is(tcp.weight, 40);
  assert.is(tcp.state, 'accepting');
  assert.is(tcp.rating, 50); // load 4 on 8 CPUs: -25; half the memory used: -25
  assert.is(tcp.daemonUptimeSec, 12.5);
});

test('drain shows as state draining', () => {
  const docs = renderDocuments(buildAdvertisement(measured, { ...DEFAULT_SETTINGS, drain: true }, 'app1', 0));
  assert.is(parseAdvertisement(docs.udp).state, 'draining');
});

test('the UDP document fits a padded query even with the longest host name and large numbers', () => {
  const big: Measurements = { ...measured, memTotalKb: 2 ** 49, memAvailableKb: 2 ** 49, loadavg1: 99999, uptimeSec: 9e9 };
  const docs = renderDocuments(buildAdvertisement(big, { ...DEFAULT_SETTINGS, weight: 10_000 }, 'h'.repeat(253), 9e9));
  assert.ok(docs.udp.length <= QUERY_PADDED_BYTES, `${docs.udp.length} bytes`);
});

test('a user list too long for the client cap is cut; the counts stay exact', () => {
  const names = Array.from({ length: 2048 }, (_, i) => `user-with-a-long-name-${String(i).padStart(6, '0')}`);
  const many: Measurements = { ...measured, sessions: 2048, users: 2048, userNames: names };
  const docs = renderDocuments(buildAdvertisement(many, DEFAULT_SETTINGS, 'app1', 0));
  assert.ok(docs.tcp.length <= MAX_DOCUMENT_BYTES);
  const ad = parseAdvertisement(docs.tcp);
  assert.is(ad.sessions, 2048);
  assert.ok(ad.userNames!.length > 0 && ad.userNames!.length < 2048);
});

test('host names the wire format refuses are cleaned, never sent as they are', () => {
  assert.is(wireHostname('app1.example'), 'app1.example');
  assert.is(wireHostname('bad host<name>'), 'bad-host-name-');
  assert.is(wireHostname('-lead'), 'lead');
  assert.is(wireHostname(''), 'unnamed');
  assert.is(wireHostname('x'.repeat(400)).length, 253);
});

test.run();
