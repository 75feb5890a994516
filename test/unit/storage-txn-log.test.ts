// Proves the txn log writes ZooKeeper's format (names, header, records) and reads back what it
// wrote through the real file system; that group commit turns appends made during a sync into
// ONE append and ONE sync; that onDurable fires only AFTER the covering sync; and that IO
// failures reach onError, stop the log and are never reported durable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeFileSystem, writevAll } from '../../src/runtime/node-file-system.js';
import { encodeTxn, type TxnEntry } from '../../src/proto/txn.js';
import { OpCode } from '../../src/proto/op-code.js';
import { TxnLog } from '../../src/storage/txn-log.js';
import { TxnLogError } from '../../src/storage/errors.js';
import { LogReader } from '../../src/storage/log-reader.js';
import { adler32 } from '../../src/storage/adler32.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { MemoryFileSystem, createTxn, gate, tempDir, txn, workload, type Gate } from './storage-test-helpers.js';

const LOG_DIR = '/data/version-2';

async function readAll(fs: NodeFileSystem | MemoryFileSystem, dir: string, names: string[], fromZxid = 0n): Promise<TxnEntry[]> {
  const reader = LogReader.open(fs, names.map((n) => join(dir, n)), { fromZxid });
  const out: TxnEntry[] = [];
  for (let entry = await reader.next(); entry !== undefined; entry = await reader.next()) out.push(entry);
  assert.deepEqual(reader.tornTails, []);
  return out;
}

function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

test('round trip through the real file system, in ZooKeeper\'s byte layout', async () => {
  const dir = await tempDir();
  try {
    const entries = workload(new DataTree(), 7, 1n, 300);
    const durable: bigint[] = [];
    const log = await TxnLog.open(new NodeFileSystem(), dir.path, { nowMs: () => 0, onDurable: (z) => durable.push(z) });
    for (const entry of entries.slice(0, 150)) log.append(entry);
    log.roll();
    for (const entry of entries.slice(150)) log.append(entry);
    await log.close();
    const logDir = join(dir.path, 'version-2');
    const names = (await readdir(logDir)).sort();
    assert.deepEqual(names, ['log.1', 'log.97']);
    assert.equal(durable.at(-1), 300n);
    const first = await readFile(join(logDir, 'log.1'));
    assert.equal(first.subarray(0, 16).toString('hex'), '5a4b4c4700000002' + '0000000000000000');
    const payload = encodeTxn(entries[0]!);
    assert.equal(first.readBigUInt64BE(16), BigInt(adler32(payload)));
    assert.equal(first.readInt32BE(24), payload.length);
    assert.ok(first.subarray(28, 28 + payload.length).equals(payload));
    assert.equal(first[28 + payload.length], 0x42);
    const read = await readAll(new NodeFileSystem(), logDir, names);
    assert.equal(read.length, 300);
    read.forEach((entry, i) => assert.ok(encodeTxn(entry).equals(encodeTxn(entries[i]!)), `txn ${i + 1}`));
    assert.equal((await readAll(new NodeFileSystem(), logDir, names, 250n)).length, 51);
    assert.ok(log.stats.syncCount >= 2);
    assert.equal(log.stats.txnsWritten, 300);
    assert.equal(log.stats.filesCreated, 2);
    assert.equal(log.stats.bytesWritten, first.length + (await readFile(join(logDir, 'log.97'))).length);
  } finally {
    await dir.cleanup();
  }
});

test('appends made while a sync is in flight become one batch: one append, one sync', async () => {
  const fs = new MemoryFileSystem();
  const gates: Gate[] = [];
  fs.syncHook = () => {
    const g = gate();
    gates.push(g);
    return g.promise;
  };
  let clock = 0;
  const durable: bigint[] = [];
  const log = await TxnLog.open(fs, '/data', { nowMs: () => clock, onDurable: (z) => durable.push(z) });
  log.append(txn(1n, createTxn('/a', 'x')));
  await flushMicrotasks();
  assert.equal(gates.length, 1, 'first batch is syncing');
  for (let z = 2n; z <= 101n; z++) log.append(txn(z, createTxn(`/a${z}`, 'y')));
  await flushMicrotasks();
  assert.deepEqual(durable, [], 'nothing is durable before its sync resolves');
  assert.equal(gates.length, 1, 'no second write while the first is in flight');
  clock = 7;
  gates[0]!.open();
  await flushMicrotasks();
  assert.deepEqual(durable, [1n]);
  assert.equal(gates.length, 2, 'the queued txns went out as the next batch');
  const appends = fs.calls.filter((c) => c.startsWith('append'));
  assert.equal(appends.length, 2, 'one append per batch');
  assert.equal(log.pendingTxns, 100);
  clock = 10;
  gates[1]!.open();
  await flushMicrotasks();
  assert.deepEqual(durable, [1n, 101n]);
  assert.equal(fs.calls.filter((c) => c.startsWith('sync ')).length, 2, 'one sync per batch');
  assert.equal(log.stats.batchTxnsMax, 100);
  assert.equal(log.stats.syncDurationMsMax, 7);
  assert.equal(log.stats.syncDurationMsLast, 3);
  assert.equal(log.lastDurableZxid, 101n);
  assert.equal(log.pendingTxns, 0);
  const read = await readAll(fs, LOG_DIR, await fs.list(LOG_DIR));
  assert.equal(read.length, 101);
});

test('the new file\'s directory entry is synced before its first txn is reported durable', async () => {
  const fs = new MemoryFileSystem();
  const order: string[] = [];
  const log = await TxnLog.open(fs, '/data', { nowMs: () => 0, onDurable: (z) => order.push(`durable ${z}`) });
  fs.calls.length = 0;
  log.append(txn(5n, createTxn('/a', 'x')));
  await log.close();
  const events = [...fs.calls.filter((c) => c.startsWith('sync') || c.startsWith('append')), ...order];
  assert.deepEqual(events.slice(0, 3), [`append ${LOG_DIR}/log.5 ${fs.files.get(`${LOG_DIR}/log.5`)!.length}`, `sync ${LOG_DIR}/log.5`, `syncDir ${LOG_DIR}`]);
  assert.deepEqual(order, ['durable 5']);
  assert.ok(fs.calls.indexOf(`syncDir ${LOG_DIR}`) < fs.calls.indexOf(`close ${LOG_DIR}/log.5`));
});

test('batches respect the txn bound and never span two files', async () => {
  const fs = new MemoryFileSystem();
  let held: Gate | undefined = gate();
  fs.syncHook = () => held?.promise ?? Promise.resolve();
  const durable: bigint[] = [];
  const log = await TxnLog.open(fs, '/data', { nowMs: () => 0, onDurable: (z) => durable.push(z), batchTxnsMax: 10 });
  log.append(txn(1n, createTxn('/a', 'x')));
  await flushMicrotasks();
  for (let z = 2n; z <= 20n; z++) log.append(txn(z, createTxn(`/a${z}`, 'y')));
  log.roll();
  for (let z = 21n; z <= 26n; z++) log.append(txn(z, createTxn(`/b${z}`, 'y')));
  const first = held;
  held = undefined;
  first.open();
  await log.close();
  assert.deepEqual(durable, [1n, 11n, 20n, 26n]);
  assert.deepEqual((await fs.list(LOG_DIR)).sort(), ['log.1', 'log.15']);
  const read = await readAll(fs, LOG_DIR, ['log.1', 'log.15']);
  assert.deepEqual(read.map((e) => e.header.zxid), Array.from({ length: 26 }, (_, i) => BigInt(i + 1)));
});

test('a failed sync reaches onError, is never reported durable, and stops the log', async () => {
  const fs = new MemoryFileSystem();
  const syncGate = gate();
  fs.syncHook = () => syncGate.promise;
  const durable: bigint[] = [];
  const errors: Error[] = [];
  const log = await TxnLog.open(fs, '/data', { nowMs: () => 0, onDurable: (z) => durable.push(z), onError: (e) => errors.push(e) });
  log.append(txn(1n, createTxn('/a', 'x')));
  log.append(txn(2n, createTxn('/b', 'x')));
  await flushMicrotasks();
  syncGate.fail(new Error('EIO: fsync failed'));
  await flushMicrotasks();
  assert.deepEqual(durable, []);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /EIO/);
  assert.throws(() => log.append(txn(3n, createTxn('/c', 'x'))), (e: unknown) => e instanceof TxnLogError && e.code === 'FAILED');
  await assert.rejects(log.close(), /EIO/);
});

test('a failed write (append) reaches onError too', async () => {
  const fs = new MemoryFileSystem();
  fs.appendHook = () => Promise.reject(new Error('ENOSPC: no space left'));
  const errors: Error[] = [];
  const durable: bigint[] = [];
  const log = await TxnLog.open(fs, '/data', { nowMs: () => 0, onDurable: (z) => durable.push(z), onError: (e) => errors.push(e) });
  log.append(txn(1n, createTxn('/a', 'x')));
  await assert.rejects(log.close(), /ENOSPC/);
  assert.equal(errors.length, 1);
  assert.deepEqual(durable, []);
});

test('an existing log file is never appended to or overwritten', async () => {
  const fs = new MemoryFileSystem();
  fs.files.set(`${LOG_DIR}/log.1`, Buffer.from('precious'));
  const errors: Error[] = [];
  const log = await TxnLog.open(fs, '/data', { nowMs: () => 0, onError: (e) => errors.push(e) });
  log.append(txn(1n, createTxn('/a', 'x')));
  await assert.rejects(log.close(), (e: unknown) => e instanceof TxnLogError && e.code === 'FILE_EXISTS');
  assert.equal(errors.length, 1);
  assert.equal(fs.files.get(`${LOG_DIR}/log.1`)!.toString(), 'precious');
});

test('appends after close throw CLOSED; zxids must increase', async () => {
  const fs = new MemoryFileSystem();
  const log = await TxnLog.open(fs, '/data', { nowMs: () => 0 });
  log.append(txn(3n, createTxn('/a', 'x')));
  assert.throws(() => log.append(txn(3n, createTxn('/b', 'x'))), /does not increase/);
  await log.close();
  assert.throws(() => log.append(txn(4n, { type: OpCode.createSession, timeOut: 5000 })), (e: unknown) => e instanceof TxnLogError && e.code === 'CLOSED');
});

test('a short writev goes on from the first byte not written, inside a part or between parts', async () => {
  const parts = [Buffer.from('abc'), Buffer.alloc(0), Buffer.from('de'), Buffer.from('fghij')];
  // Each call writes at most `cap` bytes of what it is given; every cap splits the parts differently.
  for (const cap of [1, 2, 3, 4, 6, 100]) {
    const written: Buffer[] = [];
    let calls = 0;
    const handle = {
      writev: async (buffers: readonly NodeJS.ArrayBufferView[]) => {
        calls++;
        const all = Buffer.concat(buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
        const taken = all.subarray(0, cap);
        written.push(Buffer.from(taken));
        return { bytesWritten: taken.length, buffers: [...buffers] };
      },
    };
    await writevAll(handle as never, parts);
    assert.equal(Buffer.concat(written).toString(), 'abcdefghij', `cap ${cap}`);
    assert.equal(calls, Math.ceil(10 / cap), `cap ${cap}`);
  }
});

test('forceSync off writes batches without syncing them; on (the default) every append is synced', async () => {
  for (const forceSync of [undefined, true, false]) {
    const fs = new MemoryFileSystem();
    const durable: bigint[] = [];
    const log = await TxnLog.open(fs, '/data', { nowMs: () => 0, onDurable: (z) => durable.push(z), ...(forceSync === undefined ? {} : { forceSync }) });
    for (let z = 1n; z <= 3n; z++) log.append(txn(z, createTxn(`/a${z}`, 'x')));
    await log.close();
    const syncs = fs.calls.filter((c) => c === `sync ${LOG_DIR}/log.1`).length;
    const appends = fs.calls.filter((c) => c.startsWith(`append ${LOG_DIR}/log.1`)).length;
    assert.ok(appends >= 1);
    assert.equal(syncs, forceSync === false ? 0 : appends, `forceSync ${forceSync}`);
    assert.deepEqual(durable.at(-1), 3n);
    assert.equal((await readAll(fs, LOG_DIR, await fs.list(LOG_DIR))).length, 3);
  }
});

test('a batch goes out as one writev of its records, joined first past the iovec limit', async () => {
  const fs = new MemoryFileSystem();
  let held: Gate | undefined = gate();
  fs.syncHook = () => held?.promise ?? Promise.resolve();
  const log = await TxnLog.open(fs, '/data', { nowMs: () => 0 });
  log.append(txn(1n, createTxn('/a', 'x')));
  await flushMicrotasks();
  for (let z = 2n; z <= 6n; z++) log.append(txn(z, createTxn(`/a${z}`, 'y')));
  const first = held;
  held = gate();
  first.open();
  await flushMicrotasks();
  for (let z = 7n; z <= 2006n; z++) log.append(txn(z, createTxn(`/b${z}`, 'y')));
  const second = held;
  held = undefined;
  second.open();
  await log.close();
  // The file header with txn 1, then txns 2-6 as five parts, then 2,000 txns joined into one.
  assert.deepEqual(fs.appendParts, [2, 5, 1]);
  assert.equal((await readAll(fs, LOG_DIR, await fs.list(LOG_DIR))).length, 2006);
});
