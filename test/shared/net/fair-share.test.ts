import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FairShare } from '../../../shared/net/fair-share.ts';

test('a peer is capped at its share; others are admitted while the budget lasts', () => {
  const share = new FairShare<string, number>(4);
  for (let i = 0; i < 2; i++) {
    assert.equal(share.admit('a', 2), { ok: true, evict: null });
    share.add('a', i);
  }
  assert.equal(share.admit('a', 2), { ok: false, why: 'peer_cap' });
  assert.equal(share.admit('b', 2), { ok: true, evict: null });
});

test('when full, a newcomer takes the oldest evictable item of the biggest holder, never its own or an equal one', () => {
  const idle = new Set([1, 2, 3, 10]);
  const share = new FairShare<string, number>(4, (n) => idle.has(n));
  for (const n of [1, 2, 3]) share.add('a', n);
  share.add('b', 10);
  assert.equal(share.admit('c', Infinity), { ok: true, evict: 1 }, 'the oldest of the biggest holder');
  idle.delete(1);
  assert.equal(share.admit('c', Infinity), { ok: true, evict: 2 }, 'a busy item is skipped');
  // 'b' holds 1: after taking one from 'a' (3 -> 2) 'b' would hold as many as the newcomer.
  assert.equal(share.admit('b', Infinity), { ok: true, evict: 2 });
  share.release('a', 1);
  share.release('a', 2);
  share.add('c', 20);
  share.add('d', 30);
  assert.is(share.size, 4);
  assert.equal(share.admit('e', Infinity), { ok: false, why: 'full' }, 'everyone holds one or two: nobody gives up one');
  assert.equal(share.admit('a', Infinity), { ok: false, why: 'full' });
});

test.run();
