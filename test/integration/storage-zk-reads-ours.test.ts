// Proves real Apache ZooKeeper 3.8 starts from a data directory tszk wrote (a snapshot plus txn
// logs after it) and serves exactly tszk's tree: every node's data, all Stat fields and ACLs;
// and that tszk then recovers the same tree from the directory ZooKeeper left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { TxnLog } from '../../src/storage/txn-log.js';
import { writeSnapshot } from '../../src/storage/snapshot.js';
import { recover } from '../../src/storage/recovery.js';
import { OpCode } from '../../src/proto/op-code.js';
import type { TxnEntry } from '../../src/proto/txn.js';
import { referenceZooKeeperAvailable, SUPER_DIGEST_TEST, freePort } from '../support/zk-reference.js';
import { allPaths, tempDir, workload } from '../unit/storage-test-helpers.js';

const JARS = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-api.jar', '/usr/share/java/slf4j-simple.jar'];
const STARTUP_TIMEOUT_MS = 60_000;
const SESSION_TIMEOUT_MS = 600_000;
const fs = new NodeFileSystem();

/** The slice of node-zookeeper-client this test uses. */
interface ZkStat { [field: string]: Buffer | number }
interface ZkClient {
  connect(): void;
  close(): void;
  once(event: 'connected', listener: () => void): void;
  addAuthInfo(scheme: string, auth: Buffer): void;
  getData(path: string, callback: (error: Error | null, data: Buffer | undefined, stat: ZkStat) => void): void;
  getACL(path: string, callback: (error: Error | null, acls: Array<{ permission: number; id: { scheme: string; id: string } }>) => void): void;
  getChildren(path: string, callback: (error: Error | null, children: string[]) => void): void;
}
const zookeeper = createRequire(import.meta.url)('node-zookeeper-client') as { createClient(hosts: string, options: object): ZkClient };

interface NodeView {
  path: string;
  data: string;
  stat: Record<string, string>;
  acl: string[];
}

const STAT_FIELDS = ['czxid', 'mzxid', 'ctime', 'mtime', 'version', 'cversion', 'aversion', 'ephemeralOwner', 'dataLength', 'numChildren', 'pzxid'];

function ours(tree: DataTree): NodeView[] {
  return allPaths(tree).map((path) => {
    const node = tree.getNode(path)!;
    const stat = node.stat() as unknown as Record<string, bigint | number>;
    return {
      path,
      data: (node.data ?? Buffer.alloc(0)).toString('base64'),
      stat: Object.fromEntries(STAT_FIELDS.map((f) => [f, String(stat[f])])),
      acl: node.acl.acl.map((a) => `${a.perms}:${a.id.scheme}:${a.id.id}`),
    };
  });
}

const call = (fn: (cb: (error: Error | null, ...rest: any[]) => void) => void): Promise<any[]> =>
  new Promise((resolve, reject) => fn((error, ...rest) => (error ? reject(error) : resolve(rest))));

async function theirs(client: ZkClient, path: string, out: NodeView[]): Promise<void> {
  const [data, stat] = await call((cb) => client.getData(path, cb));
  const [acls] = await call((cb) => client.getACL(path, cb));
  const [children] = await call((cb) => client.getChildren(path, cb));
  const field = (v: Buffer | number | undefined) => (Buffer.isBuffer(v) ? String(v.readBigInt64BE(0)) : String(v));
  out.push({
    path,
    data: ((data as Buffer | undefined) ?? Buffer.alloc(0)).toString('base64'),
    stat: Object.fromEntries(STAT_FIELDS.map((f) => [f, field((stat as ZkStat)[f])])),
    acl: (acls as Array<{ permission: number; id: { scheme: string; id: string } }>).map((a) => `${a.permission}:${a.id.scheme}:${a.id.id}`),
  });
  for (const name of (children as string[]).sort()) await theirs(client, path === '/' ? `/${name}` : `${path}/${name}`, out);
}


function connect(port: number): Promise<ZkClient | undefined> {
  const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: 30_000, retries: 0 });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.close();
      resolve(undefined);
    }, 2_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

async function stopJvm(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Our history: 200 txns, a snapshot, 200 more txns in a second log file. */
async function writeHistory(dataDir: string): Promise<{ tree: DataTree; entries: TxnEntry[] }> {
  const tree = new DataTree();
  const log = await TxnLog.open(fs, dataDir, { nowMs: () => 0 });
  const first = workload(tree, 314, 1n, 200, SESSION_TIMEOUT_MS);
  for (const entry of first) log.append(entry);
  const sessions = new Map<bigint, number>();
  for (const { header, body } of first) {
    if (body.type === OpCode.createSession) sessions.set(header.clientId, body.timeOut);
    if (body.type === OpCode.closeSession) sessions.delete(header.clientId);
  }
  await writeSnapshot(fs, dataDir, tree.beginSnapshot(), [...sessions].map(([id, timeoutMs]) => ({ id, timeoutMs })), { yieldEvery: 50, yieldFn: async () => undefined });
  log.roll();
  const second = workload(tree, 2718, 201n, 200, SESSION_TIMEOUT_MS);
  for (const entry of second) log.append(entry);
  await log.close();
  return { tree, entries: [...first, ...second] };
}

test('ZooKeeper 3.8 serves the tree tszk wrote to disk; tszk recovers what ZooKeeper left', { skip: !referenceZooKeeperAvailable(), timeout: 180_000 }, async () => {
  const dir = await tempDir();
  let jvm: ChildProcess | undefined;
  let client: ZkClient | undefined;
  try {
    const dataDir = join(dir.path, 'data');
    const { tree } = await writeHistory(dataDir);
    const port = await freePort();
    const cfg = join(dir.path, 'zoo.cfg');
    await writeFile(cfg, [`tickTime=2000`, `dataDir=${dataDir}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'admin.enableServer=false', ''].join('\n'));
    let output = '';
    jvm = spawn('java', ['-Xmx256m', '-Dzookeeper.jmx.log4j.disable=true', `-Dzookeeper.DigestAuthenticationProvider.superDigest=${SUPER_DIGEST_TEST}`,
      '-cp', JARS.join(':'), 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
    jvm.stdout?.on('data', keep);
    jvm.stderr?.on('data', keep);
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (client === undefined && Date.now() < deadline && jvm.exitCode === null) client = await connect(port);
    assert.ok(client !== undefined, `ZooKeeper did not start on our data directory:\n${output}`);
    client.addAuthInfo('digest', Buffer.from('super:test'));
    const served: NodeView[] = [];
    await theirs(client, '/', served);
    assert.deepEqual(served, ours(tree));
    client.close();
    client = undefined;
    await stopJvm(jvm);
    const again = new DataTree();
    const result = await recover(fs, { dataDir, dataLogDir: dataDir }, again);
    // ZooKeeper logged its own txns after ours (our client's session), in its own log file.
    assert.ok(result.lastZxid >= 401n, `last zxid ${result.lastZxid}`);
    assert.deepEqual(ours(again), ours(tree));
  } finally {
    client?.close();
    if (jvm !== undefined) await stopJvm(jvm);
    await dir.cleanup();
  }
});
