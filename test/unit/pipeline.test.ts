// Proves the standalone pipeline's contracts without sockets or disk: replies in request order,
// reads wait behind their own session's writes, writes answered only once durable, watch
// events before the reply that shows the change, sequential names and multi results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZkServer, type DurableLog } from '../../src/server/zk-server.js';
import { FakeLink } from './ops-harness.js';
import { DataTree } from '../../src/tree/data-tree.js';
import type { TxnEntry } from '../../src/proto/txn.js';
import { OpCode } from '../../src/proto/op-code.js';
import { ErrorCode } from '../../src/proto/error-code.js';
import { EventType } from '../../src/proto/defs.js';
import * as R from '../../src/proto/records.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { connectBody, parseReply, requestBody } from '../support/wire.js';

class FakeLog implements DurableLog {
  readonly entries: TxnEntry[] = [];
  append(entry: TxnEntry): void {
    this.entries.push(entry);
  }
}


const options = {
  tickTimeMs: 2000, minSessionTimeoutMs: 4000, maxSessionTimeoutMs: 40000, serverId: 1n, superDigest: undefined,
  extendedTypesEnabled: true, skipAcl: false, reconfigEnabled: false, maxRequestBytes: 1 << 20,
};

function setup(extra: Partial<typeof options> & { enforceQuota?: boolean } = {}) {
  let now = 1_700_000_000_000;
  const log = new FakeLog();
  const server = new ZkServer(new DataTree(), { ...options, ...extra }, { nowMs: () => now });
  server.attachLog(log);
  const commitAll = () => server.onDurable(log.entries.at(-1)?.header.zxid ?? 0n);
  const connect = (): FakeLink => {
    const link = new FakeLink(40000);
    server.onConnectRequest(link, connectBody());
    commitAll();
    assert.equal(link.frames.length, 1, 'connect response after the createSession txn commits');
    link.frames.length = 0;
    return link;
  };
  return { server, log, commitAll, connect, advance: (ms: number) => (now += ms) };
}

const create = (path: string, flags = 0) => ({ path, data: Buffer.from('d'), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags });

test('a write is answered only after the log reports it durable', () => {
  const { server, commitAll, connect } = setup();
  const link = connect();
  server.onRequest(link, requestBody(1, OpCode.create, R.CreateRequest, create('/a')));
  assert.equal(link.frames.length, 0);
  commitAll();
  const reply = parseReply(link.frames[0]!);
  assert.equal(reply.xid, 1);
  assert.equal(reply.err, 0);
  assert.equal(R.CreateResponse.read(reply.reader).path, '/a');
});

test("a read waits behind its own session's pending write but not behind another's", () => {
  const { server, commitAll, connect } = setup();
  const a = connect();
  const b = connect();
  server.onRequest(a, requestBody(1, OpCode.create, R.CreateRequest, create('/x')));
  server.onRequest(a, requestBody(2, OpCode.exists, R.ExistsRequest, { path: '/x', watch: false }));
  server.onRequest(b, requestBody(1, OpCode.exists, R.ExistsRequest, { path: '/x', watch: false }));
  assert.equal(a.frames.length, 0, 'a: nothing before its write commits');
  assert.equal(parseReply(b.frames[0]!).err, ErrorCode.NONODE, 'b reads the committed state now');
  commitAll();
  assert.deepEqual(a.frames.map((f) => parseReply(f).xid), [1, 2]);
  assert.equal(parseReply(a.frames[1]!).err, 0, "a's read sees a's write");
});

test('the watch event reaches the watcher before the reply to the write that fired it', () => {
  const { server, commitAll, connect } = setup();
  const a = connect();
  server.onRequest(a, requestBody(1, OpCode.create, R.CreateRequest, create('/w')));
  server.onRequest(a, requestBody(2, OpCode.getData, R.GetDataRequest, { path: '/w', watch: true }));
  commitAll();
  a.frames.length = 0;
  server.onRequest(a, requestBody(3, OpCode.delete, R.DeleteRequest, { path: '/w', version: -1 }));
  commitAll();
  const [first, second] = a.frames.map(parseReply);
  assert.equal(first!.xid, -1);
  const event = R.WatcherEvent.read(first!.reader);
  assert.deepEqual([event.type, event.path], [EventType.NodeDeleted, '/w']);
  assert.equal(second!.xid, 3);
});

test('sequential names use the parent cversion as ten digits; failed writes still take a zxid', () => {
  const { server, log, commitAll, connect } = setup();
  const a = connect();
  server.onRequest(a, requestBody(1, OpCode.create, R.CreateRequest, create('/q')));
  server.onRequest(a, requestBody(2, OpCode.create, R.CreateRequest, create('/q/n-', 2)));
  server.onRequest(a, requestBody(3, OpCode.create, R.CreateRequest, create('/missing/x')));
  server.onRequest(a, requestBody(4, OpCode.create, R.CreateRequest, create('/q/n-', 2)));
  commitAll();
  const replies = a.frames.map(parseReply);
  assert.equal(R.CreateResponse.read(replies[1]!.reader).path, '/q/n-0000000000');
  assert.equal(replies[2]!.err, ErrorCode.NONODE);
  assert.equal(R.CreateResponse.read(replies[3]!.reader).path, '/q/n-0000000001');
  assert.equal(log.entries[log.entries.length - 2]!.header.type, OpCode.error, 'the failed create is an error txn');
});

test('a failed multi reports 0 before the failing op, its code, then -2 (RUNTIMEINCONSISTENCY)', () => {
  const { server, commitAll, connect } = setup();
  const a = connect();
  const w = new JuteWriter();
  R.RequestHeader.write(w, { xid: 1, type: OpCode.multi });
  R.MultiHeader.write(w, { type: OpCode.create, done: false, err: -1 });
  R.CreateRequest.write(w, create('/m1'));
  R.MultiHeader.write(w, { type: OpCode.delete, done: false, err: -1 });
  R.DeleteRequest.write(w, { path: '/nope', version: -1 });
  R.MultiHeader.write(w, { type: OpCode.setData, done: false, err: -1 });
  R.SetDataRequest.write(w, { path: '/m1', data: Buffer.from('x'), version: -1 });
  R.MultiHeader.write(w, { type: -1, done: true, err: -1 });
  server.onRequest(a, w.toBuffer());
  commitAll();
  const reply = parseReply(a.frames[0]!);
  assert.equal(reply.err, 0);
  const results: Array<[number, number]> = [];
  for (;;) {
    const h = R.MultiHeader.read(reply.reader);
    if (h.done) break;
    results.push([h.type, R.ErrorResponse.read(reply.reader).err]);
  }
  assert.deepEqual(results, [[-1, 0], [-1, ErrorCode.NONODE], [-1, ErrorCode.RUNTIMEINCONSISTENCY]]);
  server.onRequest(a, requestBody(2, OpCode.exists, R.ExistsRequest, { path: '/m1', watch: false }));
  assert.equal(parseReply(a.frames[1]!).err, ErrorCode.NONODE, 'nothing of a failed multi is applied');
});

test('an expired session loses its ephemerals and its watchers hear NodeDeleted', () => {
  const { server, commitAll, connect, advance } = setup();
  const owner = connect();
  const watcher = connect();
  server.onRequest(owner, requestBody(1, OpCode.create, R.CreateRequest, create('/eph', 1)));
  commitAll();
  server.onRequest(watcher, requestBody(1, OpCode.exists, R.ExistsRequest, { path: '/eph', watch: true }));
  watcher.frames.length = 0;
  advance(60_000);
  server.onRequest(watcher, requestBody(-2, OpCode.ping));
  server.tick();
  commitAll();
  assert.equal(owner.open, false, 'the expired session is closed');
  const event = parseReply(watcher.frames.find((f) => parseReply(f).xid === -1)!);
  assert.equal(R.WatcherEvent.read(event.reader).type, EventType.NodeDeleted);
  assert.equal(server.tree.getNode('/eph'), undefined);
});

test('quotas: the stats node follows the subtree, and hard limits refuse writes when enforced', () => {
  const { server, commitAll, connect } = setup({ enforceQuota: true });
  const a = connect();
  let xid = 1;
  const mk = (path: string, data: string | null) => {
    server.onRequest(a, requestBody(xid++, OpCode.create, R.CreateRequest, { path, data: data === null ? null : Buffer.from(data), acl: create('/').acl, flags: 0 }));
    commitAll();
    return parseReply(a.frames.at(-1)!).err;
  };
  for (const p of ['/q', '/zookeeper/quota/q']) assert.equal(mk(p, null), 0);
  assert.equal(mk('/zookeeper/quota/q/zookeeper_limits', 'count=-1,bytes=-1=;countHardLimit=3'), 0);
  assert.equal(mk('/zookeeper/quota/q/zookeeper_stats', 'count=0,bytes=0'), 0);
  assert.equal(mk('/q/x', 'hello'), 0);
  assert.equal(server.tree.getNode('/zookeeper/quota/q/zookeeper_stats')!.data!.toString(), 'count=2,bytes=5');
  assert.equal(mk('/q/y', null), 0);
  assert.equal(mk('/q/z', null), ErrorCode.QUOTAEXCEEDED, 'a fourth node under /q exceeds countHardLimit=3');
  server.onRequest(a, requestBody(xid++, OpCode.delete, R.DeleteRequest, { path: '/q/x', version: -1 }));
  commitAll();
  assert.equal(server.tree.getNode('/zookeeper/quota/q/zookeeper_stats')!.data!.toString(), 'count=2,bytes=0');
});
