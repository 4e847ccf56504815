/**
 * UDP port 377. Uses node:dgram directly rather than dgram-as-promised: a server socket receives from
 * many peers at once and must never drop a datagram because no recv() happens to be pending (that
 * library's defect 2, see shared/notes/dependencies.md); an event handler per datagram is the model.
 *
 * The checks run cheapest first and every outcome has its counter. No reply is ever larger than the
 * query (shared/wire/udp-query.ts decides the bytes), the UDP document has no user names, and
 * rejected datagrams are logged once per interval, never once each.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import type { ThrottledLog } from '../shared/log.ts';
import { chooseUdpReply, isQuery, QUERY_PADDED_BYTES } from '../shared/wire/udp-query.ts';
import type { Counters } from './counters.ts';
import type { SourceRateLimiter } from './rate-limit.ts';
import type { SourceFilter } from './source-filter.ts';

/**
 * Larger datagrams are dropped unread. Clients pad to 1200 bytes; allowing somewhat more leaves room
 * for a future client, while 64 KiB of junk per packet earns nothing.
 */
export const MAX_QUERY_BYTES = 2 * QUERY_PADDED_BYTES;

export interface UdpResponderDeps {
  /** Read at each query: the sampler swaps in a new Buffer every interval. */
  document: () => Buffer;
  counters: Counters;
  limiter: SourceRateLimiter;
  filter: SourceFilter | undefined;
  throttled: ThrottledLog;
}

export function attachUdpResponder(socket: Socket, deps: UdpResponderDeps): void {
  const { counters, limiter, filter, throttled } = deps;
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    if (msg.length > MAX_QUERY_BYTES) {
      counters.udpOversized++;
      throttled.count('notice', `dropped UDP datagrams larger than ${MAX_QUERY_BYTES} bytes`);
      return;
    }
    if (!isQuery(msg)) {
      counters.udpMalformed++;
      throttled.count('notice', 'dropped UDP datagrams that are not advertise queries');
      return;
    }
    if (filter && !filter.allows(rinfo.address)) {
      counters.udpRejected++;
      throttled.count('notice', 'ignored UDP queries from outside the --interface subnets');
      return;
    }
    if (!limiter.allow(rinfo.address)) {
      counters.udpRateLimited++;
      throttled.count('notice', 'rate-limited UDP queries');
      return;
    }
    const doc = deps.document();
    const reply = chooseUdpReply(msg.length, doc);
    if (reply === undefined) {
      counters.udpTooShort++;
      throttled.count('notice', 'ignored UDP queries too short for any answer');
      return;
    }
    if (reply === doc) counters.udpServed++;
    else counters.udpRetryTcp++;
    // No callback: Node then reports a failed send as an 'error' event (below), and skips a
    // completion callback per reply on the hot path.
    socket.send(reply, rinfo.port, rinfo.address);
  });
  socket.on('error', (err) => {
    counters.udpSendErrors++;
    throttled.count('warning', `UDP send failed (${(err as NodeJS.ErrnoException).code ?? err.message})`);
  });
}
