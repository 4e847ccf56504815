/**
 * The spec's `loadbalancer` algorithm: ask the central balancer a site already runs (ltsp-cluster's
 * lbserver answers an HTTP GET on port 8008 with the name of a server). A tiny HTTP client with a
 * hard cap: the answer is one host name, so more than 4 KiB, a non-200 status, or no answer before
 * the overall deadline all mean "no answer" and get_hosts decides locally.
 */
import { parseServerList } from '../servers.ts';
import { errorSummary, LoadBalancerError } from '../errors.ts';
import { resolveHost } from './resolve.ts';
import type { LoadBalancerAnswer } from '../decide/decide.ts';
import type { LoadBalancerAddress } from '../settings.ts';

export const MAX_LOADBALANCER_ANSWER_BYTES = 4096;

export async function askLoadBalancer(lb: LoadBalancerAddress, signal: AbortSignal): Promise<LoadBalancerAnswer> {
  // Loaded only when a balancer is configured: node:http is the costliest built-in to load, and
  // get_hosts pays every millisecond of start-up at every greeter start.
  const { request } = await import('node:http');
  // The name is resolved by resolve.ts, never by http's default dns.lookup: a lookup stuck on a hung
  // DNS server would hold up get_hosts' exit long after its deadline.
  let address: string;
  try {
    address = await resolveHost(lb.host, signal);
  } catch (err) {
    return { error: errorSummary(new LoadBalancerError(`${lb.host}: ${(err as Error).message}`, err)) };
  }
  return new Promise((resolve) => {
    let settled = false;
    const authority = `${lb.host.includes(':') ? `[${lb.host}]` : lb.host}:${lb.port}`;
    const where = `http://${authority}${lb.path}`;
    const finish = (answer: LoadBalancerAnswer): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(answer);
    };
    const fail = (message: string, cause?: unknown): void => finish({ error: errorSummary(new LoadBalancerError(`${where}: ${message}`, cause)) });
    const onAbort = (): void => fail('no answer before the deadline');
    const req = request({ host: address, port: lb.port, path: lb.path, method: 'GET', agent: false, headers: { accept: 'text/plain', host: authority } }, (res) => {
      if (res.statusCode !== 200) return fail(`HTTP status ${res.statusCode}`);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_LOADBALANCER_ANSWER_BYTES) return fail(`answer larger than ${MAX_LOADBALANCER_ANSWER_BYTES} bytes`);
        chunks.push(chunk);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8').trim();
        const first = text.split(/\s+/)[0] ?? '';
        let host: string | undefined;
        try {
          host = parseServerList(first, 'load balancer answer')[0]?.host;
        } catch (err) {
          return fail((err as Error).message, err);
        }
        if (host === undefined) return fail('empty answer');
        finish({ host });
      });
      res.on('error', (err) => fail(err.message, err));
    });
    req.on('error', (err) => fail(err.message, err));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}
