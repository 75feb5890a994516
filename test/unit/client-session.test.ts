// Proves the client's session layer on a scripted fake network and clock (no sockets, no real
// timers): the handshake bytes, in-order reply matching, CONNECTIONLOSS and reconnect with the
// same session, SetWatches re-arming relative to the last zxid, expiry, auth replay, pings,
// read timeouts, the bounded request queue and request timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { createClient, type ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import type { WatchedEvent } from '../../src/client/types.js';
import { connected, FakeEnvironment, flush, zeroStat } from './client-fake-network.js';
import * as R from '../../src/proto/records.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { OpCode } from '../../src/proto/op-code.js';
import { EventType } from '../../src/proto/defs.js';

function readConnectRequest(frame: Buffer) {
  const r = new JuteReader(frame);
  const value = R.ConnectRequest.read(r);
  const readOnly = r.readBool();
  r.expectEnd('ConnectRequest');
  return { ...value, readOnly };
}

test('the handshake sends a 45-byte ConnectRequest with the readOnly byte', async () => {
  const env = new FakeEnvironment();
  const client = createClient('10.0.0.1:2999', { sessionTimeoutMs: 12_000, readOnly: true }, env);
  const connecting = client.connect();
  assert.deepEqual(env.last.address, { host: '10.0.0.1', port: 2999 });
  env.last.handlers.onConnect();
  const [first] = env.last.frames();
  assert.equal(first?.length, 45);
  const request = readConnectRequest(first!);
  assert.deepEqual(request, {
    protocolVersion: 0,
    lastZxidSeen: 0n,
    timeOut: 12_000,
    sessionId: 0n,
    passwd: Buffer.alloc(16),
    readOnly: true,
  });
  env.last.acceptSession(0x99n, 8_000);
  await connecting;
  assert.equal(client.state, 'CONNECTED');
  assert.equal(client.sessionId, 0x99n);
  assert.equal(client.sessionTimeoutMs, 8_000);
  assert.deepEqual(client.sessionPassword, Buffer.alloc(16, 7));
});

test('requests queued while connecting go out after the handshake, in order, xids from 1', async () => {
  const env = new FakeEnvironment();
  const client = createClient('h:1', {}, env);
  const connecting = client.connect();
  const a = client.exists('/a');
  const b = client.getChildren('/');
  await flush();
  env.last.handlers.onConnect();
  assert.equal(env.last.frames().length, 1, 'only the ConnectRequest before the handshake');
  env.last.acceptSession(1n);
  await connecting;
  const requests = env.last.requests();
  assert.deepEqual(requests.map((r) => [r.xid, r.type]), [[1, OpCode.exists], [2, OpCode.getChildren]]);
  assert.deepEqual(R.ExistsRequest.read(requests[0]!.body), { path: '/a', watch: false });
  env.last.reply(1, 5n, ErrorCode.NONODE);
  env.last.reply(2, 6n, 0, (w) => R.GetChildrenResponse.write(w, { children: ['x', 'zookeeper'] }));
  assert.equal(await a, null);
  assert.deepEqual(await b, ['x', 'zookeeper']);
  assert.equal(client.lastZxid, 6n);
});

test('an out-of-order reply drops the connection: CONNECTIONLOSS, then reconnect with the same session', async () => {
  const { env, client, events } = await connected();
  const first = env.last;
  const a = client.getData('/a');
  const b = client.getData('/b');
  await flush();
  first.reply(1, 0x40n, 0, (w) => R.GetDataResponse.write(w, { data: Buffer.from('x'), stat: zeroStat() }));
  await a;
  let disconnected = 0;
  client.on('disconnected', () => disconnected++);
  first.reply(7, 0x41n, 0);
  await assert.rejects(b, (err: unknown) => err instanceof KeeperError && err.code === ErrorCode.CONNECTIONLOSS && err.path === '/b');
  assert.ok(first.destroyed);
  assert.equal(client.state, 'CONNECTING');
  assert.equal(disconnected, 1);
  assert.deepEqual(events.map((e) => e.state), [3, 0], 'SyncConnected then Disconnected to the default watcher');
  env.advance(100);
  assert.equal(env.sockets.length, 2, 'reconnected');
  env.last.handlers.onConnect();
  const request = readConnectRequest(env.last.frames()[0]!);
  assert.equal(request.sessionId, 0x1234n);
  assert.deepEqual(request.passwd, Buffer.alloc(16, 7));
  assert.equal(request.lastZxidSeen, 0x40n, 'the zxid of the last matched reply');
});

test('watches are re-armed with SetWatches relative to the last zxid, chroot applied', async () => {
  const { env, client } = await connected({}, 'h:1/app');
  const fired: WatchedEvent[] = [];
  const read = client.getData('/n', (e) => fired.push(e));
  const missing = client.exists('/m', (e) => fired.push(e));
  await flush();
  env.last.reply(1, 0x50n, 0, (w) => R.GetDataResponse.write(w, { data: null, stat: zeroStat() }));
  env.last.reply(2, 0x51n, ErrorCode.NONODE);
  assert.deepEqual(await read, { data: null, stat: zeroStat() });
  assert.equal(await missing, null);
  env.last.handlers.onClose('reset');
  env.advance(100);
  env.last.handlers.onConnect();
  env.last.acceptSession(0x1234n);
  const [setWatches] = env.last.requests();
  assert.equal(setWatches?.type, OpCode.setWatches);
  assert.deepEqual(R.SetWatches.read(setWatches!.body), {
    relativeZxid: 0x51n,
    dataWatches: ['/app/n'],
    existWatches: ['/app/m'],
    childWatches: [],
  });
  env.last.reply(setWatches!.xid, 0x51n, 0);
  env.last.receive((w) => {
    R.ReplyHeader.write(w, { xid: -1, zxid: -1n, err: 0 });
    R.WatcherEvent.write(w, { type: EventType.NodeCreated, state: 3, path: '/app/m' });
  });
  assert.deepEqual(fired, [{ type: EventType.NodeCreated, state: 3, path: '/m' }]);
  assert.equal(client.state, 'CONNECTED');
});

test('a persistent watch makes the re-arm use SetWatches2', async () => {
  const { env, client } = await connected();
  const adding = client.addWatch('/p', 'PERSISTENT_RECURSIVE', () => {});
  await flush();
  env.last.reply(1, 9n, 0, (w) => R.ErrorResponse.write(w, { err: 0 }));
  await adding;
  env.last.handlers.onClose('reset');
  env.advance(100);
  env.last.handlers.onConnect();
  env.last.acceptSession(0x1234n);
  const [request] = env.last.requests();
  assert.equal(request?.type, OpCode.setWatches2);
  assert.deepEqual(R.SetWatches2.read(request!.body).persistentRecursiveWatches, ['/p']);
});

test('a handshake answered with timeout 0 expires the session for good', async () => {
  const { env, client, events } = await connected();
  let expired = 0;
  client.on('expired', () => expired++);
  const pending = client.getData('/a');
  await flush();
  env.last.handlers.onClose('reset');
  await assert.rejects(pending, (err: unknown) => (err as KeeperError).code === ErrorCode.CONNECTIONLOSS);
  env.advance(100);
  env.last.handlers.onConnect();
  const queued = client.exists('/q');
  env.last.acceptSession(0n, 0, Buffer.alloc(16));
  await assert.rejects(queued, (err: unknown) => (err as KeeperError).code === ErrorCode.SESSIONEXPIRED);
  assert.equal(expired, 1);
  assert.equal(client.state, 'CLOSED');
  assert.equal(events.at(-1)?.state, -112);
  await assert.rejects(client.exists('/later'), (err: unknown) => (err as KeeperError).code === ErrorCode.SESSIONEXPIRED);
  const sockets = env.sockets.length;
  env.advance(60_000);
  assert.equal(env.sockets.length, sockets, 'no reconnect after expiry');
});

test('auth packets are replayed first on every connection and answered in order', async () => {
  const env = new FakeEnvironment();
  const client = createClient('h:1', {}, env);
  const connecting = client.connect();
  const auth = client.addAuth('digest', 'u:p');
  const read = client.exists('/x');
  await flush();
  env.last.handlers.onConnect();
  env.last.acceptSession(5n);
  await connecting;
  const frames = env.last.frames().slice(1);
  const header = (f: Buffer) => R.RequestHeader.read(new JuteReader(f));
  assert.deepEqual(frames.map((f) => header(f)), [{ xid: -4, type: OpCode.auth }, { xid: 1, type: OpCode.exists }]);
  const packet = new JuteReader(frames[0]!);
  R.RequestHeader.read(packet);
  assert.deepEqual(R.AuthPacket.read(packet), { type: 0, scheme: 'digest', auth: Buffer.from('u:p') });
  env.last.reply(-4, 0n, 0);
  await auth;
  env.last.reply(1, 3n, ErrorCode.NONODE);
  await read;
  env.last.handlers.onClose('reset');
  env.advance(100);
  env.last.handlers.onConnect();
  env.last.acceptSession(5n);
  assert.deepEqual(env.last.frames().slice(1).map(header), [{ xid: -4, type: OpCode.auth }]);
});

test('AUTHFAILED ends the handle: authFailed event, AUTH_FAILED state', async () => {
  const { env, client } = await connected();
  let failed = 0;
  client.on('authFailed', () => failed++);
  const auth = client.addAuth('nosuch', 'x');
  const read = client.exists('/x');
  await flush();
  env.last.reply(-4, 0n, ErrorCode.AUTHFAILED);
  await assert.rejects(auth, (err: unknown) => (err as KeeperError).code === ErrorCode.AUTHFAILED);
  await assert.rejects(read, (err: unknown) => (err as KeeperError).code === ErrorCode.AUTHFAILED);
  assert.equal(failed, 1);
  assert.equal(client.state, 'AUTH_FAILED');
});

test('pings go out after readTimeout/2 of silence; readTimeout without a byte drops the link', async () => {
  const { env, client } = await connected({ sessionTimeoutMs: 3_000 });
  const socket = env.last;
  socket.written.length = 0;
  env.time = 0;
  // negotiated 30000 from acceptSession's default: readTimeout 20000, ping every 10000.
  env.advance(9_999);
  assert.equal(socket.written.length, 0);
  env.advance(2);
  const pings = socket.frames().map((f) => R.RequestHeader.read(new JuteReader(f)));
  assert.deepEqual(pings, [{ xid: -2, type: OpCode.ping }]);
  socket.reply(-2, 0n, 0);
  env.advance(19_999);
  assert.equal(client.state, 'CONNECTED');
  env.advance(25_000);
  assert.equal(client.state, 'CONNECTING', 'silence longer than readTimeout is a lost connection');
  assert.ok(socket.destroyed);
});

test('the outstanding-request bound refuses with THROTTLEDOP', async () => {
  const { client } = await connected({ maxOutstandingRequests: 2 });
  const a = client.exists('/a');
  const b = client.exists('/b');
  await assert.rejects(client.exists('/c'), (err: unknown) => (err as KeeperError).code === ErrorCode.THROTTLEDOP);
  void a.catch(() => {});
  void b.catch(() => {});
});

test('a request timeout fails one request; its late reply is still matched and ignored', async () => {
  const { env, client } = await connected({ requestTimeoutMs: 1_000 });
  const slow = client.exists('/slow');
  await flush();
  env.advance(1_001);
  await assert.rejects(slow, (err: unknown) => (err as KeeperError).code === ErrorCode.REQUESTTIMEOUT);
  const next = client.exists('/next');
  await flush();
  env.last.reply(1, 2n, ErrorCode.NONODE);
  env.last.reply(2, 2n, ErrorCode.NONODE);
  assert.equal(await next, null);
  assert.equal(client.state, 'CONNECTED');
});

test('close sends closeSession, waits for its reply and emits closed', async () => {
  const { env, client, events } = await connected();
  let closed = 0;
  client.on('closed', () => closed++);
  const closing = client.close();
  await flush();
  const [request] = env.last.requests();
  assert.deepEqual([request?.xid, request?.type], [1, OpCode.closeSession]);
  env.last.reply(1, 0n, 0);
  await closing;
  assert.equal(closed, 1);
  assert.equal(client.state, 'CLOSED');
  assert.equal(events.at(-1)?.state, 7, 'Closed to the default watcher');
  assert.ok(env.last.destroyed);
  await assert.rejects(client.connect(), (err: unknown) => (err as KeeperError).code === ErrorCode.SESSIONEXPIRED);
});

test('connect() gives up after its timeout with CONNECTIONLOSS and closes the client', async () => {
  const env = new FakeEnvironment();
  const client: ZooKeeperClient = createClient('h:1,h:2', { sessionTimeoutMs: 4_000, reconnectDelayMs: 500 }, env);
  const connecting = client.connect({ timeoutMs: 5_000 });
  for (let i = 0; i < 20; i++) {
    env.last.handlers.onClose('refused');
    env.advance(250);
  }
  await assert.rejects(connecting, (err: unknown) => (err as KeeperError).code === ErrorCode.CONNECTIONLOSS);
  assert.equal(client.state, 'CLOSED');
  assert.ok(env.sockets.length >= 4, 'tried the hosts more than once');
});
