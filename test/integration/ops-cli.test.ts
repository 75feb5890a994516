// Proves `bin/zk-server` behaves like zkServer.sh: start daemonizes with a pid file in dataDir and says STARTED (or already running / FAILED TO START), status finds the client port and prints Mode via srvr plus why it is standalone, stop/restart/print-cmd/version, and that ensemble configs this server cannot join (no myid), malformed keys and unusable dataDirs are refused with their reasons and ZooKeeper's exit codes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/zk-reference.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = join(ROOT, 'bin', 'zk-server');
const COMMAND_TIMEOUT_MS = 45_000;
const dirs: string[] = [];
const daemons = new Set<number>();

after(() => {
  for (const pid of daemons) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});


function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.ZOO_LOG_DIR;
  delete env.ZOOCFGDIR;
  delete env.ZOOPIDFILE;
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function setup(lines: string[] = []): Promise<{ dir: string; dataDir: string; cfg: string; port: number; pidFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tszk-ops-cli-'));
  dirs.push(dir);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(cfg, ['tickTime=2000', `dataDir=${dataDir}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'admin.enableServer=false', ...lines].join('\n') + '\n');
  return { dir, dataDir, cfg, port, pidFile: join(dataDir, 'zookeeper_server.pid') };
}

test('version names the ZooKeeper release it behaves as', () => {
  const r = run('version');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Apache ZooKeeper, version 3\.8\.0-tszk-\S+, built on /);
});

test('an unknown command prints the usage and exits 1', () => {
  const r = run('explode');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Usage: zk-server \[--config <conf-dir>\] \{start\|start-foreground\|stop\|version\|restart\|status\|print-cmd\}/);
});

test('start, status, start again, stop, stop again, status: zkServer.sh\'s messages and exit codes', async () => {
  const s = await setup();
  const started = run('start', s.cfg);
  assert.equal(started.code, 0, started.stdout + started.stderr);
  assert.equal(started.stdout, 'Starting zookeeper ... STARTED\n');
  assert.match(started.stderr, new RegExp(`^Using config: ${s.cfg}\n`));
  const pid = Number(readFileSync(s.pidFile, 'utf8'));
  daemons.add(pid);
  assert.ok(alive(pid), 'the pid file names the running server');
  assert.equal(readFileSync(s.pidFile, 'utf8'), String(pid), 'no newline, as `echo -n $!`');

  const status = run('status', s.cfg);
  assert.equal(status.code, 0, status.stdout + status.stderr);
  const lines = status.stdout.split('\n');
  assert.equal(lines[0], `Client port found: ${s.port}. Client address: 127.0.0.1. Client SSL: false.`);
  assert.equal(lines[1], 'Mode: standalone');
  assert.equal(lines[2], `Why standalone: ${s.cfg} has no server.N lines, so this is a single standalone server.`);
  assert.match(lines[3]!, /^To run an ensemble: add one server\.N=host:2888:3888 line per member/);

  const again = run('start', s.cfg);
  assert.equal(again.code, 1);
  assert.equal(again.stdout, `Starting zookeeper ... already running as process ${pid}.\n`);

  // The daemon writes its log to <dataDir>/logs (no ZOO_LOG_DIR given) and its console to the .out file.
  const logDir = join(s.dataDir, 'logs');
  const files = readdirSync(logDir);
  const log = files.find((f) => f.endsWith('.log'));
  assert.ok(log !== undefined && files.some((f) => f.endsWith('.out')), files.join());
  assert.match(readFileSync(join(logDir, log), 'utf8'), /INFO  \[main\] - tszk .* serving standalone on 127\.0\.0\.1:\d+/);

  const stopped = run('stop', s.cfg);
  assert.equal(stopped.code, 0);
  assert.equal(stopped.stdout, 'Stopping zookeeper ... STOPPED\n');
  assert.ok(!alive(pid), 'stop waits for the process to exit');
  assert.ok(!existsSync(s.pidFile));
  daemons.delete(pid);

  const none = run('stop', s.cfg);
  assert.equal(none.code, 0);
  assert.equal(none.stdout, `Stopping zookeeper ... no zookeeper to stop (could not find file ${s.pidFile})\n`);

  const down = run('status', s.cfg);
  assert.equal(down.code, 1);
  assert.equal(down.stdout, `Client port found: ${s.port}. Client address: 127.0.0.1. Client SSL: false.\nError contacting service. It is probably not running.\n`);
});

test('restart stops the running server and starts a new one', async () => {
  const s = await setup();
  assert.equal(run('start', s.cfg).code, 0);
  const first = Number(readFileSync(s.pidFile, 'utf8'));
  daemons.add(first);
  const restarted = run('restart', s.cfg);
  assert.equal(restarted.code, 0, restarted.stdout + restarted.stderr);
  assert.equal(restarted.stdout, 'Stopping zookeeper ... STOPPED\nStarting zookeeper ... STARTED\n');
  const second = Number(readFileSync(s.pidFile, 'utf8'));
  daemons.add(second);
  assert.notEqual(first, second);
  assert.ok(!alive(first) && alive(second));
  assert.equal(run('stop', s.cfg).code, 0);
  daemons.delete(second);
});

test('--config <dir> finds zoo.cfg in that directory, as zkServer.sh does', async () => {
  const s = await setup();
  const r = run('--config', s.dir, 'print-cmd');
  assert.equal(r.code, 0);
  assert.match(r.stdout, new RegExp(`^".*node.*" ".*zk-server\\.m?js" start-foreground "${s.cfg}" > ".*\\.out" 2>&1 < /dev/null\n$`));
});

test('a port in use: FAILED TO START, exit 1, no pid file left behind, the reason shown', async () => {
  const s = await setup();
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(s.port, '127.0.0.1', resolve));
  try {
    const r = run('start', s.cfg);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'Starting zookeeper ... FAILED TO START\n');
    assert.match(r.stderr, /EADDRINUSE/);
    assert.ok(!existsSync(s.pidFile));
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

test('one server line: runs standalone, says so loudly at start, and status gives the reason and the fix', async () => {
  const s = await setup(['server.1=127.0.0.1:2888:3888']);
  writeFileSync(join(s.dir, 'unused'), '');
  const started = run('start', s.cfg);
  assert.equal(started.code, 0, started.stdout + started.stderr);
  daemons.add(Number(readFileSync(s.pidFile, 'utf8')));
  assert.match(started.stderr, /NOTE: this server will run STANDALONE although the config names other servers\.\n  Why: .* has only one voting server \(server\.1, line 6\) and standaloneEnabled=true/);
  assert.match(started.stderr, /Also: .*myid is missing/);
  const status = run('status', s.cfg);
  assert.equal(status.code, 0);
  assert.match(status.stdout, /\nMode: standalone\nWhy standalone: .*only one voting server \(server\.1, line 6\) and standaloneEnabled=true, so ZooKeeper ignores the server line/);
  assert.match(status.stdout, /\nAlso: .*myid is missing/);
  assert.match(status.stdout, /\nFix: add the other members' server\.N lines .* or set standaloneEnabled=false/);
  const log = readdirSync(join(s.dataDir, 'logs')).find((f) => f.endsWith('.log'))!;
  assert.match(readFileSync(join(s.dataDir, 'logs', log), 'utf8'), /WARN  \[mode\] - \*\*\* RUNNING STANDALONE although the configuration names other servers \*\*\*/);
  assert.equal(run('stop', s.cfg).code, 0);
});

test('an ensemble config this server cannot join (no myid) is refused, never run standalone; status explains it', async () => {
  const s = await setup(['initLimit=10', 'syncLimit=5', 'server.1=127.0.0.1:2888:3888', 'server.2=127.0.0.1:2889:3889', 'server.3=127.0.0.1:2890:3890']);
  const started = run('start', s.cfg);
  assert.equal(started.code, 2);
  assert.equal(started.stdout, '');
  assert.match(started.stderr, /Invalid config, exiting abnormally\n  .* configures an ensemble: 3 voting servers \(server\.1, server\.2, server\.3\), but this server cannot join it:\n  .*myid is missing/);
  assert.match(started.stderr, /tszk does not run an ensemble config standalone/);
  assert.ok(!existsSync(s.pidFile));
  const foreground = run('start-foreground', s.cfg);
  assert.equal(foreground.code, 2);
  const status = run('status', s.cfg);
  assert.equal(status.code, 1);
  assert.match(status.stdout, /Error contacting service\. It is probably not running\.\nWhy: .* configures an ensemble: 3 voting servers .*, but this server cannot join it/);
  assert.match(status.stdout, /\nAlso: .*myid is missing/);
});

test('malformed keys stop the server with the file, line, key and what is expected (exit 2)', async () => {
  const s = await setup(['tickTime=soon']);
  const r = run('start-foreground', s.cfg);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `Invalid config, exiting abnormally: ${s.cfg}:6: tickTime: expected an integer, got "soon"\n`);
  const missing = run('start-foreground', join(s.dir, 'nope.cfg'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the config file .*nope\.cfg: no such file/);
});

test('a dataDir that cannot be created is named with the reason (exit 3, ZooKeeper\'s UNABLE_TO_ACCESS_DATADIR)', async () => {
  const s = await setup();
  const blocker = join(s.dir, 'a-file');
  writeFileSync(blocker, '');
  writeFileSync(s.cfg, readFileSync(s.cfg, 'utf8').replace(/^dataDir=.*$/m, `dataDir=${join(blocker, 'data')}`));
  const r = run('start-foreground', s.cfg);
  assert.equal(r.code, 3);
  assert.match(r.stderr, new RegExp(`dataDir ${join(blocker, 'data')} cannot be used: cannot be created: ${blocker} is a file, not a directory`));
});

test('an admin server that cannot bind stops the server with exit 4, as ZooKeeper', async () => {
  const s = await setup();
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const adminPort = (blocker.address() as { port: number }).port;
  writeFileSync(s.cfg, readFileSync(s.cfg, 'utf8').replace('admin.enableServer=false', `admin.serverAddress=127.0.0.1\nadmin.serverPort=${adminPort}`));
  try {
    const r = run('start-foreground', s.cfg);
    assert.equal(r.code, 4);
    assert.match(r.stderr, new RegExp(`Problem starting AdminServer on address 127\\.0\\.0\\.1, port ${adminPort} and command URL /commands: .*EADDRINUSE`));
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});
