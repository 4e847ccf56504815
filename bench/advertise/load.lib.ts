/**
 * The load side of the advertise benchmarks, and the baselines the daemon is compared with:
 * loadgen.c (a closed-loop C load generator, so the server and not the client is the bottleneck),
 * responder.c (the C floor) and a bare Node responder, each compiled or started here. A measured
 * round reads the server's CPU from /proc around one generator run.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, cpuSeconds } from '../lib/proc.ts';
import { ROOT } from './daemon.lib.ts';

const run = promisify(execFile);

/**
 * With two CPUs or more and taskset (util-linux): servers on CPU 1, the generator on CPU 0, so
 * neither takes the other's core. Otherwise both float (`pinned` false, for the report).
 */
export const pinned = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
export const SERVER_PIN = pinned ? ['taskset', '-c', '1'] : [];
const GENERATOR_PIN = pinned ? ['taskset', '-c', '0'] : [];

/** Compiles bench/advertise/NAME.c into `dir` with gcc; returns the binary's path. */
export function compileC(name: 'loadgen' | 'responder', dir: string): string {
  const bin = join(dir, name);
  execFileSync('gcc', ['-O2', '-Wall', '-o', bin, join(ROOT, `bench/advertise/${name}.c`)]);
  return bin;
}

export interface Server {
  child: ChildProcess;
  port: number;
}

/** A server process (pinned like every server) that prints its port on stdout once it answers. */
export function startPrintingPort(command: string[]): Promise<Server> {
  const [cmd, ...args] = [...SERVER_PIN, ...command];
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'], env: cleanEnv() });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
    child.once('exit', (code) => reject(new Error(`${command[0]} exited ${code}`)));
  });
}

/**
 * The baseline: a bare Node process answering every UDP datagram with `bytes` bytes, and every TCP
 * connection with `bytes` bytes then close, from one fixed Buffer. No parsing, limits or sampling.
 */
export function startBareNode(bytes: number): Promise<Server> {
  return startPrintingPort([process.execPath, '--input-type=module', '-e', `
    import dgram from 'node:dgram'; import net from 'node:net';
    const reply = Buffer.alloc(${bytes}, 0x78);
    const tcp = net.createServer((s) => { s.on('error', () => {}); s.end(reply); });
    tcp.listen(0, '127.0.0.1', () => {
      const port = tcp.address().port;
      const udp = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
      udp.on('message', (m, r) => udp.send(reply, r.port, r.address));
      udp.bind(port, '127.0.0.1', () => process.stdout.write(port + '\\n'));
    });`]);
}

export type Load =
  | { proto: 'udp'; clients: number; query: Buffer; magic: string }
  | { proto: 'tcp'; clients: number; documentBytes: number };

export interface Sample {
  answers: number;
  wallS: number;
  /** The server's CPU time (user + system, all threads) during the run. */
  serverCpuS: number;
  /** The generator's own: well below wallS means it waited for the server. */
  generatorCpuS: number;
  /** Refused, reset or short answers, and UDP errors. */
  errors: number;
}

/** One run of the generator `loadgen` against `server` for `seconds`. */
export async function measure(loadgen: string, server: Server, load: Load, seconds: number): Promise<Sample> {
  const args =
    load.proto === 'udp'
      ? ['udp', String(server.port), String(seconds), String(load.clients), String(load.query.length), load.magic]
      : ['tcp', String(server.port), String(seconds), String(load.clients), String(load.documentBytes)];
  const [cmd, ...rest] = [...GENERATOR_PIN, loadgen, ...args];
  const before = cpuSeconds(server.child.pid!);
  const { stdout } = await run(cmd!, rest, { env: cleanEnv() });
  const serverCpuS = cpuSeconds(server.child.pid!) - before;
  const m = /answers (\d+) wall_us (\d+) cpu_us (\d+) errors (\d+)/.exec(stdout);
  if (!m) throw new Error(`loadgen said: ${stdout}`);
  return { answers: Number(m[1]), wallS: Number(m[2]) / 1e6, serverCpuS, generatorCpuS: Number(m[3]) / 1e6, errors: Number(m[4]) };
}
