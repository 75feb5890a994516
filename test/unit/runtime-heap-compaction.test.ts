// Proves the collection after a large recovery runs and returns garbage: off-heap buffers and
// heap objects left unreachable are gone from the memory in use when it returns; a small
// recovery that left no large buffers does not pay for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPACT_AFTER_LOADING_MIN, COMPACT_EXTERNAL_BYTES_MIN, compactAfterLoading } from '../../src/runtime/heap-compaction.js';

function makeGarbage(): number {
  // 64 MiB of file-like buffers and a million small objects, all dropped on return.
  let kept: unknown[] = [];
  for (let i = 0; i < 16; i++) kept.push(Buffer.alloc(4 * 1024 * 1024, i));
  for (let i = 0; i < 1_000_000; i++) kept.push({ i, name: `node-${i}` });
  const count = kept.length;
  kept = [];
  return count;
}

test('a small recovery is not followed by a collection, unless it left large file buffers behind', () => {
  assert.ok(process.memoryUsage().external < COMPACT_EXTERNAL_BYTES_MIN, 'the test starts with few buffers');
  assert.equal(compactAfterLoading(COMPACT_AFTER_LOADING_MIN - 1), undefined);
  assert.equal(compactAfterLoading(0), undefined);
  // A zero-padded 64 MiB log read whole for a few txns.
  let log: Buffer | undefined = Buffer.alloc(64 * 1024 * 1024);
  assert.equal(log.length, 64 * 1024 * 1024);
  log = undefined;
  const compaction = compactAfterLoading(10);
  assert.ok(compaction !== undefined);
  assert.ok(compaction.usedBeforeBytes - compaction.usedAfterBytes >= 60 * 1024 * 1024, 'the buffer is freed');
});

test('after a large recovery the garbage it left is collected before serving starts', () => {
  makeGarbage();
  const compaction = compactAfterLoading(COMPACT_AFTER_LOADING_MIN);
  assert.ok(compaction !== undefined);
  assert.ok(compaction.tookMs >= 0);
  const freed = compaction.usedBeforeBytes - compaction.usedAfterBytes;
  assert.ok(freed > 64 * 1024 * 1024, `freed ${(freed / 1048576).toFixed(1)} MiB of at least 64 MiB of buffers plus a million objects`);
  // A second one finds the collector already usable (the flag is set once).
  assert.ok(compactAfterLoading(COMPACT_AFTER_LOADING_MIN) !== undefined);
});
