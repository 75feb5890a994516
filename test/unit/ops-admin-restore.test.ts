// Proves the admin `restore` command answers as ZooKeeper 3.9's RestoreCommand (auth, 503 when disabled, 400 without a body, 429 by its own rate limiter, last_zxid as a long, 500 when the restore fails) and that the restorer replaces the live tree and sessions only with a fully valid snapshot, keeps the server's zxid, and writes the restored tree as a snapshot; plus `hash` in both admin forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderResponse, runCommand, type CommandRequest } from '../../src/admin/commands.js';
import { FourLetterWords } from '../../src/admin/four-letter.js';
import { createRestorer } from '../../src/main/restore.js';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';
import { writeSnapshot } from '../../src/storage/snapshot.js';
import { adler32 } from '../../src/storage/adler32.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { harness, WORLD } from './ops-harness.js';
import { MemoryFileSystem, allPaths, workload } from './storage-test-helpers.js';

const noYield = { yieldEvery: 1_000_000, yieldFn: () => Promise.resolve() };
const SUPER = 'digest root:secret';

/** A POST; `authorization` null sends none. */
function post(body: Buffer | undefined, authorization: string | null = SUPER): CommandRequest {
  return { params: new Map(), authorization: authorization ?? undefined, remoteAddress: '127.0.0.1', method: 'POST', ...(body !== undefined && { body }) };
}

/** A snapshot of a tree made by `workload` (seeded), as the `snapshot` command would stream it. */
async function snapshotBytes(seed: number, txns: number, sessions: Array<{ id: bigint; timeoutMs: number }>): Promise<{ bytes: Buffer; tree: DataTree }> {
  const tree = new DataTree();
  workload(tree, seed, 1n, txns);
  const fs = new MemoryFileSystem();
  const written = await writeSnapshot(fs, '/snap', tree.beginSnapshot(), sessions, noYield);
  return { bytes: await fs.readFile(written.path), tree };
}

test('restore: auth first, then 503 when disabled, 405 for GET, 400 without a body, 429 when rate limited, last_zxid on success', async () => {
  const calls: Buffer[] = [];
  const h = harness('dataDir=/d\nadmin.rateLimiterIntervalInMS=1000\n', {
    restore: (bytes) => {
      calls.push(bytes);
      return Promise.resolve({ lastZxid: 0x1_0000_002an });
    },
  });
  h.advance(1001);
  const missing = await runCommand(h.ctx, 'restore', post(Buffer.from('x'), null));
  assert.equal(missing.status, 401);
  assert.equal(renderResponse(missing), '{\n  "command" : "restore",\n  "error" : "Auth info is missing for the command"\n}');
  assert.equal((await runCommand(h.ctx, 'rest', { params: new Map(), authorization: SUPER, remoteAddress: '127.0.0.1' })).status, 405);
  assert.equal((await runCommand(h.ctx, 'restore', post(undefined))).status, 400);
  assert.equal((await runCommand(h.ctx, 'restore', post(Buffer.alloc(0)))).status, 400);
  const done = await runCommand(h.ctx, 'rest', post(Buffer.from('snapshot bytes')));
  assert.equal(done.status, 200);
  assert.equal(renderResponse(done), '{\n  "last_zxid" : 4294967338,\n  "command" : "restore",\n  "error" : null\n}');
  assert.deepEqual(calls.map(String), ['snapshot bytes']);
  assert.equal((await runCommand(h.ctx, 'restore', post(Buffer.from('again')))).status, 429);
  h.advance(1001);
  assert.equal((await runCommand(h.ctx, 'restore', post(Buffer.from('later')))).status, 200);
  assert.equal(calls.length, 2);

  const disabled = harness('dataDir=/d\nadmin.restore.enabled=false\n', { restore: () => Promise.reject(new Error('must not be called')) });
  assert.equal((await runCommand(disabled.ctx, 'restore', post(Buffer.from('x')))).status, 503);
  const unwired = harness('dataDir=/d\n');
  assert.equal((await runCommand(unwired.ctx, 'restore', post(Buffer.from('x')))).status, 501);
  const failing = harness('dataDir=/d\nadmin.rateLimiterIntervalInMS=0\n', { restore: () => Promise.reject(new Error('corrupt snapshot: bad magic')) });
  failing.advance(1);
  const failed = await runCommand(failing.ctx, 'restore', post(Buffer.from('x')));
  assert.equal(failed.status, 500);
  assert.match(renderResponse(failed), /"error" : "restore failed: corrupt snapshot: bad magic"/);
});

test('the restorer swaps in a valid snapshot (tree, digest, sessions), keeps the zxid and writes a snapshot', async () => {
  const h = harness('dataDir=/d\n');
  const kept = h.connect(50001);
  const dropped = h.connect(50002);
  h.request(kept.link, 1, OpCode.create, R.CreateRequest, { path: '/live', data: Buffer.from('before restore'), acl: WORLD, flags: 0 });
  const zxidBefore = h.server.tree.lastProcessedZxid;
  const backupSession = 0x77n;
  const { bytes, tree: source } = await snapshotBytes(5, 200, [{ id: kept.sessionId, timeoutMs: 30_000 }, { id: backupSession, timeoutMs: 12_000 }]);
  const snapshots: bigint[] = [];
  const restore = createRestorer({
    server: h.server,
    takeSnapshot: () => {
      snapshots.push(h.server.tree.lastProcessedZxid);
      return Promise.resolve({ path: '/d/version-2/snapshot.x', zxid: h.server.tree.lastProcessedZxid });
    },
    nowMs: () => 1_000,
    log: () => undefined,
  });

  // Bad bodies change nothing.
  const digestBefore = h.server.tree.treeDigest;
  for (const bad of [Buffer.from('not a snapshot at all'), bytes.subarray(0, bytes.length - 1), Buffer.concat([bytes.subarray(0, 40), Buffer.from([bytes[40]! ^ 1]), bytes.subarray(41)])]) {
    await assert.rejects(restore(bad), /corrupt snapshot/);
    assert.equal(h.server.tree.getNode('/live')?.data?.toString(), 'before restore');
    assert.equal(h.server.tree.treeDigest, digestBefore);
    assert.ok(h.server.sessions.isActive(dropped.sessionId));
  }
  assert.deepEqual(snapshots, []);

  const restored = await restore(bytes);
  const tree = h.server.tree;
  assert.equal(tree.getNode('/live'), undefined);
  assert.equal(tree.nodeCount, source.nodeCount);
  assert.equal(tree.treeDigest, source.treeDigest);
  assert.equal(tree.lastProcessedZxid, zxidBefore, 'the server keeps numbering from its own zxid');
  const highest = allPaths(source).map((p) => source.getNode(p)!).flatMap((n) => [n.czxid, n.mzxid, n.pzxid]).reduce((a, b) => (a > b ? a : b), 0n);
  assert.ok(highest > 150n);
  assert.equal(restored.lastZxid, highest, 'without a lastProcessedZxid section: the highest zxid in the restored stats');
  assert.deepEqual(snapshots, [zxidBefore]);
  assert.ok(h.server.sessions.isActive(kept.sessionId));
  assert.ok(h.server.sessions.isActive(backupSession));
  assert.ok(!h.server.sessions.isActive(dropped.sessionId), 'a session the snapshot does not hold is gone');

  // The server keeps serving on the restored tree, with new zxids.
  h.request(kept.link, 2, OpCode.create, R.CreateRequest, { path: '/after', data: Buffer.from('x'), acl: WORLD, flags: 0 });
  assert.equal(tree.getNode('/after')?.czxid, zxidBefore + 1n);
});

test('last_zxid comes from a 3.9 lastProcessedZxid section when the snapshot has one', async () => {
  const h = harness('dataDir=/d\n');
  const { bytes } = await snapshotBytes(8, 50, []);
  // Append [long zxid | seal] as ZooKeeper 3.9 does with serializeLastProcessedZxid.
  const section = Buffer.alloc(8 + 8 + 5);
  section.writeBigInt64BE(0x5_0000_0099n, 0);
  const sealed = Buffer.concat([bytes, section.subarray(0, 8)]);
  section.writeBigInt64BE(BigInt(adler32(sealed)), 8);
  section.writeInt32BE(1, 16);
  section[20] = 0x2f;
  const restore = createRestorer({ server: h.server, takeSnapshot: () => Promise.resolve({ path: 'p', zxid: 0n }), nowMs: () => 0, log: () => undefined });
  assert.equal((await restore(Buffer.concat([bytes, section]))).lastZxid, 0x5_0000_0099n);
  section[20] = 0x2e;
  await assert.rejects(restore(Buffer.concat([bytes, section])), /corrupt snapshot/);
});

test('hash: the history as ZooKeeper prints it (hex zxid: signed digest) and as Jackson writes ZxidDigest', async () => {
  const h = harness('dataDir=/d\n4lw.commands.whitelist=*\n');
  const four = new FourLetterWords(h.ctx);
  assert.equal(four.answer('hash'), '');
  assert.equal(renderResponse(await runCommand(h.ctx, 'hash', { params: new Map(), authorization: undefined, remoteAddress: '127.0.0.1' })),
    '{\n  "digests" : [ ],\n  "command" : "hash",\n  "error" : null\n}');
  const c = h.connect(50003);
  for (let i = 1; i <= 300; i++) h.request(c.link, i, OpCode.create, R.CreateRequest, { path: `/n${i}`, data: Buffer.from(`d${i}`), acl: WORLD, flags: 0 });
  const history = h.server.tree.digestHistory();
  assert.deepEqual(history.map((e) => e.zxid), [128n, 256n]);
  assert.equal(four.answer('hash'), `80: ${history[0]!.digest}\n100: ${history[1]!.digest}\n`);
  const json = renderResponse(await runCommand(h.ctx, 'hash', { params: new Map(), authorization: undefined, remoteAddress: '127.0.0.1' }));
  assert.equal(json, `{\n  "digests" : [ {\n    "zxid" : 128,\n    "digest" : ${history[0]!.digest},\n    "digest_version" : 2\n  }, {\n    "zxid" : 256,\n    "digest" : ${history[1]!.digest},\n    "digest_version" : 2\n  } ],\n  "command" : "hash",\n  "error" : null\n}`);
});
