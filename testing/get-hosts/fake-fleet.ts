/**
 * Real advertise-protocol servers for the tests, on loopback addresses of a /24 picked at random per
 * test process (127.64-127.x.y), so parallel test runs by other people never collide on port 377.
 * A well-behaved server answers the padded UDP query with the rendered document (the amplification
 * rule from shared/wire) and sends the TCP document on connect, then closes. Hostile behaviours are
 * options: they are what broken or malicious servers really send.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Advertisement } from '../../shared/wire/advertisement.ts';
import { renderAdvertisement } from '../../shared/wire/render.ts';
import { chooseUdpReply, isQuery } from '../../shared/wire/udp-query.ts';

export function randomSubnet(): string {
  return `127.${64 + Math.floor(Math.random() * 64)}.${Math.floor(Math.random() * 256)}`;
}

export type TcpBehaviour =
  | { kind: 'document' }
  | { kind: 'raw'; text: string }
  | { kind: 'huge'; bytes: number }
  | { kind: 'drip'; intervalMs: number }
  | { kind: 'reset' }
  | { kind: 'closed' };

export type UdpBehaviour =
  | { kind: 'document' }
  | { kind: 'silent' }
  /** No UDP socket at all: the host answers the query with ICMP port unreachable. */
  | { kind: 'unbound' }
  | { kind: 'raw'; text: string }
  | { kind: 'retry-tcp' }
  | { kind: 'delay'; ms: number };

export interface FakeServerOptions {
  address: string;
  port?: number;
  ad?: Advertisement;
  udp?: UdpBehaviour;
  tcp?: TcpBehaviour;
}

export interface FakeServer {
  address: string;
  port: number;
  /** Replace the advertisement served from now on. */
  setAd(ad: Advertisement): void;
  udpQueries: number;
  tcpConnections: number;
  close(): Promise<void>;
}

export async function startFakeServer(opts: FakeServerOptions): Promise<FakeServer> {
  const port = opts.port ?? 377;
  let ad = opts.ad;
  // Rendered once per advertisement, as the real daemon keeps its document ready.
  const render = (a: Advertisement | undefined) => a && { udp: Buffer.from(renderAdvertisement(a, { includeUserNames: false })), tcp: renderAdvertisement(a, { includeUserNames: true }) };
  let docs = render(ad);
  const udpMode = opts.udp ?? { kind: 'document' };
  const tcpMode = opts.tcp ?? { kind: 'document' };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state = { udpQueries: 0, tcpConnections: 0 };

  const udp: UdpSocket = createSocket(isIP(opts.address) === 6 ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => {
    if (!isQuery(msg)) return;
    state.udpQueries++;
    const send = (buf: Buffer | undefined): void => {
      if (buf) udp.send(buf, rinfo.port, rinfo.address);
    };
    const doc = docs?.udp;
    switch (udpMode.kind) {
      case 'document':
        return send(doc && chooseUdpReply(msg.length, doc));
      case 'raw':
        return send(Buffer.from(udpMode.text));
      case 'retry-tcp':
        return send(chooseUdpReply(msg.length, Buffer.alloc(msg.length + 1)));
      case 'delay': {
        const t = setTimeout(() => send(doc && chooseUdpReply(msg.length, doc)), udpMode.ms);
        timers.add(t);
        return;
      }
      case 'silent':
      case 'unbound':
        return;
    }
  });
  udp.on('error', () => undefined);
  if (udpMode.kind !== 'unbound') {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, opts.address, () => resolve());
    });
  }

  const tcp: Server = createServer((socket) => {
    state.tcpConnections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    switch (tcpMode.kind) {
      case 'document':
        socket.end(docs?.tcp ?? '');
        return;
      case 'raw':
        socket.end(tcpMode.text);
        return;
      case 'reset':
        socket.resetAndDestroy();
        return;
      case 'closed':
        socket.destroy();
        return;
      case 'huge': {
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let left = tcpMode.bytes;
        const pump = (): void => {
          while (left > 0 && !socket.destroyed) {
            left -= chunk.length;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
          socket.end();
        };
        socket.write('<advertise version="1"><junk>');
        pump();
        return;
      }
      case 'drip': {
        const doc = docs!.tcp;
        let i = 0;
        const t = setInterval(() => {
          if (socket.destroyed || i >= doc.length) {
            clearInterval(t);
            return void socket.end();
          }
          socket.write(doc[i++]!);
        }, tcpMode.intervalMs);
        timers.add(t);
        return;
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, opts.address, () => resolve());
  });

  return {
    address: opts.address,
    port,
    setAd: (next) => {
      ad = next;
      docs = render(next);
    },
    get udpQueries() {
      return state.udpQueries;
    },
    get tcpConnections() {
      return state.tcpConnections;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t), clearInterval(t);
      for (const s of sockets) s.destroy();
      if (udpMode.kind === 'unbound') udp.close();
      else await new Promise<void>((resolve) => udp.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

/** Closes everything started, also when a test failed half-way. */
export class Fleet {
  readonly servers: FakeServer[] = [];
  readonly subnet = randomSubnet();
  address(n: number): string {
    return `${this.subnet}.${n}`;
  }
  async start(n: number, opts: Omit<FakeServerOptions, 'address'>): Promise<FakeServer> {
    const server = await startFakeServer({ ...opts, address: this.address(n) });
    this.servers.push(server);
    return server;
  }
  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
  }
}
