/**
 * A loopback fleet for the bridge's tests: real UDP and TCP advertise servers on 127.0.0.x, each
 * answering get_hosts' padded query with a document rendered by shared/wire/render.ts, with the
 * amplification rule of shared/wire/udp-query.ts. The advertisement can be changed while running
 * (a server getting busy), and a server can be stopped (Down).
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import type { Advertisement } from '../../shared/wire/advertisement.ts';
import { renderAdvertisement } from '../../shared/wire/render.ts';
import { chooseUdpReply, isQuery } from '../../shared/wire/udp-query.ts';
import { sampleAdvertisement } from '../sample-advertisement.ts';

export interface FleetServer {
  host: string;
  port: number;
  /** `host:port`, as the bridge and get_hosts print it. */
  name: string;
  ad: Advertisement;
  close(): Promise<void>;
}

const running = new Set<FleetServer>();

/** Closes every server still running (for `test.after`: open sockets keep the test process alive). */
export async function stopFleet(): Promise<void> {
  await Promise.all([...running].map((s) => s.close()));
}

export const IDLE: Partial<Advertisement> = { loadavg1: 0.1, loadavg5: 0.1, rating: 95, users: 2, sessions: 2 };
export const BUSY: Partial<Advertisement> = { loadavg1: 12, loadavg5: 12, rating: 20, users: 40, sessions: 40 };

export async function startFleetServer(host: string, fields: Partial<Advertisement> = IDLE): Promise<FleetServer> {
  const udp = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(0, host, () => resolve());
  });
  const port = udp.address().port;
  const server: FleetServer = {
    host,
    port,
    name: `${host}:${port}`,
    ad: sampleAdvertisement({ hostname: `app-${host.replaceAll('.', '-')}`, userNames: [], ...fields }),
    close: async () => {
      if (!running.delete(server)) return;
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
  udp.on('message', (msg, rinfo) => {
    if (!isQuery(msg)) return;
    const reply = chooseUdpReply(msg.length, Buffer.from(renderAdvertisement(server.ad, { includeUserNames: false })));
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  const tcp: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end(renderAdvertisement(server.ad, { includeUserNames: true }));
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, host, () => resolve());
  });
  running.add(server);
  return server;
}

/** A `host:port` where nothing answers (a UDP socket bound then closed: the port is free, not ours). */
export async function downAddress(host: string): Promise<string> {
  const s: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, host, () => resolve()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return `${host}:${port}`;
}
