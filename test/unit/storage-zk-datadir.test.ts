// Proves tszk recovers a data directory written by real Apache ZooKeeper 3.8 (fuzzy snapshots,
// separate dataLogDir, logs with and without their zero preallocation) into exactly the tree
// ZooKeeper served before it was killed: every node, its data, all Stat fields, ACLs, and the
// open sessions. The fixture and its expected.json come from make-fixture.mjs next to them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { recover } from '../../src/storage/recovery.js';
import { loadSnapshot } from '../../src/storage/snapshot.js';
import { LogReader } from '../../src/storage/log-reader.js';
import { allPaths, tempDir } from './storage-test-helpers.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'zk-3.8-datadir');
const fs = new NodeFileSystem();

interface ExpectedNode {
  path: string;
  dataBase64: string;
  stat: Record<string, string | number>;
  acl: Array<{ perms: number; scheme: string; id: string }>;
}

async function expected(): Promise<{ sessions: Array<{ id: string; timeoutMs: number }>; nodes: ExpectedNode[] }> {
  return JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8'));
}

function dumpLikeFixture(tree: DataTree): ExpectedNode[] {
  return allPaths(tree).map((path) => {
    const node = tree.getNode(path)!;
    const stat = node.stat();
    return {
      path,
      dataBase64: (node.data ?? Buffer.alloc(0)).toString('base64'),
      stat: {
        czxid: String(stat.czxid), mzxid: String(stat.mzxid), ctime: String(stat.ctime), mtime: String(stat.mtime),
        version: stat.version, cversion: stat.cversion, aversion: stat.aversion,
        ephemeralOwner: String(stat.ephemeralOwner), dataLength: stat.dataLength, numChildren: stat.numChildren, pzxid: String(stat.pzxid),
      },
      acl: node.acl.acl.map((a) => ({ perms: a.perms, scheme: a.id.scheme, id: a.id.id })),
    };
  });
}

async function copyFixture(padding: number): Promise<{ dataDir: string; dataLogDir: string; cleanup: () => Promise<void> }> {
  const dir = await tempDir();
  const dataDir = join(dir.path, 'data');
  const dataLogDir = join(dir.path, 'datalog');
  await cp(join(FIXTURE, 'data'), dataDir, { recursive: true });
  await cp(join(FIXTURE, 'datalog'), dataLogDir, { recursive: true });
  if (padding > 0) {
    const logDir = join(dataLogDir, 'version-2');
    for (const name of await readdir(logDir)) {
      await writeFile(join(logDir, name), Buffer.concat([await readFile(join(logDir, name)), Buffer.alloc(padding)]));
    }
  }
  return { dataDir, dataLogDir, cleanup: dir.cleanup };
}

test('recovers the tree and sessions ZooKeeper 3.8 served, from its own data directory', async () => {
  const want = await expected();
  for (const padding of [0, 64 * 1024]) {
    const dirs = await copyFixture(padding);
    try {
      const tree = new DataTree();
      const result = await recover(fs, dirs, tree);
      assert.deepEqual(result.tornTails, [], `padding ${padding}`);
      assert.deepEqual(result.skippedSnapshots, []);
      assert.ok(result.snapshotZxid !== undefined && result.txnsReplayed > 0, 'both a snapshot and logged txns were used');
      assert.deepEqual(dumpLikeFixture(tree), want.nodes, `padding ${padding}`);
      assert.equal(result.lastZxid, BigInt(Math.max(...want.nodes.map((n) => Number(n.stat.mzxid)), ...want.nodes.map((n) => Number(n.stat.pzxid)))));
      assert.deepEqual([...result.sessions].map(([id, timeout]) => [String(id), timeout]).sort(), want.sessions.map((s) => [s.id, s.timeoutMs]).sort());
    } finally {
      await dirs.cleanup();
    }
  }
});

test('every ZooKeeper snapshot and log file in the fixture validates on its own', async () => {
  const snapDir = join(FIXTURE, 'data', 'version-2');
  const snapshots = (await readdir(snapDir)).filter((n) => n.startsWith('snapshot.'));
  assert.ok(snapshots.length >= 2);
  for (const name of snapshots) {
    const tree = new DataTree();
    const loaded = await loadSnapshot(fs, join(snapDir, name), tree);
    assert.equal(loaded.zxid, BigInt('0x' + name.split('.')[1]));
    assert.ok(tree.getNode('/zookeeper/quota') !== undefined);
  }
  const logDir = join(FIXTURE, 'datalog', 'version-2');
  const logs = (await readdir(logDir)).filter((n) => n.startsWith('log.')).sort((a, b) => Number('0x' + a.slice(4)) - Number('0x' + b.slice(4)));
  const reader = LogReader.open(fs, logs.map((n) => join(logDir, n)), { fromZxid: 0n });
  let count = 0;
  let previous = 0n;
  for (let entry = await reader.next(); entry !== undefined; entry = await reader.next()) {
    assert.ok(entry.header.zxid > previous);
    previous = entry.header.zxid;
    count++;
  }
  assert.deepEqual(reader.tornTails, []);
  assert.ok(count > 30, `${count} txns`);
});
