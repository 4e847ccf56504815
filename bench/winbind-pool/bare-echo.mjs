// The bare floor of the pool's shape, for bench/winbind-pool/overhead.ts: a Unix socket server that
// reads JSON lines, hands each request to an idle child process over Node's IPC channel (JSON
// serialization, as the pool's workers use), and writes the child's answer back as a JSON line.
// Nothing else: no validation, no deadlines, no limits, no logging. Plain JS, run by node directly.
//   node bare-echo.mjs SOCKET CHILDREN      (prints "ready" on stdout once listening)
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

if (process.send) {
  // Child: answer each request with an empty result, as the local backend's ping does.
  process.on('message', (m) => process.send({ t: 'res', seq: m.seq, ok: true, result: {} }));
} else {
  const [socketPath, n] = process.argv.slice(2);
  const idle = [];
  const queue = [];
  const waiting = new Map();
  let seq = 0;
  const dispatch = (child, job) => {
    waiting.set(child, job);
    child.send({ t: 'req', seq: ++seq, req: job.req });
  };
  for (let i = 0; i < Number(n); i++) {
    const child = fork(fileURLToPath(import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json', execArgv: [] });
    child.on('message', (m) => {
      const job = waiting.get(child);
      waiting.delete(child);
      job.socket.write(JSON.stringify({ id: job.id, ok: m.ok, result: m.result }) + '\n');
      const next = queue.shift();
      if (next) dispatch(child, next);
      else idle.push(child);
    });
    idle.push(child);
  }
  const server = createServer((socket) => {
    let rest = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (text) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop();
      for (const line of lines) {
        const { id, ...req } = JSON.parse(line);
        const job = { socket, id, req };
        const child = idle.pop();
        if (child) dispatch(child, job);
        else queue.push(job);
      }
    });
  });
  server.listen(socketPath, () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => process.exit(0));
}
