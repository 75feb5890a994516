/**
 * Captures golden frames: drives a real ZooKeeper 3.8 over raw TCP with requests built by our
 * jute writer and records every request frame and the exact reply bytes, so codec tests can check
 * our records against ZooKeeper's own bytes without needing Java at test time.
 *
 *   node dist/test/support/capture-golden.js [output.json]
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { FrameDecoder } from '../../src/jute/frame-decoder.js';
import { frame, type JuteWriter } from '../../src/jute/writer.js';
import { Ids, type Acl } from '../../src/proto/data.js';
import { AddWatchMode, CreateFlags, WatcherType } from '../../src/proto/defs.js';
import { OpCode, Xid } from '../../src/proto/op-code.js';
import {
  AddWatchRequest, AuthPacket, CheckVersionRequest, CheckWatchesRequest, ConnectRequest, CreateRequest,
  CreateTTLRequest, DeleteRequest, ExistsRequest, GetACLRequest, GetAllChildrenNumberRequest,
  GetChildren2Request, GetChildrenRequest, GetDataRequest, GetEphemeralsRequest, MultiHeader,
  RemoveWatchesRequest, RequestHeader, SetACLRequest, SetDataRequest, SetWatches, SyncRequest,
} from '../../src/proto/records.js';
import { GOLDEN_SESSION_FILE, type GoldenFile, type GoldenStep, type GoldenTxnLog } from './golden.js';
import { startReferenceZooKeeper } from './zk-reference.js';

const STEP_TIMEOUT_MS = 5_000;
/** How long to keep listening after the awaited reply, to catch frames that follow it. */
const QUIET_MS = 200;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class Connection {
  readonly frames: Buffer[] = [];
  /** Frames already attributed to a step; a frame that arrived during another connection's step belongs to the next one here. */
  consumed = 0;
  closed = false;
  private xid = 0;
  private readonly decoder = new FrameDecoder(0xfffff);

  private constructor(readonly name: string, private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) this.frames.push(Buffer.from(f));
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static open(name: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), STEP_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new Connection(name, socket));
      });
      socket.once('error', reject);
    });
  }

  nextXid(): number {
    return ++this.xid;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits (bounded) until `done` holds for the unconsumed frames, then a quiet period; consumes them. */
  async collect(step: string, done: (frames: Buffer[]) => boolean): Promise<Buffer[]> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!done(this.frames.slice(this.consumed)) && !this.closed && Date.now() < deadline) await sleep(5);
    if (!done(this.frames.slice(this.consumed))) throw new Error(`${this.name}: no expected reply to '${step}' (closed=${this.closed})`);
    await sleep(QUIET_MS);
    const frames = this.frames.slice(this.consumed);
    this.consumed = this.frames.length;
    return frames;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const withPrefix = (payload: Buffer) => {
  const out = Buffer.alloc(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
};
const hasXid = (xid: number) => (frames: Buffer[]) => frames.some((f) => f.length >= 4 && f.readInt32BE(0) === xid);
const utf8 = (s: string) => Buffer.from(s, 'utf8');

function request(xid: number, type: number, body?: (w: JuteWriter) => void): Buffer {
  return frame((w) => {
    RequestHeader.write(w, { xid, type });
    body?.(w);
  });
}

function createBody(path: string, data: Buffer | null, flags: number, acl: readonly Acl[] = Ids.OPEN_ACL_UNSAFE) {
  return (w: JuteWriter) => CreateRequest.write(w, { path, data, acl: [...acl], flags });
}

type SubOp = { type: number; write: (w: JuteWriter) => void };
function multiBody(ops: SubOp[]) {
  return (w: JuteWriter) => {
    for (const op of ops) {
      MultiHeader.write(w, { type: op.type, done: false, err: -1 });
      op.write(w);
    }
    MultiHeader.write(w, { type: -1, done: true, err: -1 });
  };
}

function connectFrame(readOnlyByte: boolean): Buffer {
  return frame((w) => {
    ConnectRequest.write(w, { protocolVersion: 0, lastZxidSeen: 0n, timeOut: 30_000, sessionId: 0n, passwd: Buffer.alloc(16) });
    if (readOnlyByte) w.writeBool(false);
  });
}

class Recorder {
  readonly steps: GoldenStep[] = [];
  lastZxid = 0n;

  private async record(conn: Connection, name: string, op: string, req: Buffer | null, done: (f: Buffer[]) => boolean, notes: string) {
    if (req) conn.send(req);
    const frames = await conn.collect(name, done);
    for (const f of frames) {
      if (op === 'connect' || f.length < 12) continue;
      const zxid = f.readBigInt64BE(4);
      if (zxid > this.lastZxid) this.lastZxid = zxid;
    }
    this.steps.push({
      name,
      session: conn.name,
      op,
      request: req ? req.toString('hex') : null,
      response: Buffer.concat(frames.map(withPrefix)).toString('hex'),
      closed: conn.closed,
      notes,
    });
  }

  connect(conn: Connection, name: string, readOnlyByte: boolean, notes: string) {
    return this.record(conn, name, 'connect', connectFrame(readOnlyByte), (f) => f.length >= 1, notes);
  }

  /** A request with a fresh xid (or a special one) whose reply carries the same xid. */
  op(conn: Connection, name: string, type: number, body: ((w: JuteWriter) => void) | undefined, notes = '', xid = conn.nextXid()) {
    const opName = Object.entries(OpCode).find(([, code]) => code === type)?.[0] ?? String(type);
    return this.record(conn, name, opName, request(xid, type, body), hasXid(xid), notes);
  }

  notification(conn: Connection, name: string, notes: string) {
    return this.record(conn, name, 'notification', null, hasXid(Xid.notification), notes);
  }
}

async function captureSession(port: number): Promise<GoldenStep[]> {
  const rec = new Recorder();
  const main = await Connection.open('main', port);
  const old = await Connection.open('old-client', port);
  const bad = await Connection.open('auth-failed', port);
  try {
    const setData = (path: string, data: string, version: number) => (w: JuteWriter) =>
      SetDataRequest.write(w, { path, data: utf8(data), version });
    const getData = (path: string, watch = false) => (w: JuteWriter) => GetDataRequest.write(w, { path, watch });
    const path = (p: string) => (w: JuteWriter) => GetACLRequest.write(w, { path: p });

    await rec.connect(main, 'connect with readOnly byte', true, '45-byte ConnectRequest; the reply has the trailing readOnly byte (37 bytes)');
    await rec.op(main, 'create persistent with data', OpCode.create, createBody('/golden', utf8('root'), CreateFlags.PERSISTENT));
    await rec.op(main, 'create with null data', OpCode.create, createBody('/golden/nodata', null, CreateFlags.PERSISTENT), 'data length -1 on the wire');
    await rec.op(main, 'create with empty data', OpCode.create, createBody('/golden/empty', Buffer.alloc(0), CreateFlags.PERSISTENT));
    await rec.op(main, 'create ephemeral', OpCode.create, createBody('/golden/eph', utf8('e'), CreateFlags.EPHEMERAL));
    await rec.op(main, 'create persistent sequential', OpCode.create, createBody('/golden/seq-', utf8('s'), CreateFlags.PERSISTENT_SEQUENTIAL), 'path gets the 10-digit parent cversion');
    await rec.op(main, 'create ephemeral sequential', OpCode.create, createBody('/golden/eseq-', null, CreateFlags.EPHEMERAL_SEQUENTIAL));
    await rec.op(main, 'create2', OpCode.create2, createBody('/golden/c2', utf8('c2data'), CreateFlags.PERSISTENT), 'Create2Response: path and stat');
    await rec.op(main, 'createContainer', OpCode.createContainer, createBody('/golden/container', null, CreateFlags.CONTAINER), 'Create2Response; clients see ephemeralOwner 0 (DataNode.getClientEphemeralOwner hides container/TTL markers)');
    await rec.op(main, 'createTTL', OpCode.createTTL,
      (w) => CreateTTLRequest.write(w, { path: '/golden/ttl', data: utf8('t'), acl: [...Ids.OPEN_ACL_UNSAFE], flags: CreateFlags.PERSISTENT_WITH_TTL, ttl: 600_000n }),
      'needs zookeeper.extendedTypesEnabled; the reply stat shows ephemeralOwner 0, not the stored TTL marker');
    await rec.op(main, 'getData', OpCode.getData, getData('/golden'));
    await rec.op(main, 'getData of a node created with null data', OpCode.getData, getData('/golden/nodata'));
    await rec.op(main, 'getData of a node created with empty data', OpCode.getData, getData('/golden/empty'));
    await rec.op(main, 'setData', OpCode.setData, setData('/golden', 'root2', 0));
    await rec.op(main, 'exists existing', OpCode.exists, (w) => ExistsRequest.write(w, { path: '/golden/c2', watch: false }));
    await rec.op(main, 'exists missing with watch (NONODE)', OpCode.exists, (w) => ExistsRequest.write(w, { path: '/golden/missing', watch: true }),
      'error reply: header only; the exist watch is still set');

    await rec.connect(old, 'connect without readOnly byte', false, '44-byte ConnectRequest (old client); the reply has no readOnly byte (36 bytes)');
    await rec.op(old, 'create that fires the exist watch', OpCode.create, createBody('/golden/missing', null, CreateFlags.PERSISTENT));
    await rec.notification(main, 'watch notification NodeCreated', 'xid -1; 3.8 sends zxid -1');

    await rec.op(main, 'getChildren', OpCode.getChildren, (w) => GetChildrenRequest.write(w, { path: '/golden', watch: false }), 'children are unordered');
    await rec.op(main, 'getChildren2', OpCode.getChildren2, (w) => GetChildren2Request.write(w, { path: '/golden', watch: false }));
    await rec.op(main, 'getACL', OpCode.getACL, path('/golden'));
    await rec.op(main, 'setACL', OpCode.setACL, (w) => SetACLRequest.write(w, { path: '/golden/c2', acl: [...Ids.OPEN_ACL_UNSAFE], version: 0 }));
    await rec.op(main, 'sync', OpCode.sync, (w) => SyncRequest.write(w, { path: '/golden' }));
    await rec.op(main, 'ping', OpCode.ping, undefined, 'xid -2, header only both ways', Xid.ping);
    await rec.op(main, 'check standalone with wrong version (BADVERSION)', OpCode.check,
      (w) => CheckVersionRequest.write(w, { path: '/golden/c2', version: 99 }), 'a matching standalone check is never answered by 3.8.0');
    await rec.op(main, 'multi success', OpCode.multi, multiBody([
      { type: OpCode.check, write: (w) => CheckVersionRequest.write(w, { path: '/golden/c2', version: 0 }) },
      { type: OpCode.create, write: createBody('/golden/m1', utf8('m'), CreateFlags.PERSISTENT) },
      { type: OpCode.create2, write: createBody('/golden/m2', null, CreateFlags.PERSISTENT) },
      { type: OpCode.setData, write: setData('/golden/m1', 'mm', -1) },
      { type: OpCode.delete, write: (w) => DeleteRequest.write(w, { path: '/golden/m1', version: -1 }) },
    ]), 'results: check, create, create, setData, delete: the server re-derives a sub-op type from its flags (Op.create), so create2 answers as create with no stat');
    await rec.op(main, 'multi failure', OpCode.multi, multiBody([
      { type: OpCode.create, write: createBody('/golden/m3', null, CreateFlags.PERSISTENT) },
      { type: OpCode.check, write: (w) => CheckVersionRequest.write(w, { path: '/golden/c2', version: 99 }) },
      { type: OpCode.delete, write: (w) => DeleteRequest.write(w, { path: '/golden/m2', version: -1 }) },
    ]), 'every result is an ErrorResponse: 0, BADVERSION, RUNTIMEINCONSISTENCY; header err stays 0');
    await rec.op(main, 'multiRead', OpCode.multiRead, multiBody([
      { type: OpCode.getData, write: getData('/golden') },
      { type: OpCode.getChildren, write: (w) => GetChildrenRequest.write(w, { path: '/golden/c2', watch: false }) },
      { type: OpCode.getData, write: getData('/golden/absent') },
    ]), 'each read stands alone: getData, getChildren, then an ErrorResponse NONODE');

    await rec.op(main, 'getData with watch', OpCode.getData, getData('/golden/c2', true));
    await rec.op(old, 'setData that fires the data watch', OpCode.setData, setData('/golden/c2', 'changed', -1));
    await rec.notification(main, 'watch notification NodeDataChanged', 'xid -1');

    await rec.op(main, 'auth digest', OpCode.auth, (w) => AuthPacket.write(w, { type: 0, scheme: 'digest', auth: utf8('golden:secret') }),
      'xid -4; reply zxid 0', Xid.auth);
    await rec.op(main, 'whoAmI', OpCode.whoAmI, undefined, 'ip and digest identities');
    await rec.op(main, 'getEphemerals', OpCode.getEphemerals, (w) => GetEphemeralsRequest.write(w, { prefixPath: '/golden' }));
    await rec.op(main, 'getAllChildrenNumber', OpCode.getAllChildrenNumber, (w) => GetAllChildrenNumberRequest.write(w, { path: '/golden' }));
    await rec.op(main, 'checkWatches with no watcher (NOWATCHER)', OpCode.checkWatches,
      (w) => CheckWatchesRequest.write(w, { path: '/golden/c2', type: WatcherType.Data }));
    await rec.op(main, 'removeWatches with no watcher (NOWATCHER)', OpCode.removeWatches,
      (w) => RemoveWatchesRequest.write(w, { path: '/golden/c2', type: WatcherType.Any }));

    await rec.op(main, 'create existing (NODEEXISTS)', OpCode.create, createBody('/golden', null, CreateFlags.PERSISTENT));
    await rec.op(main, 'getData missing (NONODE)', OpCode.getData, getData('/golden/nope'));
    await rec.op(main, 'setData wrong version (BADVERSION)', OpCode.setData, setData('/golden', 'x', 99));
    await rec.op(main, 'delete non-empty (NOTEMPTY)', OpCode.delete, (w) => DeleteRequest.write(w, { path: '/golden', version: -1 }));
    await rec.op(main, 'create read-only node', OpCode.create, createBody('/golden/ro', null, CreateFlags.PERSISTENT, Ids.READ_ACL_UNSAFE));
    await rec.op(main, 'setData without WRITE (NOAUTH)', OpCode.setData, setData('/golden/ro', 'x', -1));
    await rec.op(main, 'delete', OpCode.delete, (w) => DeleteRequest.write(w, { path: '/golden/ro', version: 0 }), 'header only');

    const relativeZxid = rec.lastZxid;
    await rec.op(main, 'setWatches', OpCode.setWatches,
      (w) => SetWatches.write(w, { relativeZxid, dataWatches: ['/golden/c2'], existWatches: ['/golden/nothere'], childWatches: ['/golden'] }),
      'xid -8; relativeZxid = last zxid seen, so nothing fires', Xid.setWatches);
    await rec.op(main, 'addWatch persistent recursive', OpCode.addWatch,
      (w) => AddWatchRequest.write(w, { path: '/golden', mode: AddWatchMode.PERSISTENT_RECURSIVE }), 'body is ErrorResponse{0}');
    await rec.op(old, 'setData that fires the recursive watch', OpCode.setData, setData('/golden/empty', 'x', -1));
    await rec.notification(main, 'persistent recursive watch notification', 'NodeDataChanged for a descendant');

    await rec.op(old, 'closeSession (old client)', OpCode.closeSession, undefined, 'the server closes the socket after the reply');
    await rec.op(main, 'closeSession', OpCode.closeSession, undefined, 'the server closes the socket after the reply');

    await rec.connect(bad, 'connect for the failed auth', true, '');
    await rec.op(bad, 'auth unknown scheme (AUTHFAILED)', OpCode.auth, (w) => AuthPacket.write(w, { type: 0, scheme: 'nosuchscheme', auth: utf8('x') }),
      'err -115, then the server closes the connection', Xid.auth);
    // The close follows the reply; give it a bounded moment so `closed` is recorded truthfully.
    for (let i = 0; i < 100 && !bad.closed; i++) await sleep(10);
    const last = rec.steps[rec.steps.length - 1];
    if (last) last.closed = bad.closed;
    for (const conn of [main, old, bad]) {
      if (conn.consumed !== conn.frames.length) throw new Error(`${conn.name}: ${conn.frames.length - conn.consumed} frames after its last step`);
    }
    return rec.steps;
  } finally {
    main.destroy();
    old.destroy();
    bad.destroy();
  }
}

/** Parses the (single, preallocated) txn log the reference server wrote during the session. */
async function readTxnLog(dataDir: string): Promise<GoldenTxnLog> {
  const dir = join(dataDir, 'version-2');
  const logs = (await readdir(dir)).filter((name) => name.startsWith('log.'));
  if (logs.length !== 1 || !logs[0]) throw new Error(`expected one txn log in ${dir}, found ${logs.join(', ')}`);
  const bytes = await readFile(join(dir, logs[0]));
  const entries: GoldenTxnLog['entries'] = [];
  let at = 16;
  // Preallocation pads the file with zeros: a zero length marks the end.
  while (at + 12 <= bytes.length) {
    const length = bytes.readInt32BE(at + 8);
    if (length <= 0) break;
    if (at + 12 + length + 1 > bytes.length || bytes[at + 12 + length] !== 0x42) throw new Error(`bad txn log entry at ${at}`);
    entries.push({ crc: bytes.subarray(at, at + 8).toString('hex'), txn: bytes.subarray(at + 12, at + 12 + length).toString('hex') });
    at += 12 + length + 1;
  }
  return { file: logs[0], fileHeader: bytes.subarray(0, 16).toString('hex'), entries };
}

const out = process.argv[2] ?? GOLDEN_SESSION_FILE;
const zk = await startReferenceZooKeeper({ extendedTypes: true });
try {
  const steps = await captureSession(zk.port);
  // Every reply above was sent after its txn was synced, so the log is complete on disk.
  const txnLog = await readTxnLog(zk.dataDir);
  const file: GoldenFile = {
    source: 'Apache ZooKeeper 3.8.0 (Debian zookeeper 3.8.0-11+deb12u2), standalone, extendedTypesEnabled=true; ' +
      'zxids, session ids, passwords and times are as captured',
    capturedAt: new Date().toISOString(),
    steps,
    txnLog,
  };
  await writeFile(out, JSON.stringify(file, null, 2) + '\n');
  console.log(`wrote ${steps.length} steps and ${txnLog.entries.length} txns to ${out}`);
} finally {
  await zk.stop();
}
