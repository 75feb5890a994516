// Proves the admin `restore` command on a running tszk over HTTP: a snapshot streamed by the `snapshot` command, POSTed back after the tree changed, brings the old tree back for every reader (sessions in the snapshot keep working, later ones are dropped), survives a restart, and bad bodies answer error JSON while the server keeps serving its unchanged tree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../src/main/client.js';
import type { ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import { startTszk, type TszkServer } from '../support/tszk-server.js';
import { fourLetterWord } from '../support/zk-reference.js';

const CONFIG = { 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': '0', 'admin.rateLimiterIntervalInMS': '0' };
const AUTH = { Authorization: 'digest super:test' };

interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function http(port: number, path: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on('error', reject);
    req.end(body);
  });
}

function json(answer: HttpAnswer): Record<string, unknown> {
  return JSON.parse(answer.body.toString()) as Record<string, unknown>;
}

let dataDir: string;
let server: TszkServer;
let adminPort: number;
const clients: ZooKeeperClient[] = [];

async function start(): Promise<void> {
  server = await startTszk({ dataDir, config: CONFIG });
  const match = /Started AdminServer on address 127\.0\.0\.1, port (\d+)/.exec(server.output());
  assert.ok(match !== null, server.output());
  adminPort = Number(match[1]);
}

async function client(): Promise<ZooKeeperClient> {
  const zk = createClient(`127.0.0.1:${server.port}`, { sessionTimeoutMs: 30_000 });
  await zk.connect();
  clients.push(zk);
  return zk;
}

async function dataOf(zk: ZooKeeperClient, path: string): Promise<string | null> {
  return (await zk.exists(path)) === null ? null : (await zk.getData(path)).data?.toString() ?? '';
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tszk-restore-'));
  await start();
});
after(async () => {
  for (const zk of clients) await zk.close().catch(() => undefined);
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
});

let snapshot: Buffer;

test('a streamed snapshot POSTed to restore brings the old tree back, for old sessions, across a restart', { timeout: 120_000 }, async () => {
  const zk = await client();
  await zk.create('/keep', 'v1');
  await zk.create('/keep/child', 'c');
  await zk.create('/keep/eph', 'mine', { mode: 'EPHEMERAL' });
  const lastChange = (await zk.exists('/keep/eph'))!.czxid;

  const taken = await http(adminPort, '/commands/snapshot', 'GET', AUTH);
  assert.equal(taken.status, 200);
  snapshot = taken.body;
  assert.ok(snapshot.length > 100);
  assert.equal(String(taken.headers.snapshot_size), String(snapshot.length));

  const late = await client();
  await zk.setData('/keep', 'v2');
  await zk.delete('/keep/child');
  await zk.create('/new', 'not in the snapshot');
  await late.create('/late-eph', 'x', { mode: 'EPHEMERAL' });
  const zxidBeforeRestore = (await zk.exists('/late-eph'))!.czxid;

  const restored = await http(adminPort, '/commands/restore', 'POST', { ...AUTH, 'Content-Type': 'application/octet-stream' }, snapshot);
  assert.equal(restored.status, 200, restored.body.toString());
  assert.deepEqual(json(restored), { last_zxid: Number(lastChange), command: 'restore', error: null });

  assert.equal(await dataOf(zk, '/keep'), 'v1');
  assert.equal(await dataOf(zk, '/keep/child'), 'c');
  assert.equal(await dataOf(zk, '/keep/eph'), 'mine');
  assert.equal(await dataOf(zk, '/new'), null);
  assert.equal(await dataOf(zk, '/late-eph'), null);
  assert.deepEqual((await zk.getChildren('/')).sort(), ['keep', 'zookeeper']);
  // A session created after the snapshot is not in it: ZooKeeper's new session tracker drops it.
  await assert.rejects(late.getData('/keep'), /SESSIONEXPIRED|expired/i);

  // Writes continue on the restored tree with zxids after the server's last one.
  await zk.create('/after', 'written after restore');
  assert.ok((await zk.exists('/after'))!.czxid > zxidBeforeRestore);
  const srvr = await fourLetterWord('127.0.0.1', server.port, 'srvr');
  // "/", "/zookeeper", its quota and config, /keep and its two children, /after; ZooKeeper counts the root twice.
  assert.match(srvr, /Node count: 9\n/);

  // The restored tree was written as the newest snapshot: a restart recovers it.
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await server.stop();
  await start();
  const again = await client();
  assert.equal(await dataOf(again, '/keep'), 'v1');
  assert.equal(await dataOf(again, '/keep/child'), 'c');
  assert.equal(await dataOf(again, '/new'), null);
  assert.equal(await dataOf(again, '/after'), 'written after restore');
});

test('bad bodies answer error JSON and change nothing; the server keeps serving', { timeout: 60_000 }, async () => {
  const zk = await client();
  await zk.setData('/keep', 'current');
  const stateOf = async (): Promise<string> => (await fourLetterWord('127.0.0.1', server.port, 'srvr')).split('\n').filter((l) => /^(Zxid|Node count):/.test(l)).join('\n');
  const stateBefore = await stateOf();
  const corrupt = Buffer.from(snapshot);
  corrupt[corrupt.length - 20] = corrupt[corrupt.length - 20]! ^ 0xff;
  const bodies: Array<[string, Buffer, number, RegExp]> = [
    ['garbage', Buffer.from('this is not a snapshot'), 500, /restore failed: corrupt snapshot/],
    ['truncated', snapshot.subarray(0, snapshot.length - 7), 500, /restore failed: corrupt snapshot/],
    ['bit flip', corrupt, 500, /restore failed: corrupt snapshot/],
    ['empty', Buffer.alloc(0), 400, /restore needs a snapshot/],
  ];
  for (const [what, body, status, error] of bodies) {
    const answer = await http(adminPort, '/commands/rest', 'POST', AUTH, body);
    assert.equal(answer.status, status, what);
    const parsed = json(answer);
    assert.equal(parsed.command, 'restore', what);
    assert.match(String(parsed.error), error, what);
    assert.equal(await dataOf(zk, '/keep'), 'current', what);
  }
  assert.equal((await http(adminPort, '/commands/restore', 'POST', {}, snapshot)).status, 401);
  assert.equal((await http(adminPort, '/commands/restore', 'GET', AUTH)).status, 405);
  assert.equal(await fourLetterWord('127.0.0.1', server.port, 'ruok'), 'imok');
  assert.equal(await stateOf(), stateBefore, 'no txn, no node changed');
  await zk.create('/still-writable', 'yes');
  assert.equal(await dataOf(zk, '/still-writable'), 'yes');
});
