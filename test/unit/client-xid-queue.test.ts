// Proves xids are handed out 1, 2, ... and wrap to 1 as the Java client does, and that the
// pending queue only releases the oldest request for a reply carrying exactly its xid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingQueue, XID_MAX, XidGenerator } from '../../src/client/xid-queue.js';

test('xids start at 1 and wrap from 2^31-1 back to 1', () => {
  const xids = new XidGenerator();
  assert.deepEqual([xids.take(), xids.take(), xids.take()], [1, 2, 3]);
  const wrapping = new XidGenerator();
  (wrapping as unknown as { next: number }).next = XID_MAX;
  assert.deepEqual([wrapping.take(), wrapping.take()], [XID_MAX, 1]);
});

test('replies match the head of the queue, in order', () => {
  const queue = new PendingQueue<{ xid: number; name: string }>();
  queue.push({ xid: 1, name: 'a' });
  queue.push({ xid: 2, name: 'b' });
  assert.equal(queue.size, 2);
  const first = queue.match(1);
  assert.ok(first.ok);
  assert.equal(first.entry.name, 'a');
  const outOfOrder = queue.match(3);
  assert.deepEqual(outOfOrder, { ok: false, reason: 'Xid out of order. Got Xid 3 expected Xid 2' });
  assert.equal(queue.size, 1, 'a mismatch removes nothing');
  assert.ok(queue.match(2).ok);
  assert.deepEqual(queue.match(2), { ok: false, reason: 'Nothing in the queue, but got 2' });
});

test('drain returns every outstanding request oldest first, across compaction', () => {
  const queue = new PendingQueue<{ xid: number }>();
  for (let xid = 1; xid <= 5000; xid++) queue.push({ xid });
  for (let xid = 1; xid <= 3000; xid++) assert.ok(queue.match(xid).ok);
  const rest = queue.drain().map((e) => e.xid);
  assert.equal(rest.length, 2000);
  assert.equal(rest[0], 3001);
  assert.equal(rest.at(-1), 5000);
  assert.equal(queue.size, 0);
});
