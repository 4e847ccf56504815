/**
 * Load generators for the advertise benchmark: closed-loop UDP and TCP clients (each client sends
 * its next request when the previous answer arrived, so the server's speed sets the rate), and the
 * bare Node servers the daemon is compared with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
export { percentile } from '../lib/stats.ts';

export interface UdpLoopLimit {
  /** Stop after this long... */
  seconds?: number;
  /** ...or once this many answers arrived, calling `checkpoint` every `every` answers. */
  total?: number;
  every?: number;
  checkpoint?: (answered: number) => void;
}

/**
 * Closed-loop UDP queries from `clients` sockets, each sending its next query when its answer came.
 * Returns answers per second.
 */
export async function udpClosedLoop(port: number, query: Buffer, clients: number, limit: UdpLoopLimit): Promise<number> {
  const total = limit.total ?? Infinity;
  let answered = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const sockets: UdpSocket[] = [];
  const lastSent: number[] = [];
  const send = (i: number) => {
    lastSent[i] = performance.now();
    sockets[i]!.send(query, port, '127.0.0.1');
  };
  await Promise.all(
    Array.from({ length: clients }, (_, i) => {
      const s = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
      sockets.push(s);
      lastSent.push(0);
      s.on('message', () => {
        answered++;
        if (limit.every && answered % limit.every === 0) limit.checkpoint?.(answered);
        if (answered >= total) finish();
        else send(i);
      });
      return new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    }),
  );
  const started = performance.now();
  sockets.forEach((_, i) => send(i));
  // A datagram lost on the way would stall its client: re-send after 50 ms of silence.
  const revive = setInterval(() => {
    const now = performance.now();
    lastSent.forEach((t, i) => now - t > 50 && answered < total && send(i));
  }, 25);
  const timer = limit.seconds === undefined ? undefined : setTimeout(finish, limit.seconds * 1000);
  await finished;
  clearInterval(revive);
  clearTimeout(timer);
  const rate = answered / ((performance.now() - started) / 1000);
  for (const s of sockets) s.close();
  return rate;
}

/** `seconds` of connect, read to the end, reconnect, from `clients` parallel loops; returns answers/s. */
export async function tcpClosedLoop(port: number, expectBytes: number, clients: number, seconds: number): Promise<number> {
  let answered = 0;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      await new Promise<void>((resolve) => {
        const s = connect({ port, host: '127.0.0.1' });
        let got = 0;
        s.on('data', (c: Buffer) => (got += c.length));
        s.on('error', () => resolve());
        s.on('close', () => {
          if (got > 0 && (expectBytes < 0 || got >= expectBytes - 8)) answered++;
          resolve();
        });
      });
    }
  };
  const started = performance.now();
  const loops = Array.from({ length: clients }, loop);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  const rate = answered / ((performance.now() - started) / 1000);
  await Promise.all(loops);
  return rate;
}

/**
 * The baselines: a bare Node process that answers every UDP datagram with `bytes` bytes, and every
 * TCP connection with `bytes` bytes then close. No parsing, no limits, no sampling.
 */
export function startBareServer(bytes: number): Promise<{ child: ChildProcess; port: number }> {
  const source = `
    import dgram from 'node:dgram'; import net from 'node:net';
    const reply = Buffer.alloc(${bytes}, 0x78);
    const tcp = net.createServer((s) => { s.on('error', () => {}); s.end(reply); });
    tcp.listen(0, '127.0.0.1', () => {
      const port = tcp.address().port;
      const udp = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
      udp.on('message', (m, r) => udp.send(reply, r.port, r.address));
      udp.bind(port, '127.0.0.1', () => process.stdout.write(port + '\\n'));
    });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
    child.once('exit', (code) => reject(new Error(`bare server exited ${code}`)));
  });
}
