// Proves AbortSignal cancellation and request timeouts on a scripted fake network: a request
// aborted before it is sent is never sent; one aborted after it is sent rejects at once with a
// DOMException AbortError and its late reply is matched by xid and dropped without breaking the
// connection or registering its watch; already-aborted signals send nothing; abort listeners
// are removed when a request settles; connect() and addAuth() honour signals too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import * as R from '../../src/proto/records.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { OpCode } from '../../src/proto/op-code.js';
import { EventType } from '../../src/proto/defs.js';
import { Ids } from '../../src/proto/data.js';
import { createClient } from '../../src/client/zookeeper-client.js';
import { isAbortError } from '../../src/client/abort.js';
import type { WatchedEvent } from '../../src/client/types.js';
import { connected, FakeEnvironment, flush, zeroStat } from './client-fake-network.js';

function isAbort(reason?: unknown) {
  return (err: unknown) => {
    assert.ok(err instanceof DOMException, `a DOMException, got ${String(err)}`);
    assert.equal(err.name, 'AbortError');
    assert.ok(isAbortError(err));
    if (reason !== undefined) assert.equal((err as { cause?: unknown }).cause, reason);
    return true;
  };
}

const dataReply = (text: string) => (w: Parameters<typeof R.GetDataResponse.write>[0]) =>
  R.GetDataResponse.write(w, { data: Buffer.from(text), stat: zeroStat() });

test('an aborted in-flight request rejects at once; its late reply is matched and dropped', async () => {
  const { env, client } = await connected();
  const controller = new AbortController();
  const slow = client.getData('/slow', undefined, { signal: controller.signal });
  const after = client.getData('/after');
  await flush();
  assert.deepEqual(env.last.requests().map((r) => r.xid), [1, 2], 'both were sent');
  const reason = new Error('user gave up');
  controller.abort(reason);
  await assert.rejects(slow, isAbort(reason));
  env.last.reply(1, 5n, 0, dataReply('late'));
  env.last.reply(2, 6n, 0, dataReply('on time'));
  assert.equal((await after).data?.toString(), 'on time', 'the next reply still matches its request');
  assert.equal(client.state, 'CONNECTED', 'no xid desynchronisation, no reconnect');
  assert.equal(env.sockets.length, 1);
  assert.equal(client.lastZxid, 6n, 'the dropped reply still counted for lastZxid');
  const third = client.exists('/third');
  await flush();
  env.last.reply(3, 7n, ErrorCode.NONODE);
  assert.equal(await third, null);
});

test('a request aborted while queued (not connected) is never sent', async () => {
  const env = new FakeEnvironment();
  const client = createClient('h:1', {}, env);
  const connecting = client.connect();
  const controller = new AbortController();
  const aborted = client.setData('/a', 'x', 3, { signal: controller.signal });
  const kept = client.exists('/b');
  controller.abort();
  await assert.rejects(aborted, isAbort());
  env.last.handlers.onConnect();
  env.last.acceptSession(1n);
  await connecting;
  const requests = env.last.requests();
  assert.deepEqual(requests.map((r) => [r.xid, r.type]), [[1, OpCode.exists]], 'only the live request, with the first xid');
  env.last.reply(1, 2n, ErrorCode.NONODE);
  assert.equal(await kept, null);
});

test('an already aborted signal rejects without sending, for every kind of operation', async () => {
  const { env, client } = await connected();
  const signal = AbortSignal.abort('stop');
  const calls: Promise<unknown>[] = [
    client.create('/a', 'x', { signal }),
    client.create2('/a', 'x', { signal }),
    client.delete('/a', 1, { signal }),
    client.exists('/a', undefined, { signal }),
    client.exists('/a', { watch: true, signal }),
    client.getData('/a', { signal }),
    client.setData('/a', 'x', 1, { signal }),
    client.getACL('/a', { signal }),
    client.setACL('/a', Ids.OPEN_ACL_UNSAFE, 1, { signal }),
    client.getChildren('/a', undefined, { signal }),
    client.getChildren2('/a', undefined, { signal }),
    client.sync('/a', { signal }),
    client.multi([{ op: 'check', path: '/a', version: 1 }], { signal }),
    client.multiRead([{ op: 'getData', path: '/a' }], { signal }),
    client.addWatch('/a', 'PERSISTENT', () => {}, { signal }),
    client.checkWatches('/a', 'Any', { signal }),
    client.getEphemerals('/', { signal }),
    client.getAllChildrenNumber('/a', { signal }),
    client.whoAmI({ signal }),
    client.addAuth('digest', 'u:p', { signal }),
    client.getConfig(undefined, { signal }),
    client.request(OpCode.exists, null, null, { signal }),
  ];
  const outcomes = await Promise.allSettled(calls);
  outcomes.forEach((outcome, i) => {
    assert.equal(outcome.status, 'rejected', `call ${i}`);
    assert.ok(outcome.status === 'rejected' && isAbort('stop')(outcome.reason), `call ${i}`);
  });
  await flush();
  assert.deepEqual(env.last.requests(), [], 'nothing was written');
});

test('an aborted watching read never registers its watch, even when the server set it', async () => {
  const { env, client } = await connected();
  const fired: WatchedEvent[] = [];
  const controller = new AbortController();
  const read = client.getData('/w', (e) => fired.push(e), { signal: controller.signal });
  await flush();
  controller.abort();
  await assert.rejects(read, isAbort());
  env.last.reply(1, 3n, 0, dataReply('v'));
  env.last.notify(EventType.NodeDataChanged, '/w');
  await flush();
  assert.deepEqual(fired, [], 'the aborted caller is not called back');
  assert.equal(client.state, 'CONNECTED');
});

test('abort listeners are removed when requests settle, so a long-lived signal does not collect them', async () => {
  const { env, client } = await connected();
  const controller = new AbortController();
  const reads = Array.from({ length: 20 }, (_, i) => client.exists(`/n${i}`, undefined, { signal: controller.signal }));
  await flush();
  assert.equal(getEventListeners(controller.signal, 'abort').length, 20);
  for (let xid = 1; xid <= 20; xid++) env.last.reply(xid, BigInt(xid), ErrorCode.NONODE);
  await Promise.all(reads);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  const failing = client.exists('/lost', undefined, { signal: controller.signal });
  await flush();
  env.last.handlers.onClose('reset');
  await assert.rejects(failing, (err: unknown) => err instanceof KeeperError && err.code === ErrorCode.CONNECTIONLOSS);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'also after a failure');
});

test('a request that times out while queued is dropped and never sent', async () => {
  const env = new FakeEnvironment();
  const client = createClient('h:1', { requestTimeoutMs: 500 }, env);
  const connecting = client.connect({ timeoutMs: Infinity });
  const doomed = client.setData('/a', 'x');
  env.advance(501);
  await assert.rejects(doomed, (err: unknown) => err instanceof KeeperError && err.code === ErrorCode.REQUESTTIMEOUT);
  env.last.handlers.onConnect();
  env.last.acceptSession(1n);
  await connecting;
  assert.deepEqual(env.last.requests(), [], 'the timed-out write was not sent after the handshake');
});

test('a request timeout and an abort on the same request settle it once', async () => {
  const { env, client } = await connected({ requestTimeoutMs: 1_000 });
  const controller = new AbortController();
  const read = client.exists('/x', undefined, { signal: controller.signal });
  await flush();
  env.advance(1_001);
  controller.abort();
  await assert.rejects(read, (err: unknown) => err instanceof KeeperError && err.code === ErrorCode.REQUESTTIMEOUT);
  env.last.reply(1, 1n, ErrorCode.NONODE);
  assert.equal(client.state, 'CONNECTED');
});

test('connect({ signal }): aborting gives up and closes the client', async () => {
  const env = new FakeEnvironment();
  const client = createClient('h:1', {}, env);
  const controller = new AbortController();
  const connecting = client.connect({ timeoutMs: Infinity, signal: controller.signal });
  controller.abort();
  await assert.rejects(connecting, isAbort());
  await flush();
  assert.equal(client.state, 'CLOSED');
});

test('addAuth({ signal }): the wait is aborted, the credentials stay and are still sent', async () => {
  const { env, client } = await connected();
  const controller = new AbortController();
  const auth = client.addAuth('digest', 'u:p', { signal: controller.signal });
  controller.abort();
  await assert.rejects(auth, isAbort());
  await flush();
  const frames = env.last.frames().slice(1);
  assert.equal(frames.length, 1, 'the auth packet went out');
  env.last.reply(-4, 0n, 0);
  assert.equal(client.state, 'CONNECTED');
});
