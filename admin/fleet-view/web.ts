/**
 * The fleet view over HTTP: `/` the page, `/events` Server-Sent Events, `/metrics` the fleet as
 * Prometheus text. Read-only (GET and HEAD only), anything else 404/405. The survey runs once per
 * interval in the collector and is broadcast to every viewer: 100 browsers cost 100 writes, not 100
 * surveys. Bounded: at most MAX_VIEWERS event streams, a viewer that stops reading is cut when its
 * unsent data passes MAX_BACKLOG_BYTES, headers are capped and slow requests time out.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { BalanceError } from '../../shared/errors.ts';
import { parseListenSpec } from '../../shared/net/address.ts';
import type { FleetCollector, FleetSnapshot } from './collect.ts';
import { PAGE_HTML } from './page.ts';
import { fleetMetrics } from './metrics.ts';

export const MAX_VIEWERS = 256;
export const MAX_BACKLOG_BYTES = 1024 * 1024;
const MAX_HEADER_BYTES = 8 * 1024;

export class FleetListenError extends BalanceError {
  constructor(message: string) {
    super('ERR_FLEET_LISTEN', message, { exitCode: 2 });
  }
}

/** `--allow` entries: addresses or CIDR ranges, IPv4 or IPv6. Loopback is always allowed. */
export function parseAllowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  for (const raw of entries) {
    for (const entry of raw.split(/[\s,]+/).filter(Boolean)) {
      const [addr, bits] = entry.split('/');
      const family = isIP(addr ?? '');
      const max = family === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
        throw new FleetListenError(`--allow ${JSON.stringify(entry.slice(0, 60))} is not an address or address/prefix`);
      }
      list.addSubnet(addr!, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
  }
  return list;
}

/** `--listen ADDR:PORT` (IPv6 as `[ADDR]:PORT`; port 0 picks a free one). */
export function parseListenAddress(text: string): { host: string; port: number } {
  const spec = parseListenSpec(text);
  if (!spec) throw new FleetListenError(`--listen ${JSON.stringify(text.slice(0, 80))} must be ADDR:PORT (IPv6 as [ADDR]:PORT)`);
  return spec;
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);

export interface FleetWebOptions {
  host: string;
  port: number;
  allow: readonly string[];
}

export interface FleetWeb {
  server: Server;
  port: number;
  viewers(): number;
  broadcast(snapshot: FleetSnapshot): void;
  close(): Promise<void>;
}

export async function startFleetWeb(collector: FleetCollector, opts: FleetWebOptions): Promise<FleetWeb> {
  if (!isLoopback(opts.host) && opts.allow.length === 0) {
    throw new FleetListenError(`--listen ${opts.host}: listening beyond loopback needs --allow with the addresses that may look`);
  }
  const allowed = parseAllowList(opts.allow);
  const viewers = new Set<ServerResponse>();
  const send = (res: ServerResponse, event: string, data: unknown): void => {
    if (res.writableLength > MAX_BACKLOG_BYTES) {
      viewers.delete(res);
      res.destroy();
      return;
    }
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const family = isIP(peer) === 6 ? 'ipv6' : 'ipv4';
    if (!peer || !allowed.check(peer, family)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('not allowed\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('read-only\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    const common = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (path === '/') {
      res.writeHead(200, { ...common, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:" });
      res.end(req.method === 'HEAD' ? undefined : PAGE_HTML);
    } else if (path === '/metrics') {
      res.writeHead(200, { ...common, 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : fleetMetrics(collector.snapshot));
    } else if (path === '/events') {
      if (viewers.size >= MAX_VIEWERS) {
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '30' }).end('too many viewers\n');
        return;
      }
      res.writeHead(200, { ...common, 'content-type': 'text/event-stream', connection: 'keep-alive' });
      viewers.add(res);
      res.on('close', () => viewers.delete(res));
      send(res, 'init', { snapshot: collector.snapshot ?? null, history: collector.allHistory() });
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  };
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handle);
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new FleetListenError(`--listen ${opts.host}:${opts.port}: ${err.code ?? err.message}`)));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : opts.port,
    viewers: () => viewers.size,
    broadcast(snapshot) {
      for (const res of viewers) send(res, 'snapshot', snapshot);
    },
    close() {
      for (const res of viewers) res.destroy();
      viewers.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
