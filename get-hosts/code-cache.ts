/**
 * The hook's V8 code cache: the bytecode V8 compiled for the get_hosts bundle during one run, saved
 * so that later starts skip compiling it (8-11 ms of CPU of the ~28 ms the uncached hook adds to
 * `node -e 0` on Node 20-24, bench/get-hosts/cold-start.ts). `get_hosts --write-code-cache` writes it, as root, from the client package's postinst
 * (and again by a dpkg trigger when the chroot's nodejs changes); the wrapper's loader
 * (get-hosts/get_hosts.sh) reads it. The two sides share what is defined here; the wrapper, which
 * must stay plain sh and one `node -e`, spells it out again, and test/get-hosts/code-cache.test.ts
 * checks the installed hook against the file written here.
 *
 * The file, `<root>/var/cache/ltsp-balance/get_hosts.cjs.v8cache` for the bundle
 * `<root>/usr/share/ltsp-balance/get_hosts.cjs` (a chroot seen from the server, a test's tree):
 *   one header line  `ltsp-balance-v8cache/1 NODE_VERSION ARCH BUNDLE_SHA256 BUNDLE_SIZE BUNDLE_MTIME_S`
 *   then V8's cached data, as vm.Script's createCachedData() (Node >= 10.6) or produceCachedData
 *   (Node 8, which caches only the eagerly compiled top level) returned it.
 * The loader uses it only when the file is owned by root and writable by nobody else (root's get_hosts
 * must never run bytecode a user wrote), and the header is exactly what it computes for the bundle
 * and the Node at hand: the bundle's SHA-256 is the bundle's last line (scripts/bundle.mjs writes
 * it; hashing the whole bundle at every start would cost milliseconds), verified here before writing; size
 * and mtime catch an edit after that. V8 then does its own checks (its version, flags, source
 * length) and may still reject the data (vm.Script's cachedDataRejected). In every such case, and
 * when the file is missing or unreadable, the bundle is compiled as usual: correct, only slower.
 */
import { createHash } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import v8 from 'node:v8';
import { Script } from 'node:vm';
import { reportError } from '../shared/cli.ts';
import { BalanceError } from '../shared/errors.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { CACHE_FORMAT } from '../balance/cache.ts';

export const CODE_CACHE_FORMAT = 'ltsp-balance-v8cache/1';
/** The bundle's last line starts so (scripts/bundle.mjs BUNDLE_ID_PREFIX), then 64 hex digits. */
export const BUNDLE_ID_PREFIX = '//# ltsp-balance-sha256=';
const BUNDLE_PATH = '/usr/share/ltsp-balance/get_hosts.cjs';
const CACHE_DIR = '/var/cache/ltsp-balance';
const CACHE_NAME = 'get_hosts.cjs.v8cache';

/** Could not write the cache (not root, not the installed bundle, a directory others may write). */
export class CodeCacheError extends BalanceError {
  constructor(message: string, cause?: unknown) {
    super('ERR_CODE_CACHE', message, { cause, exitCode: EXIT.failure });
  }
}

/** The cache file for an installed bundle, or undefined when the bundle is not at its installed path. */
export function codeCachePath(bundle: string): string | undefined {
  const path = resolve(bundle);
  if (!path.endsWith(BUNDLE_PATH)) return undefined;
  return join(path.slice(0, -BUNDLE_PATH.length) || '/', CACHE_DIR, CACHE_NAME);
}

/** The source V8 compiles: the bundle in Node's CommonJS function wrapper, `#!` made a comment (same length). */
export function wrapBundle(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source.replace(/^#!/, '//')}\n});`;
}

/** The header line for this Node and a bundle of this id, size and mtime. */
export function cacheHeader(bundleSha256: string, size: number, mtimeMs: number): string {
  return `${CODE_CACHE_FORMAT} ${process.version} ${process.arch} ${bundleSha256} ${size} ${Math.floor(mtimeMs / 1000)}\n`;
}

/** The SHA-256 the bundle's last line declares, after checking that it is the hash of the rest. */
export function verifiedBundleId(content: Buffer): string {
  const at = content.lastIndexOf(BUNDLE_ID_PREFIX);
  const declared = at === -1 ? undefined : /^([0-9a-f]{64})\n?$/.exec(content.subarray(at + BUNDLE_ID_PREFIX.length).toString('latin1'))?.[1];
  if (!declared) throw new CodeCacheError(`the bundle has no "${BUNDLE_ID_PREFIX}" last line (not built by scripts/bundle.mjs)`);
  const actual = createHash('sha256').update(content.subarray(0, at)).digest('hex');
  if (actual !== declared) throw new CodeCacheError('the bundle was changed after it was built (its last line names another SHA-256)');
  return declared;
}

/**
 * A get_hosts survey cache (balance/cache.ts) with two servers, fresh: the warm-up run below decides
 * from it with no network, through the code LDM's runs take (settings, lts.conf, the wire parser,
 * the decision, the host list), so those functions are compiled when the cache is taken.
 * TEST-NET-1 addresses: never contacted.
 */
const WARM_UP_SERVERS = ['192.0.2.1', '192.0.2.2'];
function warmUpDocument(hostname: string, load: string): string {
  return `<advertise version="1"><hostname>${hostname}</hostname><state>accepting</state><weight>100</weight><rating>71</rating><cpus>4</cpus><mhz>2400.50</mhz><loadavg1>${load}</loadavg1><loadavg5>0.75</loadavg5><loadavg15>0.50</loadavg15><procs_running>2</procs_running><procs_blocked>0</procs_blocked><mem_total_kb>16000000</mem_total_kb><mem_available_kb>12000000</mem_available_kb><swap_total_kb>2000000</swap_total_kb><swap_free_kb>2000000</swap_free_kb><swap_in_per_s>0.00</swap_in_per_s><swap_out_per_s>0.00</swap_out_per_s><sessions>3</sessions><users>2</users><logins_60s>1</logins_60s><uptime_s>86400.50</uptime_s><daemon_uptime_s>3600.00</daemon_uptime_s></advertise>`;
}
export function warmUpSurvey(nowMs: number): string {
  return JSON.stringify({
    format: CACHE_FORMAT,
    writtenAtMs: nowMs,
    reports: WARM_UP_SERVERS.map((host, i) => ({ server: `${host}:377`, reachable: true, rttMs: 1, via: 'udp', address: host, document: warmUpDocument(`app${i + 1}`, i ? '1.25' : '0.25') })),
  });
}

/** The cache directory, created root-only-writable; refused when someone else could replace files in it. */
function cacheDirectory(file: string): string {
  const dir = dirname(file);
  try {
    mkdirSync(dir, 0o755);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CodeCacheError(`cannot create ${dir}: ${(err as Error).message}`, err);
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) throw new CodeCacheError(`${dir} is not a directory only root can write: no cache written there`);
  return dir;
}

/**
 * `get_hosts --write-code-cache`: compiles the running bundle (process.argv[1], as the wrapper's
 * loader passes it) again in a fresh vm.Script, runs it once as LDM would, from a warm-up survey
 * cache, its output discarded, and when that run exits writes the cache (temporary file, fsync,
 * rename: a reader sees the old file or the new one). Never settles: the warm-up run ends the
 * process, with status 0 when the cache was written, 1 (one error line) when not.
 */
export function writeCodeCache(): Promise<never> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new CodeCacheError("only root writes the code cache: root's get_hosts would run the bytecode in it");
  }
  const bundle = resolve(process.argv[1] ?? '');
  const file = codeCachePath(bundle);
  if (!file) throw new CodeCacheError(`${bundle} is not the installed bundle (…${BUNDLE_PATH}): no code cache for it`);
  const content = readFileSync(bundle);
  const id = verifiedBundleId(content);
  const dir = cacheDirectory(file);
  const st = statSync(bundle);
  const header = cacheHeader(id, st.size, st.mtime.getTime());

  const canCreate = typeof (Script.prototype as { createCachedData?: unknown }).createCachedData === 'function';
  const script = new Script(wrapBundle(content.toString('utf8')), { filename: bundle, produceCachedData: !canCreate });
  const warm = mkdtempSync(join(tmpdir(), 'ltsp-balance-warm-up-'));
  const survey = join(warm, 'survey.json');
  writeFileSync(survey, warmUpSurvey(Date.now()));
  // An empty lts.conf: the chroot's own could name a central balancer or login checks, i.e. network.
  const ltsConf = join(warm, 'lts.conf');
  writeFileSync(ltsConf, '');
  process.on('exit', () => {
    try {
      const data = canCreate ? script.createCachedData() : (script as { cachedData?: Buffer }).cachedData;
      if (!data || data.length === 0) throw new CodeCacheError(`Node.js ${process.version} produced no code cache`);
      writeAtomically(dir, file, [Buffer.from(header, 'latin1'), data]);
      process.exitCode = EXIT.ok;
    } catch (err) {
      process.exitCode = reportError(err instanceof CodeCacheError ? err : new CodeCacheError(`cannot write the code cache ${file}: ${(err as Error).message}`, err));
    } finally {
      for (const f of readdirSync(warm)) unlinkSync(join(warm, f));
      rmdirSync(warm);
    }
  });

  // The warm-up run: what LDM's run does, from the survey cache instead of the network.
  process.argv = [process.argv[0]!, bundle, '--config', ltsConf];
  for (const key of Object.keys(process.env)) if (key.startsWith('LDM_BALANCE_')) delete process.env[key];
  Object.assign(process.env, {
    LDM_BALANCE_SERVERS: WARM_UP_SERVERS.join(' '),
    LDM_BALANCE_CACHE: survey,
    LDM_BALANCE_CACHE_MAX_AGE_MS: '3600000',
    LDM_BALANCE_DISCOVER: 'N',
  });
  process.stdout.write = (() => true) as typeof process.stdout.write;
  // The run turns V8's optimizing compilers off (get-hosts/v8-flags.ts). Data taken after a flag
  // change carries the new flags, and V8 rejects it at every start, which compiles before that
  // change: so the warm-up's change is not made. The bytecode cached is the same either way.
  (v8 as { setFlagsFromString: (flags: string) => void }).setFlagsFromString = () => undefined;
  const module = new Module(bundle) as Module & { filename: string; paths: string[] };
  module.filename = bundle;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(bundle));
  const main = script.runInThisContext() as (exports: unknown, require: (id: string) => unknown, module: unknown, filename: string, dirname: string) => void;
  main.call(module.exports, module.exports, (id) => module.require(id), module, bundle, dirname(bundle));
  return new Promise<never>(() => undefined);
}

function writeAtomically(dir: string, file: string, parts: Buffer[]): void {
  const tmp = join(dir, `.${CACHE_NAME}.${process.pid}`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o644); // whatever the umask: the loader refuses a group- or world-writable file
    for (const p of parts) writeSync(fd, p, 0, p.length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}
