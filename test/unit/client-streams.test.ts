// Proves watches and state changes as async iterators on a scripted fake network, and the retry
// helper: the bounded event queue (order, overflow reported not dropped, endings after buffered
// items, early return), watch streams (events and state changes in order, return() removing
// the server watch only when nothing else needs the path, overflow, abort, removal from
// elsewhere), nextEvent, stateChanges, retry's backoff and what it never retries, and that
// session expiry reaches every pending call, stream, waiter and retry as SESSIONEXPIRED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as R from '../../src/proto/records.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { OpCode } from '../../src/proto/op-code.js';
import { EventType, KeeperState, WatcherType } from '../../src/proto/defs.js';
import { EventQueue, WatchOverflowError } from '../../src/client/event-queue.js';
import { backoffDelayMs, retry } from '../../src/client/retry.js';
import { isAbortError } from '../../src/client/abort.js';
import type { WatchedEvent } from '../../src/client/types.js';
import { connected, flush, zeroStat, type FakeSocket } from './client-fake-network.js';

const isCode = (code: number) => (err: unknown) => err instanceof KeeperError && err.code === code;
const okAddWatch = (socket: FakeSocket, xid: number) => socket.reply(xid, BigInt(xid), 0, (w) => R.ErrorResponse.write(w, { err: 0 }));
const node = (type: number, path: string): WatchedEvent => ({ type, state: KeeperState.SyncConnected, path });

/** The requests written after `from`, decoded enough to check type and path. */
function requestsOf(socket: FakeSocket) {
  return socket.requests().map((r) => {
    if (r.type === OpCode.removeWatches || r.type === OpCode.checkWatches) {
      const body = R.RemoveWatchesRequest.read(r.body);
      return { xid: r.xid, type: r.type, path: body.path, watcherType: body.type };
    }
    if (r.type === OpCode.addWatch) {
      const body = R.AddWatchRequest.read(r.body);
      return { xid: r.xid, type: r.type, path: body.path, mode: body.mode };
    }
    return { xid: r.xid, type: r.type };
  });
}

test('EventQueue: FIFO, overflow is reported and keeps nothing, endings come after buffered items', async () => {
  const queue = new EventQueue<number>(2);
  assert.equal(queue.push(1), 'queued');
  assert.equal(queue.push(2), 'queued');
  assert.equal(queue.push(3), 'overflow');
  queue.fail(new Error('boom'));
  assert.equal(queue.push(4), 'closed');
  assert.deepEqual(await queue.next(), { value: 1, done: false });
  assert.deepEqual(await queue.next(), { value: 2, done: false });
  await assert.rejects(queue.next(), /boom/);
  assert.deepEqual(await queue.next(), { value: undefined, done: true }, 'the error is thrown once');

  const waiting = new EventQueue<string>(1);
  const first = waiting.next();
  const second = waiting.next();
  assert.equal(waiting.push('a'), 'queued', 'a waiting reader takes it directly');
  waiting.end();
  assert.deepEqual(await first, { value: 'a', done: false });
  assert.deepEqual(await second, { value: undefined, done: true });
});

test('EventQueue: return() drops the buffer and runs onReturn once; failNow drops the buffer', async () => {
  let returned = 0;
  const queue = new EventQueue<number>(5, () => {
    returned++;
  });
  queue.push(1);
  const collected: number[] = [];
  for await (const item of queue) {
    collected.push(item);
    break;
  }
  await queue.return();
  assert.deepEqual(collected, [1]);
  assert.equal(returned, 1);
  assert.deepEqual(await queue.next(), { value: undefined, done: true });

  const aborted = new EventQueue<number>(5);
  aborted.push(1);
  aborted.failNow(new Error('now'));
  await assert.rejects(aborted.next(), /now/);
});

test('watch(): addWatch goes out at once; node events and state changes arrive in order', async () => {
  const { env, client } = await connected({}, 'h:1/app');
  const stream = client.watch('/p', { mode: 'PERSISTENT_RECURSIVE' });
  await flush();
  assert.deepEqual(requestsOf(env.last), [{ xid: 1, type: OpCode.addWatch, path: '/app/p', mode: 1 }]);
  okAddWatch(env.last, 1);
  await stream.ready;
  env.last.notify(EventType.NodeCreated, '/app/p/c');
  env.last.notify(EventType.NodeDataChanged, '/app/p');
  env.last.handlers.onClose('reset');
  env.advance(100);
  env.last.handlers.onConnect();
  env.last.acceptSession(0x1234n);
  const [rearm] = env.last.requests();
  assert.equal(rearm?.type, OpCode.setWatches2, 'the stream watch is re-armed');
  env.last.notify(EventType.NodeDeleted, '/app/p/c');
  const seen: WatchedEvent[] = [];
  const reading = (async () => {
    for await (const event of stream) {
      seen.push(event);
      if (seen.length === 5) break;
    }
  })();
  await flush();
  const removal = requestsOf(env.last).at(-1);
  assert.equal(removal?.type, OpCode.removeWatches, 'break removes the watch');
  env.last.reply(removal!.xid, 9n, 0);
  await reading;
  assert.deepEqual(seen, [
    node(EventType.NodeCreated, '/p/c'),
    node(EventType.NodeDataChanged, '/p'),
    { type: EventType.None, state: KeeperState.Disconnected, path: null },
    { type: EventType.None, state: KeeperState.SyncConnected, path: null },
    node(EventType.NodeDeleted, '/p/c'),
  ]);
});

test('leaving the loop removes the watch on the server, unless another watch of the client needs the path', async () => {
  const { env, client } = await connected();
  const lone = client.watch('/lone', { mode: 'PERSISTENT' });
  await flush();
  okAddWatch(env.last, 1);
  await lone.ready;
  const closing = lone.return();
  await flush();
  assert.deepEqual(requestsOf(env.last).at(-1), { xid: 2, type: OpCode.removeWatches, path: '/lone', watcherType: WatcherType.Any });
  env.last.reply(2, 2n, 0);
  assert.deepEqual(await closing, { value: undefined, done: true });
  env.last.notify(EventType.NodeDataChanged, '/lone');

  const fired: WatchedEvent[] = [];
  const read = client.getData('/shared', (e) => fired.push(e));
  await flush();
  env.last.reply(3, 3n, 0, (w) => R.GetDataResponse.write(w, { data: null, stat: zeroStat() }));
  await read;
  const shared = client.watch('/shared');
  await flush();
  okAddWatch(env.last, 4);
  await shared.ready;
  await shared.close();
  await flush();
  assert.equal(requestsOf(env.last).length, 4, 'no removeWatches: it would take the one-shot data watch with it');
  env.last.notify(EventType.NodeDataChanged, '/shared');
  assert.deepEqual(fired, [node(EventType.NodeDataChanged, '/shared')], 'the one-shot watch still fires');
});

test('a slow reader: the stream throws WatchOverflowError after the buffered events and drops the watch', async () => {
  const { env, client } = await connected();
  const stream = client.watch('/busy', { maxBufferedEvents: 2 });
  await flush();
  okAddWatch(env.last, 1);
  await stream.ready;
  for (let i = 0; i < 3; i++) env.last.notify(EventType.NodeDataChanged, '/busy');
  await flush();
  assert.deepEqual(requestsOf(env.last).at(-1), { xid: 2, type: OpCode.removeWatches, path: '/busy', watcherType: WatcherType.Any });
  env.last.reply(2, 2n, 0);
  assert.equal((await stream.next()).done, false);
  assert.equal((await stream.next()).done, false);
  await assert.rejects(stream.next(), (err: unknown) => err instanceof WatchOverflowError && err.code === 'WATCH_OVERFLOW' && err.capacity === 2);
  assert.deepEqual(await stream.next(), { value: undefined, done: true });
});

test('a stream ends: abort throws AbortError, removeWatches elsewhere ends it, a refused addWatch throws', async () => {
  const { env, client } = await connected();
  const controller = new AbortController();
  const aborted = client.watch('/a', { signal: controller.signal });
  await flush();
  okAddWatch(env.last, 1);
  await aborted.ready;
  const pending = aborted.next();
  controller.abort();
  await assert.rejects(pending, (err: unknown) => isAbortError(err));
  await flush();
  assert.deepEqual(requestsOf(env.last).at(-1), { xid: 2, type: OpCode.removeWatches, path: '/a', watcherType: WatcherType.Any });
  env.last.reply(2, 2n, 0);

  const removed = client.watch('/r', { mode: 'PERSISTENT' });
  await flush();
  okAddWatch(env.last, 3);
  await removed.ready;
  const removing = client.removeWatches('/r', 'Any');
  await flush();
  env.last.reply(4, 4n, 0);
  await removing;
  assert.deepEqual(await removed.next(), { value: node(EventType.PersistentWatchRemoved, '/r'), done: false });
  assert.deepEqual(await removed.next(), { value: undefined, done: true });

  const refused = client.watch('/nope');
  await flush();
  env.last.reply(5, 5n, ErrorCode.NOAUTH);
  await assert.rejects(refused.ready, isCode(ErrorCode.NOAUTH));
  await assert.rejects(refused.next(), isCode(ErrorCode.NOAUTH));
  assert.throws(() => client.watch('bad'), /Path must start with/);
});

test('nextEvent resolves with the event of its one-shot watch; abort and close reject', async () => {
  const { env, client } = await connected();
  const next = client.nextEvent('/n', 'exists');
  await flush();
  env.last.reply(1, 1n, ErrorCode.NONODE);
  env.last.notify(EventType.NodeCreated, '/n');
  assert.deepEqual(await next, node(EventType.NodeCreated, '/n'));

  const controller = new AbortController();
  const aborted = client.nextEvent('/c', 'child', { signal: controller.signal });
  await flush();
  env.last.reply(2, 2n, 0, (w) => R.GetChildrenResponse.write(w, { children: [] }));
  await flush();
  controller.abort();
  await assert.rejects(aborted, (err: unknown) => isAbortError(err));
  env.last.notify(EventType.NodeChildrenChanged, '/c');

  const missing = client.nextEvent('/m', 'data');
  await flush();
  env.last.reply(3, 3n, ErrorCode.NONODE);
  await assert.rejects(missing, isCode(ErrorCode.NONODE));

  const closedWait = client.nextEvent('/z', 'data');
  await flush();
  env.last.reply(4, 4n, 0, (w) => R.GetDataResponse.write(w, { data: null, stat: zeroStat() }));
  const closing = client.close();
  await flush();
  env.last.reply(5, 5n, 0);
  await closing;
  await assert.rejects(closedWait, isCode(ErrorCode.SESSIONEXPIRED));
});

test('stateChanges yields transitions and ends after the final one', async () => {
  const { env, client } = await connected();
  const changes = client.stateChanges();
  env.last.handlers.onClose('reset');
  env.advance(100);
  env.last.handlers.onConnect();
  env.last.acceptSession(0x1234n);
  const closing = client.close();
  await flush();
  env.last.reply(1, 1n, 0);
  await closing;
  const seen: string[] = [];
  for await (const change of changes) seen.push(change);
  assert.deepEqual(seen, ['disconnected', 'connected', 'closed']);
  const after: string[] = [];
  for await (const change of client.stateChanges()) after.push(change);
  assert.deepEqual(after, [], 'a dead handle has no more changes');
});

test('session expiry is never hidden: pending calls, streams, waiters, state changes and retries all see it', async () => {
  const { env, client, events } = await connected();
  const stream = client.watch('/s');
  await flush();
  okAddWatch(env.last, 1);
  await stream.ready;
  const waiting = client.nextEvent('/s', 'exists');
  await flush();
  env.last.reply(2, 2n, 0, (w) => R.ExistsResponse.write(w, { stat: zeroStat() }));
  const changes = client.stateChanges();
  let expiredEvents = 0;
  client.on('expired', () => expiredEvents++);
  env.last.handlers.onClose('reset');
  const queued = client.getData('/q');
  let attempts = 0;
  const retried = retry(
    async () => {
      attempts++;
      return client.exists('/r');
    },
    { retries: 10, baseDelayMs: 0, maxDelayMs: 0 },
  );
  env.advance(100);
  env.last.handlers.onConnect();
  env.last.acceptSession(0n, 0, Buffer.alloc(16));
  await assert.rejects(queued, isCode(ErrorCode.SESSIONEXPIRED), 'a call queued while reconnecting');
  await assert.rejects(retried, isCode(ErrorCode.SESSIONEXPIRED), 'retry passes SESSIONEXPIRED on');
  assert.equal(attempts, 1, 'and does not retry it');
  await assert.rejects(waiting, isCode(ErrorCode.SESSIONEXPIRED));
  assert.deepEqual(await stream.next(), { value: { type: EventType.None, state: KeeperState.Disconnected, path: null }, done: false });
  await assert.rejects(stream.next(), isCode(ErrorCode.SESSIONEXPIRED), 'the stream throws, it does not just end');
  const seen: string[] = [];
  for await (const change of changes) seen.push(change);
  assert.deepEqual(seen, ['disconnected', 'expired']);
  assert.equal(expiredEvents, 1);
  assert.equal(events.at(-1)?.state, KeeperState.Expired);
  await assert.rejects(client.getData('/later'), isCode(ErrorCode.SESSIONEXPIRED), 'and every further call');
  await assert.rejects(client.addAuth('digest', 'a:b'), isCode(ErrorCode.SESSIONEXPIRED));
  await assert.rejects(client.connect(), isCode(ErrorCode.SESSIONEXPIRED));
  await assert.rejects(client.watch('/x').next(), isCode(ErrorCode.SESSIONEXPIRED));
});

test('retry: CONNECTIONLOSS and OPERATIONTIMEOUT are retried with capped exponential backoff and jitter', async () => {
  const delays: number[] = [];
  let calls = 0;
  const value = await retry(
    async (attempt) => {
      assert.equal(attempt, calls);
      calls++;
      if (calls <= 4) throw new KeeperError(calls % 2 === 0 ? ErrorCode.OPERATIONTIMEOUT : ErrorCode.CONNECTIONLOSS, '/x');
      return 'done';
    },
    { retries: 4, baseDelayMs: 100, maxDelayMs: 300, random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
  );
  assert.equal(value, 'done');
  assert.deepEqual(delays, [75, 150, 225, 225], 'half the ceiling plus half of the rest: 100, 200, 300 (cap), 300');
  assert.equal(backoffDelayMs(1, 100, 10_000, () => 0), 50, 'never immediate');
  assert.ok(Math.abs(backoffDelayMs(60, 100, 10_000, () => 0.999999) - 9999.995) < 1e-6, 'capped, even far out');

  let tries = 0;
  const gaveUp = retry(
    async () => {
      tries++;
      throw new KeeperError(ErrorCode.CONNECTIONLOSS);
    },
    { retries: 2, sleep: async () => {} },
  );
  await assert.rejects(gaveUp, isCode(ErrorCode.CONNECTIONLOSS));
  assert.equal(tries, 3, 'the first attempt and two retries');
});

test('retry: answers and other failures pass through at once; abort stops the wait; bad options throw', async () => {
  for (const code of [ErrorCode.NONODE, ErrorCode.BADVERSION, ErrorCode.NODEEXISTS, ErrorCode.SESSIONEXPIRED, ErrorCode.REQUESTTIMEOUT]) {
    let tries = 0;
    await assert.rejects(
      retry(async () => {
        tries++;
        throw new KeeperError(code);
      }),
      isCode(code),
    );
    assert.equal(tries, 1, `code ${code} is not retried`);
  }
  await assert.rejects(retry(async () => Promise.reject(new TypeError('bug'))), TypeError);

  const controller = new AbortController();
  let tries = 0;
  const waiting = retry(
    async () => {
      tries++;
      throw new KeeperError(ErrorCode.CONNECTIONLOSS);
    },
    { baseDelayMs: 60_000, maxDelayMs: 60_000, signal: controller.signal },
  );
  await flush();
  controller.abort();
  await assert.rejects(waiting, (err: unknown) => isAbortError(err));
  assert.equal(tries, 1);
  await assert.rejects(retry(async () => 1, { retries: -1 }), RangeError);
  await assert.rejects(retry(async () => 1, { retries: 1.5 }), RangeError);
  await assert.rejects(retry(async () => 1, { maxDelayMs: Infinity }), RangeError);
});
