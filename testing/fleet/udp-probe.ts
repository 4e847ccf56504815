/**
 * Sends one advertise query of SIZE bytes to ADDRESS:PORT (a broadcast address works) and prints,
 * as one JSON line, every reply that arrived within WAIT_MS: [{ from, bytes }].
 * Usage: node --import tsx udp-probe.ts SIZE ADDRESS PORT WAIT_MS
 */
import { createSocket } from 'node:dgram';
import { buildQuery } from '../../shared/wire/udp-query.ts';

const [size, address, port, waitMs] = process.argv.slice(2);
const replies: Array<{ from: string; bytes: number }> = [];
const socket = createSocket('udp4');
socket.on('message', (msg, rinfo) => replies.push({ from: rinfo.address, bytes: msg.length }));
socket.bind(0, () => {
  socket.setBroadcast(true);
  socket.send(buildQuery(Number(size)), Number(port), address);
  setTimeout(() => {
    process.stdout.write(`${JSON.stringify(replies)}\n`);
    socket.close();
  }, Number(waitMs));
});
