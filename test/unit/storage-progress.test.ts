// Proves recovery reports its progress (what the startup progress bars draw): the snapshot's
// nodes counted against its total, then the replayed txns, and that the recovered tree is whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataTree } from '../../src/tree/data-tree.js';
import { writeSnapshot, PROGRESS_EVERY } from '../../src/storage/snapshot.js';
import { recover } from '../../src/storage/recovery.js';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { TxnLog } from '../../src/storage/txn-log.js';
import { createTxn, tempDir, txn } from './storage-test-helpers.js';

test('recovery reports snapshot nodes against their total, then replayed txns', async () => {
  const dir = await tempDir();
  try {
    const fs = new NodeFileSystem();
    const tree = new DataTree();
    const nodes = PROGRESS_EVERY * 2 + 5;
    let zxid = 0n;
    for (let i = 0; i < nodes; i++) {
      const entry = txn(++zxid, createTxn(`/n${i}`, 'x'));
      tree.apply(entry.header, entry.body);
    }
    await writeSnapshot(fs, dir.path, tree.beginSnapshot(), [], { yieldEvery: 5000, yieldFn: async () => undefined });
    const log = await TxnLog.open(fs, dir.path, { nowMs: () => 0 });
    for (let i = 0; i < PROGRESS_EVERY + 1; i++) log.append(txn(++zxid, createTxn(`/m${i}`, 'y')));
    await log.close();

    const events: Array<[string, number, number]> = [];
    const recovered = new DataTree();
    const result = await recover(fs, { dataDir: dir.path, dataLogDir: dir.path }, recovered, (phase, done, total) => events.push([phase, done, total]));
    const snapshotEvents = events.filter(([phase]) => phase === 'snapshot');
    assert.ok(snapshotEvents.length >= 2, `snapshot progress reported ${snapshotEvents.length} times`);
    assert.ok(snapshotEvents.every(([, done, total]) => done <= total && total >= nodes));
    assert.deepEqual(events.filter(([phase]) => phase === 'log').map(([, done]) => done), [PROGRESS_EVERY]);
    assert.equal(result.txnsReplayed, PROGRESS_EVERY + 1);
    assert.equal(recovered.nodeCount, tree.nodeCount + PROGRESS_EVERY + 1);
  } finally {
    await dir.cleanup();
  }
});
