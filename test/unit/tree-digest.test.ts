// Proves the tree digest is ZooKeeper 3.8's: CRC32 equals zlib's, the incremental digest equals a naive recomputation after random workloads, it equals the digests real ZooKeeper wrote into its txn log (after every txn) and snapshots, survives a snapshot round trip and replaceWith, and the history keeps every 128th zxid, at most 1024.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32, crc32Latin1, crc32Utf8 } from '../../src/util/crc32.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { DIGEST_LOG_LIMIT, TreeDigest } from '../../src/tree/digest.js';
import { OpCode } from '../../src/proto/op-code.js';
import { decodeTxn, encodeTxn } from '../../src/proto/txn.js';
import { scanRecord, FILE_HEADER_BYTES } from '../../src/storage/log-format.js';
import { loadSnapshot, writeSnapshot } from '../../src/storage/snapshot.js';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { MemoryFileSystem, OPEN_ACL, allPaths, createTxn, prng, txn, workload } from './storage-test-helpers.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'zk-3.8-datadir');
const noYield = { yieldEvery: 1_000_000, yieldFn: () => Promise.resolve() };

/** The digest computed the obvious way: every node's bytes concatenated, hashed by zlib, summed as a Java long. */
function naiveDigest(tree: DataTree): bigint {
  let sum = 0n;
  for (const path of allPaths(tree)) {
    if (path.startsWith('/zookeeper/')) continue;
    const node = tree.getNode(path)!;
    const stat = Buffer.alloc(60);
    stat.writeBigInt64BE(node.czxid, 0);
    stat.writeBigInt64BE(node.mzxid, 8);
    stat.writeBigInt64BE(node.pzxid, 16);
    stat.writeBigInt64BE(node.ctime, 24);
    stat.writeBigInt64BE(node.mtime, 32);
    stat.writeInt32BE(node.version, 40);
    stat.writeInt32BE(node.cversion, 44);
    stat.writeInt32BE(node.aversion, 48);
    stat.writeBigInt64BE(node.ephemeralOwner, 52);
    const bytes = Buffer.concat([Buffer.from(path === '/' ? '' : path, 'utf8'), node.data ?? Buffer.alloc(0), stat]);
    sum += BigInt(zlibCrc32(bytes));
  }
  return BigInt.asIntN(64, sum);
}

test('crc32 equals zlib for random inputs, split anywhere, and for UTF-8 text', () => {
  const random = prng(7);
  for (let round = 0; round < 200; round++) {
    const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
    assert.equal(crc32(bytes), zlibCrc32(bytes));
    const cut = Math.floor(random() * (bytes.length + 1));
    assert.equal(crc32(bytes, crc32(bytes, 0, 0, cut), cut), zlibCrc32(bytes));
  }
  for (const text of ['', '/a', '/zookeeper', '/ünïcode/路径/😀x', 'plain/ascii/then/é']) {
    assert.equal(crc32Utf8(text), zlibCrc32(Buffer.from(text, 'utf8')), text);
    assert.equal(crc32Utf8(text, crc32(Buffer.from('prefix'))), zlibCrc32(Buffer.from('prefix' + text, 'utf8')), text);
  }
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  // Stored data (one char per byte), short and long.
  for (const length of [0, 1, 3, 255, 511, 512, 513, 1024, 70_000]) {
    const bytes = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
    const text = bytes.toString('latin1');
    assert.equal(crc32Latin1(text), zlibCrc32(bytes), `length ${length}`);
    assert.equal(crc32Latin1(text, crc32(Buffer.from('prefix'))), zlibCrc32(Buffer.concat([Buffer.from('prefix'), bytes])), `length ${length}`);
  }
});

test('a parent with large data keeps the digest right as its children come and go', () => {
  const tree = new DataTree();
  let zxid = 0n;
  const apply = (body: Parameters<typeof txn>[1]): void => {
    tree.apply(txn(++zxid, body).header, body);
  };
  apply({ type: OpCode.create, path: '/big', data: Buffer.alloc(5000, 0xe9), acl: OPEN_ACL, ephemeral: false, parentCVersion: -1 });
  for (let i = 0; i < 20; i++) {
    apply({ type: OpCode.create, path: `/big/c${i}`, data: Buffer.from([i]), acl: OPEN_ACL, ephemeral: false, parentCVersion: -1 });
    if (i % 3 === 0) apply({ type: OpCode.delete, path: `/big/c${i}` });
    if (i % 7 === 0) apply({ type: OpCode.setData, path: '/big', data: Buffer.alloc(600 + i, i), version: i / 7 + 1 });
    assert.equal(tree.treeDigest, naiveDigest(tree), `after child ${i}`);
  }
});

test('TreeDigest wraps like a Java long in both directions', () => {
  const random = prng(11);
  const digest = new TreeDigest();
  let reference = 0n;
  for (let i = 0; i < 10_000; i++) {
    const value = Math.floor(random() * 0x1_0000_0000);
    if (random() < 0.45) {
      digest.remove(value);
      reference -= BigInt(value);
    } else {
      digest.add(value);
      reference += BigInt(value);
    }
    assert.equal(digest.value, BigInt.asIntN(64, reference));
  }
  const negative = new TreeDigest();
  negative.remove(1);
  assert.equal(negative.value, -1n);
});

test('the incremental digest equals a naive recomputation after random workloads of every txn kind', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const tree = new DataTree(Buffer.from('server.1=x'));
    assert.equal(tree.treeDigest, naiveDigest(tree), 'fresh tree');
    let zxid = 1n;
    for (let batch = 0; batch < 6; batch++) {
      workload(tree, seed * 100 + batch, zxid, 50);
      zxid += 50n;
      assert.equal(tree.treeDigest, naiveDigest(tree), `seed ${seed} batch ${batch}`);
    }
  }
});

test('quota nodes under /zookeeper/ are left out, /zookeeper itself and the root ("") are in', () => {
  const tree = new DataTree();
  const before = tree.treeDigest;
  tree.apply(txn(1n, createTxn('/zookeeper/quota/app', '')).header, createTxn('/zookeeper/quota/app', ''));
  tree.apply(txn(2n, createTxn('/zookeeper/quota/app/zookeeper_limits', 'count=5,bytes=-1')).header, createTxn('/zookeeper/quota/app/zookeeper_limits', 'count=5,bytes=-1'));
  tree.apply(txn(3n, createTxn('/zookeeper/quota/app/zookeeper_stats', 'count=0,bytes=0')).header, createTxn('/zookeeper/quota/app/zookeeper_stats', 'count=0,bytes=0'));
  assert.equal(tree.treeDigest, before, 'changes below /zookeeper/ only');
  tree.apply(txn(4n, createTxn('/app', 'abc')).header, createTxn('/app', 'abc'));
  assert.match(tree.getNode('/zookeeper/quota/app/zookeeper_stats')!.data!.toString(), /count=1,bytes=3/);
  assert.equal(tree.treeDigest, naiveDigest(tree));
  assert.notEqual(tree.treeDigest, before);
});

test('equals the digest real ZooKeeper 3.8 logged with every txn (TxnDigest) and wrote into its snapshots', async () => {
  const logDir = join(fixture, 'datalog', 'version-2');
  const files = readdirSync(logDir).filter((f) => f.startsWith('log.')).sort((a, b) => (BigInt(`0x${a.slice(4)}`) < BigInt(`0x${b.slice(4)}`) ? -1 : 1));
  const tree = new DataTree();
  const kinds = new Set<number>();
  let compared = 0;
  for (const file of files) {
    const bytes = readFileSync(join(logDir, file));
    for (let offset = FILE_HEADER_BYTES, guard = 0; guard < 100_000; guard++) {
      const scan = scanRecord(bytes, offset);
      if (scan.kind !== 'record') break;
      offset = scan.end;
      const entry = decodeTxn(scan.payload);
      if (entry.header.zxid <= tree.lastProcessedZxid) continue;
      tree.apply(entry.header, entry.body);
      assert.equal(scan.payload.length - encodeTxn(entry).length, 12, `txn 0x${entry.header.zxid.toString(16)} carries a TxnDigest`);
      assert.equal(scan.payload.readInt32BE(scan.payload.length - 12), 2, 'digest version');
      assert.equal(tree.treeDigest, scan.payload.readBigInt64BE(scan.payload.length - 8), `digest after txn 0x${entry.header.zxid.toString(16)}`);
      kinds.add(entry.body.type);
      compared++;
    }
  }
  assert.ok(compared >= 40, `compared ${compared} txns`);
  for (const kind of [OpCode.createSession, OpCode.create, OpCode.setData, OpCode.setACL, OpCode.delete, OpCode.multi, OpCode.closeSession]) {
    assert.ok(kinds.has(kind), `the fixture has op ${kind}`);
  }

  // Snapshots: [main seal][digestZxid, version, digest][seal]; compare where the digest is of that very zxid.
  const snapDir = join(fixture, 'data', 'version-2');
  let snapshotsCompared = 0;
  for (const name of readdirSync(snapDir).filter((f) => f.startsWith('snapshot.'))) {
    const bytes = readFileSync(join(snapDir, name));
    const digestZxid = bytes.readBigInt64BE(bytes.length - 33);
    if (digestZxid === 0n || digestZxid !== BigInt(`0x${name.slice(9)}`)) continue;
    const loaded = new DataTree();
    await loadSnapshot(new NodeFileSystem(), join(snapDir, name), loaded);
    assert.equal(loaded.treeDigest, bytes.readBigInt64BE(bytes.length - 21), name);
    snapshotsCompared++;
  }
  assert.ok(snapshotsCompared >= 2, `compared ${snapshotsCompared} snapshots`);
});

test('a snapshot round trip and replaceWith keep the digest; the history starts over', async () => {
  const tree = new DataTree();
  workload(tree, 42, 1n, 300);
  const digest = tree.treeDigest;
  assert.deepEqual(tree.digestHistory().map((e) => e.zxid), [128n, 256n]);
  const fs = new MemoryFileSystem();
  const written = await writeSnapshot(fs, '/data', tree.beginSnapshot(), [], noYield);
  const loaded = new DataTree();
  await loadSnapshot(fs, written.path, loaded);
  assert.equal(loaded.treeDigest, digest);
  assert.equal(loaded.treeDigest, naiveDigest(loaded));

  const live = new DataTree();
  workload(live, 9, 1n, 140);
  live.replaceWith(loaded);
  assert.equal(live.treeDigest, digest);
  assert.deepEqual(live.digestHistory(), []);
  // The replaced tree keeps working incrementally.
  workload(live, 43, 301n, 100);
  assert.equal(live.treeDigest, naiveDigest(live));
  assert.deepEqual(live.digestHistory().map((e) => e.zxid), [384n]);
});

test('the history records zxids that are multiples of 128 (epoch included), signed, and keeps the newest 1024', () => {
  const tree = new DataTree();
  const epoch = 5n << 32n;
  const count = (DIGEST_LOG_LIMIT + 3) * 128;
  for (let i = 1; i <= count; i++) {
    const zxid = epoch + BigInt(i);
    const body = i === 128 ? createTxn('/x', 'y') : { type: OpCode.createSession, timeOut: 4000 } as const;
    tree.apply(txn(zxid, body).header, body);
  }
  const history = tree.digestHistory();
  assert.equal(history.length, DIGEST_LOG_LIMIT);
  assert.equal(history[0]!.zxid, epoch + 4n * 128n);
  assert.equal(history.at(-1)!.zxid, epoch + BigInt(count));
  for (const entry of history) {
    assert.equal(entry.zxid % 128n, 0n);
    assert.equal(entry.digestVersion, 2);
    assert.equal(entry.digest, tree.treeDigest);
  }
  assert.deepEqual(tree.lastZxidDigest(), { zxid: epoch + BigInt(count), digestVersion: 2, digest: tree.treeDigest });
  assert.equal(new DataTree().lastZxidDigest().zxid, 0n);
});
