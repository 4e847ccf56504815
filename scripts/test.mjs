#!/usr/bin/env node
// Runs every test file under test/ in its own Node process (uvu + tsx), so that one file's sockets,
// timers or child processes can neither leak into nor hang another; an unhandled rejection fails the
// test it happens in, not the file (testing/helpers/unhandled.ts, preloaded). Prints each file's uvu summary,
// then one closing line "N passed, N failed" that CI reads.
//
// Usage: node scripts/test.mjs [substring ...]   (only files whose path contains a substring)
// Env:   TEST_TIMEOUT_S  per-file limit (default 900); a file that overruns is killed and counted failed.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { testFileArgs } from './test-file.mjs';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const timeoutMs = Number(process.env.TEST_TIMEOUT_S ?? 900) * 1000;

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = collect(join(root, 'test')).filter(
  (f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)),
);

/** The test file running now: its process group is killed if this runner is interrupted. */
let current;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    try { if (current) process.kill(-current.pid, 'SIGKILL'); } catch {}
    process.exit(130);
  });
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = (current = spawn(process.execPath, testFileArgs(file), {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[test runner] ${relative(root, file)} exceeded ${timeoutMs / 1000} s: killed\n`;
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      let failed = total - passed - skipped;
      // A file that crashed before uvu could summarise still counts as one failure.
      if ((code !== 0 || signal) && failed === 0) failed = 1;
      resolve({ file, out, passed, failed, skipped, ms: Date.now() - started });
    });
  });
}

let passed = 0, failed = 0, skipped = 0;
for (const file of files) {
  const r = await runFile(file);
  passed += r.passed; failed += r.failed; skipped += r.skipped;
  const mark = r.failed ? 'FAIL' : 'ok  ';
  process.stdout.write(`${mark} ${relative(root, file)}  (${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped, ${(r.ms / 1000).toFixed(1)} s)\n`);
  if (r.failed || process.env.TEST_VERBOSE) process.stdout.write(r.out.replace(/^/gm, '    ') + '\n');
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed === 0 && files.length > 0 ? 0 : 1;
