// Proves the handshake and session rules against a live tszk: the ConnectResponse with and
// without the read-only byte, timeout clamping, resuming a session on a new connection (the old
// one is closed), refusing a wrong password or unknown session the way ZooKeeper does, refusing a
// client that has seen a newer zxid, tick-based expiry that deletes ephemerals and fires watches,
// sessions surviving a restart, and four-letter words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { FrameDecoder } from '../../src/jute/frame-decoder.js';
import { JuteReader } from '../../src/jute/reader.js';
import { EventType } from '../../src/proto/defs.js';
import { ErrorCode } from '../../src/proto/error-code.js';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';
import { RawSession, withLength } from '../support/raw-session.js';
import { startTszk, type TszkServer } from '../support/tszk-server.js';
import { fourLetterWord } from '../support/zk-reference.js';
import { connectBody } from '../support/wire.js';

const WORLD = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
let server: TszkServer;

before(async () => {
  server = await startTszk({ config: { tickTime: '500' } });
});
after(async () => {
  await server.stop();
});

/** Sends raw bytes on a fresh connection; resolves with every frame received until the server closes. */
function exchange(bytes: Buffer, waitMs = 3000): Promise<{ frames: Buffer[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.host, port: server.port });
    const decoder = new FrameDecoder(1 << 20);
    const frames: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ frames, closed: false });
    }, waitMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ frames, closed: true });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('ConnectResponse is 37 bytes with the read-only byte and 36 without; timeouts are clamped', async () => {
  const modern = await RawSession.open(server.host, server.port, undefined, 1);
  assert.equal(modern.timeOut, 1000, 'clamped up to 2 x tickTime');
  modern.close();
  const huge = await RawSession.open(server.host, server.port, undefined, 10_000_000);
  assert.equal(huge.timeOut, 10_000, 'clamped down to 20 x tickTime');
  huge.close();
  const withByte = await exchange(withLength(connectBody(0n, Buffer.alloc(16), 5000, 0n, true)), 500);
  assert.equal(withByte.frames[0]?.length, 37);
  const withoutByte = await exchange(withLength(connectBody(0n, Buffer.alloc(16), 5000, 0n, false)), 500);
  assert.equal(withoutByte.frames[0]?.length, 36);
});

test('a session resumes on a new connection with its password; the old connection is closed', async () => {
  const first = await RawSession.open(server.host, server.port, undefined, 5000);
  const created = await first.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/resume-eph', data: null, acl: WORLD, flags: 1 }));
  assert.equal(created.err, 0);
  const second = await RawSession.open(server.host, server.port, { sessionId: first.sessionId, passwd: first.passwd }, 5000);
  assert.equal(second.sessionId, first.sessionId);
  await first.waitClosed();
  const eph = await second.call(OpCode.getEphemerals, (w) => R.GetEphemeralsRequest.write(w, { prefixPath: '/' }));
  assert.deepEqual(R.GetEphemeralsResponse.read(new JuteReader(eph.body, 0, eph.body.length, Infinity)).ephemerals, ['/resume-eph']);
  await second.call(OpCode.closeSession);
  await second.waitClosed();
});

test('a wrong password or an unknown session gets timeOut 0, sessionId 0, a zero password, then close', async () => {
  const live = await RawSession.open(server.host, server.port, undefined, 5000);
  for (const [sessionId, passwd] of [[live.sessionId, Buffer.alloc(16, 7)], [0x0100_0000_dead_beefn, Buffer.alloc(16)]] as const) {
    const { frames, closed } = await exchange(withLength(connectBody(sessionId, passwd, 5000)));
    assert.equal(closed, true);
    const response = R.ConnectResponse.read(new JuteReader(frames[0]!));
    assert.deepEqual([response.timeOut, response.sessionId, response.passwd?.toString('hex')], [0, 0n, '00'.repeat(16)]);
  }
  live.close();
});

test('a client that has seen a newer zxid than the server is refused without a session', async () => {
  const { frames, closed } = await exchange(withLength(connectBody(0n, Buffer.alloc(16), 5000, 0x7fff_0000_0000n)));
  assert.equal(closed, true);
  assert.equal(frames.length, 0);
});

test('an expired session loses its ephemerals, watchers hear NodeDeleted, and it cannot resume', async () => {
  const owner = await RawSession.open(server.host, server.port, undefined, 1000);
  await owner.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/expiring', data: null, acl: WORLD, flags: 1 }));
  const watcher = await RawSession.open(server.host, server.port, undefined, 10_000);
  await watcher.call(OpCode.exists, (w) => R.ExistsRequest.write(w, { path: '/expiring', watch: true }));
  owner.close();
  const deadline = Date.now() + 10_000;
  while (!watcher.stream.some((m) => m.xid === -1) && Date.now() < deadline) await sleep(50);
  const event = watcher.stream.find((m) => m.xid === -1);
  assert.ok(event !== undefined, 'no NodeDeleted within 10 s of a 1 s session timeout');
  assert.equal(R.WatcherEvent.read(new JuteReader(event.body, 0, event.body.length, Infinity)).type, EventType.NodeDeleted);
  const { frames } = await exchange(withLength(connectBody(owner.sessionId, owner.passwd, 1000)));
  assert.equal(R.ConnectResponse.read(new JuteReader(frames[0]!)).sessionId, 0n, 'expired sessions cannot resume');
  watcher.close();
});

test('requests over jute.maxbuffer close only that connection', async () => {
  const honest = await RawSession.open(server.host, server.port, undefined, 5000);
  const big = await RawSession.open(server.host, server.port, undefined, 5000);
  const data = Buffer.alloc(0x100000 + 2048);
  big.sendRaw(withLength(Buffer.concat([Buffer.from([0, 0, 0, 9, 0, 0, 0, 1]), Buffer.alloc(4), data])));
  await big.waitClosed();
  const ok = await honest.call(OpCode.exists, (w) => R.ExistsRequest.write(w, { path: '/', watch: false }));
  assert.equal(ok.err, 0);
  const unknownOp = await honest.call(999).catch(() => undefined);
  assert.equal(unknownOp?.err, ErrorCode.UNIMPLEMENTED, 'an unknown op code is UNIMPLEMENTED');
  await honest.waitClosed();
});

test('four-letter words answer in ZooKeeper formats', async () => {
  assert.equal(await fourLetterWord(server.host, server.port, 'ruok'), 'imok');
  const srvr = await fourLetterWord(server.host, server.port, 'srvr');
  assert.match(srvr, /^Zookeeper version: 3\.8\.0-.*\nLatency min\/avg\/max: \d+\/[\d.]+\/\d+\nReceived: \d+\nSent: \d+\nConnections: \d+\nOutstanding: \d+\nZxid: 0x[0-9a-f]+\nMode: standalone\nNode count: \d+\n$/);
  assert.match(await fourLetterWord(server.host, server.port, 'stat'), /Clients:\n/);
  assert.match(await fourLetterWord(server.host, server.port, 'envi'), /^Environment:\nzookeeper\.version=3\.8\.0-/);
  assert.match(await fourLetterWord(server.host, server.port, 'mntr'), /^zk_version\t.*\nzk_server_state\tstandalone\n[\s\S]*zk_znode_count\t\d+\n/);
  assert.equal(await fourLetterWord(server.host, server.port, 'isro'), 'rw');
});

test('four-letter words outside the whitelist are refused with ZooKeeper text', async () => {
  const restricted = await startTszk({ config: { '4lw.commands.whitelist': 'srvr' } });
  try {
    assert.equal(await fourLetterWord(restricted.host, restricted.port, 'stat'), 'stat is not executed because it is not in the whitelist.\n');
    assert.match(await fourLetterWord(restricted.host, restricted.port, 'srvr'), /Mode: standalone/);
  } finally {
    await restricted.stop();
  }
});

test('sessions survive a restart: a returning client keeps its ephemerals, an absent one loses them', async () => {
  const node = await startTszk({ config: { tickTime: '500' } });
  let restarted: TszkServer | undefined;
  try {
    // 10 s (the most tickTime=500 allows): a restart under load must not outlast it.
    const back = await RawSession.open(node.host, node.port, undefined, 10_000);
    const gone = await RawSession.open(node.host, node.port, undefined, 1000);
    await back.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/back', data: null, acl: WORLD, flags: 1 }));
    await gone.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/gone', data: null, acl: WORLD, flags: 1 }));
    back.close();
    gone.close();
    await node.kill();
    restarted = await startTszk({ dataDir: node.dataDir, port: node.port, config: { tickTime: '500' } });
    const resumed = await RawSession.open(restarted.host, restarted.port, { sessionId: back.sessionId, passwd: back.passwd }, 10_000);
    assert.equal(resumed.sessionId, back.sessionId, 'the recovered session resumes');
    const deadline = Date.now() + 10_000;
    let goneErr = 0;
    while (Date.now() < deadline) {
      goneErr = (await resumed.call(OpCode.exists, (w) => R.ExistsRequest.write(w, { path: '/gone', watch: false }))).err;
      if (goneErr === ErrorCode.NONODE) break;
      await sleep(200);
    }
    assert.equal(goneErr, ErrorCode.NONODE, "the absent session's ephemeral expires");
    const kept = await resumed.call(OpCode.exists, (w) => R.ExistsRequest.write(w, { path: '/back', watch: false }));
    assert.equal(kept.err, 0, "the returning session's ephemeral is kept");
    resumed.close();
  } finally {
    await restarted?.stop();
  }
});
