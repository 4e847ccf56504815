/**
 * Where a daemon's metrics go, both optional and off by default:
 * - an HTTP endpoint (`--metrics ADDR:PORT`, loopback unless an address is given): GET /metrics,
 *   anything else 404, headers capped, slow requests cut;
 * - node_exporter's textfile collector (`--metrics-textfile DIR`): `<name>.prom` rewritten every
 *   interval, atomically (a temporary file renamed over it), as the collector requires.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { BalanceError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { parseListenSpec } from '../net/address.ts';
import { logInfo, logWarning } from '../log.ts';

export class MetricsListenError extends BalanceError {
  constructor(message: string) {
    super('ERR_METRICS_LISTEN', message, { exitCode: 2 });
  }
}

/** `ADDR:PORT`, `[v6]:PORT` or a bare `PORT` (loopback). */
export function parseMetricsAddress(text: string, flag = '--metrics'): { host: string; port: number } {
  const spec = parseListenSpec(text, '127.0.0.1');
  if (!spec) throw new MetricsListenError(`${flag} ${JSON.stringify(text.slice(0, 80))} must be ADDR:PORT, [ADDR]:PORT or PORT`);
  return spec;
}

export interface MetricsPublisherOptions {
  /** Renders the exposition text (called per scrape, and per textfile write). */
  render: () => string;
  listen?: { host: string; port: number };
  textfile?: { dir: string; name: string; intervalMs: number };
}

export interface MetricsPublisher {
  /** The HTTP port actually bound (0 when no endpoint). */
  port: number;
  close(): Promise<void>;
}

export async function startMetrics(opts: MetricsPublisherOptions): Promise<MetricsPublisher> {
  let server: Server | undefined;
  let port = 0;
  if (opts.listen) {
    server = createServer({ maxHeaderSize: 8 * 1024 }, (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      const body = opts.render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    server.headersTimeout = 5_000;
    server.requestTimeout = 10_000;
    const { host, port: wanted } = opts.listen;
    await new Promise<void>((resolve, reject) => {
      server!.once('error', (err: NodeJS.ErrnoException) => reject(new MetricsListenError(`--metrics ${host}:${wanted}: ${err.code ?? err.message}`)));
      server!.listen(wanted, host, () => resolve());
    });
    const a = server.address();
    port = typeof a === 'object' && a ? a.port : wanted;
    logInfo(`metrics on http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`);
  }
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  const file = opts.textfile ? join(opts.textfile.dir, `${opts.textfile.name}.prom`) : undefined;
  const writeTextfile = (): void => {
    if (!file) return;
    try {
      writeFileAtomic(file, opts.render());
      failing = false;
    } catch (err) {
      // Once per failure streak: a full disk must not fill the journal too.
      if (!failing) logWarning(`--metrics-textfile: cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      failing = true;
    }
  };
  if (opts.textfile) {
    writeTextfile();
    timer = setInterval(writeTextfile, opts.textfile.intervalMs);
    timer.unref();
  }
  return {
    port,
    async close() {
      if (timer) clearInterval(timer);
      if (server) {
        server.closeAllConnections?.();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
    },
  };
}
