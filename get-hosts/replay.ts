/**
 * `get_hosts --replay FILE`: the decision again, with no network. Each line of FILE is one survey
 * as `get_hosts --json` printed it (what every server advertised, its round trip, the settings, the
 * seed and the central balancer's answer), optionally with `"override": {"algorithm", "mac",
 * "seed"}`. Each line gives one line out: `{"line", "chosen", "hosts", "algorithm", "reason"}`,
 * from the same decide() a live run uses, so a live decision replays exactly.
 *
 * A bad line gets one error line naming its number and the rest of the file goes on. Every field is
 * checked for type and range (the wire format's own table for advertised numbers); a line is at
 * most 1 MiB and 256 servers, like a real survey.
 */
import { createReadStream } from 'node:fs';
import { decide, type LoadBalancerAnswer } from '../balance/decide/decide.ts';
import { seededRandom } from '../balance/decide/random.ts';
import { normalizeMac } from '../ltsp/identity.ts';
import { parseServerList } from '../balance/servers.ts';
import { ALGORITHMS, DEFAULT_SETTINGS, type Algorithm, type LocalAlgorithm, type Settings } from '../balance/settings.ts';
import type { ServerReport } from '../balance/probe/survey.ts';
import { BalanceError } from '../shared/errors.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { logError } from '../shared/log.ts';
import { HOSTNAME_PATTERN, NUMERIC_FIELDS, type Advertisement } from '../shared/wire/advertisement.ts';
import { EXPLAIN_FORMAT } from './explain.ts';
import { hostList } from './host-list.ts';

export const MAX_REPLAY_LINE_BYTES = 1024 * 1024;
const MAX_SERVERS = 256;
const MAX_WEIGHTS = 256;

/** One line of a replay file that cannot be decided. */
export class ReplayLineError extends BalanceError {
  constructor(readonly line: number, message: string) {
    super('ERR_REPLAY_LINE', `line ${line}: ${message}`);
  }
}

/** The replay file cannot be read (a usage-class error: the path given is wrong). */
export class ReplayFileError extends BalanceError {
  constructor(path: string, why: string, cause?: unknown) {
    super('ERR_REPLAY_FILE', `--replay ${path}: ${why}`, { exitCode: EXIT.usage, cause });
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(obj: Json, key: string, lo: number, hi: number, where: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw new Error(`${where}.${key} must be a number ${lo}..${hi}, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

function readAdvertisement(raw: unknown, where: string): Advertisement {
  if (!isObject(raw)) throw new Error(`${where}.reported must be an object or null`);
  const hostname = raw.hostname;
  if (typeof hostname !== 'string' || !HOSTNAME_PATTERN.test(hostname)) throw new Error(`${where}.reported.hostname is not a host name`);
  if (raw.state !== 'accepting' && raw.state !== 'draining') throw new Error(`${where}.reported.state must be "accepting" or "draining"`);
  const ad = { version: 1, hostname, state: raw.state } as Advertisement;
  for (const spec of NUMERIC_FIELDS) {
    const v = num(raw, spec.key, spec.min, spec.max, `${where}.reported`);
    if (spec.integer && !Number.isInteger(v)) throw new Error(`${where}.reported.${spec.key} must be a whole number`);
    (ad as unknown as Json)[spec.key] = v;
  }
  return ad;
}

function readReport(raw: unknown, i: number): ServerReport {
  const where = `servers[${i}]`;
  if (!isObject(raw)) throw new Error(`${where} must be an object`);
  if (typeof raw.server !== 'string') throw new Error(`${where}.server must be a string`);
  const [server] = parseServerList(raw.server, `${where}.server`);
  if (!server) throw new Error(`${where}.server is empty`);
  const report: ServerReport = { server, reachable: raw.reported !== null && raw.reported !== undefined };
  if (report.reachable) report.ad = readAdvertisement(raw.reported, where);
  if (raw.rttMs !== null && raw.rttMs !== undefined) report.rttMs = num(raw, 'rttMs', 0, 3_600_000, where);
  if (typeof raw.address === 'string' && raw.address.length <= 255) report.address = raw.address;
  if (raw.via === 'udp' || raw.via === 'tcp') report.via = raw.via;
  if (isObject(raw.login) && typeof raw.login.ok === 'boolean') {
    report.login = { ok: raw.login.ok, port: num(raw.login, 'port', 1, 65_535, `${where}.login`) } as ServerReport['login'];
  }
  return report;
}

function readAlgorithm(v: unknown, where: string): Algorithm {
  if (typeof v !== 'string' || !(ALGORITHMS as readonly string[]).includes(v)) throw new Error(`${where} must be one of ${ALGORITHMS.join(', ')}`);
  return v as Algorithm;
}

/** The decision settings of a live run, as --json printed them; missing ones take the defaults. */
function readSettings(raw: unknown): Settings {
  const s: Settings = { ...DEFAULT_SETTINGS, weights: new Map() };
  if (raw === undefined || raw === null) return s;
  if (!isObject(raw)) throw new Error('settings must be an object');
  if (raw.algorithm !== undefined) s.algorithm = readAlgorithm(raw.algorithm, 'settings.algorithm');
  if (raw.fallbackAlgorithm !== undefined) {
    const a = readAlgorithm(raw.fallbackAlgorithm, 'settings.fallbackAlgorithm');
    if (a === 'loadbalancer') throw new Error('settings.fallbackAlgorithm cannot be loadbalancer');
    s.fallbackAlgorithm = a as LocalAlgorithm;
  }
  if (raw.maxLoadPerCpu !== undefined) s.maxLoadPerCpu = num(raw, 'maxLoadPerCpu', 0, 1000, 'settings');
  if (raw.maxRttMs !== undefined) s.maxRttMs = num(raw, 'maxRttMs', 0, 60_000, 'settings');
  if (raw.slowStartSec !== undefined) s.slowStartSec = num(raw, 'slowStartSec', 0, 86_400, 'settings');
  if (raw.boundedLoadEpsilon !== undefined) s.boundedLoadEpsilon = num(raw, 'boundedLoadEpsilon', 0, 10, 'settings');
  if (raw.skipSwapping !== undefined) {
    if (typeof raw.skipSwapping !== 'boolean') throw new Error('settings.skipSwapping must be true or false');
    s.skipSwapping = raw.skipSwapping;
  }
  if (raw.xdmcp !== undefined) {
    if (typeof raw.xdmcp !== 'boolean') throw new Error('settings.xdmcp must be true or false');
    s.xdmcp = raw.xdmcp;
  }
  if (raw.weights !== undefined) {
    if (!isObject(raw.weights) || Object.keys(raw.weights).length > MAX_WEIGHTS) throw new Error(`settings.weights must be an object of at most ${MAX_WEIGHTS} hosts`);
    for (const host of Object.keys(raw.weights)) s.weights.set(host.toLowerCase(), num(raw.weights, host, 0, 10_000, 'settings.weights'));
  }
  return s;
}

function readSeed(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`${where} must be a whole number 0..4294967295`);
  return v;
}

/** One line in, one decision out (as the JSON object printed). Throws a plain Error naming the field. */
export function replayLine(text: string): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new Error('not a JSON object');
  if (doc.format !== EXPLAIN_FORMAT) throw new Error(`format must be "${EXPLAIN_FORMAT}" (a get_hosts --json line)`);
  if (!Array.isArray(doc.servers) || doc.servers.length === 0 || doc.servers.length > MAX_SERVERS) throw new Error(`servers must be an array of 1..${MAX_SERVERS}`);
  const reports = doc.servers.map(readReport);
  const settings = readSettings(doc.settings);
  let mac = typeof doc.client === 'string' ? doc.client.slice(0, 255) : '';
  let seed = doc.seed === undefined ? 0 : readSeed(doc.seed, 'seed');
  const override = doc.override;
  if (override !== undefined) {
    if (!isObject(override)) throw new Error('override must be an object');
    if (override.algorithm !== undefined) settings.algorithm = readAlgorithm(override.algorithm, 'override.algorithm');
    if (override.seed !== undefined) seed = readSeed(override.seed, 'override.seed');
    if (override.mac !== undefined) {
      const m = typeof override.mac === 'string' ? normalizeMac(override.mac) : undefined;
      if (!m) throw new Error('override.mac is not a MAC address (aa:bb:cc:dd:ee:ff)');
      mac = m;
    }
  }
  let loadBalancer: LoadBalancerAnswer | undefined;
  if (isObject(doc.loadBalancer)) {
    loadBalancer = {};
    if (typeof doc.loadBalancer.host === 'string') loadBalancer.host = doc.loadBalancer.host.slice(0, 255);
    if (isObject(doc.loadBalancer.error)) loadBalancer.error = { code: String(doc.loadBalancer.error.code).slice(0, 64), message: String(doc.loadBalancer.error.message).slice(0, 512) };
  }
  const decision = decide(reports, settings, { mac, random: seededRandom(seed), loadBalancer });
  const hosts = hostList(decision, settings);
  return { chosen: hosts[0], hosts, algorithm: decision.algorithm, reason: decision.reason };
}

/**
 * Replays every line of `path`; returns how many lines were rejected. Lines are cut from the byte
 * stream with a cap: an overlong line costs at most MAX_REPLAY_LINE_BYTES of memory, is reported,
 * and reading goes on after its newline.
 */
export function replayFile(path: string, write: (text: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let lineNo = 0;
    let rejected = 0;
    let parts: Buffer[] = [];
    let held = 0;
    let overlong = false;
    const fail = (message: string): void => {
      rejected++;
      const e = new ReplayLineError(lineNo, message);
      logError(`${e.message} (${e.code})`);
    };
    const finishLine = (): void => {
      lineNo++;
      const text = Buffer.concat(parts).toString('utf8').replace(/\r$/, '');
      parts = [];
      held = 0;
      if (overlong) {
        overlong = false;
        return fail(`longer than ${MAX_REPLAY_LINE_BYTES} bytes`);
      }
      if (text.trim() === '') return;
      try {
        write(`${JSON.stringify({ line: lineNo, ...replayLine(text) })}\n`);
      } catch (err) {
        fail((err as Error).message);
      }
    };
    const take = (chunk: Buffer): void => {
      if (overlong) return;
      held += chunk.length;
      if (held > MAX_REPLAY_LINE_BYTES) {
        overlong = true;
        parts = [];
        return;
      }
      parts.push(chunk);
    };
    const input = createReadStream(path);
    input.on('error', (err) => reject(new ReplayFileError(path, (err as NodeJS.ErrnoException).code ?? err.message, err)));
    input.on('data', (data) => {
      const chunk = data as Buffer;
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        take(chunk.subarray(start, nl));
        finishLine();
        start = nl + 1;
      }
      // Copy: the stream may reuse its buffer.
      if (start < chunk.length) take(Buffer.from(chunk.subarray(start)));
    });
    input.on('end', () => {
      if (held > 0 || overlong) finishLine();
      resolve(rejected);
    });
  });
}
