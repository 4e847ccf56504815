/**
 * `choose` in a real terminal: tmux runs it, `send-keys` types, `capture-pane` reads the screen.
 * Against the real bridge and a loopback fleet, so the choice travels the whole way to LDM's file.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUSY, downAddress, IDLE, startFleetServer, stopFleet, type FleetServer } from '../../testing/greeter-bridge/fleet.ts';
import { BIN, cleanup, eventually, ROOT, startServe, tempDir, uniqueQueues, type Proc } from '../../testing/greeter-bridge/helpers.ts';
import { GENEROUS_MS } from '../../testing/helpers/wait.ts';

const TMUX = ['-L', `gbt-${process.pid}`, '-f', '/dev/null'];
// Async: the fleet answers from this process's event loop, which a sync exec would stall.
const run = promisify(execFile);
const tmux = async (...args: string[]): Promise<string> => (await run('tmux', [...TMUX, ...args], { encoding: 'utf8' })).stdout;
const screen = (session: string): Promise<string> => tmux('capture-pane', '-p', '-t', session);
const keys = async (session: string, ...k: string[]): Promise<void> => void (await tmux('send-keys', '-t', session, ...k));
const escape = (s: string): string => s.replaceAll('.', '\\.');

const q = uniqueQueues('choose');
const dir = tempDir();
const output = join(dir, 'choice');
let idle: FleetServer;
let busy: FleetServer;
let down: string;
let serve: Proc;

/** Starts `choose` in its own tmux session; the pane stays after it exits so the result can be read. */
async function startChooser(session: string): Promise<void> {
  const command = `${process.execPath} --import tsx ${BIN} choose --queue ${q.queue} --choice-queue ${q.choiceQueue}; echo "EXIT=$?"; sleep 120`;
  await tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '20', '-c', ROOT, command);
}

async function waitScreen(session: string, pattern: RegExp, what: string): Promise<string> {
  let text = '';
  try {
    return await eventually(async () => {
      text = await screen(session);
      return pattern.test(text) && text;
    }, GENEROUS_MS, what, 50);
  } catch (err) {
    throw new Error(`${(err as Error).message}; screen:\n${text}`);
  }
}

test.before(async () => {
  idle = await startFleetServer('127.0.0.2', IDLE);
  busy = await startFleetServer('127.0.0.3', BUSY);
  down = await downAddress('127.0.0.4');
  serve = await startServe(q, `${busy.name} ${idle.name} ${down}`, ['--interval', '0.5', '--output', output, '--msgsize', '2048', '--remove-queues']);
});
test.after(async () => {
  try {
    await tmux('kill-server');
  } catch {
    // no session left
  }
  await stopFleet();
  await cleanup();
});

test('the list shows status and load, the recommended server preselected, refreshed live; arrows and Enter choose', async () => {
  await startChooser('pick');
  const first = await waitScreen('pick', /3 servers, updated/, 'the server list');
  assert.match(first, new RegExp(`> ${escape(idle.name)} +Idle +95 +0\\.03 +2 +[\\d.]+  \\*`));
  assert.match(first, new RegExp(`  ${escape(busy.name)} +Busy +20 +3\\.00 +40 `));
  assert.match(first, new RegExp(`  ${escape(down)} +Down +- +- +- +-`));

  // Live: the busy server's users change on the server; the screen follows without a key press.
  busy.ad = { ...busy.ad, users: 77, sessions: 80 };
  await waitScreen('pick', new RegExp(`${escape(busy.name)} +Busy +20 +3\\.00 +77 `), 'the refreshed row');

  // Rows stay in configured order (busy, idle, down); the cursor starts on idle, the recommended one.
  await keys('pick', 'Down');
  await waitScreen('pick', new RegExp(`> ${escape(down)}`), 'the cursor on the Down server');
  await keys('pick', 'Enter');
  await waitScreen('pick', /is Down: choose another server/, 'the refusal of a Down server');
  assert.not.ok(existsSync(output));

  await keys('pick', 'Up', 'Up');
  await waitScreen('pick', new RegExp(`> ${escape(busy.name)}`), 'the cursor on the busy server');
  await keys('pick', 'Enter');
  const done = await waitScreen('pick', /EXIT=\d+/, 'the chooser to exit');
  assert.match(done, new RegExp(`${escape(busy.name)}\\s+EXIT=0`));
  // The file holds the host name only: the advertise port is not LDM's (issue 11).
  await eventually(() => existsSync(output) && readFileSync(output, 'utf8') === `${busy.host}\n`, GENEROUS_MS, 'the choice in the output file');
});

test('q leaves without choosing (exit 4); the terminal is restored', async () => {
  await startChooser('quit');
  await waitScreen('quit', /3 servers, updated/, 'the server list');
  await keys('quit', 'q');
  const done = await waitScreen('quit', /EXIT=\d+/, 'the chooser to exit');
  assert.match(done, /no server chosen \(ERR_CHOOSE_CANCELLED\)\s+EXIT=8/);
  assert.not.match(done, /LTSP server chooser/); // the alternate screen is gone
});

test.run();
