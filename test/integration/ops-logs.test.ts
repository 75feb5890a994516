// Proves a running tszk logs what operators grep for, to the console and to a size-rolled file in the log dir: session established / closed / expired, snapshots taken, slow fsync warnings with the duration, refused connections with the reason, and unknown config keys; and that the rolled files stay bounded in number.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../src/main/client.js';
import { OpCode } from '../../src/proto/op-code.js';
import { RawSession } from '../support/raw-session.js';
import { startTszk, type TszkServer } from '../support/tszk-server.js';

const WAIT_MS = 15_000;
let server: TszkServer;
let logDir: string;

before(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'tszk-ops-logs-'));
  server = await startTszk({
    config: {
      tickTime: '500', snapCount: '4', maxClientCnxns: '3', 'fsync.warningthresholdms': '0', 'zookeeper.log.dir': logDir,
      'zookeeper.log.file': 'zk.log', 'zookeeper.log.maxfilesize': '16KB', 'zookeeper.log.maxbackupindex': '2', 'no.such.key': '1',
    },
  });
});
after(async () => {
  await server.stop();
  rmSync(logDir, { recursive: true, force: true });
});

/** The log file's text plus its rolled predecessors, oldest first. */
function logText(): string {
  return ['zk.log.2', 'zk.log.1', 'zk.log'].map((f) => join(logDir, f)).filter(existsSync).map((f) => readFileSync(f, 'utf8')).join('');
}

async function waitForLog(pattern: RegExp): Promise<string> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const text = logText();
    const match = pattern.exec(text);
    if (match !== null) return match[0];
    if (Date.now() > deadline) assert.fail(`no log line matches ${pattern} within ${WAIT_MS} ms; the log ends:\n${text.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the console and the file get the same lines; unknown keys are warned about with file and line', async () => {
  await waitForLog(/WARN  \[config\] - .*zoo\.cfg:\d+: no\.such\.key: unknown key, ignored/);
  // stderr and stdout are separate pipes: the warning may reach the test after the "serving" line.
  const deadline = Date.now() + WAIT_MS;
  while (!/WARN  \[config\] - .*no\.such\.key: unknown key/.test(server.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(server.output(), /WARN  \[config\] - .*no\.such\.key: unknown key/);
  assert.match(logText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[myid:\] - INFO  \[main\] - tszk .* serving standalone on 127\.0\.0\.1:\d+/m);
});

test('session established and closed by the client, with id, timeout and address', async () => {
  const zk = createClient(`${server.host}:${server.port}`, { sessionTimeoutMs: 4000 });
  await zk.connect();
  const id = `0x${BigInt.asUintN(64, zk.sessionId).toString(16)}`;
  await waitForLog(new RegExp(`INFO  \\[session\\] - Established session ${id} with negotiated timeout 4000 for client /127\\.0\\.0\\.1:\\d+`));
  await zk.close();
  await waitForLog(new RegExp(`INFO  \\[session\\] - Session ${id} closed by client /127\\.0\\.0\\.1:\\d+`));
});

test('an abandoned session expires: "Expiring session 0x..., timeout of Nms exceeded"', async () => {
  const raw = await RawSession.open(server.host, server.port, undefined, 1000);
  const id = `0x${BigInt.asUintN(64, raw.sessionId).toString(16)}`;
  raw.close();
  await waitForLog(new RegExp(`INFO  \\[session\\] - Expiring session ${id}, timeout of 1000ms exceeded`));
  await waitForLog(new RegExp(`Processed session termination for sessionid: ${id} \\(expired\\)`));
});

test('slow fsyncs are warned about with their duration; snapshots are logged when taken', async () => {
  const raw = await RawSession.open(server.host, server.port);
  try {
    for (let i = 0; i < 8; i++) {
      await raw.call(OpCode.create, (w) => {
        w.writeString(`/log-${i}`).writeBuffer(Buffer.from('x')).writeInt(1).writeInt(31).writeString('world').writeString('anyone').writeInt(0);
      });
    }
  } finally {
    raw.close();
  }
  await waitForLog(/WARN  \[txnlog\] - fsync-ing the write ahead log took \d+ms which will adversely effect operation latency\. File size is \d+ bytes\. See the ZooKeeper troubleshooting guide \(fsync\.warningthresholdms=0\)/);
  await waitForLog(/INFO  \[snapshot\] - Snapshotting: 0x[0-9a-f]+ to .*version-2\/snapshot\.[0-9a-f]+/);
  await waitForLog(/INFO  \[snapshot\] - Snapshot taken in \d+ ms: .*snapshot\.[0-9a-f]+ \(\d+ znodes, \d+ bytes\)/);
});

test('a connection over maxClientCnxns is refused and the log says why', async () => {
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const socket = net.connect({ host: server.host, port: server.port });
      socket.on('error', () => undefined);
      sockets.push(socket);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    }
    await waitForLog(/WARN  \[cnxn\] - Connection refused: Too many connections from \/127\.0\.0\.1 - max is 3/);
  } finally {
    for (const s of sockets) s.destroy();
  }
});

test('the file rolls by size and keeps at most maxbackupindex old files', async () => {
  const zk = createClient(`${server.host}:${server.port}`, { sessionTimeoutMs: 4000 });
  await zk.connect();
  try {
    for (let i = 0; i < 120; i++) await zk.setData('/log-0', String(i));
  } finally {
    await zk.close();
  }
  await waitForLog(/Session 0x[0-9a-f]+ closed by client/);
  const files = readdirSync(logDir).sort();
  assert.deepEqual(files, ['zk.log', 'zk.log.1', 'zk.log.2']);
  for (const f of files) assert.ok(readFileSync(join(logDir, f)).length <= 16 * 1024, `${f} is within zookeeper.log.maxfilesize`);
});
