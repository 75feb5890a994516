// Proves the log reader's trust rules on real files: a torn last record, cut or damaged at EVERY
// byte offset, is skipped, reported and truncated away; zero preallocation ends a file; bad bytes
// with a valid record after them, undecodable records, misnamed files and zxid gaps or reversals
// are a CorruptLogError naming file and offset; and nothing is modified when the log is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile, readdir, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { encodeFileHeader, encodeLogRecord, TXNLOG_MAGIC } from '../../src/storage/log-format.js';
import { encodeTxn, type TxnEntry } from '../../src/proto/txn.js';
import { makeZxid } from '../../src/proto/zxid.js';
import { LogReader, type TornTail } from '../../src/storage/log-reader.js';
import { CorruptLogError } from '../../src/storage/errors.js';
import { createTxn, tempDir, txn } from './storage-test-helpers.js';

const fs = new NodeFileSystem();

function logBytes(entries: TxnEntry[]): { bytes: Buffer; offsets: number[] } {
  const parts = [encodeFileHeader(TXNLOG_MAGIC, 0n)];
  const offsets: number[] = [];
  let at = 16;
  for (const entry of entries) {
    const record = encodeLogRecord(encodeTxn(entry));
    offsets.push(at);
    at += record.length;
    parts.push(record);
  }
  return { bytes: Buffer.concat(parts), offsets };
}

function entries(from: bigint, count: number): TxnEntry[] {
  return Array.from({ length: count }, (_, i) => txn(from + BigInt(i), createTxn(`/n${from + BigInt(i)}`, `data-${i}`.repeat(3))));
}

async function readAll(paths: string[], fromZxid = 0n): Promise<{ zxids: bigint[]; tornTails: TornTail[]; reader: LogReader }> {
  const reader = LogReader.open(fs, paths, { fromZxid });
  const zxids: bigint[] = [];
  for (let entry = await reader.next(); entry !== undefined; entry = await reader.next()) zxids.push(entry.header.zxid);
  return { zxids, tornTails: reader.tornTails, reader };
}

const range = (from: number, to: number): bigint[] => Array.from({ length: to - from + 1 }, (_, i) => BigInt(from + i));

test('a torn last record is truncated away at every byte offset inside it', async () => {
  const dir = await tempDir();
  try {
    const { bytes, offsets } = logBytes(entries(1n, 4));
    const lastStart = offsets[3]!;
    for (let cut = lastStart; cut < bytes.length; cut++) {
      const path = join(dir.path, `log.1`);
      for (const padding of [0, 4096]) {
        await writeFile(path, Buffer.concat([bytes.subarray(0, cut), Buffer.alloc(padding)]));
        const { zxids, tornTails, reader } = await readAll([path]);
        assert.deepEqual(zxids, range(1, 3), `cut at ${cut}, padding ${padding}`);
        if (bytes.subarray(lastStart, cut).every((b) => b === 0)) {
          // What was written of the record is zeros, like preallocation: a clean end of records.
          assert.deepEqual(tornTails, [], `cut at ${cut}`);
          continue;
        }
        assert.equal(tornTails.length, 1, `cut at ${cut}, padding ${padding}`);
        assert.equal(tornTails[0]!.atOffset, lastStart);
        assert.equal(tornTails[0]!.bytesDropped, cut - lastStart + padding);
        await reader.repair();
        assert.equal((await stat(path)).size, lastStart);
      }
    }
  } finally {
    await dir.cleanup();
  }
});

test('a damaged byte anywhere in the last record makes it a torn tail', async () => {
  const dir = await tempDir();
  try {
    const { bytes, offsets } = logBytes(entries(1n, 3));
    const lastStart = offsets[2]!;
    const path = join(dir.path, 'log.1');
    for (let at = lastStart; at < bytes.length; at++) {
      const damaged = Buffer.from(bytes);
      damaged[at] = damaged[at]! ^ 0x5a;
      await writeFile(path, damaged);
      const { zxids, tornTails, reader } = await readAll([path]);
      assert.deepEqual(zxids, range(1, 2), `damage at ${at}`);
      assert.equal(tornTails.length, 1, `damage at ${at}`);
      assert.equal(tornTails[0]!.atOffset, lastStart);
      await reader.repair();
      assert.equal((await stat(path)).size, lastStart);
    }
  } finally {
    await dir.cleanup();
  }
});

test('a damaged byte anywhere in a middle record is corruption, reported at that record', async () => {
  const dir = await tempDir();
  try {
    const { bytes, offsets } = logBytes(entries(1n, 5));
    const path = join(dir.path, 'log.1');
    for (let at = offsets[2]!; at < offsets[3]!; at++) {
      const damaged = Buffer.from(bytes);
      damaged[at] = damaged[at]! ^ 0xff;
      await writeFile(path, damaged);
      await assert.rejects(readAll([path]), (e: unknown) => {
        assert.ok(e instanceof CorruptLogError, `damage at ${at}: ${String(e)}`);
        assert.equal(e.file, path);
        assert.equal(e.offset, offsets[2]);
        return true;
      });
      assert.ok((await readFile(path)).equals(damaged), 'a refused log is left as it was');
    }
  } finally {
    await dir.cleanup();
  }
});

test('zeroed bytes in the middle with records after them are corruption', async () => {
  const dir = await tempDir();
  try {
    const { bytes, offsets } = logBytes(entries(1n, 5));
    const damaged = Buffer.from(bytes);
    damaged.fill(0, offsets[1]!, offsets[2]!);
    const path = join(dir.path, 'log.1');
    await writeFile(path, damaged);
    await assert.rejects(readAll([path]), (e: unknown) => e instanceof CorruptLogError && e.offset === offsets[1]);
  } finally {
    await dir.cleanup();
  }
});

test('ZooKeeper zero preallocation ends a file; reads continue in the next file', async () => {
  const dir = await tempDir();
  try {
    const a = join(dir.path, 'log.1');
    const b = join(dir.path, 'log.6');
    await writeFile(a, Buffer.concat([logBytes(entries(1n, 5)).bytes, Buffer.alloc(1 << 20)]));
    await writeFile(b, Buffer.concat([logBytes(entries(6n, 5)).bytes, Buffer.alloc(100)]));
    const { zxids, tornTails } = await readAll([a, b]);
    assert.deepEqual(zxids, range(1, 10));
    assert.deepEqual(tornTails, []);
    assert.deepEqual((await readAll([a, b], 4n)).zxids, range(4, 10));
  } finally {
    await dir.cleanup();
  }
});

test('a bad record in an earlier file followed by a valid one is corruption', async () => {
  const dir = await tempDir();
  try {
    const first = logBytes(entries(1n, 4));
    const damaged = Buffer.from(first.bytes);
    damaged[first.offsets[1]! + 20] = damaged[first.offsets[1]! + 20]! ^ 1;
    const a = join(dir.path, 'log.1');
    const b = join(dir.path, 'log.5');
    await writeFile(a, damaged);
    await writeFile(b, logBytes(entries(5n, 2)).bytes);
    await assert.rejects(readAll([a, b]), (e: unknown) => e instanceof CorruptLogError && e.file === a && e.offset === first.offsets[1]);
  } finally {
    await dir.cleanup();
  }
});

test('a torn tail in an earlier file (ZooKeeper after a crash) is skipped only if the next file continues the zxids', async () => {
  const dir = await tempDir();
  try {
    const first = logBytes(entries(1n, 4));
    const a = join(dir.path, 'log.1');
    const torn = Buffer.concat([first.bytes.subarray(0, first.offsets[3]! + 9), Buffer.alloc(512)]);
    // ZooKeeper restarted and logged zxid 4 again, in a new file.
    await writeFile(a, torn);
    await writeFile(join(dir.path, 'log.4'), logBytes(entries(4n, 3)).bytes);
    const ok = await readAll([a, join(dir.path, 'log.4')]);
    assert.deepEqual(ok.zxids, range(1, 6));
    assert.equal(ok.tornTails.length, 1);
    assert.equal(ok.tornTails[0]!.file, a);
    // The same torn file followed by a file that skips zxid 4 and 5: the lost txns were acknowledged.
    await writeFile(join(dir.path, 'log.6'), logBytes(entries(6n, 2)).bytes);
    await assert.rejects(readAll([a, join(dir.path, 'log.6')]), (e: unknown) => e instanceof CorruptLogError && /gap/.test(e.reason));
  } finally {
    await dir.cleanup();
  }
});

test('zxid gaps and reversals are corruption; a new epoch may start anywhere', async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, 'log.1');
    const gap = [...entries(1n, 3), ...entries(5n, 2)];
    await writeFile(path, logBytes(gap).bytes);
    await assert.rejects(readAll([path]), (e: unknown) => e instanceof CorruptLogError && /gap/.test(e.reason) && e.offset === logBytes(gap).offsets[3]);
    await writeFile(path, logBytes([...entries(1n, 3), ...entries(2n, 1)]).bytes);
    await assert.rejects(readAll([path]), (e: unknown) => e instanceof CorruptLogError && /backwards/.test(e.reason));
    const epochs = [...entries(1n, 3), ...entries(makeZxid(1, 1), 2), ...entries(makeZxid(3, 7), 1)];
    await writeFile(path, logBytes(epochs).bytes);
    assert.deepEqual((await readAll([path])).zxids, epochs.map((e) => e.header.zxid));
  } finally {
    await dir.cleanup();
  }
});

test('a file whose first txn is not the zxid in its name is corruption', async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, 'log.2');
    await writeFile(path, logBytes(entries(1n, 3)).bytes);
    await assert.rejects(readAll([path]), (e: unknown) => e instanceof CorruptLogError && e.offset === 16);
  } finally {
    await dir.cleanup();
  }
});

test('a checksum-valid record that does not decode is corruption, not a torn tail', async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, 'log.1');
    const bad = encodeLogRecord(Buffer.from('not a txn at all, just bytes with a good checksum'));
    const good = logBytes(entries(1n, 2));
    await writeFile(path, Buffer.concat([good.bytes, bad]));
    await assert.rejects(readAll([path]), (e: unknown) => e instanceof CorruptLogError && /does not decode/.test(e.reason));
  } finally {
    await dir.cleanup();
  }
});

test('a log file whose header was torn is removed by repair; a bad header before records is corruption', async () => {
  const dir = await tempDir();
  try {
    const a = join(dir.path, 'log.1');
    const b = join(dir.path, 'log.4');
    await writeFile(a, logBytes(entries(1n, 3)).bytes);
    for (const size of [0, 7, 15]) {
      await writeFile(b, logBytes(entries(4n, 1)).bytes.subarray(0, size));
      const { zxids, tornTails, reader } = await readAll([a, b]);
      assert.deepEqual(zxids, range(1, 3));
      assert.equal(tornTails.length, 1);
      assert.equal(tornTails[0]!.removed, true);
      await reader.repair();
      assert.deepEqual((await readdir(dir.path)).sort(), ['log.1']);
    }
    const badMagic = Buffer.from(logBytes(entries(4n, 2)).bytes);
    badMagic[0] = 0;
    await writeFile(b, badMagic);
    await assert.rejects(readAll([a, b]), (e: unknown) => e instanceof CorruptLogError && e.file === b && e.offset === 0);
  } finally {
    await dir.cleanup();
  }
});

test('a file with a torn first record is removed, so its name can be reused', async () => {
  const dir = await tempDir();
  try {
    await mkdir(join(dir.path, 'v'));
    const a = join(dir.path, 'v', 'log.1');
    const b = join(dir.path, 'v', 'log.3');
    await writeFile(a, logBytes(entries(1n, 2)).bytes);
    const second = logBytes(entries(3n, 1));
    await writeFile(b, second.bytes.subarray(0, second.bytes.length - 1));
    const { zxids, tornTails, reader } = await readAll([a, b]);
    assert.deepEqual(zxids, range(1, 2));
    assert.deepEqual(tornTails.map((t) => [t.file, t.atOffset, t.removed]), [[b, 16, true]]);
    await reader.repair();
    assert.deepEqual(await readdir(join(dir.path, 'v')), ['log.1']);
  } finally {
    await dir.cleanup();
  }
});
