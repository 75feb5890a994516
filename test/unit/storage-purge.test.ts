// Proves purge keeps the newest N valid snapshots and exactly the logs recovery from the oldest
// of them needs (as PurgeTxnLog), skips invalid snapshots when counting, removes nothing when
// none validates, and that the kept directory still recovers to the same tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { DataTree } from '../../src/tree/data-tree.js';
import type { TxnEntry } from '../../src/proto/txn.js';
import { TxnLog } from '../../src/storage/txn-log.js';
import { writeSnapshot } from '../../src/storage/snapshot.js';
import { purge } from '../../src/storage/purge.js';
import { recover } from '../../src/storage/recovery.js';
import { dumpTree, tempDir, workload } from './storage-test-helpers.js';

const fs = new NodeFileSystem();

/**
 * Five rounds of 100 txns (zxids 1..500), logs rolled every 100 txns but offset by 50 from the
 * snapshots: logs log.1, log.33 (51), log.97 (151), log.fb (251), log.15f (351), log.1c3 (451);
 * snapshots at 100, 200, 300, 400, 500 (0x64, 0xc8, 0x12c, 0x190, 0x1f4).
 */
async function history(dataDir: string, dataLogDir: string): Promise<DataTree> {
  const tree = new DataTree();
  const log = await TxnLog.open(fs, dataLogDir, { nowMs: () => 0 });
  const entries: TxnEntry[] = workload(tree, 42, 1n, 500);
  for (const entry of entries) {
    if (entry.header.zxid > 1n && entry.header.zxid % 100n === 51n) log.roll();
    log.append(entry);
  }
  await log.close();
  const replay = new DataTree();
  for (const entry of entries) {
    replay.apply(entry.header, entry.body);
    if (entry.header.zxid % 100n === 0n) {
      await writeSnapshot(fs, dataDir, replay.beginSnapshot(), [], { yieldEvery: 100, yieldFn: async () => undefined });
    }
  }
  return tree;
}

const sorted = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();

test('keeps the newest N snapshots and the logs needed for them', async () => {
  const dir = await tempDir();
  try {
    const dataDir = join(dir.path, 'snap');
    const dataLogDir = join(dir.path, 'log');
    const tree = await history(dataDir, dataLogDir);
    const result = await purge(fs, { dataDir, dataLogDir }, 3);
    assert.deepEqual(await sorted(join(dataDir, 'version-2')), ['snapshot.12c', 'snapshot.190', 'snapshot.1f4']);
    // Oldest kept snapshot is 300: the log starting at or before it (log.fb = 251) and all later.
    assert.deepEqual(await sorted(join(dataLogDir, 'version-2')), ['log.15f', 'log.1c3', 'log.fb']);
    assert.equal(result.removed.length, 2 + 3);
    assert.deepEqual(result.retainedSnapshots.map((p) => p.split('/').pop()), ['snapshot.1f4', 'snapshot.190', 'snapshot.12c']);
    const recovered = new DataTree();
    await recover(fs, { dataDir, dataLogDir }, recovered);
    assert.deepEqual(dumpTree(recovered), dumpTree(tree));
  } finally {
    await dir.cleanup();
  }
});

test('invalid snapshots do not count; nothing is removed when none validates', async () => {
  const dir = await tempDir();
  try {
    const shared = join(dir.path, 'both');
    await history(shared, shared);
    const v2 = join(shared, 'version-2');
    await writeFile(join(v2, 'snapshot.1f4'), Buffer.from('broken'));
    await writeFile(join(v2, 'snapshot.64.tmp'), Buffer.from('leftover'));
    await purge(fs, { dataDir: shared, dataLogDir: shared }, 2);
    // Valid newest two: 400 and 300; the broken 500 is newer and stays; log.fb covers 300.
    assert.deepEqual(await sorted(v2), ['log.15f', 'log.1c3', 'log.fb', 'snapshot.12c', 'snapshot.190', 'snapshot.1f4']);
    for (const name of await readdir(v2)) if (name.startsWith('snapshot.')) await writeFile(join(v2, name), Buffer.from('x'));
    const before = await sorted(v2);
    const result = await purge(fs, { dataDir: shared, dataLogDir: shared }, 1);
    assert.deepEqual(result.removed, []);
    assert.deepEqual(await sorted(v2), before);
  } finally {
    await dir.cleanup();
  }
});
