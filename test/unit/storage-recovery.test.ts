// Proves recovery = newest valid snapshot + replay of the logged txns after it gives exactly the
// tree (every node, every Stat field, ACLs) and sessions of applying the same txns directly;
// that it falls back past damaged snapshots, cuts a torn tail, refuses missing txns, picks the
// log files FileTxnLog.getLogFiles would, and applies ZooKeeper's fuzzy-snapshot create fix-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { OpCode } from '../../src/proto/op-code.js';
import type { TxnEntry } from '../../src/proto/txn.js';
import { TxnLog } from '../../src/storage/txn-log.js';
import { writeSnapshot } from '../../src/storage/snapshot.js';
import { recover } from '../../src/storage/recovery.js';
import { RecoveryError, CorruptLogError } from '../../src/storage/errors.js';
import { logFilesFrom, sortDataFiles } from '../../src/storage/file-names.js';
import { createTxn, dumpTree, tempDir, txn, workload } from './storage-test-helpers.js';

const fs = new NodeFileSystem();

/** Sessions as replay tracks them: createSession adds, closeSession removes. */
function sessionsAfter(entries: TxnEntry[], start = new Map<bigint, number>()): Map<bigint, number> {
  const sessions = new Map(start);
  for (const { header, body } of entries) {
    if (body.type === OpCode.createSession) sessions.set(header.clientId, body.timeOut);
    if (body.type === OpCode.closeSession) sessions.delete(header.clientId);
  }
  return sessions;
}

async function logAll(dataLogDir: string, batches: TxnEntry[][]): Promise<void> {
  const log = await TxnLog.open(fs, dataLogDir, { nowMs: () => 0 });
  for (const batch of batches) {
    for (const entry of batch) log.append(entry);
    log.roll();
  }
  await log.close();
}

interface Scenario {
  readonly dataDir: string;
  readonly dataLogDir: string;
  readonly reference: DataTree;
  readonly entries: TxnEntry[];
  readonly snapshotZxids: bigint[];
  cleanup(): Promise<void>;
}

/**
 * 900 seeded txns, logged in three files (log.1, log.12d, log.28b); snapshots after txn 300
 * (snapshot.12c) and 600 (snapshot.258).
 */
async function scenario(seed: number): Promise<Scenario> {
  const dir = await tempDir();
  const dataDir = join(dir.path, 'data');
  const dataLogDir = join(dir.path, 'log');
  const reference = new DataTree();
  const entries: TxnEntry[] = [];
  const snapshotZxids: bigint[] = [];
  for (let part = 0; part < 3; part++) {
    const batch = workload(reference, seed + part, BigInt(entries.length + 1), 300);
    entries.push(...batch);
    if (part < 2) {
      const view = reference.beginSnapshot();
      snapshotZxids.push(view.zxid);
      const sessions = [...sessionsAfter(entries)].map(([id, timeoutMs]) => ({ id, timeoutMs }));
      await writeSnapshot(fs, dataDir, view, sessions, { yieldEvery: 5, yieldFn: async () => undefined });
    }
  }
  await logAll(dataLogDir, [entries.slice(0, 300), entries.slice(300, 650), entries.slice(650)]);
  return { dataDir, dataLogDir, reference, entries, snapshotZxids, cleanup: dir.cleanup };
}

test('snapshot + log replay equals applying the same txns directly (several seeds)', async () => {
  for (const seed of [1, 2, 3]) {
    const s = await scenario(seed * 1000);
    try {
      const tree = new DataTree();
      const result = await recover(fs, s, tree);
      assert.equal(result.snapshotZxid, 600n);
      assert.equal(result.lastZxid, 900n);
      assert.equal(result.txnsReplayed, 300);
      assert.equal(result.truncated, undefined);
      assert.deepEqual(dumpTree(tree), dumpTree(s.reference), `seed ${seed}`);
      assert.deepEqual(result.sessions, sessionsAfter(s.entries));
      assert.equal(tree.lastProcessedZxid, 900n);
      assert.deepEqual(tree.ephemeralOwners(), s.reference.ephemeralOwners());
    } finally {
      await s.cleanup();
    }
  }
});

test('a snapshot taken while later txns were applied still recovers exactly', async () => {
  const dir = await tempDir();
  try {
    const dataDir = join(dir.path, 'd');
    const reference = new DataTree();
    const before = workload(reference, 77, 1n, 200);
    const view = reference.beginSnapshot();
    const during: TxnEntry[] = [];
    const snapshot = writeSnapshot(fs, dataDir, view, [...sessionsAfter(before)].map(([id, timeoutMs]) => ({ id, timeoutMs })), {
      yieldEvery: 3,
      yieldFn: async () => {
        during.push(...workload(reference, 1000 + during.length, BigInt(201 + during.length), 4));
      },
    });
    await snapshot;
    assert.ok(during.length > 0);
    await logAll(dataDir, [[...before, ...during]]);
    const tree = new DataTree();
    const result = await recover(fs, { dataDir, dataLogDir: dataDir }, tree);
    assert.equal(result.snapshotZxid, 200n);
    assert.equal(result.txnsReplayed, during.length);
    assert.deepEqual(dumpTree(tree), dumpTree(reference));
    assert.deepEqual(result.sessions, sessionsAfter([...before, ...during]));
  } finally {
    await dir.cleanup();
  }
});

test('falls back past damaged snapshots to an older valid one', async () => {
  const s = await scenario(4000);
  try {
    const snapDir = join(s.dataDir, 'version-2');
    const newest = join(snapDir, 'snapshot.258');
    const bytes = await readFile(newest);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    await writeFile(newest, bytes);
    await writeFile(join(snapDir, 'snapshot.384'), Buffer.from('torn'));
    const tree = new DataTree();
    const result = await recover(fs, s, tree);
    assert.equal(result.snapshotZxid, 300n);
    assert.equal(result.txnsReplayed, 600);
    assert.deepEqual(result.skippedSnapshots.map((x) => x.file), [join(snapDir, 'snapshot.384'), newest]);
    assert.deepEqual(dumpTree(tree), dumpTree(s.reference));
    assert.deepEqual(result.sessions, sessionsAfter(s.entries));
  } finally {
    await s.cleanup();
  }
});

test('no valid snapshot at all is refused; no snapshot and logs from the start replay everything', async () => {
  const s = await scenario(5000);
  try {
    const snapDir = join(s.dataDir, 'version-2');
    for (const name of await readdir(snapDir)) await writeFile(join(snapDir, name), Buffer.from('garbage'));
    await assert.rejects(recover(fs, s, new DataTree()), RecoveryError);
    await rm(snapDir, { recursive: true });
    const tree = new DataTree();
    const result = await recover(fs, s, tree);
    assert.equal(result.snapshotZxid, undefined);
    assert.equal(result.txnsReplayed, 900);
    assert.deepEqual(dumpTree(tree), dumpTree(s.reference));
  } finally {
    await s.cleanup();
  }
});

test('txns missing between the snapshot and the logs are refused', async () => {
  const s = await scenario(6000);
  try {
    const logDir = join(s.dataLogDir, 'version-2');
    await rm(join(logDir, 'log.1'));
    await rm(join(logDir, 'log.12d'));
    // Newest snapshot is 600 (0x258); the remaining log starts at 651 (0x28b).
    await assert.rejects(recover(fs, s, new DataTree()), (e: unknown) => e instanceof RecoveryError && /missing/.test(e.message));
    // Without any snapshot, logs that do not start at the beginning are refused too.
    await rm(join(s.dataDir, 'version-2'), { recursive: true });
    await assert.rejects(recover(fs, s, new DataTree()), RecoveryError);
  } finally {
    await s.cleanup();
  }
});

test('a torn tail of the newest log is cut and reported; recovery then matches the txns before it', async () => {
  const s = await scenario(7000);
  try {
    const last = join(s.dataLogDir, 'version-2', 'log.28b');
    const size = (await stat(last)).size;
    const bytes = await readFile(last);
    await writeFile(last, bytes.subarray(0, size - 10));
    const tree = new DataTree();
    const result = await recover(fs, s, tree);
    assert.equal(result.lastZxid, 899n);
    assert.equal(result.truncated?.file, last);
    assert.equal((await stat(last)).size, result.truncated!.atOffset);
    const expected = new DataTree();
    for (const entry of s.entries.slice(0, 899)) expected.apply(entry.header, entry.body);
    assert.deepEqual(dumpTree(tree), dumpTree(expected));
    // The repaired directory recovers again, cleanly, and a new log continues it.
    const again = await recover(fs, s, new DataTree());
    assert.equal(again.truncated, undefined);
    assert.equal(again.lastZxid, 899n);
    const log = await TxnLog.open(fs, s.dataLogDir, { nowMs: () => 0 });
    log.append(s.entries[899]!);
    await log.close();
    const third = new DataTree();
    assert.equal((await recover(fs, s, third)).lastZxid, 900n);
    assert.deepEqual(dumpTree(third), dumpTree(s.reference));
  } finally {
    await s.cleanup();
  }
});

test('corruption in a needed log is refused and no file is changed', async () => {
  const s = await scenario(8000);
  try {
    const middle = join(s.dataLogDir, 'version-2', 'log.12d');
    const bytes = await readFile(middle);
    bytes[200] = bytes[200]! ^ 0xff;
    await writeFile(middle, bytes);
    await assert.rejects(recover(fs, s, new DataTree()), CorruptLogError);
    // A torn tail in an earlier file whose lost txn the next file does not re-log: refused, and
    // the torn bytes are left in place for inspection.
    const original = await readFile(middle);
    original[200] = original[200]! ^ 0xff;
    const torn = original.subarray(0, original.length - 3);
    await writeFile(middle, torn);
    await assert.rejects(recover(fs, s, new DataTree()), (e: unknown) => e instanceof CorruptLogError && /gap/.test(e.reason));
    assert.ok((await readFile(middle)).equals(torn));
  } finally {
    await s.cleanup();
  }
});

test('log files chosen as FileTxnLog.getLogFiles does', () => {
  const logs = sortDataFiles(['log.1', 'log.a', 'log.20', 'snapshot.5', 'log.30', 'other'], 'log');
  const names = (zxid: bigint) => logFilesFrom(logs, zxid).map((f) => f.name);
  assert.deepEqual(names(0n), ['log.1', 'log.a', 'log.20', 'log.30']);
  assert.deepEqual(names(9n), ['log.1', 'log.a', 'log.20', 'log.30']);
  assert.deepEqual(names(10n), ['log.a', 'log.20', 'log.30']);
  assert.deepEqual(names(0x25n), ['log.20', 'log.30']);
  assert.deepEqual(names(0x99n), ['log.30']);
});

test('replaying a create of a node a fuzzy snapshot already holds moves the parent as ZooKeeper does', async () => {
  const dir = await tempDir();
  try {
    // The snapshot (named 2) already holds /p/c; the log then holds a create of /p/c at zxid 3,
    // as when ZooKeeper serialised /p/c after the parent while txns were applied.
    const fuzzy = new DataTree();
    for (const entry of [txn(1n, createTxn('/p', '')), txn(2n, createTxn('/p/c', 'x', undefined, 5))]) fuzzy.apply(entry.header, entry.body);
    await writeSnapshot(fs, dir.path, fuzzy.beginSnapshot(), [], { yieldEvery: 10, yieldFn: async () => undefined });
    await logAll(dir.path, [[txn(3n, createTxn('/p/c', 'x', undefined, 7))]]);
    const tree = new DataTree();
    const result = await recover(fs, { dataDir: dir.path, dataLogDir: dir.path }, tree);
    assert.equal(result.snapshotZxid, 2n);
    assert.equal(result.lastZxid, 3n);
    const p = tree.getNode('/p')!;
    assert.equal(p.cversion, 7);
    assert.equal(p.pzxid, 3n);
    assert.equal(tree.getNode('/p/c')!.czxid, 2n);
  } finally {
    await dir.cleanup();
  }
});
