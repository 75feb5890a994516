// Proves snapshots round-trip through the real file system in ZooKeeper 3.8's layout (header,
// sessions, ACL map, nodes, seals, digest section); stay consistent with the tree as of their
// start while the tree is mutated heavily between slices; are refused when damaged without
// touching the tree; and that ZooKeeper's optional trailer sections are read when present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import type { FileSystem } from '../../src/ports/file-system.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { OpCode } from '../../src/proto/op-code.js';
import { childPath } from '../../src/tree/path.js';
import { adler32 } from '../../src/storage/adler32.js';
import { loadSnapshot, writeSnapshot, snapshotProblem } from '../../src/storage/snapshot.js';
import { CorruptSnapshotError } from '../../src/storage/errors.js';
import { MemoryFileSystem, allPaths, createTxn, dumpTree, prng, tempDir, txn, workload, DIGEST_ACL } from './storage-test-helpers.js';

const fs = new NodeFileSystem();
/** The same files through a file system that can only read them whole. */
const whole: FileSystem = new (class extends NodeFileSystem {
  override openRead = undefined;
})();
const noYield = { yieldEvery: 1000, yieldFn: async () => undefined };
const sessions = [{ id: 0x100000001n, timeoutMs: 30_000 }, { id: -5n, timeoutMs: 4_000 }];

async function written(tree: DataTree, dir: string): Promise<string> {
  const result = await writeSnapshot(fs, dir, tree.beginSnapshot(), sessions, noYield);
  return result.path;
}

test('round trip through the real file system', async () => {
  const dir = await tempDir();
  try {
    const tree = new DataTree();
    workload(tree, 11, 1n, 400);
    const result = await writeSnapshot(fs, dir.path, tree.beginSnapshot(), sessions, noYield);
    assert.equal(result.path, join(dir.path, 'version-2', 'snapshot.190'));
    assert.equal(result.nodes, tree.nodeCount);
    assert.deepEqual(await readdir(join(dir.path, 'version-2')), ['snapshot.190'], 'no temp file is left');
    const loaded = new DataTree();
    const contents = await loadSnapshot(fs, result.path, loaded);
    assert.equal(contents.zxid, 400n);
    assert.equal(loaded.lastProcessedZxid, 400n);
    assert.deepEqual([...contents.sessions], sessions.map((s) => [s.id, s.timeoutMs]));
    assert.deepEqual(dumpTree(loaded), dumpTree(tree));
    assert.deepEqual([...loaded.ephemeralOwners().keys()].sort(), [...tree.ephemeralOwners().keys()].sort());
    assert.equal(loaded.approximateDataSize, tree.approximateDataSize);
  } finally {
    await dir.cleanup();
  }
});

test('the bytes follow ZooKeeper 3.8: header, sessions, ACLs, root "", "/" end, seal, empty digest, seal', async () => {
  const dir = await tempDir();
  try {
    const tree = new DataTree();
    tree.apply(txn(1n, createTxn('/a', 'x', DIGEST_ACL)).header, createTxn('/a', 'x', DIGEST_ACL));
    const bytes = await readFile(await written(tree, dir.path));
    assert.equal(bytes.subarray(0, 16).toString('hex'), '5a4b534e00000002ffffffffffffffff');
    assert.equal(bytes.readInt32BE(16), 2);
    assert.equal(bytes.readBigInt64BE(20), 0x100000001n);
    assert.equal(bytes.readInt32BE(28), 30_000);
    const aclCountAt = 16 + 4 + 2 * 12;
    assert.equal(bytes.readInt32BE(aclCountAt), tree.aclCache.size);
    // Trailer: ... "/" | long seal1 | "/" | long 0, int 2, long 0 | long seal2 | "/".
    const end = bytes.length;
    const seal2At = end - 13;
    const digestAt = seal2At - 20;
    const seal1At = digestAt - 13;
    assert.equal(bytes.subarray(seal1At - 5, seal1At).toString('hex'), '000000012f', 'end-of-nodes marker');
    assert.equal(bytes.readBigInt64BE(seal1At), BigInt(adler32(bytes.subarray(0, seal1At))));
    assert.equal(bytes.subarray(seal1At + 8, digestAt).toString('hex'), '000000012f');
    assert.equal(bytes.subarray(digestAt, seal2At).toString('hex'), '0000000000000000' + '00000002' + '0000000000000000');
    assert.equal(bytes.readBigInt64BE(seal2At), BigInt(adler32(bytes.subarray(0, seal2At))));
    assert.equal(bytes.subarray(end - 5).toString('hex'), '000000012f');
    // After the ACL map comes the root, written with the path "" and its empty data.
    let at = aclCountAt + 4;
    for (let i = 0; i < tree.aclCache.size; i++) {
      at += 8;
      const count = bytes.readInt32BE(at);
      at += 4;
      for (let j = 0; j < count; j++) {
        at += 4;
        for (let k = 0; k < 2; k++) at += 4 + bytes.readInt32BE(at);
      }
    }
    assert.equal(bytes.readInt32BE(at), 0, 'root path ""');
    assert.equal(bytes.readInt32BE(at + 4), 0, 'root data');
    assert.equal(bytes.readInt32BE(at + 4 + 4 + 8 + 60), '/zookeeper'.length, 'then /zookeeper, DFS order');
  } finally {
    await dir.cleanup();
  }
});

test('a snapshot written in slices is the tree as of its start, whatever happens meanwhile (several seeds)', async () => {
  for (const seed of [99, 1, 2, 3, 4, 5, 6, 7]) await sliceWhileMutating(seed);
});

async function sliceWhileMutating(seed: number): Promise<void> {
  const dir = await tempDir();
  try {
    const tree = new DataTree();
    workload(tree, 21, 1n, 600);
    const expected = dumpTree(tree);
    const expectedZxid = tree.lastProcessedZxid;
    const random = prng(seed);
    let zxid = tree.lastProcessedZxid + 1n;
    const mutate = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) {
        const paths = allPaths(tree).filter((p) => !p.startsWith('/zookeeper') && p !== '/');
        const path = paths[Math.floor(random() * paths.length)];
        const kind = random();
        if (path === undefined || kind < 0.3) {
          const parent = path ?? '/';
          const child = childPath(parent, `late${zxid}`);
          if (tree.getNode(parent)!.ephemeralOwner === 0n) tree.apply(txn(zxid, createTxn(child, 'late')).header, createTxn(child, 'late'));
        } else if (kind < 0.55) {
          tree.apply(txn(zxid, { type: OpCode.setData, path, data: Buffer.from('changed'), version: 99 }).header, { type: OpCode.setData, path, data: Buffer.from('changed'), version: 99 });
        } else if (kind < 0.7) {
          tree.apply(txn(zxid, { type: OpCode.setACL, path, acl: DIGEST_ACL, version: 5 }).header, { type: OpCode.setACL, path, acl: DIGEST_ACL, version: 5 });
        } else {
          // Delete a whole subtree, deepest first, then recreate its root with other data.
          const doomed = allPaths(tree).filter((p) => p === path || p.startsWith(path + '/')).reverse();
          for (const p of doomed) tree.apply(txn(zxid, { type: OpCode.delete, path: p }).header, { type: OpCode.delete, path: p });
          tree.apply(txn(zxid, createTxn(path, 'reborn')).header, createTxn(path, 'reborn'));
        }
        zxid++;
      }
    };
    const result = await writeSnapshot(fs, dir.path, tree.beginSnapshot(), sessions, { yieldEvery: 1, yieldFn: mutate });
    assert.equal(result.zxid, expectedZxid);
    assert.equal(result.nodes, expected.length, `seed ${seed}: each node written once`);
    assert.notDeepEqual(dumpTree(tree), expected, 'the tree did change while the snapshot was written');
    const loaded = new DataTree();
    await loadSnapshot(fs, result.path, loaded);
    assert.deepEqual(dumpTree(loaded), expected, `seed ${seed}`);
    tree.beginSnapshot().end();
  } finally {
    await dir.cleanup();
  }
}

test('read through windows of any size, a snapshot loads the same tree, values larger than the window included', async () => {
  const dir = await tempDir();
  try {
    const tree = new DataTree();
    workload(tree, 17, 1n, 300);
    let zxid = tree.lastProcessedZxid;
    for (const size of [0, 1, 4095, 70_000, 300_000]) {
      const body = { type: OpCode.create, path: `/big${size}`, data: Buffer.alloc(size, size & 0xff), acl: DIGEST_ACL, ephemeral: false, parentCVersion: -1 } as const;
      tree.apply(txn(++zxid, body).header, body);
    }
    tree.lastProcessedZxid = zxid;
    const path = await written(tree, dir.path);
    const expected = dumpTree(tree);
    for (const windowBytes of [1, 7, 64, 1000, 65_536]) {
      const loaded = new DataTree();
      const progress: number[] = [];
      const contents = await loadSnapshot(fs, path, loaded, (phase, done, total) => phase === 'snapshot' && done <= total && progress.push(done), { windowBytes });
      assert.deepEqual(dumpTree(loaded), expected, `window ${windowBytes}`);
      assert.deepEqual([...contents.sessions], sessions.map((s) => [s.id, s.timeoutMs]), `window ${windowBytes}`);
      assert.equal(progress.at(-1), (await readFile(path)).length, 'the last report is the whole file');
      assert.equal(await snapshotProblem(fs, path, { windowBytes }), undefined, `window ${windowBytes}`);
    }
  } finally {
    await dir.cleanup();
  }
});

test('a window of small values is refilled in place: buffers of window size are allocated a few times, not once per refill', async () => {
  const dir = await tempDir();
  try {
    const tree = new DataTree();
    let zxid = 0n;
    // Values of many sizes, so that the part a refill keeps (a value cut by the window's end)
    // changes from one refill to the next.
    for (let i = 0; i < 3000; i++) {
      const body = { type: OpCode.create, path: `/n${i}`, data: Buffer.alloc((i * 37) % 500, i & 0xff), acl: DIGEST_ACL, ephemeral: false, parentCVersion: -1 } as const;
      tree.apply(txn(++zxid, body).header, body);
    }
    tree.lastProcessedZxid = zxid;
    const path = await written(tree, dir.path);
    const windowBytes = 8192;
    const fileBytes = (await readFile(path)).length;
    assert.ok(fileBytes > 50 * windowBytes, `the file (${fileBytes} bytes) needs many refills`);
    const allocUnsafe = Buffer.allocUnsafe;
    let windowSized = 0;
    Buffer.allocUnsafe = (size: number) => {
      if (size >= windowBytes) windowSized++;
      return allocUnsafe(size);
    };
    const loaded = new DataTree();
    try {
      await loadSnapshot(fs, path, loaded, undefined, { windowBytes });
    } finally {
      Buffer.allocUnsafe = allocUnsafe;
    }
    assert.deepEqual(dumpTree(loaded), dumpTree(tree));
    assert.ok(windowSized <= 2, `${windowSized} window-sized buffers for ${Math.ceil(fileBytes / windowBytes)} refills`);
  } finally {
    await dir.cleanup();
  }
});

test('a damaged or cut snapshot is refused and the tree is left untouched', async () => {
  const dir = await tempDir();
  try {
    const tree = new DataTree();
    workload(tree, 5, 1n, 60);
    const path = await written(tree, dir.path);
    const good = await readFile(path);
    const random = prng(3);
    const fresh = dumpTree(new DataTree());
    const damages: Array<[string, Buffer]> = [['cut', good.subarray(0, good.length - 1)], ['cut inside the digest', good.subarray(0, good.length - 20)]];
    for (let i = 0; i < 40; i++) {
      const at = Math.floor(random() * good.length);
      const damaged = Buffer.from(good);
      damaged[at] = damaged[at]! ^ (1 + Math.floor(random() * 255));
      damages.push([`byte ${at}`, damaged]);
    }
    for (const [what, bytes] of damages) {
      await writeFile(path, bytes);
      // Read whole (a file system without openRead), in the default window, and in small windows.
      for (const [how, reader, options] of [['whole', whole, {}], ['window', fs, {}], ['small windows', fs, { windowBytes: 5 }]] as const) {
        const target = new DataTree();
        await assert.rejects(loadSnapshot(reader, path, target, undefined, options), (e: unknown) => e instanceof CorruptSnapshotError, `${what}, ${how}`);
        assert.deepEqual(dumpTree(target), fresh, `${what}, ${how}: tree untouched`);
        assert.notEqual(await snapshotProblem(reader, path, options), undefined, `${what}, ${how}`);
      }
    }
    await writeFile(path, good);
    assert.equal(await snapshotProblem(fs, path), undefined);
  } finally {
    await dir.cleanup();
  }
});

/** Rewrites the trailer of `good` (3.8: seal, digest, seal) as another ZooKeeper would. */
function withTrailer(good: Buffer, sections: Buffer[]): Buffer {
  const sealEnd = good.length - 13 - 20;
  const parts = [good.subarray(0, sealEnd)];
  for (const section of sections) {
    parts.push(section);
    const sofar = Buffer.concat(parts);
    const seal = Buffer.alloc(13);
    seal.writeBigInt64BE(BigInt(adler32(sofar)), 0);
    seal.writeInt32BE(1, 8);
    seal[12] = 0x2f;
    parts.push(seal);
  }
  return Buffer.concat(parts);
}

test('reads snapshots without a digest, with a 3.9 lastProcessedZxid section, and with an old string digest', async () => {
  const dir = await tempDir();
  try {
    const tree = new DataTree();
    workload(tree, 8, 1n, 50);
    const path = await written(tree, dir.path);
    const good = await readFile(path);
    const noDigest = good.subarray(0, good.length - 33);
    const digest = Buffer.from('0000000000000032' + '00000002' + '1234567812345678', 'hex');
    const lastZxid = Buffer.from('0000000000000032', 'hex');
    const stringDigest = Buffer.concat([Buffer.from('0000000000000032' + '00000001' + '00000004', 'hex'), Buffer.from('abcd')]);
    const variants: Array<[string, Buffer]> = [
      ['no digest', noDigest],
      ['digest and lastProcessedZxid', withTrailer(good, [digest, lastZxid])],
      ['lastProcessedZxid only', withTrailer(good, [lastZxid])],
      ['version 1 string digest', withTrailer(good, [stringDigest])],
    ];
    for (const [what, bytes] of variants) {
      await writeFile(path, bytes);
      const loaded = new DataTree();
      await loadSnapshot(fs, path, loaded);
      assert.deepEqual(dumpTree(loaded), dumpTree(tree), what);
    }
    const badSecondSeal = withTrailer(good, [digest, lastZxid]);
    badSecondSeal[badSecondSeal.length - 20] = badSecondSeal[badSecondSeal.length - 20]! ^ 1;
    await writeFile(path, badSecondSeal);
    await assert.rejects(loadSnapshot(fs, path, new DataTree()), /lastProcessedZxid checksum mismatch/);
  } finally {
    await dir.cleanup();
  }
});

test('a failed write still ends the view, and leaves no snapshot under the final name', async () => {
  const memory = new MemoryFileSystem();
  memory.appendHook = () => Promise.reject(new Error('EIO'));
  const tree = new DataTree();
  workload(tree, 2, 1n, 20);
  await assert.rejects(writeSnapshot(memory, '/data', tree.beginSnapshot(), [], noYield), /EIO/);
  assert.deepEqual(await memory.list('/data/version-2'), ['snapshot.14.tmp']);
  tree.beginSnapshot().end();
  memory.appendHook = undefined;
  const result = await writeSnapshot(memory, '/data', tree.beginSnapshot(), [], noYield);
  assert.deepEqual(await memory.list('/data/version-2'), ['snapshot.14']);
  const syncIndex = memory.calls.indexOf('sync /data/version-2/snapshot.14.tmp');
  const renameIndex = memory.calls.indexOf('rename /data/version-2/snapshot.14.tmp /data/version-2/snapshot.14');
  assert.ok(syncIndex >= 0 && syncIndex < renameIndex, 'synced before the rename');
  assert.equal(memory.calls.at(-1), 'syncDir /data/version-2');
  const loaded = new DataTree();
  await loadSnapshot(memory, result.path, loaded);
  assert.deepEqual(dumpTree(loaded), dumpTree(tree));
});

test('loadSnapshot into a fresh tree replaces the system nodes and shares ACL entries by content', async () => {
  const dir = await tempDir();
  try {
    const tree = new DataTree(Buffer.from('server.1=localhost:2888:3888'));
    tree.apply(txn(1n, { type: OpCode.setACL, path: '/zookeeper', acl: DIGEST_ACL, version: 1 }).header, { type: OpCode.setACL, path: '/zookeeper', acl: DIGEST_ACL, version: 1 });
    tree.apply(txn(2n, createTxn('/b', 'x', DIGEST_ACL)).header, createTxn('/b', 'x', DIGEST_ACL));
    const path = await written(tree, dir.path);
    const loaded = new DataTree();
    await loadSnapshot(fs, path, loaded);
    assert.deepEqual(dumpTree(loaded), dumpTree(tree));
    assert.equal(loaded.getNode('/b')!.acl, loaded.getNode('/zookeeper')!.acl);
    assert.equal(loaded.aclCache.size, tree.aclCache.size);
  } finally {
    await dir.cleanup();
  }
});
