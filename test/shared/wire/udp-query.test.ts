import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildQuery, chooseUdpReply, isQuery, QUERY_PADDED_BYTES, RETRY_TCP_REPLY } from '../../../shared/wire/udp-query.ts';
import { renderAdvertisement } from '../../../shared/wire/render.ts';
import { sampleAdvertisement } from '../../../testing/sample-advertisement.ts';

test('a default query is padded to 1200 bytes and recognised', () => {
  const q = buildQuery();
  assert.is(q.length, QUERY_PADDED_BYTES);
  assert.ok(isQuery(q));
  assert.not.ok(isQuery(Buffer.from('hello')));
  assert.not.ok(isQuery(Buffer.alloc(0)));
});

test('the UDP document fits in a padded query', () => {
  // the longest plausible values: every field at its widest
  const wide = sampleAdvertisement({ hostname: 'h'.repeat(253), memTotalKb: 2 ** 50, memAvailableKb: 2 ** 50, uptimeSec: 9e9 });
  const doc = Buffer.from(renderAdvertisement(wide, { includeUserNames: false }));
  assert.ok(doc.length <= QUERY_PADDED_BYTES, `document is ${doc.length} bytes`);
});

test('a reply is never larger than its query, whatever the sizes', () => {
  const doc = Buffer.from(renderAdvertisement(sampleAdvertisement(), { includeUserNames: false }));
  for (let size = 0; size <= 1500; size++) {
    const reply = chooseUdpReply(size, doc);
    if (reply) assert.ok(reply.length <= size, `query ${size} got ${reply.length}`);
    if (size >= doc.length) assert.is(reply, doc);
    else if (size >= RETRY_TCP_REPLY.length) assert.is(reply?.toString(), RETRY_TCP_REPLY);
    else assert.is(reply, undefined);
  }
});

test.run();
