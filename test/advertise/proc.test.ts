import { mkdirSync, readdirSync, writeFileSync, cpSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCpuinfo, cpuinfoSource } from '../../advertise/proc/cpuinfo.ts';
import { parseLoadavg, loadavgSource } from '../../advertise/proc/loadavg.ts';
import { parseMeminfo, meminfoSource } from '../../advertise/proc/meminfo.ts';
import { lineValue, readProcSource } from '../../advertise/proc/source.ts';
import { parseStat, statSource } from '../../advertise/proc/stat.ts';
import { parseUptime, uptimeSource } from '../../advertise/proc/uptime.ts';
import { parseVmstat, swapRates, vmstatSource } from '../../advertise/proc/vmstat.ts';
import { FIXTURES, tempDir } from '../../testing/advertise/helpers.ts';
import { errorCode } from '../../testing/helpers/error-code.ts';


async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'no error';
}

test('fixtures: idle, busy and swapping are there with every file the daemon reads', () => {
  for (const name of ['idle', 'busy', 'swapping']) {
    assert.equal(readdirSync(join(FIXTURES, name)).sort(), ['cpuinfo', 'loadavg', 'meminfo', 'stat', 'uptime', 'vmstat']);
  }
});

test('idle fixture reads as an idle 4-CPU server', async () => {
  const dir = join(FIXTURES, 'idle');
  assert.equal(await readProcSource(dir, loadavgSource), { loadavg1: 0.05, loadavg5: 0.1, loadavg15: 0.08 });
  assert.equal(await readProcSource(dir, cpuinfoSource), { cpus: 4, mhz: 2150 });
  assert.equal(await readProcSource(dir, meminfoSource), {
    memTotalKb: 16318540,
    memAvailableKb: 15230112,
    swapTotalKb: 2097148,
    swapFreeKb: 2097148,
  });
  assert.equal(await readProcSource(dir, statSource), { procsRunning: 1, procsBlocked: 0 });
  assert.equal(await readProcSource(dir, vmstatSource), { pswpin: 0, pswpout: 0 });
  assert.is(await readProcSource(dir, uptimeSource), 864000.25);
});

test('busy fixture has a long run queue and little memory', async () => {
  const dir = join(FIXTURES, 'busy');
  assert.equal(await readProcSource(dir, statSource), { procsRunning: 9, procsBlocked: 2 });
  assert.is((await readProcSource(dir, loadavgSource)).loadavg1, 7.8);
  assert.ok((await readProcSource(dir, meminfoSource)).memAvailableKb < 2_000_000);
});

test('this machine\'s real /proc parses', async () => {
  const cpus = (await readProcSource('/proc', cpuinfoSource)).cpus;
  assert.is(cpus, Number(execFileSync('getconf', ['_NPROCESSORS_ONLN']).toString().trim()));
  for (const source of [loadavgSource, meminfoSource, statSource, vmstatSource, uptimeSource]) {
    await readProcSource('/proc', source as typeof loadavgSource);
  }
});

test('loadavg: malformed lines are coded errors', () => {
  assert.is(errorCode(() => parseLoadavg('')), 'ERR_SOURCE_MALFORMED');
  assert.is(errorCode(() => parseLoadavg('0.1 0.2\n')), 'ERR_SOURCE_MALFORMED');
  assert.is(errorCode(() => parseLoadavg('1e3 0.2 0.3 1/2 3\n')), 'ERR_SOURCE_MALFORMED');
  assert.is(errorCode(() => parseLoadavg('-1.0 0.2 0.3 1/2 3\n')), 'ERR_SOURCE_MALFORMED');
  assert.is(errorCode(() => parseLoadavg('9999999.00 0.2 0.3 1/2 3\n')), 'ERR_SOURCE_MALFORMED');
});

test('meminfo: missing keys, non-kB values and overshooting MemAvailable', () => {
  const base = 'MemTotal: 1000 kB\nMemAvailable: 900 kB\nSwapTotal: 10 kB\nSwapFree: 5 kB\n';
  assert.equal(parseMeminfo(base), { memTotalKb: 1000, memAvailableKb: 900, swapTotalKb: 10, swapFreeKb: 5 });
  assert.is(parseMeminfo(base.replace('900', '1200')).memAvailableKb, 1000);
  // Before Linux 3.14: no MemAvailable, free + buffers + cached instead.
  assert.is(parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n').memAvailableKb, 350);
  assert.is(errorCode(() => parseMeminfo(base.replace('MemTotal: 1000 kB\n', ''))), 'ERR_SOURCE_MALFORMED');
  assert.is(errorCode(() => parseMeminfo(base.replace('10 kB', '10 MB'))), 'ERR_SOURCE_MALFORMED');
  assert.is(errorCode(() => parseMeminfo(base.replace('1000 kB', '0 kB'))), 'ERR_SOURCE_MALFORMED');
  try {
    parseMeminfo(base.replace('SwapFree: 5 kB', 'SwapFree: x kB'));
  } catch (err) {
    assert.is((err as { field: string }).field, 'SwapFree');
  }
});

test('cpuinfo: CPU count, mean MHz, 0 MHz when absent (ARM), error when no processor line', () => {
  assert.equal(parseCpuinfo('processor\t: 0\ncpu MHz\t\t: 1000.000\n\nprocessor\t: 1\ncpu MHz\t\t: 3000.5\n'), { cpus: 2, mhz: 2000.25 });
  assert.equal(parseCpuinfo('processor\t: 0\nBogoMIPS\t: 48.00\n\nprocessor\t: 1\nBogoMIPS\t: 48.00\n'), { cpus: 2, mhz: 0 });
  assert.is(errorCode(() => parseCpuinfo('garbage')), 'ERR_SOURCE_MALFORMED');
  assert.is(errorCode(() => parseCpuinfo('processor\t: 0\ncpu MHz\t\t: fast\n')), 'ERR_SOURCE_MALFORMED');
});

test('stat and vmstat: the lines they need, found anywhere, checked', () => {
  assert.equal(parseStat('cpu 1 2\nprocs_running 3\nprocs_blocked 4\n'), { procsRunning: 3, procsBlocked: 4 });
  assert.is(errorCode(() => parseStat('cpu 1 2\nprocs_running 3\n')), 'ERR_SOURCE_MALFORMED');
  assert.is(errorCode(() => parseStat('procs_running -3\nprocs_blocked 4\n')), 'ERR_SOURCE_MALFORMED');
  assert.equal(parseVmstat('pswpin 5\npswpout 7'), { pswpin: 5, pswpout: 7 });
  assert.is(errorCode(() => parseVmstat('pswpin 5\n')), 'ERR_SOURCE_MALFORMED');
  // A key that is a prefix of another must not match it.
  assert.is(lineValue('pswpinx 9\npswpin 5\n', 'pswpin', ' '), '5');
});

test('uptime', () => {
  assert.is(parseUptime('12.5 3.0\n'), 12.5);
  assert.is(errorCode(() => parseUptime('12.5\n')), 'ERR_SOURCE_MALFORMED');
});

test('swap rates: pages per second between samples; first sample, no time or a reset counter give 0', () => {
  assert.equal(swapRates(undefined, { pswpin: 100, pswpout: 100 }, 1000), { swapInPerSec: 0, swapOutPerSec: 0 });
  assert.equal(swapRates({ pswpin: 100, pswpout: 0 }, { pswpin: 150, pswpout: 300 }, 500), { swapInPerSec: 100, swapOutPerSec: 600 });
  assert.equal(swapRates({ pswpin: 100, pswpout: 100 }, { pswpin: 50, pswpout: 100 }, 1000), { swapInPerSec: 0, swapOutPerSec: 0 });
  assert.equal(swapRates({ pswpin: 1, pswpout: 1 }, { pswpin: 9, pswpout: 9 }, 0), { swapInPerSec: 0, swapOutPerSec: 0 });
});

test('a fixture copy with one file broken reads the rest fine', async () => {
  const dir = tempDir();
  cpSync(join(FIXTURES, 'busy'), dir, { recursive: true });
  writeFileSync(join(dir, 'meminfo'), 'MemTotal: lots\n');
  assert.is(await codeOf(readProcSource(dir, meminfoSource)), 'ERR_SOURCE_MALFORMED');
  assert.is((await readProcSource(dir, statSource)).procsRunning, 9);
});

test.run();
